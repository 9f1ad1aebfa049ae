"""Finding every row about a person, across all mapped tables and stores.

Set-based: identity columns are queried once per table, then references are followed hop by
hop in both directions (see :mod:`registre.requests.graph` for which ones), with one query per
table per hop whose keys are batched into ``IN`` lists; never a walk row by row. Cycles end
because a row already found is not followed again. After the walk, one grouped count per
reference tells which of the person's rows other rows still point to: those are *shared* (an
address or a meeting used by other people) or *pinned* (the person's own record, which rows
that are not theirs reference); neither may simply be deleted.

For reading only (an access or portability request), ``find(..., bulk=True)`` keeps the rows of
a table at the end of the references as their condition and a count (:class:`Bulk`) instead of
their keys: a device's 100,000 geolocation points cost a grouped count in the search and a
streamed read in the export, and memory does not grow with them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from registre._exceptions import MappingError
from registre.engine import identities
from registre.engine.record_keys import key_in, typed_value
from registre.register.model import Register
from registre.requests.graph import StoreGraph, build_graphs
from registre.requests.identity import TENANT, Identity
from registre.requests.search_results import BATCH, Bulk, Found, Key, Labels, TableRows
from registre.requests.store_search import Walk

__all__ = ["BATCH", "Bulk", "Finder", "Found", "Key", "Labels", "Reading", "TableRows"]


class Finder:
    """Finds a person's rows; reuse one finder for many requests (it caches reflection)."""

    def __init__(self, register: Register, engines: Mapping[str, Engine], batch: int = BATCH):
        self.register = register
        self.engines = dict(engines)
        self.batch = batch
        self.graphs = build_graphs(register)
        self.graphs_by_id = {graph.store_id: graph for graph in self.graphs}
        self._tables: dict[str, dict[str, sa.Table]] = {}
        # statements by (store, table, shape), values bound at execution: building and
        # hashing a statement costs about as much client time as running it
        self.statements: dict[tuple[Any, ...], Any] = {}

    def tables(self, graph: StoreGraph) -> dict[str, sa.Table]:
        """The mapped tables of a store, reflected once."""
        if graph.store_id not in self._tables:
            engine = self.engine(graph.store_id)
            meta = sa.MetaData()
            names = list(graph.store.tables)
            try:
                meta.reflect(engine, only=names)
            except sa.exc.InvalidRequestError as error:
                raise MappingError(
                    f"store {graph.store_id!r}: {error}",
                    hint="run `registre check-mapping` to compare the register with the database",
                ) from None
            self._tables[graph.store_id] = {name: meta.tables[name] for name in names}
        return self._tables[graph.store_id]

    def engine(self, store_id: str) -> Engine:
        try:
            return self.engines[store_id]
        except KeyError:
            raise MappingError(
                f"no database connection for store {store_id!r}",
                hint="set the store's URL environment variable or pass --url",
            ) from None

    def reading(self) -> Reading:
        """Connections for one request's reads: its search, then its export."""
        return Reading(self)

    def find(
        self, identity: Identity, reading: Reading | None = None, *, bulk: bool = False
    ) -> Found:
        """Every row about the person; on ``reading``'s connections when given.

        ``bulk``: tables at the end of the references may be kept as a :class:`Bulk` (for an
        export, which reads them by :meth:`conditions`); never for a use that needs keys.
        """
        found = Found(identity)
        with ExitStack() as stack:
            if reading is None:
                reading = stack.enter_context(self.reading())
            for graph in self.graphs:
                connection = reading.connection(graph.store_id)
                Walk(self, graph, connection, found, bulk=bulk).run(identity)
        return found

    def conditions(self, rows: TableRows) -> Iterator[Any]:
        """SQL conditions that together select exactly ``rows``, each for at most a batch.

        By key for rows found one by one; the table's condition for a :class:`Bulk`.
        """
        graph = self.graphs_by_id[rows.store]
        table = self.tables(graph)[rows.table]
        if rows.bulk is not None:
            yield self.bulk_condition(rows.store, rows.table, rows.bulk)
            return
        pk = [table.c[c] for c in graph.mapping(rows.table).key_columns()]
        try:
            keys = sorted(rows.rows)
        except TypeError:  # keys of mixed types, or parts of a key that are NULL
            keys = sorted(rows.rows, key=repr)
        for start in range(0, len(keys), self.batch):
            yield key_in(pk, keys[start : start + self.batch])

    def bulk_condition(self, store: str, table: str, bulk: Bulk) -> ColumnElement[bool]:
        """The condition selecting a :class:`Bulk`'s rows."""
        graph = self.graphs_by_id[store]
        where: ColumnElement[bool] = self.tables(graph)[table].c[bulk.column].in_(bulk.values)
        if bulk.tenant is not None:
            path = graph.mapping(table).tenant
            assert path is not None  # only tables with a tenant are split by client
            # == None is IS NULL: the rows whose client is unknown
            where = sa.and_(where, self.tenant_expression(store, table, path) == bulk.tenant[0])
        return where

    def tenant_expression(self, store: str, table: str, path: str) -> ColumnElement[Any]:
        """A row's client as SQL: the ``tenant`` column, or a subquery along ``a.b.column``."""
        graph = self.graphs_by_id[store]
        tables = self.tables(graph)
        head, _, rest = path.partition(".")
        if not rest:
            return tables[table].c[head]
        reference = graph.mapping(table).references[head]
        parent = tables[reference.table]
        target = reference.target or graph.mapping(reference.table).key_columns()[0]
        inner = self.tenant_expression(store, reference.table, rest)
        return (
            sa.select(inner)
            .where(parent.c[target] == tables[table].c[reference.column])
            .limit(1)
            .scalar_subquery()
        )

    def tenant_condition(
        self, store: str, table: str, path: str, value: Any
    ) -> ColumnElement[bool]:
        """Rows whose client (the ``tenant`` column or path, such as ``device.account_id``)
        is ``value``: as read from the database, or as text (typed as the column is)."""
        graph = self.graphs_by_id[store]
        tables = self.tables(graph)
        head, _, rest = path.partition(".")
        if not rest:
            column = tables[table].c[head]
            typed = typed_value(column, value) if isinstance(value, str) else value
            return column.in_([typed] if typed is not None else [])
        reference = graph.mapping(table).references[head]
        parent = tables[reference.table]
        target = reference.target or graph.mapping(reference.table).key_columns()[0]
        inner = sa.select(parent.c[target]).where(
            self.tenant_condition(store, reference.table, rest, value)
        )
        return tables[table].c[reference.column].in_(inner)


