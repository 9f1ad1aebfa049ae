"""Executing a plan: bounded batches, each audited before it acts, resumable at any point.

Each batch is a range of the primary key, ``(after, to]``, ending at the N-th actionable row
after the previous batch. The database finds it and returns only its count, first and last
keys and a digest of its keys (md5 of the keys joined by commas; on SQLite the keys are read
and digested here). An audit entry naming the rule, the table, the range, the count and the
digest is committed, then one ``DELETE``/``UPDATE ... WHERE key > after AND key <= to AND
<still due>`` runs in a short transaction; the number of rows it changed is checkpointed
with the next audit entry (and audited on its own when it differs from the announced count).
Because the due predicate is evaluated again in the write, a sweep killed anywhere and run
again ends exactly where an uninterrupted one does.

N adapts: it grows while writes take under half of :data:`TARGET_SECONDS` (four times at a
time while they take under an eighth) and shrinks when one takes longer, between
``--batch-size`` and :data:`MAX_BATCH`.

Plain deletes skip the choosing read: see :mod:`registre.engine.range_deletes` (integer keys) and
:mod:`registre.engine.page_deletes` (PostgreSQL).

Count caps are swept by ranges of their ``per`` column, so that the window that ranks the
records only ever covers the groups of the current batch: when they delete and ``per`` is an
integer, by spans read once by the write (:func:`registre.engine.range_deletes.sweep_cap_spans`);
otherwise as above, a few thousand groups at a time.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from registre.engine.anonymize import KEYED, hmac_key, python_value
from registre.engine.batching import MAX_BATCH, MAX_SPAN_BATCH, Audit, ItemResult, Pace
from registre.engine.page_deletes import pages_eligible, sweep_pages
from registre.engine.range_deletes import cap_span_eligible, sweep_cap_spans, sweep_spans
from registre.engine.record_keys import key_after, key_in, key_of, key_params, key_text
from registre.engine.sql import Scope
from registre.engine.store_plan import StorePlan, store_error
from registre.engine.work_items import WorkItem
from registre.register.taxonomy import Action


def require_keys(sp: StorePlan) -> None:
    """Fail before any write when an item needs ``REGISTRE_HMAC_KEY`` and it is not set."""
    for item in sp.plan.items:
        if any(method in KEYED for _, method in item.anonymize):
            hmac_key(required=True)


def session_settings(dialect: str) -> list[str]:
    """The statements that set up the session of the connection that sweeps a rule.

    The benchmark gives the hand-written statements it compares the sweep with the same
    settings (benchmarks/bench_sweep.py), so that they are measured like with like.
    """
    if dialect in ("mysql", "mariadb"):
        # the digest concatenates up to MAX_BATCH keys; the default cut is 1,024 bytes
        return ["SET SESSION group_concat_max_len = 67108864"]
    if dialect == "postgresql":
        # the digest sorts up to MAX_BATCH keys: in memory, not in a temporary file
        return ["SET work_mem = '64MB'"]
    return []


@dataclass
class Batch:
    """One batch as the audit trail names it, and what its write needs."""

    count: int
    first: Any
    last: Any
    digest: str
    range_column: str
    after: Any
    to: Any
    write: Any
    params: dict[str, Any]
    keys: list[Any] | None = None
    """The keys themselves, only when the rows are rewritten in Python."""


def span_eligible(sp: StorePlan, item: WorkItem) -> bool:
    """Whether the item is swept by spans: a delete without count cap, on a key of one column,
    on PostgreSQL 14 and later (by pages, :mod:`registre.engine.page_deletes`) or on integer
    keys (by key ranges, :mod:`registre.engine.range_deletes`). A key of several columns is
    swept in keyset batches (row-value comparisons)."""
    if item.action != Action.delete or item.count_cap is not None:
        return False
    if len(item.primary_key) != 1:
        return False
    if pages_eligible(sp):
        return True
    return isinstance(sp.tables[item.table].c[item.primary_key[0]].type, sa.Integer)


def sweep_item(
    sp: StorePlan,
    item: WorkItem,
    *,
    batch_size: int,
    audit: Audit,
    progress: Callable[[int], None],
    record: Audit | None = None,
) -> ItemResult:
    """Sweep one item to the end; ``progress`` gets the rows changed by each batch.

    ``audit`` commits the entry announcing a batch before its write; ``record`` (``audit`` if
    not given) writes the entries that report what a write did. ``batch_size`` is where the
    adaptive size starts and the least it shrinks to. A batch whose write changes another
    number of rows than its audit entry announced (rows changed in between by the
    application) gets a ``sweep.batch_differed`` entry with both numbers.
    """
    report = audit if record is None else record
    result = ItemResult(item)
    python_rows = item.action == Action.anonymize and not sp.sql.in_sql(item)
    key = hmac_key(required=any(m in KEYED for _, m in item.anonymize)) if python_rows else b""
    spans = span_eligible(sp, item)
    pace = Pace(batch_size, MAX_SPAN_BATCH if spans else MAX_BATCH)
    try:
        # one connection for the whole item: a checkout per batch costs a ping round trip
        with sp.engine.connect() as connection:
            for setting in session_settings(sp.dialect):
                connection.execute(sa.text(setting))
            connection.commit()
            if spans:
                by = sweep_pages if pages_eligible(sp) else sweep_spans
                by(sp, item, connection, pace, result, audit, report, progress)
                return result
            statements = _Statements(sp, item, python_rows)
            by_spans = cap_span_eligible(sp, item)
            for batch in _batches(sp, item, connection, statements, pace, groups=not by_spans):
                audit(f"sweep.{item.action.value}", _batch_details(sp, item, batch))
                started = time.perf_counter()
                with connection.begin():
                    if batch.keys is not None:
                        changed = _anonymize_in_python(sp, item, batch, connection, key)
                    else:
                        *unlinks, write = batch.write
                        for statement in unlinks:
                            result.unlinked += connection.execute(statement, batch.params).rowcount
                        changed = connection.execute(write, batch.params).rowcount
                held_for = time.perf_counter() - started
                pace.update(held_for)
                result.batches += 1
                result.changed += changed
                result.longest_batch = max(result.longest_batch, held_for)
                if changed != batch.count:
                    report(
                        "sweep.batch_differed",
                        {**_batch_details(sp, item, batch), "changed": changed},
                    )
                progress(changed)
            if by_spans:
                sweep_cap_spans(sp, item, connection, pace, result, audit, report, progress)
    except exc.DBAPIError as error:
        raise store_error(sp.store, f"rule '{item.rule}' on table '{item.table}'", error) from None
    return result


class _Statements:
    """The statements of one item, built once each with bound parameters (compiled once)."""

    def __init__(self, sp: StorePlan, item: WorkItem, python_rows: bool) -> None:
        self.sp = sp
        self.item = item
        self.python_rows = python_rows
        self.width = len(item.primary_key)
        # a key of several columns has no MIN, MAX nor text in SQL: its keys are summarized here
        self.in_python = (
            python_rows or sp.dialect not in ("postgresql", "mysql", "mariadb") or self.width > 1
        )
        self._built: dict[tuple[str, bool], tuple[Any, Any]] = {}

    def keyset(self, scope_name: str, scope: Scope | None, first: bool) -> tuple[Any, Any]:
        """(summary of the next ``n`` actionable rows after ``after``, the range's write)."""
        cache = (f"keyset:{scope_name}", first)
        if cache not in self._built:
            t = self.sp.tables[self.item.table]
            pk = [t.c[c] for c in self.item.primary_key]
            keys = self._keys(pk).where(self.sp.sql.actionable(self.item, t, scope))
            if scope is not None:
                keys = keys.where(scope(t))
            if not first:
                keys = keys.where(key_after(pk, "after"))
            keys = keys.order_by(*pk).limit(sa.bindparam("n", type_=sa.Integer))
            write = None
            if not self.python_rows:
                bounds = [key_after(pk, "to", "<=")]
                if scope is not None:
                    bounds.append(scope(t))
                if not first:
                    bounds.append(key_after(pk, "after"))
                write = self._writes(scope, bounds)
            self._built[cache] = (self._summary(keys), write)
        return self._built[cache]

    def groups(self, first: bool) -> tuple[Any, Any, Any]:
        """(next chunk of count-cap groups, summary of its actionable rows, its write)."""
        cap = self.item.count_cap
        assert cap is not None
        cache = ("groups", first)
        if cache not in self._built:
            t = self.sp.tables[self.item.table]
            per = t.c[cap.per]
            listed = sa.select(per.label("g"), sa.func.count().label("c")).where(per.is_not(None))
            if not first:
                listed = listed.where(per > sa.bindparam("after"))
            chunk = (
                listed.group_by(per).order_by(per).limit(sa.bindparam("n", type_=sa.Integer))
            ).subquery("chunk")
            chunks = sa.select(sa.func.count(), sa.func.max(chunk.c.g), sa.func.sum(chunk.c.c))

            def scope(table: sa.FromClause) -> sa.ColumnElement[bool]:
                column = table.c[cap.per]
                upper = column <= sa.bindparam("to")
                return upper if first else sa.and_(column > sa.bindparam("after"), upper)

            pk = [t.c[c] for c in self.item.primary_key]
            keys = (
                self._keys(pk)
                .where(self.sp.sql.actionable(self.item, t, scope), scope(t))
                .order_by(*pk)
            )
            write = None if self.python_rows else self._writes(scope, [scope(t)])
            self._built[cache] = (chunks, (self._summary(keys), write))
        chunks, (summary, write) = self._built[cache]
        return chunks, summary, write

    def _keys(self, pk: list[Any]) -> sa.Select[Any]:
        """The selection of the keys: ``k`` for a key of one column."""
        if len(pk) == 1:
            return sa.select(pk[0].label("k"))
        return sa.select(*pk)

    def _writes(self, scope: Scope | None, bounds: list[Any]) -> tuple[Any, ...]:
        """The batch's statements: unlinking kept dependants, then the delete or update."""
        t = self.sp.tables[self.item.table]
        actionable = self.sp.sql.actionable(self.item, t, scope)
        unlinks = tuple(
            self.sp.sql.unlink(
                self.item, hop, sa.select(t.c[hop.target_column]).where(actionable, *bounds)
            )
            for hop in self.item.unlinks
        )
        return (*unlinks, self.sp.sql.write(self.item, None, scope).where(*bounds))

    def _summary(self, keys: sa.Select[Any]) -> Any:
        """One row (count, first key, last key, md5 of the keys joined by commas), in SQL.

        Where the digest cannot be computed in SQL (SQLite), or the keys are needed anyway
        (rows rewritten in Python), the keys themselves: :func:`_summarize` digests them.
        """
        if self.in_python:
            # PostgreSQL packs a key of one column into one array
            return self.sp.sql.packed(keys) if self.width == 1 else keys
        batch = keys.subquery("batch_keys")
        k = batch.c.k
        if self.sp.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import aggregate_order_by

            joined = sa.func.string_agg(sa.cast(k, sa.Text), aggregate_order_by(sa.literal(","), k))
            digest: Any = sa.func.md5(joined)
        else:
            digest = sa.literal_column(
                "MD5(GROUP_CONCAT(batch_keys.k ORDER BY batch_keys.k SEPARATOR ','))"
            )
        return sa.select(sa.func.count(), sa.func.min(k), sa.func.max(k), digest)


def keys_digest(keys: list[Any]) -> str:
    """The digest an audit entry gives of a batch's keys: md5 of their text joined by commas.

    The same in SQL on PostgreSQL and MariaDB, where it is computed without fetching the keys.
    A key of several columns is written as its JSON list (``[1001,3]`` is ``[1001, 3]``, see
    :func:`registre.engine.record_keys.key_text`), always computed here.
    """
    text = ",".join(key_text(k) if isinstance(k, tuple) else str(k) for k in keys)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _summarize(
    connection: sa.Connection, statements: _Statements, query: Any, params: dict[str, Any]
) -> tuple[int, Any, Any, str, list[Any] | None]:
    if statements.in_python:
        keys = _fetch_keys(connection, query, params, statements.width)
        connection.commit()  # end the read: SQLite would not let the write commit otherwise
        if not keys:
            return 0, None, None, "", None
        digest = keys_digest(keys)
        return len(keys), keys[0], keys[-1], digest, keys if statements.python_rows else None
    count, first, last, digest = connection.execute(query, params).one()
    connection.commit()
    return int(count), first, last, str(digest or ""), None


def _batches(
    sp: StorePlan,
    item: WorkItem,
    connection: sa.Connection,
    statements: _Statements,
    pace: Pace,
    groups: bool = True,
) -> Iterator[Batch]:
    """The item's batches, each a range holding up to ``pace.size`` actionable rows.

    Without a count cap: primary-key ranges ``(after, to]``, each ending at the N-th
    actionable row after the previous one. With one: the rows outside any group first (keyset
    as above), then ranges of the ``per`` column holding about N rows: the window that ranks
    the records only ever covers the groups of the current batch.
    """
    cap = item.count_cap
    if cap is None:
        yield from _keyset(connection, statements, pace, "table", None)
        return
    per = cap.per
    yield from _keyset(connection, statements, pace, "ungrouped", lambda t: t.c[per].is_(None))
    if not groups:  # the groups go by spans of ``per``: see range_deletes.sweep_cap_spans
        return
    after: Any = None
    groups_per_chunk = max(1, pace.size // (cap.count * 2))
    while True:
        chunks, summary, write = statements.groups(first=after is None)
        groups, to, rows = connection.execute(chunks, {"after": after, "n": groups_per_chunk}).one()
        connection.commit()
        if not groups:
            return
        params = {"after": after, "to": to}
        count, first, last, digest, keys = _summarize(connection, statements, summary, params)
        if count:
            yield Batch(count, first, last, digest, per, after, to, write, params, keys)
        after = to
        average = max(1.0, int(rows) / int(groups))
        groups_per_chunk = min(50_000, max(1, int(pace.size / average)))


def _keyset(
    connection: sa.Connection,
    statements: _Statements,
    pace: Pace,
    name: str,
    scope: Scope | None,
) -> Iterator[Batch]:
    column = ", ".join(statements.item.primary_key)
    width = statements.width
    after: Any = None
    while True:
        size = pace.size
        summary, write = statements.keyset(name, scope, first=after is None)
        params = key_params("after", after, width) | {"n": size}
        count, first, last, digest, keys = _summarize(connection, statements, summary, params)
        if not count:
            return
        bounds = params | key_params("to", last, width)
        yield Batch(count, first, last, digest, column, after, last, write, bounds, keys)
        if count < size:
            return
        after = last


def _fetch_keys(
    connection: sa.Connection, query: Any, params: dict[str, Any], width: int = 1
) -> list[Any]:
    """Keys from a plain selection, or from the one array :meth:`PlanSql.packed` makes."""
    rows = connection.execute(query, params).all()
    if width > 1:
        return [tuple(row[:width]) for row in rows]
    if len(rows) == 1 and isinstance(rows[0][0], list | type(None)):
        return list(rows[0][0] or [])
    return [row[0] for row in rows]


def _batch_details(sp: StorePlan, item: WorkItem, batch: Batch) -> dict[str, Any]:
    def text(value: Any) -> str | None:
        return None if value is None else key_text(value)

    return {
        "store": sp.store,
        "activity": item.activity,
        "rule": item.rule,
        "table": item.table,
        "action": item.action.value,
        "fields": list(item.fields),
        # the write changes the actionable rows with range.after < column <= range.to
        "range": {"column": batch.range_column, "after": text(batch.after), "to": text(batch.to)},
        "count": batch.count,
        # kept dependants whose reference to these rows is set to NULL in the same transaction
        "unlinks": [f"{hop.table}.{hop.column}" for hop in item.unlinks],
        "first_key": key_text(batch.first),
        "last_key": key_text(batch.last),
        "keys_md5": batch.digest,
        "at": sp.plan.at.isoformat(),
    }


def _anonymize_in_python(
    sp: StorePlan, item: WorkItem, batch: Batch, connection: sa.Connection, key: bytes
) -> int:
    assert batch.keys is not None
    t = sp.tables[item.table]
    pk = [t.c[c] for c in item.primary_key]
    width = len(pk)
    query = sa.select(*pk, *(t.c[c] for c, _ in item.anonymize)).where(
        key_in(pk, batch.keys), sp.sql.actionable(item, t, _range_scope(item, batch))
    )
    if sp.dialect != "sqlite":
        query = query.with_for_update()
    rows = connection.execute(query).all()
    if not rows:
        return 0
    updates = []
    for row in rows:
        row_key = key_of(row, width)
        values = {f"k_{i}": part for i, part in enumerate(row[:width])}
        for index, (column, method) in enumerate(item.anonymize, start=width):
            length = getattr(t.c[column].type, "length", None)
            values[f"v_{column}"] = python_value(
                method, row[index], key=key, length=length, row_key=row_key
            )
        updates.append(values)
    assignments: dict[str, Any] = {c: sa.bindparam(f"v_{c}") for c, _ in item.anonymize}
    if item.marker is not None:
        assignments[item.marker] = sp.sql.marker_value(item)
    same = [column == sa.bindparam(f"k_{i}") for i, column in enumerate(pk)]
    statement = sa.update(t).where(*same).values(assignments)
    connection.execute(statement, updates)
    return len(rows)


def _range_scope(item: WorkItem, batch: Batch) -> Scope | None:
    """For a count cap, the batch's groups, so that the window ranks only those."""
    cap = item.count_cap
    if cap is None:
        return None
    if batch.range_column != cap.per:
        return lambda t: t.c[cap.per].is_(None)
    after, to = batch.after, batch.to
    if after is None:
        return lambda t: t.c[cap.per] <= to
    return lambda t: sa.and_(t.c[cap.per] > after, t.c[cap.per] <= to)
