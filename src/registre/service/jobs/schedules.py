"""Schedules: daily sweeps per store, export purges and the DPO's digest, at a local time.

Each schedule fires at ``HH:MM`` in the policy's time zone. Its last fired occurrence is a row
of ``registre_schedule`` (migration ``0007``): a process fires an occurrence only by moving that
row forward with one conditional UPDATE (or by inserting it, for a schedule never fired), in the
same transaction as the job it queues, so of several processes (``registre serve``, workers)
exactly one fires a given occurrence. Only the latest occurrence is ever fired: a service that
was down for three nights sweeps once when it comes back, not three times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from registre.service.jobs.queue import Job, JobQueue
from registre.state.db import UTCDateTime, utcnow, write_transaction

metadata = sa.MetaData()

schedule_table = sa.Table(
    "registre_schedule",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("last_occurrence", UTCDateTime, nullable=False),
    sa.Column("fired_at", UTCDateTime, nullable=False),
    sa.Column("job_id", sa.String(32), nullable=False),
)

ACTOR = "registre-scheduler"


class _Lost(Exception):
    """Another process moved the schedule's row first."""


@dataclass(frozen=True)
class Schedule:
    name: str
    at: time
    kind: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def latest(self, now: datetime, tz: ZoneInfo) -> datetime:
        """The latest occurrence at or before ``now``, in UTC."""
        local = now.astimezone(tz)
        today = datetime.combine(local.date(), self.at, tzinfo=tz)
        occurrence = today if today <= local else today - timedelta(days=1)
        return occurrence.astimezone(ZoneInfo("UTC"))


def parse_time(text: str) -> time:
    """``03:00`` as a time of day; ValueError with what to write otherwise."""
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day: write HH:MM, such as 03:00") from None


def fire_due(
    engine: Engine, queue: JobQueue, schedules: list[Schedule], tz: ZoneInfo, now: datetime
) -> list[Job]:
    """Queue the job of each schedule whose latest occurrence has not fired; the jobs queued."""
    fired = []
    for schedule in schedules:
        occurrence = schedule.latest(now, tz)
        arguments = {**schedule.arguments, "at": occurrence.isoformat()}
        key = f"{schedule.name}@{occurrence.isoformat()}"
        with write_transaction(engine) as connection:
            row = connection.execute(
                sa.select(schedule_table.c.last_occurrence)
                .where(schedule_table.c.name == schedule.name)
                .with_for_update()
            ).first()
            if row is not None and row.last_occurrence >= occurrence:
                continue
            values = {"last_occurrence": occurrence, "fired_at": utcnow(), "job_id": "-"}
            try:
                with connection.begin_nested():
                    if row is None:
                        connection.execute(
                            schedule_table.insert(), {"name": schedule.name, **values}
                        )
                    elif (
                        connection.execute(
                            schedule_table.update()
                            .where(
                                schedule_table.c.name == schedule.name,
                                schedule_table.c.last_occurrence < occurrence,
                            )
                            .values(**values)
                        ).rowcount
                        != 1
                    ):
                        raise _Lost
                    job, new = queue.add_in(
                        connection, schedule.kind, arguments, actor=ACTOR, key=key
                    )
                    connection.execute(
                        schedule_table.update()
                        .where(schedule_table.c.name == schedule.name)
                        .values(job_id=job.id)
                    )
            except (sa.exc.IntegrityError, _Lost):
                continue  # another process fired this occurrence a moment ago
            if new:
                fired.append(job)
    return fired
