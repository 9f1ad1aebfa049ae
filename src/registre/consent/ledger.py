"""The consent ledger in the state database, every record with its audit entry.

The audit trail is the proof (as for holds, restrictions and objections, see
:mod:`registre.state.protections`): each record is appended to the hash-chained trail as
``consent.given``, ``consent.refused``, ``consent.withdrawn`` or ``consent.expired``, naming the
person by their identity's digest, in the same transaction as its row. The row is what
:func:`has_consent` and a person's history look up quickly; it keeps the seq of its entry, and
every record read is compared with that entry, so a row added, edited or re-dated by hand is
refused (:class:`~registre.StateError`) instead of being taken as a consent.

The person's identity values are kept in clear in ``registre_consent_identity`` (as a
restriction's are): a withdrawal is enforced by finding the person's rows, and a ledger keyed
only by digests would lose everyone the day the deployment's key changes.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from registre._exceptions import ConsentError, StateError
from registre.consent.model import ConsentRecord, Decision, Method
from registre.state import EngineState, digests, identity_digest
from registre.state.db import (
    UTCDateTime,
    audit_entry,
    canonical_json,
    read_connection,
    to_utc,
    utcnow,
    write_transaction,
)
from registre.state.digests import normalize_identity

metadata = sa.MetaData()

consent = sa.Table(
    "registre_consent",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("person", sa.String(100), nullable=False),
    sa.Column("purpose", sa.String(200), nullable=False),
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("method", sa.String(30), nullable=False),
    sa.Column("controller", sa.String(300), nullable=False),
    sa.Column("notice_version", sa.String(100), nullable=True),
    sa.Column("notice_sha256", sa.String(64), nullable=True),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("replaces", sa.String(32), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("identity", sa.Text, nullable=False),
    sa.Column("audit_seq", sa.BigInteger, nullable=False),
    sa.Column("request_id", sa.String(32), nullable=True),
    sa.Index("ix_registre_consent_purpose", "purpose", "decision"),
)

consent_identity = sa.Table(
    "registre_consent_identity",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("consent_id", sa.String(32), nullable=False, index=True),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("value", sa.String(320), nullable=False),
    sa.Index("ix_registre_consent_identity_value", "kind", "value"),
)

ACTION_PREFIX = "consent."
ACTIONS = tuple(f"{ACTION_PREFIX}{d.value}" for d in Decision)
"""The audit actions of the ledger's records: consent.given, .refused, .withdrawn, .expired."""
ENFORCED = "consent.enforced"
"""The audit action linking a withdrawal to the erasure request that enforces it."""


def new_id() -> str:
    """A random record id such as ``c-3f9a1c2e5d``: random, so ids leak no volume."""
    return f"c-{secrets.token_hex(5)}"


def append(
    state: EngineState,
    identity: Mapping[str, str],
    purpose: str,
    decision: Decision,
    *,
    method: Method,
    controller: str,
    at: datetime | None = None,
    notice_version: str | None = None,
    notice_sha256: str | None = None,
    expires_at: datetime | None = None,
    replaces: str | None = None,
    note: str | None = None,
    actor: str = "registre",
) -> ConsentRecord:
    """Append one record: its audit entry and its row, committed together."""
    if not identity:
        raise ConsentError(
            "a consent record needs the person's identity",
            hint="name them by email, phone or an identity of the mapping",
        )
    if not controller.strip():
        raise ConsentError(
            "a consent record names the controller who collected it",
            hint="pass the organization's name (the register's organization.name)",
        )
    if notice_sha256 is not None and (
        len(notice_sha256) != 64 or any(c not in "0123456789abcdef" for c in notice_sha256)
    ):
        raise ConsentError(
            f"{notice_sha256!r} is not a sha256 in hexadecimal",
            hint="give the text itself (--notice-file) or its 64-character sha256",
        )
    when = to_utc(at) if at is not None else utcnow()
    record = ConsentRecord(
        id=new_id(),
        person=identity_digest(dict(identity)),
        purpose=purpose,
        decision=decision,
        at=when,
        method=method,
        controller=controller.strip(),
        notice_version=notice_version,
        notice_sha256=notice_sha256,
        expires_at=to_utc(expires_at) if expires_at is not None else None,
        replaces=replaces,
        note=note,
        identity=dict(identity),
    )
    with write_transaction(state.engine) as connection:
        entry = state.audit.append_in(
            connection,
            ACTION_PREFIX + decision.value,
            details=record.trail_details(),
            actor=actor,
        )
        _insert(connection, record, entry.seq)
    return _with(record, audit_seq=entry.seq)


def _insert(connection: Connection, record: ConsentRecord, seq: int) -> None:
    connection.execute(
        consent.insert(),
        {
            "id": record.id,
            "person": record.person,
            "purpose": record.purpose,
            "decision": record.decision.value,
            "at": record.at,
            "method": record.method.value,
            "controller": record.controller,
            "notice_version": record.notice_version,
            "notice_sha256": record.notice_sha256,
            "expires_at": record.expires_at,
            "replaces": record.replaces,
            "note": record.note,
            "identity": canonical_json(record.identity),
            "audit_seq": seq,
        },
    )
    connection.execute(
        consent_identity.insert(),
        [
            {"consent_id": record.id, "kind": kind, "value": value}
            for kind, value in sorted(record.identity.items())
        ],
    )


