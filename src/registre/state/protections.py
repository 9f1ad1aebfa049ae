"""What protects people, checked against the audit trail: legal holds, restrictions, objections.

The trail is the source of truth (decision, issue 11). A hold, a restriction or an objection is
a row of the state database that a sweep or an erasure reads to keep someone's data, and a row
can be deleted or edited by anyone who can write to that database; its audit entries cannot be
without breaking the hash chain. So every protection row must match its entries:

- a legal hold its ``hold.placed`` entry (reason, record or identity digest, last day, and a
  placing time not after the entry's), and its ``hold.released`` entry when released;
- a request's restriction rows the identity digests of its ``request.restriction.recorded``
  entry, lifted exactly when a ``request.restriction.lifted`` entry says so;
- a request's objection rows the identity digests and activities of its
  ``request.objection.recorded`` entries.

Entries written before the digests were recorded (restrictions and objections) are checked for
what they name: a request with a recorded restriction has rows, an objection's activities have
rows. :meth:`Protections.check` runs before the sweep and an erasure read them
(:meth:`registre.state.holds.LegalHolds.active` and :meth:`Protections.restrictions_in_force`
call it), in one pass over the protection entries (found by the action index) and one read of
each protection table, with a count of the trail's entries against its head so that a removed
entry is noticed without walking the chain; ``registre audit verify`` reports the same problems
after the chain's.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from registre._exceptions import StateError
from registre.engine.anonymize import KEY_VARIABLE
from registre.state import digests
from registre.state.chain import content_problem
from registre.state.db import (
    UTCDateTime,
    audit_entry,
    audit_head,
    canonical_json,
    legal_hold,
    read_connection,
)
from registre.state.digests import normalize_identity

HOLD_PLACED = "hold.placed"
HOLD_RELEASED = "hold.released"
RESTRICTION_RECORDED = "request.restriction.recorded"
RESTRICTION_LIFTED = "request.restriction.lifted"
OBJECTION_RECORDED = "request.objection.recorded"
ACTIONS = (HOLD_PLACED, HOLD_RELEASED, RESTRICTION_RECORDED, RESTRICTION_LIFTED, OBJECTION_RECORDED)
"""The audit actions that place, record, release or lift a protection."""

DIGESTS = "identity_digests"
"""The detail of a restriction or objection entry listing its rows' identity digests."""

SHOWN = 10
"""Problems listed in the error that stops a sweep or an erasure; verify lists them all."""

metadata = sa.MetaData()

restriction = sa.Table(
    "registre_restriction",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("value", sa.String(320), nullable=False),
    sa.Column("placed_at", UTCDateTime, nullable=False),
    sa.Column("lifted_at", UTCDateTime, nullable=True),
    sa.Index("ix_registre_restriction_value", "kind", "value"),
)

