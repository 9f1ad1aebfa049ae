"""Who a breach affects, counted by query on the live databases from the mapping.

For each table the scope reaches, one ``GROUP BY`` query reads, for the rows in scope (in the
time window, of the client), the keys of the people they belong to, their client, and how many
rows hold a value of each data category reached. No personal value leaves the database: keys
and counts only. The identities of the people to inform are read afterwards, on demand
(:func:`people_to_inform`), from the people's own records and only their identity columns.

Whose a row is follows the requests' ownership graph (:mod:`registre.requests.graph`) upwards:
a location point is its device's, a device is its user's when assigned (else the device's own
record is the person: its phone number identifies someone), an invoice is the client
account's. A row whose owner cannot be named (a log whose manager was unlinked) is counted in
``unattributed``: it is in the records, not in the people.

A time window keeps the rows one of whose timestamps falls in it: the mapping's event columns
on the table itself and its other date or time columns (``created_at``, ``recorded_at``). A
table with none cannot be cut by time, and is refused with a window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from registre._exceptions import BreachError
from registre.breaches.scope import Scope
from registre.engine.record_keys import key_kind, typed_value
from registre.register.mapping import TableMapping
from registre.register.model import Register
from registre.requests.graph import Edge, StoreGraph, build_graphs

PersonKey = tuple[str, str, tuple[Any, ...]]
"""(store, person table, key values)."""
IDENTITY_BATCH = 500


@dataclass
class Tally:
    """Counts for the whole breach or one client."""

    people: dict[str, set[PersonKey]] = field(default_factory=lambda: defaultdict(set))
    records: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def as_json(self) -> dict[str, Any]:
        return {
            "people": {s: len(p) for s, p in sorted(self.people.items())},
            "records": dict(sorted(self.records.items())),
        }


@dataclass
class Affected:
    """What the scope reaches: counts, and each person's key with the categories reached."""

    total: Tally = field(default_factory=Tally)
    by_tenant: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unattributed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    persons: dict[PersonKey, tuple[str, str | None, set[str]]] = field(default_factory=dict)
    """Each person: (category of person, client, data categories reached)."""

    def as_json(self, at: datetime) -> dict[str, Any]:
        return {
            "counted_at": at.isoformat(),
            **self.total.as_json(),
            "rows": dict(sorted(self.rows.items())),
            "unattributed": dict(sorted(self.unattributed.items())),
            "tenants": {t: tally.as_json() for t, tally in sorted(self.by_tenant.items())},
        }


def count(register: Register, scope: Scope, engines: Mapping[str, Engine]) -> Affected:
    """Count the people and records the scope reaches, on the stores' live databases."""
    affected = Affected()
    graphs = {g.store_id: g for g in build_graphs(register)}
    reached = scope.tables(register)
    by_store: dict[str, list[tuple[str, tuple[str, ...] | None]]] = defaultdict(list)
    for (store_id, table), columns in reached.items():
        by_store[store_id].append((table, columns))
    for store_id, tables in by_store.items():
        graph = graphs[store_id]
        engine = engines[store_id]
        live = _reflect(engine, graph)
        for table, columns in tables:
            _count_table(affected, graph, live, engine, table, columns, scope)
    return affected


def _reflect(engine: Engine, graph: StoreGraph) -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    try:
        metadata.reflect(engine, only=list(graph.store.tables))
    except sa.exc.InvalidRequestError as error:
        raise BreachError(
            f"store {graph.store_id!r} does not hold every table its mapping names: {error}",
            hint="run `registre check --connect` to compare the mapping with the database",
        ) from None
    return dict(metadata.tables)


def owner_paths(graph: StoreGraph, table: str) -> list[tuple[Edge, ...]]:
    """The ways up from a row of ``table`` to the person it belongs to, preferred first.

    A row is its first path's person when that path's references are all set; the last
    path of a person table is the row itself.
    """
    subjects = graph.subjects(table)
    found: list[tuple[Edge, ...]] = []

    def walk(current: str, context: str | None, path: tuple[Edge, ...]) -> None:
        seen = {table, *(edge.parent for edge in path)}
        ups = [
            edge
            for edge in graph.parents(current)
            if edge.parent not in seen
            and not graph.is_catalogue(edge.parent)
            and graph.may_descend(edge, context)
        ]
        # a row naming its manager is the manager's; the client it also names is not a person
        others = [edge for edge in ups if edge.parent != graph.tenant_table]
        for edge in others or ups:
            walk(edge.parent, graph.context(edge.parent, context), (*path, edge))
        if graph.is_person_table(current):
            found.append(path)

    walk(table, subjects[0] if subjects else None, ())
    return found


