"""The consent ledger's own retention, applied by the sweep (issue 16 §1).

A person's records about one purpose (an activity, or a cookie category) form a chain: given,
withdrawn, given again, expired... The chain is the proof that their choice was respected, so
it is kept as long as that proof may be asked for: while the latest record is a consent in
force, and then for ``rights.consent_records_kept`` (five years unless the register says
otherwise) after the latest record, when it is a refusal, a withdrawal or an expiry. Refusals
are kept exactly as long as consents, as the CNIL recommends.

Past it, :func:`sweep_ledger` deletes the chain's rows from ``registre_consent`` and the
identity values they name from ``registre_consent_identity``, with a ``consent.purged`` audit
entry in the same transaction (the person's digest, the purpose, the records' ids, when the
chain ended, the period kept). The audit trail keeps the records' own entries: they name the
person only by a keyed digest, and the hash chain stays whole. Each chain is read back through
the ledger first, so a row altered by hand stops the run (:class:`~registre.StateError`)
rather than being deleted unseen.

The sweep calls it (:func:`registre.retention.sweep`) after the stores' rules, having first
recorded the expiries due (:func:`~registre.consent.expire_consents`). Idempotent: a chain
deleted is gone, and a chain that gained a record meanwhile is left for the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from registre.consent import ledger
from registre.consent.decisions import expire_consents
from registre.consent.model import ConsentRecord, Decision
from registre.durations import cutoff
from registre.register.model import Register
from registre.state import EngineState
from registre.state.db import read_connection, to_utc, write_transaction

PURGED = "consent.purged"
"""The audit action of a chain of records deleted past the ledger's retention."""
ENDED = (Decision.refused.value, Decision.withdrawn.value, Decision.expired.value)
"""The decisions that end a chain: after them, the person no longer consents."""


@dataclass
class LedgerSwept:
    """What the sweep did to the ledger: expiries recorded, chains and records deleted."""

    expired: int = 0
    chains: int = 0
    records: int = 0
    purged: list[str] = field(default_factory=list)
    """The ids of the records deleted."""

    def as_json(self) -> dict[str, Any]:
        return {"expired": self.expired, "chains": self.chains, "records": self.records}


def sweep_ledger(
    register: Register,
    state: EngineState,
    at: datetime,
    *,
    actor: str = "registre",
    run_id: int | None = None,
) -> LedgerSwept:
    """Record the expiries due at ``at``, then delete the chains ended longer ago than the
    register's ``rights.consent_records_kept``."""
    done = LedgerSwept(expired=len(expire_consents(state, at=at, actor=actor)))
    kept = register.rights.consent_records_kept
    before = to_utc(cutoff(at, kept, ZoneInfo(register.policy.timezone)))
    for person, purpose, last_seq in _ended(state, before):
        ids = _purge(state, person, purpose, last_seq, kept=str(kept), actor=actor, run=run_id)
        if ids:
            done.chains += 1
            done.records += len(ids)
            done.purged += ids
    return done


def _ended(state: EngineState, before: datetime) -> list[tuple[str, str, int]]:
    """(person, purpose, latest seq) of each chain whose latest record ended it before."""
    c = ledger.consent
    latest = (
        sa.select(c.c.person, c.c.purpose, sa.func.max(c.c.audit_seq).label("seq"))
        .group_by(c.c.person, c.c.purpose)
        .subquery()
    )
    query = (
        sa.select(c.c.person, c.c.purpose, c.c.audit_seq)
        .join(
            latest,
            sa.and_(
                c.c.person == latest.c.person,
                c.c.purpose == latest.c.purpose,
                c.c.audit_seq == latest.c.seq,
            ),
        )
        .where(c.c.decision.in_(ENDED), c.c.at < before)
        .order_by(c.c.audit_seq)
    )
    with read_connection(state.engine) as connection:
        return [(row.person, row.purpose, row.audit_seq) for row in connection.execute(query)]


def _purge(
    state: EngineState,
    person: str,
    purpose: str,
    last_seq: int,
    *,
    kept: str,
    actor: str,
    run: int | None,
) -> list[str]:
    """Delete one chain with its audit entry; [] when it gained a record since it was read."""
    c = ledger.consent
    with read_connection(state.engine) as connection:
        ids = list(
            connection.execute(
                sa.select(c.c.id)
                .where(c.c.person == person, c.c.purpose == purpose)
                .order_by(c.c.audit_seq)
            ).scalars()
        )
    records = ledger.records(state, ids=ids)  # each checked against its entry
    if not records or max(r.audit_seq for r in records) != last_seq:
        return []  # a record was appended meanwhile: the chain is in use again
    ended = records[-1]
    try:
        _delete(state, ids, person, purpose, last_seq, ended, kept=kept, actor=actor, run=run)
    except _Raced:
        return []  # another sweep deleted it meanwhile: rolled back, nothing twice
    return ids


def _delete(
    state: EngineState,
    ids: list[str],
    person: str,
    purpose: str,
    last_seq: int,
    ended: ConsentRecord,
    *,
    kept: str,
    actor: str,
    run: int | None,
) -> None:
    c = ledger.consent
    with write_transaction(state.engine) as connection:
        newer = connection.execute(
            sa.select(sa.func.count())
            .select_from(c)
            .where(c.c.person == person, c.c.purpose == purpose, c.c.audit_seq > last_seq)
        ).scalar_one()
        if newer:
            raise _Raced()  # a record was appended meanwhile: the chain is in use again
        connection.execute(
            ledger.consent_identity.delete().where(ledger.consent_identity.c.consent_id.in_(ids))
        )
        deleted = connection.execute(c.delete().where(c.c.id.in_(ids))).rowcount
        if deleted != len(ids):
            raise _Raced()
        state.audit.append_in(
            connection,
            PURGED,
            details={
                "person": person,
                "purpose": purpose,
                "records": ids,
                "ended": ended.at.isoformat(),
                "decision": ended.decision.value,
                "kept": kept,
            },
            actor=actor,
            run_id=run,
        )


class _Raced(Exception):
    """Another run deleted the chain first (the transaction is rolled back)."""
