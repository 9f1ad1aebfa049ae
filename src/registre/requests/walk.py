"""One store's search for a person's rows, hop by hop (see :mod:`registre.requests.find`).

Statements are built once per table and shape (which columns are matched) and kept by the
finder, with the values bound at execution: building and hashing a statement costs about as
much client time as running it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registre.engine.sql import typed_value
from registre.requests.found import Found, Key, TableRows
from registre.requests.graph import Edge, StoreGraph
from registre.requests.identity import TENANT, Identity, variants

if TYPE_CHECKING:
    from registre.requests.find import Finder


class Walk:
    """One store's search, hop by hop."""

    def __init__(self, finder: Finder, graph: StoreGraph, connection: Connection, found: Found):
        self.finder = finder
        self.graph = graph
        self.connection = connection
        self.found = found
        self.tables = finder.tables(graph)

    def rows(self, table: str) -> TableRows:
        key = (self.graph.store_id, table)
        if key not in self.found.tables:
            columns = self.graph.needed_columns(table)
            self.found.tables[key] = TableRows(self.graph.store_id, table, columns)
        return self.found.tables[key]

    def select(self, table: str, where: Any) -> Iterator[tuple[Any, ...]]:
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

    def execute(self, statement: Any, params: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
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
                wanted = {
                    column: _coerce(t.c[column], variants(kind, identity[kind]))
                    for kind, column in mapping.identity.items()
                    if kind in identity and kind != TENANT
                }
                if not wanted:
                    continue
                found = self.select_in(table, "identity", wanted)
            for row in found:
                if self.add(table, tuple(row), mapping.subject, "identity"):
                    frontier[table][mapping.subject].add(row[0])
        while frontier:
            frontier = self.hop(frontier)
        self.mark_shared()

    def identity_condition(self, table: str, identity: Identity) -> Any:
        mapping = self.graph.mapping(table)
        t = self.tables[table]
        matches = [
            t.c[column].in_(_coerce(t.c[column], variants(kind, identity[kind])))
            for kind, column in mapping.identity.items()
            if kind in identity and kind != TENANT
        ]
        matches = [m for m in matches if m is not None]
        if not matches:
            return None
        where = sa.or_(*matches)
        if TENANT in identity and mapping.tenant:
            where = sa.and_(where, self.tenant_condition(table, mapping.tenant, identity[TENANT]))
        return where

    def tenant_condition(self, table: str, path: str, value: str) -> Any:
        t = self.tables[table]
        head, _, rest = path.partition(".")
        if not rest:
            return t.c[head].in_(_coerce(t.c[head], [value]))
        reference = self.graph.mapping(table).references[head]
        parent = self.tables[reference.table]
        target = reference.target or self.graph.mapping(reference.table).primary_key
        inner = sa.select(parent.c[target]).where(
            self.tenant_condition(reference.table, rest, value)
        )
        return t.c[reference.column].in_(inner)

    def add(self, table: str, row: tuple[Any, ...], context: str | None, via: str) -> bool:
        """Record a row; True when it is new (or new in this context) and must be followed."""
        rows = self.rows(table)
        key = row[0]
        if key in rows.rows:
            if rows.context[key] == context:
                return False
            rows.context[key] = context
            return True
        rows.keep(row)
        rows.context[key] = context
        rows.via[key] = via
        return True

    def hop(self, frontier: Mapping[str, Mapping[str | None, set[Key]]]) -> Any:
        # table -> [(column, values, context, via)]
        wanted: dict[str, list[tuple[str, set[Any], str | None, str]]] = defaultdict(list)
        for table, by_context in frontier.items():
            rows = self.rows(table)
            for context, keys in by_context.items():
                for edge in self.graph.children(table):
                    if self.graph.may_descend(edge, context):
                        # a person table's rows hang only from the person's own record
                        own = self.graph.is_person_table(edge.child)
                        chosen = [k for k in keys if rows.via[k] == "identity"] if own else keys
                        values = rows.values(edge.target, chosen)
                        child_context = self.graph.subject(edge.child) or context
                        wanted[edge.child].append((edge.column, values, child_context, "child"))
                for edge in self.graph.parents(table):
                    if self.graph.may_ascend(edge, context):
                        record = self.graph.is_person_table(edge.parent) or (
                            edge.parent == self.graph.tenant_table
                        )
                        # only the person's own record leads to the account it holds
                        chosen = [k for k in keys if rows.via[k] == "identity"] if record else keys
                        values = rows.values(edge.column, chosen)
                        parent_context = self.graph.subject(edge.parent) or context
                        # along a self-reference, the parent is a peer row that must name us
                        how = "peer" if edge.parent == edge.child else "parent"
                        wanted[edge.parent].append((edge.target, values, parent_context, how))
        following: dict[str, dict[str | None, set[Key]]] = defaultdict(lambda: defaultdict(set))
        for table, conditions in wanted.items():
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
                        following[table][context].add(row[0])
        return following

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

        A child row that names only other people as its owners is theirs, not the person's (a
        colleague's order filed under the person's order), and so is a row of the same table
        the person's row points to (the colleague's parent order); a parent row of another
        table the person's data points to is theirs too, shared when it names other people (a
        meeting someone else organised).
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
        if others and not ours and via in ("child", "peer"):
            return False
        if others:
            self.rows(table).shared[row[0]] = "refers to other people"
        return True

    def mark_shared(self) -> None:
        """Count, per reference, the rows pointing at the person's rows that are not theirs."""
        store = self.graph.store_id
        tasks = []
        for (owner_store, table), rows in list(self.found.tables.items()):
            if owner_store != store or not rows.rows:
                continue
            for edge in self.graph.children(table):
                targets = rows.values(edge.target)
                if targets:
                    tasks.append((table, rows, edge, targets))
        all_counts = self.count_referencing([(edge, targets) for _, _, edge, targets in tasks])
        for index_task, (table, rows, edge, _) in enumerate(tasks):
            counts = all_counts[index_task]
            child_rows = self.found.tables.get((store, edge.child))
            ours: dict[str, int] = defaultdict(int)
            if child_rows is not None:
                index = child_rows.columns.index(edge.column)
                for values in child_rows.rows.values():
                    if values[index] is not None:
                        ours[str(values[index])] += 1
            outside = {value for value, n in counts.items() if n > ours.get(value, 0)}
            if not outside:
                continue
            index = rows.columns.index(edge.target)
            # a person's or a client's record used by others is pinned, not shared content
            record_table = self.graph.is_person_table(table) or table == self.graph.tenant_table
            for key, values in rows.rows.items():
                if str(values[index]) in outside:
                    rows.pinned.add(key)
                    if not record_table:
                        rows.shared.setdefault(key, "also used by other people's data")
        self.inherit_shared()

    def inherit_shared(self) -> None:
        """Rows hanging from a shared row (a shared meeting's notes) are shared too.

        Rows that name their owner (an attendance row naming the person) stay the person's.
        """
        store = self.graph.store_id
        changed = True
        while changed:
            changed = False
            for edge in self.graph.edges:
                parent = self.found.tables.get((store, edge.parent))
                child = self.found.tables.get((store, edge.child))
                if (
                    not parent
                    or not child
                    or not parent.shared
                    or self.graph.owner_edges(edge.child)
                ):
                    continue
                shared_targets = parent.values(edge.target, parent.shared)
                index = child.columns.index(edge.column)
                for key, values in child.rows.items():
                    if (
                        key not in child.shared
                        and child.via[key] != "identity"
                        and values[index] in shared_targets
                    ):
                        child.shared[key] = "belongs to data shared with other people"
                        changed = True

    def count_referencing(self, tasks: list[tuple[Edge, set[Any]]]) -> list[dict[str, int]]:
        """Per (reference, values): how many rows hold each value, keyed by its text.

        One ``UNION ALL`` query for every reference at once when the values fit in one batch:
        a person's record has many references to it, and round trips dominate.
        """
        out: list[dict[str, int]] = [{} for _ in tasks]
        if not tasks:
            return out
        if sum(len(targets) for _, targets in tasks) <= self.finder.batch:
            key = (self.graph.store_id, "count", tuple(edge for edge, _ in tasks))
            query = self.finder.statements.get(key)
            if query is None:
                parts = []
                for number, (edge, _) in enumerate(tasks):
                    column = self.tables[edge.child].c[edge.column]
                    parts.append(
                        sa.select(
                            sa.literal(number).label("task"),
                            sa.cast(column, sa.String(200)).label("value"),
                            sa.func.count().label("n"),
                        )
                        .where(column.in_(sa.bindparam(f"count_{number}", expanding=True)))
                        .group_by(column)
                    )
                query = parts[0] if len(parts) == 1 else sa.union_all(*parts)
                self.finder.statements[key] = query
            params = {
                f"count_{number}": sorted(targets, key=repr)
                for number, (_, targets) in enumerate(tasks)
            }
            self.found.queries += 1
            for number, value, count in self.connection.execute(query, params):
                out[int(number)][str(value)] = int(count)
            return out
        for number, (edge, targets) in enumerate(tasks):
            column = self.tables[edge.child].c[edge.column]
            ordered = sorted(targets, key=repr)
            for start in range(0, len(ordered), self.finder.batch):
                chunk = ordered[start : start + self.finder.batch]
                self.found.queries += 1
                grouped = sa.select(column, sa.func.count()).where(column.in_(chunk))
                for value, count in self.connection.execute(grouped.group_by(column)):
                    out[number][str(value)] = int(count)
        return out


def _coerce(column: sa.Column[Any], values: list[str]) -> list[Any]:
    """Identity values typed as the column is (an id typed on the command line is text);
    a value the column cannot hold is left out."""
    typed = (typed_value(column, value) for value in values)
    return [value for value in typed if value is not None]