def _count_table(
    affected: Affected,
    graph: StoreGraph,
    live: dict[str, sa.Table],
    engine: Engine,
    table: str,
    columns: tuple[str, ...] | None,
    scope: Scope,
) -> None:
    mapping = graph.mapping(table)
    base = live[table]
    joins = _Joins(base, graph, live)
    categories: dict[str, list[str]] = defaultdict(list)
    for column, category in mapping.columns.items():
        if columns is None or column in columns:
            categories[category].append(column)
    paths = owner_paths(graph, table)
    keys: list[list[ColumnElement[Any]]] = []
    terminals: list[str] = []
    for path in paths:
        alias, terminal = joins.along(path)
        terminals.append(terminal)
        keys.append([alias.c[c] for c in graph.mapping(terminal).key_columns()])
    tenant = joins.path(mapping.tenant) if mapping.tenant and graph.tenant_table else None
    labelled: list[ColumnElement[Any]] = []
    for i, key in enumerate(keys):
        labelled += [column.label(f"p{i}_{j}") for j, column in enumerate(key)]
    if tenant is not None:
        labelled.append(tenant.label("tenant"))
    sums = [
        sa.func.sum(sa.case((sa.or_(*(base.c[c].is_not(None) for c in cols)), 1), else_=0)).label(
            f"c{i}"
        )
        for i, cols in enumerate(categories.values())
    ]
    query = sa.select(*labelled, sa.func.count().label("n"), *sums).select_from(joins.clause())
    for condition in _conditions(base, mapping, scope, tenant, table):
        query = query.where(condition)
    if labelled:
        query = query.group_by(*labelled)
    name = f"{graph.store_id}.{table}"
    subject_of = {t: _subject(graph, t) for t in set(terminals)}
    with engine.connect() as connection:
        for row in connection.execute(query):
            n = int(row.n)
            if n == 0:
                continue
            affected.rows[name] += n
            client = str(row.tenant) if tenant is not None and row.tenant is not None else None
            reached = {
                category
                for i, category in enumerate(categories)
                if int(getattr(row, f"c{i}") or 0) > 0
            }
            tallies = [affected.total]
            if client is not None:
                tallies.append(affected.by_tenant[client])
            for i, category in enumerate(categories):
                holding = int(getattr(row, f"c{i}") or 0)
                for tally in tallies:
                    tally.records[category] += holding
            person = _person(row, keys, terminals, graph.store_id)
            if person is None:
                affected.unattributed[name] += n
                continue
            subject = subject_of[person[1]]
            for tally in tallies:
                tally.people[subject].add(person)
            known = affected.persons.get(person)
            if known is None:
                affected.persons[person] = (subject, client, set(reached))
            else:
                known[2].update(reached)


def _person(
    row: sa.Row[*tuple[Any, ...]],
    keys: list[list[ColumnElement[Any]]],
    terminals: list[str],
    store: str,
) -> PersonKey | None:
    for i, key in enumerate(keys):
        values = tuple(getattr(row, f"p{i}_{j}") for j in range(len(key)))
        if all(value is not None for value in values):
            return (store, terminals[i], values)
    return None


def _subject(graph: StoreGraph, table: str) -> str:
    subjects = graph.subjects(table)
    return subjects[0] if subjects else "unknown"


class _Joins:
    """LEFT JOINs from a table along references, each reference path joined once."""

    def __init__(self, base: sa.Table, graph: StoreGraph, live: dict[str, sa.Table]) -> None:
        self.base = base
        self.graph = graph
        self.live = live
        self._aliases: dict[tuple[tuple[str, str, str], ...], sa.FromClause] = {}
        self._order: list[tuple[sa.FromClause, ColumnElement[bool]]] = []

    def along(self, path: tuple[Edge, ...]) -> tuple[sa.FromClause, str]:
        """The alias of the table at the end of ``path``, and that table's name."""
        current: sa.FromClause = self.base
        table = self.base.name
        for depth in range(len(path)):
            edge = path[depth]
            step = tuple((e.column, e.parent, e.target) for e in path[: depth + 1])
            alias = self._aliases.get(step)
            if alias is None:
                alias = self.live[edge.parent].alias(f"j{len(self._aliases)}")
                self._aliases[step] = alias
                self._order.append((alias, current.c[edge.column] == alias.c[edge.target]))
            current, table = alias, edge.parent
        return current, table

    def path(self, column_path: str) -> ColumnElement[Any]:
        """A ``reference.column`` path of the mapping (``device.account_id``) as a column."""
        *names, column = column_path.split(".")
        table = self.base.name
        path: list[Edge] = []
        for name in names:
            reference = self.graph.mapping(table).references[name]
            target = reference.target or self.graph.mapping(reference.table).key_columns()[0]
            path.append(Edge(table, reference.column, reference.table, target))
            table = reference.table
        alias, _ = self.along(tuple(path))
        return alias.c[column]

    def clause(self) -> sa.FromClause:
        joined: sa.FromClause = self.base
        for alias, on in self._order:
            joined = joined.outerjoin(alias, on)
        return joined


