"""Files about people, readable by their owner only: 0600 files in 0700 folders.

Export packages, letters, forward summaries and the state database hold a person's data or name
them. Created with the process's umask (often 022), they would be readable by every account on
the machine; a backup or a shared folder would carry that further. Each file registre writes
about people is created 0600 (an existing one is set to 0600 before it is written again), and
each folder registre creates on the way is 0700; folders that were already there keep their
mode: they are the organization's, not ours.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_folder(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each 0700; existing ones are left as they are."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        try:
            candidate.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            if not candidate.is_dir():
                raise
            continue  # made meanwhile by another process: its mode is its maker's
        # mkdir's mode is filtered by the umask; a umask of 077 or 022 keeps 0700 anyway, but
        # one that clears the owner's bits would not
        os.chmod(candidate, FOLDER_MODE)


def open_private(path: Path, *, exclusive: bool = False) -> IO[bytes]:
    """Open ``path`` for writing (and reading back), 0600, emptied; created if missing.

    ``exclusive``: fail if it exists (a temporary name nobody else may be writing).
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    if exclusive:
        flags |= os.O_EXCL
    descriptor = os.open(path, flags, FILE_MODE)
    try:
        # a file that existed keeps its mode through os.open: set it before writing anything
        os.fchmod(descriptor, FILE_MODE)
        return os.fdopen(descriptor, "w+b")
    except BaseException:
        os.close(descriptor)
        raise


def write_text(path: Path, text: str) -> None:
    """Write ``text`` in UTF-8 to ``path``, 0600, creating its folders 0700."""
    make_folder(path.parent)
    with open_private(path) as handle:
        handle.write(text.encode("utf-8"))


def create_empty(path: Path) -> None:
    """Create ``path`` empty and 0600 if it does not exist yet (a SQLite database to be)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)
