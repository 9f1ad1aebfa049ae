"""Deleting by primary-key spans: each range is read once, by the ``DELETE`` itself.

For a plain ``delete`` rule (no count cap) on an integer primary key, a batch is a span
``(after, to]`` of key values chosen from the density of actionable rows seen so far, not a
range ending at the N-th actionable row: no query reads the range before the write does. The
audit entry committed before the write names the rule, the table, the exact span, the instant
and the statement with its parameters (a held person's identity only by its digest: see
:func:`audited_value`); with the plan (register, instant, holds) they fully determine which rows
the write may touch. The ``DELETE`` then runs in one short transaction, and the number of
rows it removed goes in a ``sweep.deleted`` entry, committed with the next span's
announcement. A sweep killed between the two leaves a span announced and possibly done: the
next run evaluates the due predicate again, so it ends exactly where an uninterrupted one does.

With no keys to digest, a span is bounded by the time its write holds its locks
(:data:`~registre.engine.batching.TARGET_SECONDS`), up to a million rows, not by
:data:`~registre.engine.batching.MAX_BATCH`: fewer spans, fewer evaluations of the clocks read
through references (the devices reset before the instant, say) and fewer commits.

No digest of the deleted keys: on PostgreSQL, ``DELETE ... RETURNING`` into an ordered
``md5(string_agg(...))`` made the sweep slower than reading each range twice (0.39x of one
hand-written statement at 9.6 M rows), and ``RETURNING`` into count/min/max alone cost a
quarter of the time (benchmarks/RESULTS.md). The keys a span deleted are those of the table
before the entry, in the span, matching the announced statement and parameters.

When a span finds nothing, one ``SELECT min(key)`` over the actionable rows jumps to the next
due key; when there is none, the item is done.

A count cap that deletes, grouped by an integer column, goes by spans of that column in the
same way (:func:`sweep_cap_spans`): each ``DELETE`` ranks the span's groups and removes what
is due in one read, where a choosing read used to rank them once more to digest their keys
(on PostgreSQL at 1.95 M rows, 3.4-6.0 s against 10.1-16.6 s, benchmarks/RESULTS.md).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from registre.engine.anonymize import hmac_key
from registre.engine.batching import MAX_SPAN_BATCH, TARGET_SECONDS, Audit, ItemResult, Pace
from registre.engine.sql import Scope, identity_parameter
from registre.engine.store_plan import StorePlan
from registre.engine.work_items import WorkItem
from registre.register.taxonomy import Action

MULTI_TABLE_DELETE = ("mysql", "mariadb")
"""The dialects whose count caps delete by a join on the span's ranking
(:meth:`registre.engine.sql.PlanSql.joined_cap_delete`)."""

GROWTH = 8
"""A span is at most this many times the previous one: density may rise past a sparse stretch."""


class SpanStatements:
    """The statements of one span-swept item, built once with bound parameters.

    ``bounds`` are the span's conditions on ``after`` and ``to``: by default a range of the
    primary key, ``after < key <= to``; :mod:`registre.engine.page_deletes` gives ranges of pages.
    """

    def __init__(
        self,
        sp: StorePlan,
        item: WorkItem,
        bounds: list[sa.ColumnElement[bool]] | None = None,
        scope: Scope | None = None,
    ) -> None:
        t = sp.tables[item.table]
        pk = t.c[item.primary_key[0]]  # key spans are for keys of one column
        actionable = sp.sql.actionable(item, t, scope)
        if bounds is None:
            bounds = [pk > sa.bindparam("after"), pk <= sa.bindparam("to")]
        self.first_key = sa.select(sa.func.min(pk)).where(actionable)
        self.any_due = sa.select(sa.literal(1)).select_from(t).where(actionable).limit(1)
        self.next_key = self.first_key.where(pk > sa.bindparam("after"))
        self.top_key = sa.select(sa.func.max(pk))
        self.unlinks = tuple(
            sp.sql.unlink(item, hop, sa.select(t.c[hop.target_column]).where(actionable, *bounds))
            for hop in item.unlinks
        )
        self.delete: sa.Delete | sa.Update
        if item.count_cap is not None and scope is not None and sp.dialect in MULTI_TABLE_DELETE:
            # a count cap on MariaDB/MySQL: the span's ranking joined, not probed per row
            self.delete = sp.sql.joined_cap_delete(item, scope).where(*bounds)
        else:
            self.delete = sp.sql.write(item, None, scope).where(*bounds)
        compiled = self.delete.compile(dialect=sp.engine.dialect)
        self.statement = str(compiled)
        # the cutoffs, the instant and any held keys: with the span, every value the write uses;
        # a held person's identity only by its digest, the audit trail is never erased
        self.parameters = {
            name: audited_value(name, value)
            for name, value in sorted(compiled.params.items())
            if name not in ("after", "to")
        }


CAP_AIM = 0.5
"""The share of :data:`~registre.engine.batching.TARGET_SECONDS` a count cap's next span aims at."""