def window_columns(base: sa.Table, mapping: TableMapping) -> list[str]:
    """The table's own timestamp columns: its events' and its other date or time columns."""
    own = [path for path in mapping.events.values() if "." not in path]
    mapped = [*mapping.columns, *mapping.not_personal]
    temporal = [
        name
        for name in mapped
        if name in base.c and isinstance(base.c[name].type, sa.DateTime | sa.Date)
    ]
    return [c for c in dict.fromkeys([*own, *temporal]) if c in base.c]


def _conditions(
    base: sa.Table,
    mapping: TableMapping,
    scope: Scope,
    tenant: ColumnElement[Any] | None,
    table: str,
) -> Iterator[ColumnElement[bool]]:
    if scope.since is not None or scope.until is not None:
        columns = window_columns(base, mapping)
        if not columns:
            raise BreachError(
                f"table {table!r} has no timestamp column in the mapping, so its rows cannot "
                "be cut by a time window",
                hint="scope it without --since/--until, or map its creation or change time "
                "(an event column, or created_at under not_personal)",
            )
        each = []
        for name in columns:
            column = base.c[name]
            bounds = []
            if scope.since is not None:
                bounds.append(column >= _bound(column, scope.since))
            if scope.until is not None:
                bounds.append(column < _bound(column, scope.until))
            each.append(sa.and_(column.is_not(None), *bounds))
        yield sa.or_(*each)
    if scope.tenant is not None:
        if tenant is None:
            raise BreachError(
                f"table {table!r} names no client ('tenant' in the mapping), so it cannot be "
                f"cut to client {scope.tenant!r}",
                hint="scope the breach without --tenant, or map the table's tenant column",
            )
        yield tenant == _typed(tenant, scope.tenant)


def _bound(column: ColumnElement[Any], moment: datetime) -> Any:
    """An aware instant as the column stores it: naive UTC, aware, or a date."""
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return moment if kind.timezone else moment.astimezone(UTC).replace(tzinfo=None)
    if isinstance(kind, sa.Date):
        return date(moment.year, moment.month, moment.day)
    return moment.astimezone(UTC).replace(tzinfo=None)


def _typed(column: ColumnElement[Any], value: str) -> Any:
    """A client named on the command line, as the tenants table's key column holds it."""
    typed = typed_value(column, value)
    if typed is None:
        kind, example = key_kind(column)
        raise BreachError(
            f"client {value!r} is not a key of the clients' table, whose keys are {kind}",
            hint=f"give the client's key as the tenants table holds it (for example {example})",
        )
    return typed


@dataclass(frozen=True)
class PersonToInform:
    """One person to tell of the breach: how to reach them, in which language."""

    subject: str
    client: str | None
    identities: dict[str, str]
    lang: str
    categories: tuple[str, ...]


def chosen_language(value: object, offered: list[str]) -> str:
    """The language a person chose, as the register offers it: 'fr', 'FR', 'fr-FR' and 'fr_CA'
    are French; a language the register does not offer, or none, is its first language."""
    if isinstance(value, str):
        base = value.strip().replace("_", "-").split("-")[0].lower()
        if base in offered:
            return base
    return offered[0]


def people_to_inform(
    register: Register, affected: Affected, engines: Mapping[str, Engine]
) -> list[PersonToInform]:
    """The identities of the people counted, read from their own records' identity columns
    only, in batches; each in the language their table's ``language`` column holds when the
    register offers it, else in the register's first language."""
    graphs = {g.store_id: g for g in build_graphs(register)}
    offered: list[str] = list(register.policy.languages)
    by_table: dict[tuple[str, str], list[PersonKey]] = defaultdict(list)
    for person in affected.persons:
        by_table[person[0], person[1]].append(person)
    found: list[PersonToInform] = []
    for (store_id, table), persons in sorted(by_table.items()):
        graph = graphs[store_id]
        mapping = graph.mapping(table)
        live = _reflect(engines[store_id], graph)[table]
        key = [live.c[c] for c in mapping.key_columns()]
        identity = mapping.identity_columns()
        columns = list(dict.fromkeys(column for _, column in identity))
        if mapping.language:
            columns = list(dict.fromkeys([*columns, mapping.language]))
        with engines[store_id].connect() as connection:
            for start in range(0, len(persons), IDENTITY_BATCH):
                batch = persons[start : start + IDENTITY_BATCH]
                values = [p[2] for p in batch]
                match = (
                    key[0].in_([v[0] for v in values])
                    if len(key) == 1
                    else sa.tuple_(*key).in_(values)
                )
                query = sa.select(*key, *(live.c[c] for c in columns)).where(match)
                for row in connection.execute(query):
                    person = (store_id, table, tuple(row[: len(key)]))
                    subject, client, categories = affected.persons[person]
                    held = dict(zip(columns, row[len(key) :], strict=True))
                    identities = {
                        kind: str(held[column])
                        for kind, column in identity
                        if held[column] is not None
                    }
                    lang = chosen_language(
                        held[mapping.language] if mapping.language else None, offered
                    )
                    found.append(
                        PersonToInform(subject, client, identities, lang, tuple(sorted(categories)))
                    )
    return found
