"""Runs: sweeps and other long jobs, with the register they enforced and their checkpoints.

A run records the register version it enforces (``policy.version`` and
:func:`register_digest`), the reference time ``at`` it computes cut-offs from, its options, and
per-key progress counters (one per rule and table, say) so that a run interrupted by a crash can
be found with :meth:`Runs.running` (on the same targets: the databases it works on) and
resumed where it stopped.

Runs are not audited by this module: the job that starts one records what it does in the audit
trail itself, with ``run_id``.

``progress(run_id, key, done)`` sets the counter to ``done`` (it does not add to it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from registre._exceptions import StateError
from registre.state.db import (
    canonical_json,
    inserted_id,
    read_connection,
    run,
    run_progress,
    to_utc,
    utcnow,
    write_transaction,
)

if TYPE_CHECKING:
    from registre.register.model import Register

RunStatus = Literal["running", "done", "failed"]


def register_digest(register: Register) -> str:
    """The sha256 of the register's canonical JSON, naming exactly the register enforced."""
    document = register.model_dump(mode="json")
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Run:
    """One run of a long job."""

    id: int
    kind: str
    status: RunStatus
    register_version: str
    register_digest: str
    at: datetime
    started_at: datetime
    finished_at: datetime | None
    options: dict[str, Any]
    summary: dict[str, Any] | None
    progress: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The run as plain JSON values."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "register_version": self.register_version,
            "register_digest": self.register_digest,
            "at": _iso(self.at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "options": self.options,
            "summary": self.summary,
            "progress": self.progress,
        }


class Runs:
    """The runs of one state database (``state.runs``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def start(
        self,
        kind: str,
        *,
        register_version: str,
        register_digest: str,
        at: datetime,
        options: dict[str, Any],
    ) -> Run:
        """Record the start of a run; ``at`` is its reference time (aware)."""
        with write_transaction(self._engine) as connection:
            result = connection.execute(
                run.insert().values(
                    kind=kind,
                    status="running",
                    register_version=register_version,
                    register_digest=register_digest,
                    at=to_utc(at),
                    started_at=utcnow(),
                    options=canonical_json(options),
                )
            )
            return _load_existing(connection, inserted_id(result))

    def unfinished(self, kind: str) -> Run | None:
        """The latest run of that kind still marked running (interrupted by a crash)."""
        query = (
            sa.select(run.c.id)
            .where(run.c.kind == kind, run.c.status == "running")
            .order_by(run.c.id.desc())
            .limit(1)
        )
        with read_connection(self._engine) as connection:
            run_id = connection.execute(query).scalar()
            return None if run_id is None else _load(connection, run_id)

    def running(self, kind: str, *, targets: Iterable[str]) -> list[Run]:
        """The runs of that kind still marked running on any of ``targets``, newest first.

        A run's targets are the ``targets`` of its options: what it works on (the databases
        a sweep writes to, say); a run that recorded none is on no target. A run marked
        running may be alive: only a caller that holds the targets' locks, which a live run
        would hold, may take it for interrupted.
        """
        wanted = set(targets)
        query = (
            sa.select(run.c.id, run.c.options)
            .where(run.c.kind == kind, run.c.status == "running")
            .order_by(run.c.id.desc())
        )
        with read_connection(self._engine) as connection:
            ids = [
                run_id
                for run_id, options in connection.execute(query).all()
                if wanted & set(json.loads(options).get("targets") or ())
            ]
            return [found for found in (_load(connection, i) for i in ids) if found]

    def progress(self, run_id: int, key: str, done: int) -> None:
        """Checkpoint: ``done`` items of ``key`` are finished in this run."""
        with write_transaction(self._engine) as connection:
            self.progress_in(connection, run_id, key, done)

    def progress_in(self, connection: Connection, run_id: int, key: str, done: int) -> None:
        """:meth:`progress` inside the caller's write transaction (with an audit entry, say)."""
        now = utcnow()
        _require_running(connection, run_id)
        updated = connection.execute(
            run_progress.update()
            .where(run_progress.c.run_id == run_id, run_progress.c.key == key)
            .values(done=done, updated_at=now)
        ).rowcount
        if not updated:
            connection.execute(
                run_progress.insert().values(run_id=run_id, key=key, done=done, updated_at=now)
            )

    def finish(
        self, run_id: int, *, status: Literal["done", "failed"], summary: dict[str, Any]
    ) -> Run:
        """Mark a running run as done or failed, with its summary."""
        if status not in ("done", "failed"):
            raise ValueError(f"a run finishes 'done' or 'failed', not {status!r}")
        with write_transaction(self._engine) as connection:
            _require_running(connection, run_id)
            connection.execute(
                run.update()
                .where(run.c.id == run_id)
                .values(status=status, finished_at=utcnow(), summary=canonical_json(summary))
            )
            return _load_existing(connection, run_id)

    def get(self, run_id: int) -> Run | None:
        """One run by id."""
        with read_connection(self._engine) as connection:
            return _load(connection, run_id)

    def list(self, limit: int = 20, *, kind: str | None = None, offset: int = 0) -> list[Run]:
        """The latest runs (of ``kind``), newest first, ``limit`` after the first ``offset``."""
        query = sa.select(run.c.id).order_by(run.c.id.desc()).limit(limit).offset(offset)
        if kind is not None:
            query = query.where(run.c.kind == kind)
        with read_connection(self._engine) as connection:
            ids = connection.execute(query).scalars()
            return [found for found in (_load(connection, i) for i in list(ids)) if found]

    def count(self, *, kind: str | None = None) -> int:
        """How many runs (of ``kind``) are recorded."""
        query = sa.select(sa.func.count()).select_from(run)
        if kind is not None:
            query = query.where(run.c.kind == kind)
        with read_connection(self._engine) as connection:
            return int(connection.execute(query).scalar_one())


def _require_running(connection: Connection, run_id: int) -> None:
    status = connection.execute(sa.select(run.c.status).where(run.c.id == run_id)).scalar()
    if status is None:
        raise StateError(f"there is no run {run_id} in the state database")
    if status != "running":
        raise StateError(f"run {run_id} is already finished ({status})")


def _load_existing(connection: Connection, run_id: int) -> Run:
    found = _load(connection, run_id)
    assert found is not None  # read in the transaction that wrote it
    return found


def _load(connection: Connection, run_id: int) -> Run | None:
    row = connection.execute(sa.select(run).where(run.c.id == run_id)).first()
    if row is None:
        return None
    progress = connection.execute(
        sa.select(run_progress.c.key, run_progress.c.done)
        .where(run_progress.c.run_id == run_id)
        .order_by(run_progress.c.key)
    ).all()
    return _run(row, {key: done for key, done in progress})


def _run(row: Row[Any], progress: dict[str, int]) -> Run:
    return Run(
        id=row.id,
        kind=row.kind,
        status=row.status,
        register_version=row.register_version,
        register_digest=row.register_digest,
        at=row.at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        options=json.loads(row.options),
        summary=None if row.summary is None else json.loads(row.summary),
        progress=progress,
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
