"""SQLAlchemy Core statements for a plan: the due predicate of each item, counts and writes.

Everything is expressed against the reflected tables of the store, so that bound values take
the column's own type (naive or aware timestamps, dates, SQLite's text datetimes). Links
through references are ``IN`` subqueries (dependants, correlated ``EXISTS``): they work inside
``DELETE`` and ``UPDATE`` on every dialect, where joins do not. Count caps are a
``ROW_NUMBER()`` window in a derived table, which MySQL accepts next to a write on the same
table.

Every predicate is NULL-safe (``col IS NOT NULL AND col < cutoff``): the sweep negates some of
them (not held, not anonymized yet), and ``NOT unknown`` would silently skip a row.

SQLite has no timestamp type: timestamps are compared as text, in the format SQLAlchemy writes
(``YYYY-MM-DD HH:MM:SS.ffffff``). A table filled by another tool in another format (``T`` as the
separator, no fraction) compares wrongly by up to a day; map such columns only after converting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from registre.engine import identities, status_values
from registre.engine.anonymize import recognizer, sql_value
from registre.engine.record_keys import held_key, key_expression, key_in
from registre.engine.work_items import ClockCheck, Hop, Path, Plan, WorkItem
from registre.register.taxonomy import Action

IDENTITY_PARAMETER = "held_person_"
"""Prefix of the bound parameters that carry a held person's identity (an email, a phone)."""

Condition = ColumnElement[bool]
Scope = Callable[[sa.FromClause], Condition]
"""A restriction of an item to part of its table (the groups of a count cap)."""


