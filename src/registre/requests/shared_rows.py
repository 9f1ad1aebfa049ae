"""Which of the person's rows other people's data also uses, decided once a store is walked.

A row that rows outside the person's point at is *pinned* (the person's own record, which an
order of someone else's references) or *shared* (an address or a meeting used by other people):
neither may simply be deleted (:mod:`registre.requests.erase`). One grouped count per
reference says it (:meth:`SharedRows.count_referencing`), and rows hanging from a shared row
the person owns are shared too (:meth:`SharedRows.inherit_shared`).

:class:`SharedRows` is the part of a store's search (:class:`registre.requests.store_search.Walk`)
that runs after the walk; :class:`Searcher` is what both ask of the finder.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from registre.requests.graph import Edge, StoreGraph
from registre.requests.search_results import Bulk, Found, TableRows


class Searcher(Protocol):
    """What a store's search needs of the finder (:class:`registre.requests.find.Finder`):
    its reflected tables, its cache of statements, and the conditions it builds."""

    batch: int
    statements: dict[tuple[Any, ...], Any]

    def tables(self, graph: StoreGraph) -> dict[str, sa.Table]: ...

    def bulk_condition(self, store: str, table: str, bulk: Bulk) -> ColumnElement[bool]: ...

    def tenant_condition(
        self, store: str, table: str, path: str, value: Any
    ) -> ColumnElement[bool]: ...


class SharedRows:
    """After the walk of one store: which of the person's rows are shared or pinned."""

    finder: Searcher
    graph: StoreGraph
    connection: Connection
    found: Found
    tables: dict[str, sa.Table]
    bulk_counts: dict[str, dict[Any, int]]

    def expand(self, table: str) -> TableRows:
        """Read back as rows a table kept as a condition (the search's own)."""
        raise NotImplementedError

    def mark_shared(self) -> None:
        """Count, per reference, the rows pointing at the person's rows that are not theirs."""
        store = self.graph.store_id
        tasks = []
        for (owner_store, table), rows in list(self.found.tables.items()):
            if owner_store != store or not rows.count or self.context_only(table, rows):
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
            if child_rows is not None and child_rows.bulk is not None:
                # an end table's one reference: the person's rows are all that hold its values
                for value, n in self.bulk_counts.get(edge.child, {}).items():
                    ours[str(value)] += n
            elif child_rows is not None:
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

    def context_only(self, table: str, rows: TableRows) -> bool:
        """Whether the rows are only context: a catalogue's, or referenced rows holding nothing
        personal (an undeclared product table). Who else references them changes nothing (a
        request never changes them), and counting the buyers of a popular product would cost a
        scan of its order lines at every request."""
        if self.graph.is_catalogue(table):
            return True
        mapping = self.graph.mapping(table)
        if mapping.columns or mapping.identity or rows.bulk is not None:
            return False
        return all(rows.via[key] == "parent" for key in rows.rows)

    def inherit_shared(self) -> None:
        """Rows hanging from a shared row the person owns (a shared meeting's notes) are shared
        too; never those that merely reference a shared row (the person's items of a product
        others bought too).

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
                # only a shared row the person owns holds content (a shared meeting's notes);
                # a referenced one (a product others bought too) holds nobody's rows
                leading = [
                    k for k in parent.shared if self.graph.leads_down(edge.parent, parent.via[k])
                ]
                shared_targets = parent.values(edge.target, leading)
                if child.bulk is not None:
                    if not shared_targets & set(child.bulk.values):
                        continue
                    # some of them hang from a shared row: they are told apart row by row
                    self.expand(edge.child)
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