def _with(record: ConsentRecord, **changes: Any) -> ConsentRecord:
    return replace(record, **changes)


def records(
    state: EngineState,
    identity: Mapping[str, str] | None = None,
    purpose: str | None = None,
    *,
    ids: Iterable[str] = (),
) -> list[ConsentRecord]:
    """The records of anyone named by one of ``identity``'s values, oldest first, checked
    against their audit entries; only those about ``purpose`` when given."""
    query = sa.select(consent)
    if identity is not None:
        pairs = sorted(identity.items())
        if not pairs:
            return []
        matching = sa.select(consent_identity.c.consent_id).where(
            sa.or_(
                *(
                    sa.and_(consent_identity.c.kind == kind, consent_identity.c.value == value)
                    for kind, value in pairs
                )
            )
        )
        query = query.where(consent.c.id.in_(matching))
    wanted = list(ids)
    if wanted:
        query = query.where(consent.c.id.in_(wanted))
    if purpose is not None:
        query = query.where(consent.c.purpose == purpose)
    query = query.order_by(consent.c.at, consent.c.audit_seq)
    with read_connection(state.engine) as connection:
        rows = connection.execute(query).all()
        entries = _entries(connection, [row.audit_seq for row in rows])
    out = [_record(row) for row in rows]
    if identity is not None:
        # a hand-edited identity row must not lend someone else's record to this person
        out = [r for r in out if any(r.identity.get(k) == v for k, v in identity.items())]
    for record in out:
        _check(record, entries.get(record.audit_seq), state)
    return out


def _entries(connection: Connection, seqs: list[int]) -> dict[int, Row[Any]]:
    found: dict[int, Row[Any]] = {}
    for start in range(0, len(seqs), 500):
        chunk = seqs[start : start + 500]
        query = sa.select(audit_entry.c.seq, audit_entry.c.action, audit_entry.c.details).where(
            audit_entry.c.seq.in_(chunk)
        )
        found.update({row.seq: row for row in connection.execute(query)})
    return found


def _record(row: Row[Any]) -> ConsentRecord:
    return ConsentRecord(
        id=row.id,
        person=row.person,
        purpose=row.purpose,
        decision=Decision(row.decision),
        at=row.at,
        method=Method(row.method),
        controller=row.controller,
        notice_version=row.notice_version,
        notice_sha256=row.notice_sha256,
        expires_at=row.expires_at,
        replaces=row.replaces,
        note=row.note,
        audit_seq=row.audit_seq,
        request_id=row.request_id,
        identity=json.loads(row.identity),
    )


def _check(record: ConsentRecord, entry: Row[Any] | None, state: EngineState) -> None:
    """Refuse a record whose row does not say what its audit entry says."""
    expected = ACTION_PREFIX + record.decision.value
    problem = None
    if entry is None:
        problem = f"its audit entry (seq {record.audit_seq}) is missing"
    elif entry.action != expected:
        problem = f"its audit entry (seq {record.audit_seq}) is a {entry.action}, not a {expected}"
    else:
        try:
            details = json.loads(entry.details)
        except ValueError:
            details = None
        if details != json.loads(canonical_json(record.trail_details())):
            problem = f"its row differs from its audit entry (seq {record.audit_seq})"
        elif digests.matches(_identity_text(record.identity), record.person) is False:
            problem = "its identity is not the one its audit entry names"
    if problem is not None:
        raise StateError(
            f"consent record {record.id} in the state database at {state.url} cannot be "
            f"trusted: {problem}",
            hint="the ledger was altered by hand: run `registre audit verify`, and record the "
            "person's decision again (a correction is a new record)",
        )


def latest(state: EngineState, identity: Mapping[str, str], purpose: str) -> ConsentRecord | None:
    """The person's latest record about ``purpose``, or None."""
    found = records(state, identity, purpose)
    return found[-1] if found else None


def link_request(state: EngineState, record: ConsentRecord, request_id: str) -> None:
    """Note on a withdrawal the erasure request that enforces it, with its audit entry."""
    with write_transaction(state.engine) as connection:
        state.audit.append_in(
            connection,
            ENFORCED,
            details={"consent": record.id, "person": record.person, "purpose": record.purpose},
            request_id=request_id,
        )
        connection.execute(
            consent.update().where(consent.c.id == record.id).values(request_id=request_id)
        )


def due_to_expire(state: EngineState, now: datetime) -> list[ConsentRecord]:
    """The latest record of each person and purpose whose expiry has passed at ``now``."""
    query = sa.select(consent).where(
        consent.c.expires_at.is_not(None),
        consent.c.expires_at <= to_utc(now),
        consent.c.decision.in_([Decision.given.value, Decision.refused.value]),
    )
    with read_connection(state.engine) as connection:
        candidates = [_record(row) for row in connection.execute(query)]
    out = []
    for candidate in candidates:
        latest_record = latest(state, candidate.identity, candidate.purpose)
        if latest_record is not None and latest_record.id == candidate.id:
            out.append(latest_record)
    return out


def _identity_text(identity: Mapping[str, str]) -> str:
    return canonical_json(normalize_identity(dict(identity), strict=False))


def exported(state: EngineState, identity: Mapping[str, str]) -> list[dict[str, Any]]:
    """The person's records for their Art. 15 copy, in the ISO/IEC TS 27560 shape."""
    return [record.as_dpv() for record in records(state, identity)]
