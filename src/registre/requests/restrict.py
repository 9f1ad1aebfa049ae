"""Restriction (Art. 18) and objection (Art. 21): recorded by identity, asked by the host app.

A host application calls :func:`is_restricted` before using a person's data for anything but
storage, and :func:`has_objected` before processing it for an activity. Both compare every
identity value given (email case-insensitively, phone numbers in E.164) with what requests
recorded: one indexed look-up, no scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from registre.register.model import Register
from registre.register.taxonomy import LegalBasis
from registre.requests.identity import TENANT, as_identity
from registre.requests.store import objection, restriction
from registre.state.db import read_connection, utcnow


def _pairs(identity: Mapping[str, str] | str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in as_identity(identity).items() if k != TENANT]


def _matches(table: sa.Table, pairs: list[tuple[str, str]]) -> Any:
    return sa.or_(*[sa.and_(table.c.kind == k, table.c.value == v) for k, v in pairs])


def is_restricted(state: Any, identity: Mapping[str, str] | str) -> bool:
    """True when a restriction recorded for any of these identities is in force."""
    pairs = _pairs(identity)
    if not pairs:
        return False
    query = (
        sa.select(sa.func.count())
        .select_from(restriction)
        .where(_matches(restriction, pairs), restriction.c.lifted_at.is_(None))
    )
    with read_connection(state.engine) as connection:
        return bool(connection.execute(query).scalar_one())


def has_objected(state: Any, identity: Mapping[str, str] | str, activity_id: str) -> bool:
    """True when the person objected to the processing activity ``activity_id``."""
    pairs = _pairs(identity)
    if not pairs:
        return False
    query = (
        sa.select(sa.func.count())
        .select_from(objection)
        .where(_matches(objection, pairs), objection.c.activity_id == activity_id)
    )
    with read_connection(state.engine) as connection:
        return bool(connection.execute(query).scalar_one())


def record_restriction(connection: Any, request_id: str, identity: Mapping[str, str]) -> int:
    now = utcnow()
    rows = [
        {"request_id": request_id, "kind": k, "value": v, "placed_at": now}
        for k, v in identity.items()
        if k != TENANT
    ]
    connection.execute(restriction.insert(), rows)
    return len(rows)


def lift_restriction(connection: Any, request_id: str) -> int:
    return int(
        connection.execute(
            restriction.update()
            .where(restriction.c.request_id == request_id, restriction.c.lifted_at.is_(None))
            .values(lifted_at=utcnow())
        ).rowcount
    )


def record_objection(
    connection: Any, request_id: str, identity: Mapping[str, str], activities: Iterable[str]
) -> list[str]:
    """Record the objection to each activity not yet recorded for this request."""
    existing = {
        row.activity_id
        for row in connection.execute(
            sa.select(objection.c.activity_id).where(objection.c.request_id == request_id)
        )
    }
    added = [a for a in activities if a not in existing]
    now = utcnow()
    rows = [
        {"request_id": request_id, "kind": k, "value": v, "activity_id": a, "at": now}
        for a in added
        for k, v in identity.items()
        if k != TENANT
    ]
    if rows:
        connection.execute(objection.insert(), rows)
    return added


def direct_marketing(register: Register) -> list[str]:
    """Activities flagged ``direct_marketing``: an objection stops them at once (Art. 21(3))."""
    return [a for a, activity in register.activities.items() if activity.direct_marketing]


def objectable(register: Register) -> list[str]:
    """Activities a person may object to: direct marketing, and those based on Art. 6(1)(e)/(f)."""
    bases = {LegalBasis.legitimate_interests, LegalBasis.public_task}
    return [
        a
        for a, activity in register.activities.items()
        if activity.direct_marketing or bases & set(activity.legal_basis)
    ]