def cap_span_eligible(sp: StorePlan, item: WorkItem) -> bool:
    """Whether the item is a count cap deleted by spans of its integer ``per`` column."""
    cap = item.count_cap
    if item.action != Action.delete or cap is None:
        return False
    return isinstance(sp.tables[item.table].c[cap.per].type, sa.Integer)


def audited_value(name: str, value: Any) -> str | None:
    """A statement parameter as the audit trail records it: identities by their digest.

    ``hmac-sha256:`` of the value under ``REGISTRE_HMAC_KEY`` when it is set (a dictionary of
    addresses cannot be tried against it), ``sha256:`` of the value otherwise. Cutoffs,
    instants and record keys stay readable: they are what a reader checks the write against.
    """
    if value is None:
        return None
    text = str(value)
    if not identity_parameter(name):
        return text
    key = hmac_key(required=False)
    if key:
        return "hmac-sha256:" + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def next_span(span: float, width: float, count: int, held_for: float) -> float:
    """The width of the next key span, from what this one (``width`` key values) took.

    At most :data:`GROWTH` times this one; about :data:`~registre.engine.batching.TARGET_SECONDS`
    at the pace this one's write went (a write of twice the target halves the span); at most
    :data:`~registre.engine.batching.MAX_SPAN_BATCH` rows at this one's density. Aiming at the
    target itself, not at the adaptive batch size, which stops growing once a write takes more
    than half the target: on InnoDB a range costs more than its share of one statement, so
    fewer and larger spans cost less (benchmarks/RESULTS.md).
    """
    limits = [span * GROWTH, width * TARGET_SECONDS / max(held_for, 1e-3)]
    if count:
        limits.append(MAX_SPAN_BATCH * width / count)
    return max(1.0, min(limits))


def sweep_spans(
    sp: StorePlan,
    item: WorkItem,
    connection: sa.Connection,
    pace: Pace,
    result: ItemResult,
    audit: Audit,
    record: Audit,
    progress: Callable[[int], None],
) -> None:
    """Sweep one eligible item by key spans; see the module docstring."""
    s = SpanStatements(sp, item)
    span: float = pace.size
    after = _next_after(connection, s, None)
    top = _top(connection, s)
    while after is not None:
        if after >= top:  # past the largest key seen: rows may have been added since
            top = _top(connection, s)
            if after >= top:
                after = _next_after(connection, s, after)
                continue
        # never past the largest key: a span must fit the key's type (int4 on PostgreSQL)
        to = min(after + max(1, int(span)), top)
        params = {"after": after, "to": to}
        audit(f"sweep.{item.action.value}", span_details(sp, item, s, after, to))
        count, held_for = write_span(s, connection, params, pace, result)
        record(
            "sweep.deleted",
            {**span_details(sp, item, s, after, to, statement=False), "count": count},
        )
        progress(count)
        if count:
            span = next_span(span, to - after, count, held_for)
            after = to
        else:
            after = _next_after(connection, s, to)


