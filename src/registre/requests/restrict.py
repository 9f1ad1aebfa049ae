"""Restriction (Art. 18) and objection (Art. 21): recorded by identity, asked by the host app.

A host application calls :func:`is_restricted` before using a person's data for anything but
storage, and :func:`has_objected` before processing it for an activity. Both compare every
identity value given (email case-insensitively, phone numbers in E.164) with what requests
recorded: one indexed look-up, no scan.

What is recorded is every identity of the person, not only those the request gave: when the
request is executed, the identities held in the person's own rows (their account's phone number,
their devices' numbers) are recorded too, so that the host application may ask with any of
them. Rows reached only as a parent (the client company's account) are not the person's, and
shared rows are other people's too: their identities are never recorded.

A restriction stays in force until lifted (:meth:`~registre.requests.RequestDesk.lift`,
after the person is told, Art. 18(3)). A restriction request may name activities: it then
concerns those activities only (Art. 18(1)(d), pending the verification of an objection).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from registre._exceptions import RequestError
from registre.register.model import Register
from registre.register.taxonomy import LegalBasis, Role
from registre.requests import execution, forwarding, lifecycle, packages
from registre.requests.context import RequestContext
from registre.requests.find import Finder, Found, own_identities
from registre.requests.identity import TENANT, as_identity
from registre.requests.lifecycle import RequestKind
from registre.requests.store import SubjectRequest, clock, request_table
from registre.state.db import read_connection
from registre.state.protections import DIGESTS, objection, pair_digests, restriction

if TYPE_CHECKING:
    from registre.state import EngineState

Pairs = list[tuple[str, str]]
"""(identity kind, normalised value) pairs."""

MAX_VALUE = 320
"""The longest identity value the state database records (an email's maximum length)."""


def _pairs(identity: Mapping[str, str] | str) -> Pairs:
    return [(k, v) for k, v in as_identity(identity).items() if k != TENANT]


def _given(identity: Mapping[str, str] | Iterable[tuple[str, str]]) -> Pairs:
    items = identity.items() if isinstance(identity, Mapping) else identity
    return sorted({(k, v) for k, v in items if k != TENANT})


def _matches(table: sa.Table, pairs: Pairs) -> ColumnElement[bool]:
    return sa.or_(*[sa.and_(table.c.kind == k, table.c.value == v) for k, v in pairs])


def is_restricted(
    state: EngineState, identity: Mapping[str, str] | str, activity: str | None = None
) -> bool:
    """True when a restriction of processing (Art. 18) recorded for the person is in force.

    ``identity`` is an email, or identity values by kind (``{"email": ..., "phone": ...}``).
    With ``activity`` (a processing activity's id), only a restriction of all processing or
    of that activity counts.
    """
    pairs = _pairs(identity)
    if not pairs:
        return False
    query = (
        sa.select(request_table.c.options)
        .select_from(
            restriction.join(request_table, request_table.c.id == restriction.c.request_id)
        )
        .where(_matches(restriction, pairs), restriction.c.lifted_at.is_(None))
        .distinct()
    )
    with read_connection(state.engine) as connection:
        scopes = [json.loads(text).get("activities") for (text,) in connection.execute(query)]
    return any(not scope or activity is None or activity in scope for scope in scopes)


def has_objected(
    state: EngineState,
    identity: Mapping[str, str] | str,
    activity: str | None = None,
    *,
    activity_id: str | None = None,
) -> bool:
    """True when the person objected (Art. 21) to the processing activity ``activity``.

    ``identity`` as for :func:`is_restricted`. ``activity_id`` is the former name of
    ``activity``: it still works, with a :class:`DeprecationWarning`.
    """
    if activity_id is not None:
        warnings.warn(
            "has_objected(..., activity_id=...) is now has_objected(..., activity=...), "
            "as in is_restricted",
            DeprecationWarning,
            stacklevel=2,
        )
        if activity is not None and activity != activity_id:
            raise TypeError("has_objected() got both activity and activity_id")
        activity = activity_id
    if activity is None:
        raise TypeError("has_objected() needs the processing activity: activity='...'")
    pairs = _pairs(identity)
    if not pairs:
        return False
    query = (
        sa.select(sa.func.count())
        .select_from(objection)
        .where(_matches(objection, pairs), objection.c.activity_id == activity)
    )
    with read_connection(state.engine) as connection:
        return bool(connection.execute(query).scalar_one())


def person_identities(register: Register, finder: Finder, found: Found) -> Pairs:
    """The identities found in the person's own rows, and those the request gave
    (:func:`registre.requests.find.own_identities`), short enough to record."""
    return [(k, v) for k, v in own_identities(finder, found) if len(v) <= MAX_VALUE]


def record_restriction(
    connection: Connection,
    request_id: str,
    identity: Mapping[str, str] | Iterable[tuple[str, str]],
    at: datetime | None = None,
) -> int:
    """Record the restriction for each identity not yet recorded for this request."""
    existing = {
        (row.kind, row.value)
        for row in connection.execute(
            sa.select(restriction.c.kind, restriction.c.value).where(
                restriction.c.request_id == request_id
            )
        )
    }
    placed = at or clock()
    rows = [
        {"request_id": request_id, "kind": k, "value": v, "placed_at": placed}
        for k, v in _given(identity)
        if (k, v) not in existing
    ]
    if rows:
        connection.execute(restriction.insert(), rows)
    return len(rows)


def lift_restriction(connection: Connection, request_id: str, at: datetime | None = None) -> int:
    return int(
        connection.execute(
            restriction.update()
            .where(restriction.c.request_id == request_id, restriction.c.lifted_at.is_(None))
            .values(lifted_at=at or clock())
        ).rowcount
    )


def record_objection(
    connection: Connection,
    request_id: str,
    identity: Mapping[str, str] | Iterable[tuple[str, str]],
    activities: Iterable[str],
    at: datetime | None = None,
) -> list[str]:
    """Record the objection to each activity for each identity not yet recorded for it.

    Returns the activities that had nothing recorded for this request before.
    """
    existing = {
        (row.kind, row.value, row.activity_id)
        for row in connection.execute(
            sa.select(objection.c.kind, objection.c.value, objection.c.activity_id).where(
                objection.c.request_id == request_id
            )
        )
    }
    before = {a for _, _, a in existing}
    now = at or clock()
    wanted = list(dict.fromkeys(activities))
    rows = [
        {"request_id": request_id, "kind": k, "value": v, "activity_id": a, "at": now}
        for a in wanted
        for k, v in _given(identity)
        if (k, v, a) not in existing
    ]
    if rows:
        connection.execute(objection.insert(), rows)
    return [a for a in wanted if a not in before]


def recorded_digests(identity: Mapping[str, str]) -> dict[str, list[str]]:
    """The detail an objection recorded on opening adds to its audit entry: the digests of the
    rows :func:`record_objection` writes for ``identity``, which the trail then vouches for."""
    return {DIGESTS: pair_digests(_given(identity))}


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


def known_activities(register: Register, given: list[str]) -> list[str]:
    """``given`` without repeats; raise RequestError naming any the register lacks."""
    unknown = [a for a in given if a not in register.activities]
    if unknown:
        raise RequestError(
            f"the register has no activity {', '.join(unknown)}",
            hint=f"name activities by their id: {', '.join(register.activities)}",
        )
    return list(dict.fromkeys(given))


def objection_activities(register: Register, given: list[str] | None) -> list[str]:
    """The activities named, each one a person may object to; else direct marketing.

    Without names, direct marketing is objected to at once (Art. 21(3)), and the other
    activities are chosen when the request is executed, from the person's data: those
    about the person's categories of people whose legal basis allows objection
    (:func:`concerned`).
    """
    if not given:
        return direct_marketing(register)
    chosen = known_activities(register, given)
    allowed = set(objectable(register))
    refused = [a for a in chosen if a not in allowed]
    if refused:
        raise RequestError(
            f"no one can object to {', '.join(refused)}: Art. 21 covers processing on "
            "legitimate interests, a public task or direct marketing",
            hint=f"name one of {', '.join(sorted(allowed)) or '(none in this register)'}, "
            "or answer the person with `registre request refuse ID --reason TEXT`",
        )
    return chosen


def concerned(register: Register, finder: Finder, mine: Found) -> list[str]:
    """The activities an objection with no activity named is about, from the person's data.

    Those about the person's categories of people (the subjects of the tables where their own
    rows were found) that we carry out as controller and whose legal basis allows objection:
    an account holder's objection is not about the security of the managers' accounts.
    """
    subjects: set[str] = set()
    for rows in mine:
        mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
        if mapping.subject and any(rows.via[k] != "parent" for k in rows.rows):
            subjects.update(mapping.subject_ids())
    return [
        a
        for a in objectable(register)
        if register.activities[a].role is not Role.processor
        and subjects & set(register.activities[a].subjects)
    ]


# -- executing and lifting -------------------------------------------------------------------


def execute(context: RequestContext, request: SubjectRequest) -> SubjectRequest:
    """Record a verified restriction or objection for every identity of the person."""

    lifecycle.check_transition(request.id, request.state, "execute")
    # what this request adds to must match the trail before it is added to
    context.state.protections.check()
    with context.finder.reading() as reading:
        found = context.finder.find(request.identity, reading)
    mine, processed = forwarding.split(context.register, context.finder, found)
    if mine.empty and not processed.empty:
        return forwarding.forward(context, request, processed)
    pairs = person_identities(context.register, context.finder, mine)
    kinds = sorted({kind for kind, _ in pairs})
    at = context.now()
    entries: packages.AuditEntries = [("execute", {"rows": found.summary()})]
    result: dict[str, Any]
    if request.kind is RequestKind.restriction:
        scope = request.options.get("activities") or []
        digested = {"identities": kinds, "activities": scope, DIGESTS: pair_digests(pairs)}
        entries.append(("restriction.recorded", digested))
        result = {"restricted": True, "activities": scope}

        def write(connection: Connection) -> None:
            record_restriction(connection, request.id, pairs, at)

    else:
        activities = list(request.options["activities"])
        if request.options.get("chosen_at_execution"):
            activities += concerned(context.register, context.finder, mine)
            activities = list(dict.fromkeys(activities))
        digested = {"identities": kinds, "activities": activities, DIGESTS: pair_digests(pairs)}
        entries.append(("objection.recorded", digested))
        result = {"activities": activities}

        def write(connection: Connection) -> None:
            record_objection(connection, request.id, pairs, activities, at)

    result["identities"] = len(pairs)
    return execution.close(context, request, mine, processed, result, entries, [write])


def check_lift(request: SubjectRequest) -> None:
    """Refuse to lift anything but a restriction in force."""
    if request.kind is not RequestKind.restriction:
        raise RequestError(
            f"request {request.id} is a request for {request.kind.value}: only a restriction "
            "can be lifted",
            hint="`registre request list` shows the restriction requests",
        )
    if request.state is not lifecycle.RequestState.done:
        raise RequestError(
            f"request {request.id} is {request.state.value.replace('_', ' ')}: its restriction "
            "is not in force",
            hint="a restriction is in force once its request is executed",
        )
    lifted_at = (request.result or {}).get("lifted_at")
    if lifted_at:
        raise RequestError(
            f"the restriction of request {request.id} was lifted on {lifted_at[:10]}",
            hint="open a new restriction request if the person asks again",
        )