class PlanSql:
    """The SQL of one plan over the reflected tables of its store."""

    def __init__(self, plan: Plan, tables: dict[str, sa.Table], dialect: str) -> None:
        self.plan = plan
        self.tables = tables
        self.dialect = dialect
        self.tz = ZoneInfo(plan.timezone)
        self._names = count()
        self._holdable = _holdable_tables(plan)

    # -- predicates ----------------------------------------------------------------------------

    def due(
        self,
        item: WorkItem,
        t: sa.FromClause,
        scope: Scope | None = None,
        *,
        present: Scope | None = None,
        joined: Condition | None = None,
    ) -> Condition:
        """Due under the rule's clocks or count cap, whatever was done to the row already.

        ``present``: the rows a count cap ranks, when not all of the table's rows.
        ``joined``: the clocks and the cap as a condition already met by a join (see
        :meth:`joined_cap_delete`); only the minimum periods and ``kept_while`` are added.
        """
        if joined is not None:
            due: Condition = joined
        else:
            clocks = [self._clock(t, clock) for clock in item.clocks]
            if item.count_cap is not None:
                key = key_expression([t.c[c] for c in item.primary_key])
                clocks.append(key.in_(self._beyond_cap(item, scope, present)))
            due = sa.or_(*clocks)
        if item.minimum:
            # a minimum period keeps the row whatever the other limits say
            due = sa.and_(due, *(self._clock(t, minimum) for minimum in item.minimum))
        if item.kept_while is not None:
            due = sa.and_(due, sa.not_(self._along(t, item.kept_while, _is_set)))
        return due

    def base(
        self,
        item: WorkItem,
        t: sa.FromClause,
        scope: Scope | None = None,
        joined: Condition | None = None,
    ) -> Condition:
        """Due under the rule, before holds and dependants are taken into account."""
        due = self.due(item, t, scope, joined=joined)
        if item.action == Action.anonymize:
            due = sa.and_(due, sa.not_(self.anonymized(item, t)))
            for delete in item.deleted_first:
                due = sa.and_(due, sa.not_(self.actionable(delete, t)))
        return due

    def held(
        self,
        table: str,
        t: sa.FromClause,
        seen: frozenset[str] = frozenset(),
        *,
        restricted_only: bool = False,
    ) -> Condition:
        """The row is under a legal hold or a restriction, directly or through a held parent.

        ``restricted_only``: under a restriction of processing, whatever the legal holds.

        On SQLite the held rows of each table are a common table expression that names its
        parent's: written inline, a hold on a person nests one subquery per ancestor inside
        every dependant's, and SQLite's parser (a fixed stack of about a hundred levels) gives
        up with "parser stack overflow" on an ordinary shop schema. The other databases take
        the nested form, which their planners have been measured on.
        """
        if table not in self._holdable:
            return sa.false()
        if self.dialect == "sqlite":
            scope = self.plan.holds[table]
            named: dict[tuple[str, frozenset[str]], sa.CTE] = {}
            rows = self._held_rows(table, seen, restricted_only, named)
            key = key_expression([t.c[c] for c in scope.primary_key])
            # the expressions written inside the subquery (WITH ... SELECT), not before the
            # whole statement: Python's sqlite3 counts no row for a DELETE that starts WITH
            held_keys = sa.select(*[rows.c[c] for c in scope.primary_key])
            return key.in_(held_keys.add_cte(*named.values(), nest_here=True))
        return self._held_here(table, t, seen, restricted_only, self._held_parent_inline)

    def _held_here(
        self,
        table: str,
        t: sa.FromClause,
        seen: frozenset[str],
        restricted_only: bool,
        parent_held: Callable[[sa.FromClause, Hop, frozenset[str], bool], Condition],
    ) -> Condition:
        """The row's own hold (its key, a held person's identity) or a held parent's."""
        scope = self.plan.holds[table]
        conditions: list[Condition] = []
        if scope.keys and not restricted_only:
            columns = [t.c[c] for c in scope.primary_key]
            conditions.append(key_in(columns, self._typed_keys(columns, scope.keys)))
        people = scope.restricted if restricted_only else scope.identity + scope.restricted
        for kind, column, value in people:
            live = t.c[column]
            # named, so that whoever records a statement's parameters can tell a person's
            # identity from a cutoff (see identity_parameter); typed as the column, so that an
            # integer customer id never equals text and a value that is no number matches no row
            person = identities.condition(
                live,
                kind,
                value,
                self.dialect,
                case_folded=identities.folds_case(self.tables[table].c[column], self.dialect),
                name=f"{IDENTITY_PARAMETER}{kind}",
            )
            if person is not None:
                # NULL-safe: a NOT over an unknown would silently skip the row
                conditions.append(sa.and_(live.is_not(None), person))
        for hop in scope.parents:
            if hop.target_table in self._holdable and hop.target_table not in seen:
                conditions.append(parent_held(t, hop, seen | {table}, restricted_only))
        return sa.or_(*conditions) if conditions else sa.false()

    def _held_parent_inline(
        self, t: sa.FromClause, hop: Hop, seen: frozenset[str], restricted_only: bool
    ) -> Condition:
        parent = self.alias(hop.target_table)
        condition = self.held(hop.target_table, parent, seen, restricted_only=restricted_only)
        return self._linked(t, hop, parent, condition)

    def _held_rows(
        self,
        table: str,
        seen: frozenset[str],
        restricted_only: bool,
        named: dict[tuple[str, frozenset[str]], sa.CTE],
    ) -> sa.CTE:
        """The held rows of ``table`` as a common table expression, its parents' named first."""
        if (table, seen) not in named:

            def parent_held(
                t: sa.FromClause, hop: Hop, above: frozenset[str], restricted: bool
            ) -> Condition:
                rows = self._held_rows(hop.target_table, above, restricted, named)
                return self._linked(t, hop, rows, sa.true())

            rows = self.alias(table)
            condition = self._held_here(table, rows, seen, restricted_only, parent_held)
            named[(table, seen)] = sa.select(rows).where(condition).cte(f"held_{next(self._names)}")
        return named[(table, seen)]

    def blocked(
        self,
        item: WorkItem,
        t: sa.FromClause,
        *,
        kept: Callable[[Hop, sa.FromClause], Condition] | None = None,
    ) -> Condition:
        """A row to delete that another mapped table still references.

        Through an ``unlink`` reference, only a held dependant blocks: a hold forbids
        touching the row, its reference included. ``kept``: whether a dependant row (of the
        hop's table) still holds its reference when the item runs; every one that does now
        when None, which is what the sweep checks. The plan's forecast passes its own.
        """
        checks = []
        for hop, unlinked in [(h, False) for h in item.dependants] + [
            (h, True) for h in item.unlinks
        ]:
            if unlinked and hop.table not in self._holdable:
                continue
            child = self.alias(hop.table)
            query = sa.select(sa.literal(1)).select_from(child)
            query = query.where(child.c[hop.column] == t.c[hop.target_column])
            if unlinked:
                query = query.where(self.held(hop.table, child))
            elif kept is not None:
                query = query.where(kept(hop, child))
            checks.append(sa.exists(query.correlate(t)))
        return sa.or_(*checks) if checks else sa.false()

    def unlink(self, item: WorkItem, hop: Hop, parents: sa.Select[Any]) -> sa.Update:
        """``UPDATE child SET column = NULL`` for the dependants of the ``parents`` rows.

        ``parents`` selects the referenced column of the rows about to be deleted; it is
        wrapped in a derived table, which MySQL requires to read a table next to a write.
        """
        child = self.tables[hop.table]
        targets = parents.subquery(f"unlinked_{next(self._names)}")
        column = child.c[hop.column]
        return (
            sa.update(child)
            .where(column.is_not(None), column.in_(sa.select(next(iter(targets.c)))))
            .values({hop.column: None})
        )

    def actionable(
        self,
        item: WorkItem,
        t: sa.FromClause,
        scope: Scope | None = None,
        joined: Condition | None = None,
    ) -> Condition:
        """Due, not held, not blocked: what the sweep acts on (``joined``: see :meth:`due`)."""
        return sa.and_(
            self.base(item, t, scope, joined),
            sa.not_(self.held(item.table, t)),
            sa.not_(self.blocked(item, t)),
        )

    def anonymized(self, item: WorkItem, t: sa.FromClause) -> Condition:
        if item.marker is not None:
            return t.c[item.marker].is_not(None)
        checks = []
        for column, method in item.anonymize:
            check = recognizer(method, t.c[column])
            if check is None:  # plan_store requires a marker for these
                raise AssertionError(f"{method} needs anonymized_at")
            checks.append(check)
        return sa.and_(*checks)

    # -- statements ----------------------------------------------------------------------------

    def select_keys(
        self,
        item: WorkItem,
        *,
        after: Any = None,
        limit: int | None = None,
        scope: Scope | None = None,
    ) -> sa.Select[Any]:
        """Primary keys of actionable rows, in key order, after ``after`` (keyset)."""
        t = self.tables[item.table]
        pk = [t.c[c] for c in item.primary_key]
        query = sa.select(*pk).where(self.actionable(item, t, scope))
        if scope is not None:
            query = query.where(scope(t))
        if after is not None:
            query = query.where(key_expression(pk) > (after if len(pk) == 1 else sa.tuple_(*after)))
        query = query.order_by(*pk)
        return query.limit(limit) if limit is not None else query

    def write(
        self,
        item: WorkItem,
        keys: list[Any] | None,
        scope: Scope | None = None,
        values: dict[str, Any] | None = None,
    ) -> sa.Delete | sa.Update:
        """The DELETE or UPDATE of the actionable rows among ``keys`` (all when None)."""
        t = self.tables[item.table]
        where = [self.actionable(item, t, scope)]
        if keys is not None:
            where.insert(0, key_in([t.c[c] for c in item.primary_key], keys))
        if item.action == Action.delete:
            return sa.delete(t).where(*where)
        return (
            sa.update(t)
            .where(*where)
            .values(values if values is not None else self.sql_values(item))
        )

    def joined_cap_delete(self, item: WorkItem, scope: Scope) -> sa.Delete:
        """MariaDB and MySQL: a count cap's ``DELETE`` joined to the scope's due keys.

        ``DELETE FROM t USING t, (due keys) AS due_now WHERE t.key = due_now.key AND <the
        rest of the due predicate, holds, dependants>``: the ranking of the scope's rows
        (``ROW_NUMBER()``, and each rule clock as a column) is materialized once and joined
        to the table by its key, where ``key IN (ranking)`` probed it for every row (on
        InnoDB at 1.95 M rows, 48.1 s against 59.0 s in plain SQL, benchmarks/RESULTS.md).
        Same rows: the join gives the clocks-or-cap part of :meth:`due`, every other part is
        evaluated on the table's row in the same statement.
        """
        cap = item.count_cap
        assert cap is not None and item.action == Action.delete
        t = self.tables[item.table]
        src = self.alias(item.table)
        names = [f"k_{i}" for i in range(len(item.primary_key))]
        columns: list[Any] = [
            src.c[c].label(n) for c, n in zip(item.primary_key, names, strict=True)
        ]
        columns.append(self._rank(item, src).label("rn"))
        if item.clocks:
            clocked = sa.or_(*(self._clock(src, clock) for clock in item.clocks))
            columns.append(sa.case((clocked, 1), else_=0).label("by_clock"))
        ranked = sa.select(*columns).where(scope(src)).subquery(f"ranked_{next(self._names)}")
        chosen = [ranked.c.rn > cap.count]
        if item.clocks:
            chosen.append(ranked.c.by_clock == 1)
        due_now = sa.select(*(ranked.c[n] for n in names)).where(sa.or_(*chosen))
        keys = due_now.subquery("due_now")
        on = [t.c[c] == keys.c[n] for c, n in zip(item.primary_key, names, strict=True)]
        return sa.delete(t).where(*on, self.actionable(item, t, scope, joined=sa.true()))

    def sql_values(self, item: WorkItem) -> dict[str, Any]:
        """SET clause when every method runs in SQL on this dialect; else raise LookupError."""
        t = self.tables[item.table]
        values: dict[str, Any] = {}
        for column, method in item.anonymize:
            expression = sql_value(method, t.c[column], self.dialect)
            if expression is None:
                raise LookupError(method)
            values[column] = expression
        if item.marker is not None:
            values[item.marker] = self.marker_value(item)
        return values

    def in_sql(self, item: WorkItem) -> bool:
        try:
            self.sql_values(item)
        except LookupError:
            return False
        return True

    def marker_value(self, item: WorkItem) -> Any:
        assert item.marker is not None
        return self._bound(self.tables[item.table].c[item.marker], self.plan.at, ceil=False)

    def partitions(self, item: WorkItem, *, after: Any = None, limit: int) -> sa.Select[Any]:
        """The next ``limit`` groups of a count cap and their sizes, in order (non-NULL ones)."""
        assert item.count_cap is not None
        t = self.tables[item.table]
        per = t.c[item.count_cap.per]
        query = sa.select(per, sa.func.count()).where(per.is_not(None)).group_by(per)
        if after is not None:
            query = query.where(per > after)
        return query.order_by(per).limit(limit)

    def packed(self, query: sa.Select[Any]) -> sa.Select[Any]:
        """On PostgreSQL, the keys of ``query`` as one ordered array: one value to fetch.

        Elsewhere the query itself. Reading tens of thousands of one-column rows through the
        driver costs more than finding them.
        """
        if self.dialect != "postgresql":
            return query
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        keys = query.subquery("keys")
        column = next(iter(keys.c))
        return sa.select(sa.func.array_agg(aggregate_order_by(column, column)))

    def member(self, column: ColumnElement[Any], name: str) -> Condition:
        """``column IN (:name)``, the list bound at execution.

        On PostgreSQL it is ``= ANY(:name)`` with one array parameter: thousands of separate
        parameters cost more to send and parse than the write itself.
        """
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import ARRAY

            return column == sa.any_(sa.bindparam(name, type_=ARRAY(column.type)))
        return column.in_(sa.bindparam(name, expanding=True))

    # -- pieces --------------------------------------------------------------------------------

    def _beyond_cap(
        self, item: WorkItem, scope: Scope | None, present: Scope | None = None
    ) -> sa.Select[Any]:
        cap = item.count_cap
        assert cap is not None
        src = self.alias(item.table)
        rank = self._rank(item, src)
        names = (
            ["k"]
            if len(item.primary_key) == 1
            else [f"k_{i}" for i in range(len(item.primary_key))]
        )
        keys = [src.c[c].label(n) for c, n in zip(item.primary_key, names, strict=True)]
        inner = sa.select(*keys, rank.label("rn"))
        if scope is not None:
            inner = inner.where(scope(src))
        if present is not None:
            inner = inner.where(present(src))
        ranked = inner.subquery(f"ranked_{next(self._names)}")
        return sa.select(*(ranked.c[n] for n in names)).where(ranked.c.rn > cap.count)

    @staticmethod
    def _rank(item: WorkItem, src: sa.FromClause) -> ColumnElement[int]:
        """A row's rank in its count-cap group, newest first: beyond the cap when > count."""
        cap = item.count_cap
        assert cap is not None
        order = src.c[cap.order_by]
        return sa.func.row_number().over(
            partition_by=src.c[cap.per],
            # NULL sorts differently per dialect: put it last (oldest) everywhere
            order_by=(
                sa.case((order.is_(None), 1), else_=0),
                order.desc(),
                *(src.c[c].desc() for c in item.primary_key),
            ),
        )

    def _clock(self, t: sa.FromClause, clock: ClockCheck) -> Condition:
        """The clock has run out: its event happened before the cutoff (and its status holds).

        A status-dependent event (``when``) has happened only for rows whose column holds one
        of the values; a derived event (``also``) is the latest of several timestamps, so it
        is before the cutoff when one of them is set and none is at or after it.
        """
        run_out = self._run_out(t, clock)
        if clock.when is None:
            return run_out
        values = clock.when.values
        status = self._along(
            t,
            clock.when.path,
            # the register's values as the column holds them (3 and '3' alike)
            lambda column: sa.and_(
                column.is_not(None), column.in_(status_values.typed(column, values))
            ),
        )
        return sa.and_(status, run_out)

    def _run_out(self, t: sa.FromClause, clock: ClockCheck) -> Condition:
        def before(moment: datetime) -> Callable[[ColumnElement[Any]], Condition]:
            # NULL-safe, so that negating a predicate never yields an unknown
            return lambda column: sa.and_(column.is_not(None), column < self._bound(column, moment))

        def event_before(moment: datetime) -> Condition:
            if not clock.also:
                return self._along(t, clock.path, before(moment))
            paths = (clock.path, *clock.also)
            some = sa.or_(*(self._along(t, p, lambda c: c.is_not(None)) for p in paths))
            later = [
                self._along(t, p, lambda c: sa.and_(c.is_not(None), c >= self._bound(c, moment)))
                for p in paths
            ]
            return sa.and_(some, *(sa.not_(x) for x in later))

        if clock.tenant is None:
            return event_before(clock.cutoff)
        months = clock.tenant.months

        def equals(value: int) -> Callable[[ColumnElement[Any]], Condition]:
            return lambda column: column == value

        branches = [
            sa.and_(self._along(t, months, equals(value)), event_before(moment))
            for value, moment in clock.tenant.cutoffs
        ]
        default = sa.and_(
            sa.not_(self._along(t, months, lambda c: c.is_not(None))),
            event_before(clock.cutoff),
        )
        return sa.or_(*branches, default)

    def _along(
        self, t: sa.FromClause, path: Path, test: Callable[[ColumnElement[Any]], Condition]
    ) -> Condition:
        if not path.hops:
            return test(t.c[path.column])
        return self._hops(t, path.hops, path.column, test)

    def _hops(
        self,
        current: sa.FromClause,
        hops: tuple[Hop, ...],
        column: str,
        test: Callable[[ColumnElement[Any]], Condition],
    ) -> Condition:
        hop, rest = hops[0], hops[1:]
        target = self.alias(hop.target_table)
        inner = test(target.c[column]) if not rest else self._hops(target, rest, column, test)
        return self._linked(current, hop, target, inner)

    def _linked(
        self, current: sa.FromClause, hop: Hop, target: sa.FromClause, condition: Condition
    ) -> Condition:
        """The row's reference points at a ``target`` row meeting ``condition``.

        An uncorrelated ``IN``, not a correlated ``EXISTS``: ``condition`` never reads
        ``current``, and inside an ``OR`` PostgreSQL hashes the ``IN`` list once where it would
        probe the parent table for every row. NULL-safe on both sides.
        """
        link = current.c[hop.column]
        key = target.c[hop.target_column]
        return sa.and_(
            link.is_not(None), link.in_(sa.select(key).where(key.is_not(None), condition))
        )

    def alias(self, table: str) -> sa.FromClause:
        """A fresh alias of a mapped table, for a subquery of its own."""
        return self.tables[table].alias(f"{table[:20]}_{next(self._names)}")

    @staticmethod
    def _typed_keys(columns: Sequence[ColumnElement[Any]], keys: tuple[str, ...]) -> list[Any]:
        """Held keys in the key columns' types: text never equals an integer key everywhere.

        A key of several columns is held as its JSON list (see :mod:`.record_keys`).
        """
        typed = (held_key(columns, key) for key in keys)
        return [value for value in typed if value is not None]

    def _bound(self, column: ColumnElement[Any], moment: datetime, *, ceil: bool = True) -> Any:
        """``moment`` (aware UTC) as a value of the column's type."""
        kind = column.type
        if isinstance(kind, sa.DateTime):
            return moment if kind.timezone else moment.replace(tzinfo=None)
        if isinstance(kind, sa.Date):
            # a date is a local day: it is before the instant when its start is
            local = moment.astimezone(self.tz)
            day: date = local.date()
            if ceil and local.timetz().replace(tzinfo=None) != time(0):
                day += timedelta(days=1)
            return day
        return moment.replace(tzinfo=None)


def _is_set(column: ColumnElement[Any]) -> Condition:
    """A flag or a marker is set: true, or any value but NULL (and 0 for an integer flag)."""
    if isinstance(column.type, sa.Boolean):
        return sa.and_(column.is_not(None), column == sa.true())
    if isinstance(column.type, sa.Integer):
        return sa.and_(column.is_not(None), column != 0)
    return column.is_not(None)


def identity_parameter(name: str) -> bool:
    """Whether a compiled statement's parameter is a held person's identity value."""
    return name.startswith(IDENTITY_PARAMETER)


def _holdable_tables(plan: Plan) -> set[str]:
    """Tables some of whose rows can be held: a hold on them, or on a table they reference."""
    holdable = {name for name, scope in plan.holds.items() if not scope.empty}
    changed = True
    while changed:
        changed = False
        for name, scope in plan.holds.items():
            if name not in holdable and any(h.target_table in holdable for h in scope.parents):
                holdable.add(name)
                changed = True
    return holdable


def compile_literal(statement: sa.ClauseElement, engine_dialect: sa.Dialect) -> str:
    """The statement as a person can read and run it: values inlined for the dialect."""
    return str(statement.compile(dialect=engine_dialect, compile_kwargs={"literal_binds": True}))