def sweep_cap_spans(
    sp: StorePlan,
    item: WorkItem,
    connection: sa.Connection,
    pace: Pace,
    result: ItemResult,
    audit: Audit,
    record: Audit,
    progress: Callable[[int], None],
) -> None:
    """Sweep the grouped rows of a count cap by spans ``(after, to]`` of its ``per`` column.

    As a key span, but over whole groups: the window that ranks a group's rows sees all of
    them and only the groups of the span (:data:`~registre.engine.sql.Scope`). The span is
    sized from the due rows per ``per`` value seen so far and from the time its write took;
    the first one covers about ``pace.size`` rows if each group were twice the cap. The rows
    of no group (``per`` NULL) are swept before, in keyset batches
    (:func:`registre.engine.sweep.sweep_item`).
    """
    cap = item.count_cap
    assert cap is not None
    # no keys are digested: as for key spans, only the time bounds a span
    pace.maximum = max(pace.maximum, MAX_SPAN_BATCH)
    per = sp.tables[item.table].c[cap.per]

    def scope(table: sa.FromClause) -> sa.ColumnElement[bool]:
        column = table.c[cap.per]
        return sa.and_(column > sa.bindparam("after"), column <= sa.bindparam("to"))

    s = SpanStatements(sp, item, [scope(sp.tables[item.table])], scope)
    bounds = sa.select(sa.func.min(per), sa.func.max(per))
    low, top = connection.execute(bounds).one()
    connection.commit()
    if low is None:
        return
    after, top = int(low) - 1, int(top)
    span: float = max(1, pace.size // (cap.count * 2))  # in values of ``per``
    while True:
        if after >= top:  # past the largest group seen: groups may have been added since
            top = int(connection.execute(bounds).one()[1] or after)
            connection.commit()
            if after >= top:
                return
        # never past the largest value: a span must fit the column's type
        to = min(after + max(1, int(span)), top)
        params = {"after": after, "to": to}
        audit(f"sweep.{item.action.value}", span_details(sp, item, s, after, to, column=per.name))
        count, held_for = write_span(s, connection, params, pace, result)
        details = span_details(sp, item, s, after, to, statement=False, column=per.name)
        record("sweep.deleted", {**details, "count": count})
        progress(count)
        width = to - after
        # the next span: at most GROWTH times this one, about pace.size rows at this one's
        # density, and half the time a batch may take: groups differ in size and ranking them
        # costs more than reading them, so aiming at the target itself overshot it (1.2 s on
        # MariaDB, benchmarks/RESULTS.md)
        limits = [span * GROWTH, width * CAP_AIM * TARGET_SECONDS / max(held_for, 1e-3)]
        if count:
            limits.append(pace.size * width / count)
        span = max(1.0, min(limits))
        after = to


def write_span(
    s: SpanStatements,
    connection: sa.Connection,
    params: dict[str, Any],
    pace: Pace,
    result: ItemResult,
) -> tuple[int, float]:
    """Unlink and delete one announced span in one transaction: (rows deleted, seconds held)."""
    started = time.perf_counter()
    with connection.begin():
        for statement in s.unlinks:
            result.unlinked += connection.execute(statement, params).rowcount
        count = connection.execute(s.delete, params).rowcount
    held_for = time.perf_counter() - started
    pace.update(held_for)
    result.batches += 1
    result.changed += count
    result.longest_batch = max(result.longest_batch, held_for)
    return count, held_for


def _next_after(connection: sa.Connection, s: SpanStatements, after: int | None) -> int | None:
    """The ``after`` of the span starting at the next actionable key, None when none is left."""
    if after is None:
        found = connection.execute(s.first_key).scalar()
    else:
        found = connection.execute(s.next_key, {"after": after}).scalar()
    connection.commit()
    return None if found is None else int(found) - 1


def _top(connection: sa.Connection, s: SpanStatements) -> int:
    found = connection.execute(s.top_key).scalar()
    connection.commit()
    return -1 if found is None else int(found)


def span_details(
    sp: StorePlan,
    item: WorkItem,
    s: SpanStatements,
    after: Any,
    to: Any,
    statement: bool = True,
    column: str | None = None,
) -> dict[str, Any]:
    details: dict[str, Any] = {
        "store": sp.store,
        "activity": item.activity,
        "rule": item.rule,
        "table": item.table,
        "action": item.action.value,
        # the write deletes the actionable rows with range.after < column <= range.to (for
        # ``ctid``, the rows stored in the pages from range.after up to, not including, range.to)
        "range": {"column": column or item.primary_key[0], "after": str(after), "to": str(to)},
        "unlinks": [f"{hop.table}.{hop.column}" for hop in item.unlinks],
        "at": sp.plan.at.isoformat(),
    }
    if statement:
        details["statement"] = s.statement
        details["parameters"] = s.parameters
    return details