def own_identities(finder: Finder, found: Found) -> list[tuple[str, str]]:
    """The identities found in the person's own rows, and those the request gave, as
    ``(kind, value)`` pairs normalized as requests and holds record them.

    Own rows are those reached by an identity or hanging from the person's record, not shared
    with others, outside the table of client companies. Every mapped column of a kind counts
    (``email: [email, alt_email]``), read as the matcher reads it
    (:func:`registre.engine.identities.stored_identity`): a restriction or a hold recorded
    from them finds the same people a request finds. An invalid phone number is left out.
    """
    pairs = {(k, v) for k, v in found.identity.items() if k != TENANT}
    for rows in found:
        if not rows.rows:
            continue
        graph = finder.graphs_by_id[rows.store]
        mapping = graph.mapping(rows.table)
        if not mapping.identity or rows.table == graph.tenant_table:
            continue
        own = [k for k in rows.rows if rows.via[k] != "parent" and k not in rows.shared]
        for kind, column in mapping.identity_columns():
            if kind == TENANT:
                continue
            for value in rows.values(column, own):
                text = identities.stored_identity(kind, value)
                if text:
                    pairs.add((kind, text))
    return sorted(pairs)


class Reading:
    """One connection per store, opened on first use and closed together.

    A request reads the same stores several times (the search, then the rows it exports); each
    new connection costs round trips (check-out, BEGIN, ROLLBACK on return) that show at a few
    milliseconds a request.
    """

    def __init__(self, finder: Finder) -> None:
        self.finder = finder
        self._stack = ExitStack()
        self._connections: dict[str, Connection] = {}

    def connection(self, store_id: str) -> Connection:
        if store_id not in self._connections:
            engine = self.finder.engine(store_id)
            self._connections[store_id] = self._stack.enter_context(engine.connect())
        return self._connections[store_id]

    def release(self) -> None:
        """Close the connections (before writing to the stores); later reads open new ones."""
        self._stack.close()
        self._connections.clear()

    def __enter__(self) -> Reading:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
