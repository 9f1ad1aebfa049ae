"""One store's search for a person's rows, hop by hop (see :mod:`registre.requests.find`).

Statements are built once per table and shape (which columns are matched) and kept by the
finder, with the values bound at execution: building and hashing a statement costs about as
much client time as running it.

With ``bulk``, a table that ends the references (:meth:`StoreGraph.is_end`) reached from the
person's rows by one reference, in one context, is kept as a :class:`Bulk`: one grouped count
by the referenced values instead of its rows. Nothing the search decides needs those rows'
keys: they are all the person's (the values they reference are the person's rows), no row
references them, so none is pinned or shared, and the only row they lead to is back along that
reference. If a shared row turns out to hold some of them, or they are reached another way, they
are read back as rows (:meth:`Walk.expand`), and the search goes on as without ``bulk``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from registre.engine import identities
from registre.requests.graph import StoreGraph
from registre.requests.identity import TENANT, Identity
from registre.requests.search_results import Bulk, Found, Key, TableRows
from registre.requests.shared_rows import Searcher, SharedRows


class Walk(SharedRows):
    """One store's search, hop by hop."""

    def __init__(
        self,
        finder: Searcher,
        graph: StoreGraph,
        connection: Connection,
        found: Found,
        *,
        bulk: bool = False,
    ):
        self.finder = finder
        self.graph = graph
        self.connection = connection
        self.found = found
        self.tables = finder.tables(graph)
        self.bulk = bulk
        # tables kept as a Bulk: their context, and their rows per referenced value
        self.bulk_context: dict[str, str | None] = {}
        self.bulk_via: dict[str, str] = {}
        self.bulk_counts: dict[str, dict[Any, int]] = {}

    def rows(self, table: str) -> TableRows:
        key = (self.graph.store_id, table)
        if key not in self.found.tables:
            columns = self.graph.needed_columns(table)
            width = len(self.graph.mapping(table).key_columns())
            self.found.tables[key] = TableRows(self.graph.store_id, table, columns, width=width)
        return self.found.tables[key]

    def select(self, table: str, where: ColumnElement[bool]) -> Iterator[tuple[Any, ...]]:
        """The needed columns of the rows matching ``where``, one at a time (never a list)."""
        columns = self.rows(table).columns
        t = self.tables[table]
        yield from self.execute(sa.select(*[t.c[c] for c in columns]).where(where), {})

    def select_in(
        self, table: str, kind: str, values: Mapping[str, list[Any]]
    ) -> Iterator[tuple[Any, ...]]:
        """Rows whose column is in its list, for any of the ``column -> values`` given."""
        key = (self.graph.store_id, table, kind, tuple(values))
        statement = self.finder.statements.get(key)
        if statement is None:
            t = self.tables[table]
            columns = self.rows(table).columns
            where = sa.or_(
                *[
                    t.c[column].in_(sa.bindparam(f"{kind}_{number}", expanding=True))
                    for number, column in enumerate(values)
                ]
            )
            statement = sa.select(*[t.c[c] for c in columns]).where(where)
            self.finder.statements[key] = statement
        params = {f"{kind}_{number}": list(v) for number, v in enumerate(values.values())}
        yield from self.execute(statement, params)

    def execute(
        self, statement: sa.Select[Any], params: dict[str, Any]
    ) -> Iterator[tuple[Any, ...]]:
        self.found.queries += 1
        result = self.connection.execute(statement, params)
        for rows in result.partitions(self.finder.batch):
            for row in rows:
                yield tuple(row)

    def run(self, identity: Identity) -> None:
        frontier: dict[str, dict[str | None, set[Key]]] = defaultdict(lambda: defaultdict(set))
        for table, mapping in self.graph.store.tables.items():
            if TENANT in identity and mapping.tenant:
                where = self.identity_condition(table, identity)
                if where is None:
                    continue
                found = self.select(table, where)
            else:
                t = self.tables[table]
                # one parameter per mapped column of a kind given: the statement is built once
                # per shape, its values bound at execution
                params = {
                    (kind, column): value
                    for kind, column in mapping.identity_columns()
                    if kind in identity
                    and kind != TENANT
                    and (value := identities.parameter(t.c[column], kind, identity[kind]))
                    is not None
                }
                if not params:
                    continue
                key = (self.graph.store_id, table, "identity", tuple(params))
                statement = self.finder.statements.get(key)
                if statement is None:
                    dialect = self.connection.dialect.name
                    where = sa.or_(
                        *[
                            identities.clause(
                                t.c[column],
                                kind,
                                f"identity_{number}",
                                dialect,
                                case_folded=identities.folds_case(t.c[column], dialect),
                            )
                            for number, (kind, column) in enumerate(params)
                        ]
                    )
                    columns = self.rows(table).columns
                    statement = sa.select(*[t.c[c] for c in columns]).where(where)
                    self.finder.statements[key] = statement
                bound = {f"identity_{n}": value for n, value in enumerate(params.values())}
                found = self.execute(statement, bound)
            for row in found:
                context = self.graph.context(table, None)
                if self.add(table, tuple(row), context, "identity"):
                    frontier[table][context].add(self.rows(table).key(row))
        while frontier:
            frontier = self.hop(frontier)
        self.mark_shared()

    def identity_condition(self, table: str, identity: Identity) -> ColumnElement[bool] | None:
        mapping = self.graph.mapping(table)
        t = self.tables[table]
        dialect = self.connection.dialect.name
        matches = [
            match
            for kind, column in mapping.identity_columns()
            if kind in identity
            and kind != TENANT
            and (
                match := identities.condition(
                    t.c[column],
                    kind,
                    identity[kind],
                    dialect,
                    case_folded=identities.folds_case(t.c[column], dialect),
                )
            )
            is not None
        ]
        if not matches:
            return None
        where = sa.or_(*matches)
        if TENANT in identity and mapping.tenant:
            tenant = self.finder.tenant_condition(
                self.graph.store_id, table, mapping.tenant, identity[TENANT]
            )
            where = sa.and_(where, tenant)
        return where

    def add(self, table: str, row: tuple[Any, ...], context: str | None, via: str) -> bool:
        """Record a row; True when it is new (or new in this context) and must be followed."""
        rows = self.rows(table)
        key = rows.key(row)
        if key in rows.rows:
            if _OWNING[via] < _OWNING[rows.via[key]]:
                # referenced data turns out to be owned (an address the person's order ships
                # to, and that their own record names): now it leads down too
                rows.via[key] = via
                rows.context[key] = context
                return True
            if rows.context[key] == context:
                return False
            rows.context[key] = context
            return True
        rows.keep(row)
        rows.context[key] = context
        rows.via[key] = via
        return True

    def hop(
        self, frontier: Mapping[str, Mapping[str | None, set[Key]]]
    ) -> dict[str, dict[str | None, set[Key]]]:
        # table -> [(column, values, context, via)]
        wanted: dict[str, list[tuple[str, set[Any], str | None, str]]] = defaultdict(list)
        for table, by_context in frontier.items():
            rows = self.rows(table)
            if rows.bulk is not None:
                # the frontier holds the referenced values newly found, not keys
                self.ascend_bulk(table, rows.bulk, by_context, wanted)
                continue
            for context, keys in by_context.items():
                # only owned rows lead down: referenced data (a product, an address the order
                # ships to) is never a bridge to the other rows that reference it
                owned = [k for k in keys if self.graph.leads_down(table, rows.via[k])]
                under_account = self.graph.is_organization(table)
                for edge in self.graph.children(table):
                    if owned and self.graph.may_descend(edge, context):
                        # a person table's rows hang only from the person's own record
                        own = self.graph.is_person_table(edge.child)
                        chosen = [k for k in owned if rows.via[k] == "identity"] if own else owned
                        values = rows.values(edge.target, chosen)
                        child_context = self.graph.context(edge.child, context)
                        how = "account" if under_account else "child"
                        wanted[edge.child].append((edge.column, values, child_context, how))
                for edge in self.graph.parents(table):
                    if self.graph.may_ascend(edge, context):
                        record = self.graph.is_person_table(edge.parent) or (
                            edge.parent == self.graph.tenant_table
                        )
                        # only the person's own record leads to the account it holds
                        ups = [k for k in keys if rows.via[k] == "identity"] if record else keys
                        values = rows.values(edge.column, ups)
                        parent_context = self.graph.context(edge.parent, context)
                        # along a self-reference, the parent is a peer row that must name us
                        how = "peer" if edge.parent == edge.child else "parent"
                        wanted[edge.parent].append((edge.target, values, parent_context, how))
        following: dict[str, dict[str | None, set[Key]]] = defaultdict(lambda: defaultdict(set))
        for table, conditions in wanted.items():
            if self.bulk and self.keep_bulk(table, conditions, following):
                continue
            if self.rows(table).bulk is not None:
                self.expand(table)
            by_column: dict[str, set[Any]] = defaultdict(set)
            for column, values, _, _ in conditions:
                by_column[column] |= values
            columns = self.rows(table).columns
            for row in self.select_batched(table, by_column):
                for column, values, context, via in conditions:
                    if (
                        row[columns.index(column)] in values
                        and self.belongs(table, row, via)
                        and self.add(table, row, context, "parent" if via == "peer" else via)
                    ):
                        following[table][context].add(self.rows(table).key(row))
        return following

    def keep_bulk(
        self,
        table: str,
        conditions: list[tuple[str, set[Any], str | None, str]],
        following: dict[str, dict[str | None, set[Key]]],
    ) -> bool:
        """Keep the rows of an end table as a :class:`Bulk` when that is exact; True if kept.

        The frontier then gets the referenced values that have rows, to go back along the
        reference as rows would.
        """
        if not self.graph.is_end(table):
            return False
        shapes = {(column, context, via) for column, _, context, via in conditions}
        if len(shapes) != 1:
            return False
        ((column, context, via),) = shapes
        rows = self.rows(table)
        if via not in ("child", "account") or rows.keyed:
            return False
        if rows.bulk is not None and (self.bulk_context[table], self.bulk_via[table]) != (
            context,
            via,
        ):
            return False
        known = set(rows.bulk.values) if rows.bulk is not None else set()
        values = set().union(*(v for _, v, _, _ in conditions)) - known
        if len(values) + len(known) > self.finder.batch:
            return False  # read by key, in batches, as any table
        counts = self.bulk_counts.setdefault(table, {})
        new = self.count_by(table, column, values)
        counts.update(new)
        self.bulk_context[table] = context
        self.bulk_via[table] = via
        if counts:
            kept = tuple(sorted(counts, key=repr))
            rows.bulk = Bulk(column, kept, sum(counts.values()))
        if new:
            following[table][context].update(new)
        return True

    def count_by(self, table: str, column: str, values: set[Any]) -> dict[Any, int]:
        """How many rows hold each of ``values`` in ``column`` (those that some row holds)."""
        if not values:
            return {}
        key = (self.graph.store_id, table, "bulk", column)
        statement = self.finder.statements.get(key)
        if statement is None:
            c = self.tables[table].c[column]
            statement = (
                sa.select(c, sa.func.count())
                .where(c.in_(sa.bindparam("values", expanding=True)))
                .group_by(c)
            )
            self.finder.statements[key] = statement
        self.found.queries += 1
        params = {"values": sorted(values, key=repr)}
        return {value: int(n) for value, n in self.connection.execute(statement, params)}

    def ascend_bulk(
        self,
        table: str,
        bulk: Bulk,
        by_context: Mapping[str | None, set[Any]],
        wanted: dict[str, list[tuple[str, set[Any], str | None, str]]],
    ) -> None:
        """Go back along the one reference of a :class:`Bulk`, as :meth:`hop` would from rows
        reached as children (so never to a person's or client's record)."""
        for context, values in by_context.items():
            for edge in self.graph.parents(table):
                record = self.graph.is_person_table(edge.parent) or (
                    edge.parent == self.graph.tenant_table
                )
                if (
                    edge.column == bulk.column
                    and not record
                    and self.graph.may_ascend(edge, context)
                ):
                    parent_context = self.graph.context(edge.parent, context)
                    wanted[edge.parent].append((edge.target, set(values), parent_context, "parent"))

    def expand(self, table: str) -> TableRows:
        """Read a :class:`Bulk`'s rows back as rows, found the way the bulk was."""
        rows = self.rows(table)
        bulk, context = rows.bulk, self.bulk_context.pop(table)
        via = self.bulk_via.pop(table)
        assert bulk is not None
        rows.bulk = None
        self.bulk_counts.pop(table, None)
        where = self.finder.bulk_condition(self.graph.store_id, table, bulk)
        for row in self.select(table, where):
            self.add(table, row, context, via)
        return rows

    def select_batched(
        self, table: str, by_column: Mapping[str, set[Any]]
    ) -> Iterator[tuple[Any, ...]]:
        """Rows whose column is in its value set, one query per batch of values."""
        pending = [(column, sorted(values, key=repr)) for column, values in by_column.items()]
        pending = [(column, values) for column, values in pending if values]
        while pending:
            budget = self.finder.batch
            batch: dict[str, list[Any]] = {}
            rest = []
            for column, values in pending:
                if budget <= 0:
                    rest.append((column, values))
                    continue
                take, leave = values[:budget], values[budget:]
                budget -= len(take)
                batch[column] = take
                if leave:
                    rest.append((column, leave))
            pending = rest
            yield from self.select_in(table, "hop", batch)

    def belongs(self, table: str, row: tuple[Any, ...], via: str) -> bool:
        """Whether a row reached from the person's data is theirs; marks it shared if not only.

        A row that names only other people as its owners is theirs, not the person's, however
        it was reached: a colleague's order filed under the person's order, the colleague's
        parent order, the card another customer paid one of the person's orders with. A row
        naming the person and other people is shared.
        """
        columns = self.rows(table).columns
        ours = others = 0
        for edge in self.graph.owner_edges(table):
            value = row[columns.index(edge.column)]
            if value is None:
                continue
            parent_rows = self.found.tables.get((self.graph.store_id, edge.parent))
            if parent_rows is not None and value in parent_rows.value_set(edge.target):
                ours += 1
            else:
                others += 1
        if others and not ours:
            return False  # another person's row, however it was reached
        if others:
            rows = self.rows(table)
            rows.shared[rows.key(row)] = "refers to other people"
        return True


_OWNING = {"identity": 0, "child": 1, "account": 1, "peer": 2, "parent": 2}
"""How strongly a way of reaching a row makes it the person's: the lower, the stronger."""
