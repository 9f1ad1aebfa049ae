"""The job queue, kept in the state database (migration ``0007``): the source of truth.

A job is a row: its kind, its arguments (JSON), its state (``queued``, ``running``, ``done``,
``failed``), its attempts and the instant of the next one, its result or its last error. The
backends (:mod:`registre.service.jobs.backends`) only carry job ids to the workers; whoever
runs a job first *claims* it with one conditional UPDATE, so a job delivered twice runs once:

- a ``queued`` job whose next attempt is due may be claimed;
- a ``running`` job whose lease ran out (its worker died: SIGKILL, power cut) may be claimed
  again; a live worker renews its lease every few seconds.

A job that fails with a passing fault (a mail server or a database that does not answer) goes
back to ``queued`` with its next attempt later and later (backoff); after ``max_attempts`` it is
``failed``, and stays in the queue for an operator to see. A job given a ``key`` is queued once
per key: queuing it again returns the job already there (a failed job frees its key).
"""

from __future__ import annotations

import builtins
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from registre.service.errors import NotFound
from registre.state.db import UTCDateTime, read_connection, utcnow, write_transaction

metadata = sa.MetaData()

job_table = sa.Table(
    "registre_job",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("arguments", sa.Text, nullable=False),
    sa.Column("key", sa.String(200), nullable=True, unique=True),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt", UTCDateTime, nullable=False),
    sa.Column("dispatched_at", UTCDateTime, nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("worker", sa.String(200), nullable=True),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("finished_at", UTCDateTime, nullable=True),
)

STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    arguments: dict[str, Any]
    key: str | None
    state: str
    attempts: int
    max_attempts: int
    next_attempt: datetime
    lease_until: datetime | None
    worker: str | None
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    created_by: str
    started_at: datetime | None
    finished_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        """What the API shows: never the arguments of a mail (they may hold a code)."""
        shown = {k: v for k, v in self.arguments.items() if k not in SECRET_ARGUMENTS}
        return {
            "id": self.id,
            "kind": self.kind,
            "arguments": shown,
            "state": self.state,
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "next_attempt": self.next_attempt.isoformat() if self.state == "queued" else None,
            "worker": self.worker,
            "result": self.result,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


SECRET_ARGUMENTS = frozenset({"code"})
"""Arguments kept only until the job is done, and never shown (a one-time code)."""


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        arguments=json.loads(row.arguments),
        key=row.key,
        state=row.state,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        next_attempt=row.next_attempt,
        lease_until=row.lease_until,
        worker=row.worker,
        result=json.loads(row.result) if row.result else None,
        error=row.error,
        created_at=row.created_at,
        created_by=row.created_by,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """The wait before the next attempt: base, twice, four times... at most an hour."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 3600.0))


class JobQueue:
    """The jobs of one state database."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_attempts: int = 8,
        retry_seconds: float = 30.0,
        lease_seconds: float = 60.0,
    ) -> None:
        self.engine = engine
        self.max_attempts = max_attempts
        self.retry_seconds = retry_seconds
        self.lease = timedelta(seconds=lease_seconds)

    # -- queuing ------------------------------------------------------------------------------

    def add_in(
        self,
        connection: Connection,
        kind: str,
        arguments: dict[str, Any],
        *,
        actor: str,
        key: str | None = None,
    ) -> tuple[Job, bool]:
        """Queue a job inside the caller's transaction; (the job, whether it is new)."""
        if key is not None:
            row = connection.execute(sa.select(job_table).where(job_table.c.key == key)).first()
            if row is not None:
                return _job(row), False
        now = utcnow()
        job_id = "j-" + secrets.token_hex(6)
        connection.execute(
            job_table.insert(),
            {
                "id": job_id,
                "kind": kind,
                "arguments": json.dumps(arguments, sort_keys=True),
                "key": key,
                "state": "queued",
                "attempts": 0,
                "max_attempts": self.max_attempts,
                "next_attempt": now,
                "dispatched_at": now,
                "created_at": now,
                "created_by": actor,
            },
        )
        row = connection.execute(sa.select(job_table).where(job_table.c.id == job_id)).one()
        return _job(row), True

    def add(
        self, kind: str, arguments: dict[str, Any], *, actor: str, key: str | None = None
    ) -> tuple[Job, bool]:
        with write_transaction(self.engine) as connection:
            return self.add_in(connection, kind, arguments, actor=actor, key=key)

    # -- reading ------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        with read_connection(self.engine, single=True) as connection:
            row = connection.execute(sa.select(job_table).where(job_table.c.id == job_id)).first()
        if row is None:
            raise NotFound(
                f"there is no job {job_id}", hint="GET /api/v1/jobs lists them", job_id=job_id
            )
        return _job(row)

    def list(
        self, *, state: str | None = None, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[int, builtins.list[Job]]:
        """Jobs, the newest first; (how many match, one page of them)."""
        where = []
        if state is not None:
            where.append(job_table.c.state == state)
        if kind is not None:
            where.append(job_table.c.kind == kind)
        with read_connection(self.engine) as connection:
            total = connection.execute(
                sa.select(sa.func.count()).select_from(job_table).where(*where)
            ).scalar_one()
            rows = connection.execute(
                sa.select(job_table)
                .where(*where)
                .order_by(job_table.c.created_at.desc(), job_table.c.id)
                .limit(limit)
                .offset(offset)
            ).all()
        return int(total), [_job(row) for row in rows]

    # -- running ------------------------------------------------------------------------------

    def claim(self, job_id: str, worker: str) -> Job | None:
        """Take the job to run it; None when it is not to be run (done, or running elsewhere)."""
        now = utcnow()
        claimable = sa.or_(
            sa.and_(job_table.c.state == "queued", job_table.c.next_attempt <= now),
            sa.and_(job_table.c.state == "running", job_table.c.lease_until < now),
        )
        with write_transaction(self.engine) as connection:
            taken = connection.execute(
                job_table.update()
                .where(job_table.c.id == job_id, claimable)
                .values(
                    state="running",
                    attempts=job_table.c.attempts + 1,
                    lease_until=now + self.lease,
                    worker=worker,
                    started_at=now,
                    # the last attempt's error stays visible while the next one runs: the
                    # queue shows why a letter is late until it has gone
                )
            ).rowcount
            if taken != 1:
                return None
            row = connection.execute(sa.select(job_table).where(job_table.c.id == job_id)).one()
        return _job(row)

    def renew(self, job_id: str, worker: str) -> bool:
        """Extend the lease of a job this worker runs; False when it is no longer its own."""
        with write_transaction(self.engine) as connection:
            renewed = connection.execute(
                job_table.update()
                .where(
                    job_table.c.id == job_id,
                    job_table.c.state == "running",
                    job_table.c.worker == worker,
                )
                .values(lease_until=utcnow() + self.lease)
            ).rowcount
        return bool(renewed == 1)

    def finish(
        self, job: Job, worker: str, result: dict[str, Any], arguments: dict[str, Any] | None
    ) -> None:
        """The job is done; ``arguments`` replace the kept ones (secrets dropped) when given."""
        values: dict[str, Any] = {
            "state": "done",
            "result": json.dumps(result, sort_keys=True, default=str),
            "finished_at": utcnow(),
            "lease_until": None,
            "error": None,
        }
        if arguments is not None:
            values["arguments"] = json.dumps(arguments, sort_keys=True)
        self._settle(job, worker, values)

    def fail(self, job: Job, worker: str, error: str, *, retry: bool) -> str:
        """Record the failure; the job goes back to the queue, later, unless it is out of tries.

        Returns the job's new state.
        """
        now = utcnow()
        if retry and job.attempts < job.max_attempts:
            values: dict[str, Any] = {
                "state": "queued",
                "next_attempt": now + backoff(job.attempts, self.retry_seconds),
                "dispatched_at": None,
                "lease_until": None,
                "error": error,
            }
        else:
            # its key is freed: the same work may be asked for again once the fault is fixed
            values = {
                "state": "failed",
                "finished_at": now,
                "lease_until": None,
                "error": error,
                "key": None,
            }
        self._settle(job, worker, values)
        return str(values["state"])

    def _settle(self, job: Job, worker: str, values: dict[str, Any]) -> None:
        with write_transaction(self.engine) as connection:
            connection.execute(
                job_table.update()
                .where(
                    job_table.c.id == job.id,
                    job_table.c.state == "running",
                    job_table.c.worker == worker,
                )
                .values(**values)
            )

    def to_dispatch(
        self, redispatch_seconds: float, limit: int = 100
    ) -> builtins.list[tuple[str, str]]:
        """Jobs nobody carries (id and kind): due and not sent to a worker lately, or whose
        worker died.

        Each one returned is marked as dispatched now, in the same transaction, so that of
        several processes looking at once, one sends it.
        """
        now = utcnow()
        stale = now - timedelta(seconds=redispatch_seconds)
        not_sent = sa.or_(job_table.c.dispatched_at.is_(None), job_table.c.dispatched_at < stale)
        lost = sa.or_(
            sa.and_(job_table.c.state == "queued", job_table.c.next_attempt <= now),
            sa.and_(job_table.c.state == "running", job_table.c.lease_until < now),
        )
        with write_transaction(self.engine) as connection:
            found = connection.execute(
                sa.select(job_table.c.id, job_table.c.kind)
                .where(lost, not_sent)
                .order_by(job_table.c.next_attempt)
                .limit(limit)
            ).all()
            taken = []
            for job_id, kind in found:
                marked = connection.execute(
                    job_table.update()
                    .where(job_table.c.id == job_id, not_sent)
                    .values(dispatched_at=now)
                ).rowcount
                if marked == 1:
                    taken.append((job_id, kind))
        return taken
