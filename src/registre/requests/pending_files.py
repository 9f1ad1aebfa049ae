"""Files written before the state records them: under a temporary name until it does.

An export package is written first and recorded after, in the transaction that closes its
request: a ZIP of a million rows is not written inside a state transaction that holds the
writers' lock. The request's letters and forward summary are written the same way: a letter on
disk saying "we hold no data about you" must be the answer the state recorded. So there is a
moment when the file exists and nothing records it. Where to put the rename that gives the file
its name decides what a kill leaves behind:

- renamed before the commit, a kill between the two leaves a package under its real name that
  no request records, and a second ``request execute`` racing the first overwrites the
  package the first one recorded;
- renamed after the commit (what registre does), a kill while writing leaves only a temporary
  file, and a kill between the commit and the rename (one system call later) leaves the
  recorded file under its temporary name (a package with the sha256 the state recorded).

``registre request purge-exports`` deals with both: a temporary file whose writer is gone is
put in place when the state records it (a package of its digest at its real name, a letter
named in its request's result), and deleted otherwise; a package under a real name that no
request records is deleted too (a kill under an earlier version). Each temporary file is
locked (``flock``) by its writer until it is renamed or deleted, so the purge never touches a
file being written. Files are recognised by their names only (:data:`PACKAGE_NAME`,
:data:`PENDING_NAME`) in folders named after a request: nothing else is ever deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from registre._exceptions import RequestError
from registre.owner_only import make_folder, open_private
from registre.requests.export import locate
from registre.requests.store import export_table, request_table
from registre.state.db import read_connection

_PACKAGE = r"(?:access|portability)-(?P<request>[A-Za-z0-9_-]+)\.zip|forward-data(?:-[0-9]+)?\.zip"
PACKAGE_NAME = re.compile(_PACKAGE)
"""The names registre gives packages in ``OUT/REQUEST/``."""
_LETTER = r"[a-z0-9-]+-[a-z]{2}\.html|forward\.json"
PENDING_NAME = re.compile(
    r"\.(?P<name>" + _PACKAGE.replace("?P<request>", "") + "|" + _LETTER + r")\.[0-9a-f]{16}\.part"
)
"""A package's, letter's or forward summary's temporary name while it is written:
``.NAME.TOKEN.part``."""


class PendingFile:
    """A package's file while it is written: a locked temporary file beside its final place."""

    def __init__(self, final: Path) -> None:
        make_folder(final.parent)
        self.final = final
        while True:
            path = final.with_name(f".{final.name}.{secrets.token_hex(8)}.part")
            lock = open_private(path, exclusive=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
            # a purge may have taken the file for a dead writer's between its creation and the
            # lock: if the name no longer leads to it, it is another file's now, or none
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == os.fstat(lock.fileno()).st_ino:
                    break
            lock.close()
        self.path = path
        self._lock: IO[bytes] | None = lock
        # dropped unrecorded and not discarded (an error between the writing and the closing
        # transaction): deleted when collected, or at exit, rather than left for the purge
        self._drop = weakref.finalize(self, _drop, path, lock)

    def put_in_place(self) -> None:
        """Give the file its final name (once the state records it), and release it."""
        try:
            os.replace(self.path, self.final)
        except OSError as error:
            raise RequestError(
                f"the package {self.final} is recorded, but it could not be renamed from "
                f"{self.path.name}: {error.strerror}",
                hint="`registre request purge-exports` puts it in place once the folder is "
                "writable again",
            ) from None
        finally:
            self.release()

    def discard(self) -> None:
        """Delete the file: nothing records it."""
        self.path.unlink(missing_ok=True)
        self.release()

    def release(self) -> None:
        self._drop.detach()
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _drop(path: Path, lock: IO[bytes]) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
    lock.close()


@dataclass
class Cleared:
    """What is left of interrupted writes in a request folder."""

    settled: list[Path] = field(default_factory=list)
    """Recorded packages found under their temporary name, now put in place."""
    orphans: list[Path] = field(default_factory=list)
    """Files no request records, deleted."""


def clear_interrupted(engine: Engine, out_dir: Path) -> Cleared:
    """Settle or delete what interrupted writes left in the request folders of ``out_dir``."""
    with read_connection(engine) as connection:
        request_ids = connection.execute(sa.select(request_table.c.id)).scalars().all()
    # listed before the records are read: a package renamed meanwhile was recorded before
    files = listed(out_dir, request_ids)
    if not files:
        return Cleared()
    with read_connection(engine) as connection:
        rows = connection.execute(
            sa.select(export_table.c.path, export_table.c.request_id, export_table.c.sha256).where(
                export_table.c.deleted_at.is_(None)
            )
        ).all()
    recorded: dict[Path, str | None] = {}
    for row in rows:
        path = Path(row.path)
        located = locate(row.path, row.request_id, out_dir)
        if located.path is not None:
            recorded[located.path] = row.sha256
        # where it was to be renamed to, and OUT/REQUEST/NAME: a relative path is recorded by
        # earlier versions, and a folder moved since is still the package's (never an orphan)
        if path.is_absolute():
            recorded[path] = row.sha256
        recorded[out_dir / row.request_id / path.name] = row.sha256
    folders = {f.parent for f in files}
    with read_connection(engine) as connection:
        results = connection.execute(
            sa.select(request_table.c.result).where(
                request_table.c.id.in_(sorted({f.name for f in folders})),
                request_table.c.result.is_not(None),
            )
        ).scalars()
        for result in results:
            for text in _texts(json.loads(result)):
                if (letter := Path(text)).parent in folders:
                    recorded.setdefault(letter, None)  # a letter: no digest recorded
    return settle(files, recorded)


def listed(out_dir: Path, request_ids: Iterable[str]) -> list[Path]:
    """Files named like a package or a temporary package in the folders of ``request_ids``."""
    files = []
    for request_id in sorted(set(request_ids)):
        folder = out_dir / request_id
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in sorted(folder.iterdir()):
            name = path.name
            matched = PACKAGE_NAME.fullmatch(name) or PENDING_NAME.fullmatch(name)
            if not matched or not path.is_file() or path.is_symlink():
                continue
            request = PACKAGE_NAME.fullmatch(name)
            if request and request.group("request") not in (None, request_id):
                continue  # another request's name: not one registre wrote here
            files.append(path)
    return files


def _texts(value: Any) -> Iterator[str]:
    """Every string in a request's result (its letters' paths among them)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def settle(files: list[Path], recorded: dict[Path, str | None]) -> Cleared:
    """Put recorded packages left under a temporary name in place; delete the rest of
    ``files`` that no request records (listed before ``recorded`` was read)."""
    cleared = Cleared()
    for path in files:
        pending = PENDING_NAME.fullmatch(path.name)
        if pending is None:
            if path not in recorded and _delete(path):
                cleared.orphans.append(path)
            continue
        with _unless_written(path) as handle:
            if handle is None:
                continue
            final = path.with_name(pending.group("name"))
            wanted = recorded.get(final, "")
            if final in recorded and not final.exists() and wanted in (None, _sha256(handle)):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(path, final)
                    cleared.settled.append(final)
                continue
            if _delete(path):  # else its writer renamed it meanwhile
                cleared.orphans.append(path)
    return cleared


def _delete(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


@contextlib.contextmanager
def _unless_written(path: Path) -> Iterator[IO[bytes] | None]:
    """The file open and locked, or None while a live process writes it (or it is gone)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        yield None
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield handle


def _sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


StateWrite = Callable[[Connection], object]
"""A write to the state database made in the transaction that closes a request."""


class FileRecord:
    """A file written for a request (a letter, a summary), given its name once the transaction
    closing the request commits; the request's result names it, so nothing else is written."""

    def __init__(self, pending: PendingFile) -> None:
        self.pending = pending

    def __call__(self, connection: Connection) -> None:
        pass

    def committed(self) -> None:
        self.pending.put_in_place()

    def abandoned(self) -> None:
        self.pending.discard()


def write_later(path: Path, text: str, writes: list[StateWrite]) -> Path:
    """Write ``text`` for ``path``, where it appears once the request's closing commits."""
    pending = PendingFile(path)
    with open_private(pending.path) as handle:
        handle.write(text.encode("utf-8"))
    writes.append(FileRecord(pending))
    return path
