"""The controllers we act for, read from the live database for the Art. 30(2)(a) record.

A multi-client service's register cannot list its clients: they come and go every day. Where
a store's mapping names its ``tenants`` table, ``registre ropa --connect`` reads each client's
name, registration number and contacts from it, the way a forwarded request finds its
controller (:mod:`registre.requests.controllers`). Reads only, one query per store.
"""

from __future__ import annotations

import sqlalchemy as sa

from registre.documents.ropa import Client
from registre.register.model import Register
from registre.requests.controllers import CONTACT_HINTS, NAME_COLUMNS, REGISTRATION_COLUMNS
from registre.stores import connect


def live_clients(register: Register, urls: dict[str, str] | None = None) -> list[Client]:
    """Every client of every store with a ``tenants`` table, in the order of their keys.

    ``urls``: a URL per store id, else each store's ``url_env``.
    """
    clients = []
    for store_id, store in register.stores.items():
        tenants = store.tenants
        if tenants is None:
            continue
        engine = connect(register, store_id, (urls or {}).get(store_id))
        try:
            table = sa.Table(tenants.table, sa.MetaData(), autoload_with=engine)
            with engine.connect() as connection:
                rows = connection.execute(sa.select(table).order_by(table.c[tenants.key]))
                clients += [_client(dict(row), str(row[tenants.key])) for row in rows.mappings()]
        finally:
            engine.dispose()
    return clients


def _client(row: dict[str, object], key: str) -> Client:
    names = [c for c in NAME_COLUMNS if c in row] + [c for c in row if "name" in c.lower()]
    name = next((str(row[c]).strip() for c in names if row[c]), None)
    registration = next(
        (f"{label} {row[c]}" for c, label in REGISTRATION_COLUMNS.items() if row.get(c)), ""
    )
    contacts = tuple(
        str(row[c]).strip()
        for hint in CONTACT_HINTS
        for c in row
        if hint in c.lower() and row[c] and str(row[c]).strip()
    )
    return Client(name or f"#{key}", registration, contacts)
