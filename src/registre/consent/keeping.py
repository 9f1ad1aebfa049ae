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

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registre.consent import ledger
from registre.consent.decisions import expire_consents
from registre.consent.model import Decision
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
    ended = _ended(state, before)
    for start in range(0, len(ended), BATCH):
        for ids in _purge(state, ended[start : start + BATCH], str(kept), actor, run_id):
            done.chains += 1
            done.records += len(ids)
            done.purged += ids
    return done


BATCH = 100
"""Chains deleted in one transaction (each with its own audit entry)."""

Chain = tuple[str, str]
"""(person digest, purpose)"""


def _ended(state: EngineState, before: datetime) -> list[tuple[Chain, int]]:
    """Each chain whose latest record ended it before ``before``, with that record's seq."""
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
        return [((row.person, row.purpose), row.audit_seq) for row in connection.execute(query)]


def _chains(
    connection: Connection, chains: Collection[Chain]
) -> dict[Chain, list[tuple[str, int]]]:
    """The (id, seq) of every record of ``chains``, oldest first, in one query."""
    c = ledger.consent
    persons = sorted({person for person, _ in chains})
    query = (
        sa.select(c.c.id, c.c.person, c.c.purpose, c.c.audit_seq)
        .where(c.c.person.in_(persons))
        .order_by(c.c.audit_seq)
    )
    found: dict[Chain, list[tuple[str, int]]] = {chain: [] for chain in chains}
    for row in connection.execute(query):
        if (row.person, row.purpose) in found:
            found[row.person, row.purpose].append((row.id, row.audit_seq))
    return found


def _purge(
    state: EngineState, batch: list[tuple[Chain, int]], kept: str, actor: str, run: int | None
) -> list[list[str]]:
    """Delete a batch of chains, each with its audit entry; the ids of each chain deleted.

    A chain that gained a record since it was read is in use again and left as it is; when
    another run deleted some of the batch meanwhile, the batch is rolled back (the next run
    finds what is left).
    """
    c, identities = ledger.consent, ledger.consent_identity
    with read_connection(state.engine) as connection:
        before = _chains(connection, [chain for chain, _ in batch])
    checked = {
        r.id: r for r in ledger.records(state, ids=[i for ids in before.values() for i, _ in ids])
    }  # each record checked against its audit entry: a row altered by hand stops here
    deleted: list[list[str]] = []
    try:
        with write_transaction(state.engine) as connection:
            now = _chains(connection, [chain for chain, _ in batch])
            for (person, purpose), last_seq in batch:
                records = now[person, purpose]
                if not records or records != before[person, purpose]:
                    continue  # appended to meanwhile, or gone
                if records[-1][1] != last_seq:
                    continue
                ids = [i for i, _ in records]
                ended = checked[ids[-1]]
                connection.execute(identities.delete().where(identities.c.consent_id.in_(ids)))
                if connection.execute(c.delete().where(c.c.id.in_(ids))).rowcount != len(ids):
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
                deleted.append(ids)
    except _Raced:
        return []  # rolled back: nothing deleted twice, nothing half-deleted
    return deleted


class _Raced(Exception):
    """Another run deleted part of the batch first (the transaction is rolled back)."""
