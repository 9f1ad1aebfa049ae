"""Finding every row about a person, across all mapped tables and stores.

Set-based: identity columns are queried once per table, then references are followed hop by
hop in both directions (see :mod:`registre.requests.graph` for which ones), with one query per
table per hop whose keys are batched into ``IN`` lists; never a walk row by row. Cycles end
because a row already found is not followed again. After the walk, one grouped count per
reference tells which of the person's rows other rows still point to: those are *shared* (an
address or a meeting used by other people) or *pinned* (the person's own record, which rows
that are not theirs reference); neither may simply be deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from registre._exceptions import MappingError
from registre.register.model import Register
from registre.requests.found import BATCH, Found, Key, Labels, TableRows
from registre.requests.graph import StoreGraph, build_graphs
from registre.requests.identity import Identity
from registre.requests.walk import Walk

__all__ = ["BATCH", "Finder", "Found", "Key", "Labels", "Reading", "TableRows"]


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

    def find(self, identity: Identity, reading: Reading | None = None) -> Found:
        """Every row about the person; on ``reading``'s connections when given."""
        found = Found(identity)
        with ExitStack() as stack:
            if reading is None:
                reading = stack.enter_context(self.reading())
            for graph in self.graphs:
                Walk(self, graph, reading.connection(graph.store_id), found).run(identity)
        return found


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
