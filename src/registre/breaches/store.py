"""The register of breaches in the state database, every change with its audit entry.

One row per breach: the columns a list sorts and filters on, and the rest as canonical JSON
(phases, assessment, scope, counts, notifications), rewritten whole by each change in the same
transaction as the audit entry that records it. The list of people to inform is never stored:
it is read from the live databases when letters are written (see :mod:`.counting`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from registre._exceptions import BreachError
from registre.breaches.model import (
    Assessment,
    Breach,
    Delivery,
    Nature,
    Notification,
    Phase,
)
from registre.breaches.scope import Scope
from registre.state.audit import AuditTrail
from registre.state.db import (
    UTCDateTime,
    canonical_json,
    read_connection,
    utcnow,
    write_transaction,
)

metadata = sa.MetaData()

breach_table = sa.Table(
    "registre_breach",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("aware_at", UTCDateTime, nullable=False, index=True),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.Column("record", sa.Text, nullable=False),
)

# audit actions, one per kind of change
OPENED = "breach.open"
UPDATED = "breach.update"
ASSESSED = "breach.assess"
SCOPED = "breach.scope"
NOTIFIED = "breach.notify"
DRAFTED = "breach.draft"
LETTERS = "breach.letters"
CLOSED = "breach.close"
SENDING = "breach.send"
"""Letters and notices queued to be mailed (how many, never to whom)."""
MAILED = "breach.mail"
"""One attempt at mailing a letter or notice: sent, or failed with the server's answer."""
ACTIONS = (OPENED, UPDATED, ASSESSED, SCOPED, NOTIFIED, DRAFTED, LETTERS, CLOSED, SENDING, MAILED)


def _record(breach: Breach) -> str:
    return canonical_json(
        {
            "nature": [n.value for n in breach.nature],
            "summary": breach.summary,
            "systems": list(breach.systems),
            "source": breach.source,
            "processor": breach.processor,
            "phases": [
                {"at": p.at.isoformat(), "text": p.text, "unknown": p.unknown}
                for p in breach.phases
            ],
            "assessment": breach.assessment.as_json() if breach.assessment else None,
            "scope": breach.scope.as_json() if breach.scope else None,
            "counts": breach.counts,
            "notifications": [n.as_json() for n in breach.notifications],
            "deliveries": [d.as_json() for d in breach.deliveries],
        }
    )


def _breach(row: sa.Row[Any]) -> Breach:
    data = json.loads(row.record)
    return Breach(
        id=row.id,
        aware_at=row.aware_at,
        opened_at=row.opened_at,
        nature=tuple(Nature(n) for n in data["nature"]),
        summary=data["summary"],
        systems=tuple(data["systems"]),
        source=data["source"],
        processor=data["processor"],
        phases=[
            Phase(datetime.fromisoformat(p["at"]), p["text"], p.get("unknown", ""))
            for p in data["phases"]
        ],
        assessment=Assessment.from_json(data["assessment"]) if data["assessment"] else None,
        scope=Scope.from_json(data["scope"]) if data["scope"] else None,
        counts=data["counts"],
        notifications=[Notification.from_json(n) for n in data["notifications"]],
        closed_at=row.closed_at,
        deliveries=[Delivery.from_json(d) for d in data.get("deliveries", [])],
    )


class BreachRegister:
    """The breaches of one state database; each change commits with its audit entry."""

    def __init__(self, engine: Engine, audit: AuditTrail, *, actor: str = "registre") -> None:
        self._engine = engine
        self._audit = audit
        self.actor = actor

    @property
    def engine(self) -> Engine:
        """The state database (the jobs that mail letters are queued in it too)."""
        return self._engine

    def open(self, breach: Breach) -> Breach:
        """Record a new breach (its id is chosen here when empty)."""
        if not breach.id:
            breach.id = f"b-{secrets.token_hex(4)}"
        now = utcnow()
        with write_transaction(self._engine) as connection:
            connection.execute(
                breach_table.insert().values(
                    id=breach.id,
                    aware_at=breach.aware_at,
                    opened_at=breach.opened_at,
                    updated_at=now,
                    closed_at=None,
                    record=_record(breach),
                )
            )
            self._audit.append_in(
                connection,
                OPENED,
                details={
                    "breach": breach.id,
                    "aware_at": breach.aware_at.isoformat(),
                    "nature": [n.value for n in breach.nature],
                    "systems": list(breach.systems),
                    "source": breach.source,
                    "processor": breach.processor,
                    "summary": breach.summary,
                },
                actor=self.actor,
            )
        return breach

    def change(
        self, breach_id: str, action: str, apply: Callable[[Breach], dict[str, Any]]
    ) -> Breach:
        """Apply a change to a breach and record it: ``apply`` edits the breach and returns
        the audit entry's details. Nothing is written when it raises."""
        return self.change_with(breach_id, action, lambda _, breach: apply(breach))

    def change_with(
        self,
        breach_id: str,
        action: str,
        apply: Callable[[Connection, Breach], dict[str, Any]],
    ) -> Breach:
        """:meth:`change`, ``apply`` also given the transaction's connection to write other
        rows in it (the jobs that mail letters are queued with the breach's deliveries)."""
        with write_transaction(self._engine) as connection:
            breach = self._locked(connection, breach_id)
            details = apply(connection, breach)
            connection.execute(
                breach_table.update()
                .where(breach_table.c.id == breach_id)
                .values(record=_record(breach), updated_at=utcnow(), closed_at=breach.closed_at)
            )
            self._audit.append_in(
                connection, action, details={"breach": breach_id, **details}, actor=self.actor
            )
        return breach

    def note(self, breach_id: str, action: str, details: dict[str, Any]) -> None:
        """Record in the audit trail something done with a breach that does not change it
        (a draft or letters written)."""
        self.get(breach_id)
        self._audit.append(action, details={"breach": breach_id, **details}, actor=self.actor)

    def get(self, breach_id: str) -> Breach:
        with read_connection(self._engine) as connection:
            row = connection.execute(
                sa.select(breach_table).where(breach_table.c.id == breach_id)
            ).first()
        if row is None:
            raise _unknown(breach_id)
        return _breach(row)

    def all(self) -> list[Breach]:
        with read_connection(self._engine) as connection:
            rows = connection.execute(sa.select(breach_table).order_by(breach_table.c.aware_at))
            return [_breach(row) for row in rows]

    def _locked(self, connection: Connection, breach_id: str) -> Breach:
        row = connection.execute(
            sa.select(breach_table).where(breach_table.c.id == breach_id).with_for_update()
        ).first()
        if row is None:
            raise _unknown(breach_id)
        return _breach(row)


def _unknown(breach_id: str) -> BreachError:
    return BreachError(
        f"no breach {breach_id!r} in the register of breaches",
        hint="`registre breach list` shows the breaches and their ids",
    )
