"""The controllers of the data we hold as a processor: who they are, as our data knows them.

In a multi-client service each client company is the controller of its own users' data; a
request about that data goes to that client (Art. 28(3)(e)), and the person is told which one.
The client of each row is read through the table's ``tenant`` (a column, or a path such as
``device.account_id``), then the client's own row in the store's ``tenants`` table gives its
name, its registration number and whatever contact it holds (emails, phone numbers, addresses),
recognised by their column names. The rows of each client are kept apart: a client's letter
never shows what another client holds about the same person.

Reads only: one query per table of the person's processed rows, one per table of clients.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from registre.engine.record_keys import key_of
from registre.requests.find import Finder, Found, Key, TableRows

NAME_COLUMNS = ("company_name", "legal_name", "name", "display_name", "organization_name")
"""Columns naming a client, in order of preference (else the first column with 'name')."""
REGISTRATION_COLUMNS = {"siren": "SIREN", "siret": "SIRET", "vat_number": "VAT", "vat": "VAT"}
CONTACT_HINTS = ("email", "phone", "address")


@dataclass
class Controller:
    """One client company or professional, controller of part of the person's data."""

    store: str | None
    key: Any
    """Its key in the table of clients; None when the rows' client is unknown."""
    name: str | None = None
    registration: tuple[str, str] | None = None
    """(label, number), such as ("SIREN", "812345676")."""
    contacts: list[str] = field(default_factory=list)
    found: Found | None = None
    """The person's rows that belong to this client."""

    def as_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "tenant": self.key,
            "name": self.name,
            "registration": list(self.registration) if self.registration else None,
            "contacts": self.contacts,
            "rows": self.found.summary() if self.found else {},
        }


def controllers(finder: Finder, processed: Found) -> list[Controller]:
    """The clients the processed rows belong to, each with its share of the rows.

    Rows whose client cannot be told (a table without ``tenant``) go to one controller whose
    key is None, described by the register alone.
    """
    groups: dict[tuple[str | None, Any], dict[tuple[str, str], TableRows]] = defaultdict(dict)
    for rows in processed:
        if not rows.count:
            continue
        for tenant, part in _tenant_groups(finder, rows).items():
            group = (rows.store, tenant) if tenant is not None else (None, None)
            groups[group][(rows.store, rows.table)] = part
    out = []
    for (store, tenant), tables in sorted(groups.items(), key=lambda g: repr(g[0])):
        found = Found(processed.identity)
        found.tables.update(tables)
        controller = Controller(store, tenant, found=found)
        if store is not None:
            _describe(finder, controller)
        out.append(controller)
    return out


def _tenant_groups(finder: Finder, rows: TableRows) -> dict[Any, TableRows]:
    """The rows' client keys (None when the table does not say), each with its rows.

    The usual case, a person's rows in a table belonging to one client, is told by reading
    only the distinct clients and needs no copy; rows kept as a condition (a device's 100,000
    points) are counted by client and narrowed by condition, never mapped key by key.
    """
    graph = finder.graphs_by_id[rows.store]
    mapping = graph.mapping(rows.table)
    if not mapping.tenant or graph.store.tenants is None:
        return {None: rows}
    expression = finder.tenant_expression(rows.store, rows.table, mapping.tenant)
    with finder.engine(rows.store).connect() as connection:
        if rows.bulk is not None:
            where = finder.bulk_condition(rows.store, rows.table, rows.bulk)
            inner = sa.select(expression.label("tenant")).where(where).subquery()
            counts: dict[Any, int] = dict(
                connection.execute(
                    sa.select(inner.c.tenant, sa.func.count()).group_by(inner.c.tenant)
                ).all()
            )
            if len(counts) <= 1:
                return {tenant: rows for tenant in counts}
            return {
                tenant: TableRows(
                    rows.store,
                    rows.table,
                    rows.columns,
                    width=rows.width,
                    bulk=replace(rows.bulk, count=int(n), tenant=(tenant,)),
                )
                for tenant, n in counts.items()
            }
        conditions = list(finder.conditions(rows))
        clients = sa.select(expression).distinct()
        tenants = {
            t for where in conditions for t in connection.execute(clients.where(where)).scalars()
        }
        if len(tenants) == 1:
            return {tenants.pop(): rows}
        live = finder.tables(graph)[rows.table]
        pk = [live.c[column] for column in mapping.key_columns()]
        grouped: dict[Any, list[Key]] = defaultdict(list)
        for where in conditions:
            for row in connection.execute(sa.select(*pk, expression).where(where)):
                grouped[row[-1]].append(key_of(row, len(pk)))
    return {tenant: _subset(rows, keys) for tenant, keys in grouped.items()}


def _subset(rows: TableRows, keys: list[Key]) -> TableRows:
    part = TableRows(rows.store, rows.table, rows.columns, width=rows.width)
    part.keyed = {k: rows.rows[k] for k in keys}
    part.shared = {k: v for k, v in rows.shared.items() if k in part.keyed}
    return part


def describe(finder: Finder, store: str | None, key: Any) -> Controller:
    """The client ``key`` of ``store`` (from a request's record), described from its row."""
    controller = Controller(store, key)
    if store is not None and store in finder.graphs_by_id:
        _describe(finder, controller)
    return controller


def _describe(finder: Finder, controller: Controller) -> None:
    """Fill in the client's name, registration and contacts from its row, when it has one."""
    graph = finder.graphs_by_id[controller.store or ""]
    tenants = graph.store.tenants
    if tenants is None or controller.key is None:
        return
    table = finder.tables(graph).get(tenants.table)
    if table is None:
        table = sa.Table(tenants.table, sa.MetaData(), autoload_with=finder.engine(graph.store_id))
    with finder.engine(graph.store_id).connect() as connection:
        row = (
            connection.execute(sa.select(table).where(table.c[tenants.key] == controller.key))
            .mappings()
            .first()
        )
    if row is None:
        return
    names = [c for c in NAME_COLUMNS if c in row] + [c for c in row if "name" in c.lower()]
    controller.name = next((str(row[c]).strip() for c in names if row[c]), None)
    controller.registration = next(
        ((label, str(row[c])) for c, label in REGISTRATION_COLUMNS.items() if row.get(c)),
        None,
    )
    controller.contacts = [
        str(row[c]).strip()
        for hint in CONTACT_HINTS
        for c in row
        if hint in c.lower() and row[c] and str(row[c]).strip()
    ]