objection = sa.Table(
    "registre_objection",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("value", sa.String(320), nullable=False),
    sa.Column("activity_id", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_registre_objection_value", "kind", "value"),
)


@dataclass(frozen=True, order=True)
class ProtectionProblem:
    """One protection row that does not match the audit trail, or a trail that cannot vouch."""

    what: str
    message: str = field(compare=False)

    def __str__(self) -> str:
        return f"{self.what}: {self.message}"


def pair_text(kind: str, value: str) -> str:
    """What an identity row's digest is computed over."""
    return canonical_json({kind: value})


def pair_digests(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """The digests a restriction or objection entry records for its identity rows."""
    return sorted({digests.digest(pair_text(kind, value)) for kind, value in pairs})


class Protections:
    """The protections of one state database, checked against its trail (``state.protections``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def problems(self, *, trail: bool = True) -> list[ProtectionProblem]:
        """Every protection row that does not match the trail, and every protection entry
        missing its row; with ``trail``, also a trail whose entries do not add up to its head
        or whose protection entries were altered (what ``audit verify`` finds on its own)."""
        with _snapshot(self._engine) as connection:
            found: list[ProtectionProblem] = []
            if trail:
                found += _trail_problems(connection)
            entries = connection.execute(
                sa.select(audit_entry)
                .where(audit_entry.c.action.in_(ACTIONS))
                .order_by(audit_entry.c.seq)
            ).all()
            if trail:
                found += [
                    ProtectionProblem(
                        f"audit entry {row.seq} ({row.action})", f"{problem}: it was edited"
                    )
                    for row in entries
                    if (problem := content_problem(row)) is not None
                ]
            by_action: dict[str, list[Row[Any]]] = defaultdict(list)
            for row in entries:
                by_action[row.action].append(row)
            found += _hold_problems(connection, by_action)
            found += _restriction_problems(connection, by_action)
            found += _objection_problems(connection, by_action)
        return sorted(found)

    def check(self) -> None:
        """Raise :class:`StateError` unless every protection matches the trail.

        Called before anything relies on the protections: what was removed by hand must
        stop a sweep or an erasure before its first write, not be discovered after it.
        """
        found = self.problems()
        if not found:
            return
        lines = [f"  {problem}" for problem in found[:SHOWN]]
        if len(found) > SHOWN:
            lines.append(f"  and {len(found) - SHOWN} more (`registre audit verify` lists them)")
        noun = "protection does" if len(found) == 1 else "protections do"
        raise StateError(
            f"{len(found)} {noun} not match the audit trail, so the legal holds, restrictions "
            "and objections of the state database cannot be relied on; nothing was written:\n"
            + "\n".join(lines),
            hint="the audit trail is what was decided: restore the state database from its "
            "backup, or place again what was removed (`registre hold add`, a new restriction "
            "request); `registre audit verify` lists every difference",
        )

    def restrictions_in_force(self) -> dict[str, set[tuple[str, str]]]:
        """The restrictions not lifted, as ``{request id: {(identity kind, value)}}``, once
        :meth:`check` found every protection matching the trail."""
        self.check()
        people: dict[str, set[tuple[str, str]]] = {}
        query = sa.select(restriction.c.request_id, restriction.c.kind, restriction.c.value).where(
            restriction.c.lifted_at.is_(None)
        )
        with read_connection(self._engine) as connection:
            for request_id, kind, value in connection.execute(query):
                people.setdefault(request_id, set()).add((kind, value))
        return people


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read transaction that sees one state of the database, so a hold placed meanwhile is
    neither half seen (its row without its entry) nor reported."""
    with read_connection(engine) as connection:
        if engine.dialect.name != "sqlite":
            # PostgreSQL reads each statement at its own instant by default (MariaDB's default
            # is this already); SQLite's read transaction is one snapshot.
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def _trail_problems(connection: Connection) -> list[ProtectionProblem]:
    head = connection.execute(sa.select(audit_head.c.seq)).scalar()
    count, first, last = connection.execute(
        sa.select(sa.func.count(), sa.func.min(audit_entry.c.seq), sa.func.max(audit_entry.c.seq))
    ).one()
    if head is None:
        return [ProtectionProblem("the audit trail", "its head record was removed")]
    if count == head and (count == 0 or (first == 1 and last == head)):
        return []
    numbered = f"numbered {first} to {last}" if count else "none"
    return [
        ProtectionProblem(
            "the audit trail",
            f"it holds {count} entries ({numbered}) where its head record ends at {head}: "
            "entries were removed or inserted by hand",
        )
    ]


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def _details(row: Row[Any]) -> dict[str, Any]:
    try:
        value = json.loads(row.details)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_NO_KEY = (
    f"its identity digest is keyed and {KEY_VARIABLE} is not set, so it cannot be checked: set "
    "the deployment's key"
)


def _hold_problems(
    connection: Connection, by_action: dict[str, list[Row[Any]]]
) -> list[ProtectionProblem]:
    placed = {_details(e).get("hold_id"): e for e in by_action[HOLD_PLACED]}
    released = {_details(e).get("hold_id"): e for e in by_action[HOLD_RELEASED]}
    rows = {row.id: row for row in connection.execute(sa.select(legal_hold))}
    found: list[ProtectionProblem] = []
    for hold_id in sorted(set(placed) | set(rows), key=lambda i: (str(type(i)), i)):
        entry, row = placed.get(hold_id), rows.get(hold_id)
        what = f"legal hold {hold_id}"
        if row is None:
            assert entry is not None
            details = _details(entry)
            still = "" if hold_id in released else ", in force,"
            found.append(
                ProtectionProblem(
                    what,
                    f"placed on {_held(details)}{still} by {entry.actor} on {_when(entry.at)} "
                    f"(audit entry {entry.seq}, reason: {details.get('reason')!r}), its row was "
                    "removed from the state database",
                )
            )
            continue
        if entry is None:
            found.append(
                ProtectionProblem(
                    what,
                    "its row has no hold.placed entry in the audit trail: it was written "
                    "into the state database by hand",
                )
            )
            continue
        found += [ProtectionProblem(what, m) for m in _hold_differences(row, entry)]
        release = released.get(hold_id)
        if row.released_at is not None and release is None:
            found.append(
                ProtectionProblem(
                    what,
                    "it is released in the state database, and the audit trail has no "
                    "hold.released entry for it: it was released by hand",
                )
            )
        elif row.released_at is None and release is not None:
            found.append(
                ProtectionProblem(
                    what,
                    f"the audit trail released it (entry {release.seq}), and its row was "
                    "put back in force by hand",
                )
            )
    return found


def _held(details: dict[str, Any]) -> str:
    if details.get("kind") == "person":
        names = ", ".join(details.get("identity_names") or [])
        return f"a person (by {names})"
    return f"{details.get('store')}.{details.get('table')} #{details.get('key')}"


def _hold_differences(row: Row[Any], entry: Row[Any]) -> list[str]:
    details = _details(entry)
    differences = []
    if row.reason != details.get("reason"):
        differences.append("its reason was edited")
    if row.identity:
        differences += _identity_differences(row.identity, details)
    elif details.get("kind") != "record" or (
        [row.store, row.table_name, row.record_key]
        != [details.get("store"), details.get("table"), details.get("key")]
    ):
        differences.append(f"it held {_held(details)}, and its row was edited")
    until = row.until.isoformat() if row.until else None
    if until != details.get("until"):
        differences.append(f"its last day was {details.get('until') or 'none'}, and was edited")
    if row.placed_at > entry.at:
        differences.append(
            f"its row says placed on {_when(row.placed_at)}, after its audit entry "
            f"({_when(entry.at)}): its start was moved"
        )
    return differences


def _identity_differences(text: str, details: dict[str, Any]) -> list[str]:
    if details.get("kind") != "person":
        return [f"it held {_held(details)}, and its row was edited to hold a person"]
    try:
        identity = normalize_identity(json.loads(text), strict=False)
    except (ValueError, AttributeError, TypeError):
        return ["its identity is not readable any more: it was edited"]
    recorded = str(details.get("identity_sha256", ""))
    same = digests.matches(canonical_json(identity), recorded)
    if same is None:
        return [_NO_KEY]
    if not same or sorted(identity) != details.get("identity_names"):
        return ["its identity is not the one the audit trail recorded: it was edited"]
    return []


def _rows_by_request(
    connection: Connection, table: sa.Table, *columns: str
) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in connection.execute(sa.select(table.c.request_id, *(table.c[c] for c in columns))):
        grouped[row.request_id].append(row)
    return grouped


def _unmatched(recorded: Iterable[str], texts: list[str]) -> tuple[int, list[int], bool]:
    """How many recorded digests no row matches, which rows match none, whether a key lacks."""
    matched: set[int] = set()
    missing, no_key = 0, False
    for digest in recorded:
        hits = [i for i, text in enumerate(texts) if digests.matches(text, digest)]
        if not hits:
            if not digest.startswith(digests.KEYED_PREFIX) or digests.deployment_key():
                missing += 1
            else:
                no_key = True
        matched.update(hits)
    return missing, [i for i in range(len(texts)) if i not in matched], no_key


def _restriction_problems(
    connection: Connection, by_action: dict[str, list[Row[Any]]]
) -> list[ProtectionProblem]:
    recorded: dict[str, Row[Any]] = {}
    for each in by_action[RESTRICTION_RECORDED]:
        recorded.setdefault(each.request_id, each)
    lifted = {e.request_id: e for e in by_action[RESTRICTION_LIFTED]}
    rows = _rows_by_request(connection, restriction, "kind", "value", "lifted_at")
    found: list[ProtectionProblem] = []
    for request_id in sorted(set(recorded) | set(rows), key=str):
        what = f"the restriction of request {request_id}"
        mine = rows.get(request_id, [])
        entry = recorded.get(request_id)
        if entry is None:
            found.append(
                ProtectionProblem(
                    what,
                    f"{_count(mine, 'row')} with no {RESTRICTION_RECORDED} entry in the "
                    "audit trail: written into the state database by hand",
                )
            )
            continue
        found += [ProtectionProblem(what, m) for m in _rows_against(entry, mine, "restriction")]
        if not mine:
            continue
        if request_id in lifted and any(row.lifted_at is None for row in mine):
            found.append(
                ProtectionProblem(
                    what,
                    f"the audit trail lifted it (entry {lifted[request_id].seq}), and rows "
                    "of it were put back in force by hand",
                )
            )
        elif request_id not in lifted and any(row.lifted_at is not None for row in mine):
            found.append(
                ProtectionProblem(
                    what,
                    "it is lifted in the state database, and the audit trail has no "
                    f"{RESTRICTION_LIFTED} entry for it: it was lifted by hand",
                )
            )
    return found


def _rows_against(entry: Row[Any], rows: list[Any], noun: str) -> list[str]:
    details = _details(entry)
    where = f"recorded by {entry.actor} on {_when(entry.at)} (audit entry {entry.seq})"
    if DIGESTS not in details:  # written before rows were digested: rows must exist
        return [] if rows else [f"{where}, its rows were removed from the state database"]
    texts = [pair_text(row.kind, row.value) for row in rows]
    missing, extra, no_key = _unmatched(details[DIGESTS], texts)
    problems = []
    if no_key:
        problems.append(_NO_KEY.replace("its identity digest is", f"the {noun}'s digests are"))
    if missing:
        problems.append(
            f"{where}, {_count(missing, 'identity row')} of it "
            f"{'was' if missing == 1 else 'were'} removed from the state database"
        )
    if extra:
        problems.append(
            f"{_count(extra, 'row')} ({', '.join(sorted({rows[i].kind for i in extra}))}) "
            "the audit trail does not record: added or edited by hand"
        )
    return problems


def _objection_problems(
    connection: Connection, by_action: dict[str, list[Row[Any]]]
) -> list[ProtectionProblem]:
    entries: dict[str, list[Row[Any]]] = defaultdict(list)
    for entry in by_action[OBJECTION_RECORDED]:
        entries[entry.request_id].append(entry)
    rows = _rows_by_request(connection, objection, "kind", "value", "activity_id")
    found: list[ProtectionProblem] = []
    for request_id in sorted(set(entries) | set(rows), key=str):
        what = f"the objection of request {request_id}"
        mine = rows.get(request_id, [])
        if request_id not in entries:
            found.append(
                ProtectionProblem(
                    what,
                    f"{_count(mine, 'row')} with no {OBJECTION_RECORDED} entry in the "
                    "audit trail: written into the state database by hand",
                )
            )
            continue
        accounted: set[int] = set()
        for entry in entries[request_id]:
            details = _details(entry)
            where = f"recorded by {entry.actor} on {_when(entry.at)} (audit entry {entry.seq})"
            for activity in details.get("activities") or []:
                for_activity = [i for i, row in enumerate(mine) if row.activity_id == activity]
                if DIGESTS not in details:
                    accounted.update(for_activity)
                    if not for_activity:
                        found.append(
                            ProtectionProblem(
                                what,
                                f"to {activity}, {where}: its rows were removed from the "
                                "state database",
                            )
                        )
                    continue
                texts = [pair_text(mine[i].kind, mine[i].value) for i in for_activity]
                missing, extra, no_key = _unmatched(details[DIGESTS], texts)
                accounted.update(i for n, i in enumerate(for_activity) if n not in extra)
                if no_key:
                    found.append(ProtectionProblem(what, _NO_KEY))
                if missing:
                    found.append(
                        ProtectionProblem(
                            what,
                            f"to {activity}, {where}: {_count(missing, 'identity row')} "
                            "of it removed from the state database",
                        )
                    )
        unrecorded = [row for i, row in enumerate(mine) if i not in accounted]
        if unrecorded:
            activities = ", ".join(sorted({row.activity_id for row in unrecorded}))
            found.append(
                ProtectionProblem(
                    what,
                    f"{_count(unrecorded, 'row')} (to {activities}) the audit trail does not "
                    "record: added or edited by hand",
                )
            )
    return found


def _count(items: Iterable[Any] | int, noun: str) -> str:
    number = items if isinstance(items, int) else len(list(items))
    return f"{number} {noun}{'' if number == 1 else 's'}"
