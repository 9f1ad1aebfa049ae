"""Whether a client's contract still runs at the instant of an erasure (Art. 17(1)(a), 17(3)).

A person who holds a client's account (an account holder) may ask for its erasure while the
client company still uses the service: the account's records about such people (its payment
methods, its invoices) are then still necessary for the contract and belong to the company,
not to the person. They are kept, and the letter says why; once the contract has ended, they
are decided like any of the person's rows.

A contract runs while none of the client record's end events has happened: its
``contract_ended`` column (``tenants``) and the event columns of the client table itself (an
account's ``deleted_at``, its ``subscription_ends_at``), each NULL or later than the instant.
Naive timestamps are read as UTC, as the sweep reads them.

Reads only, on the search's connections.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from registre.engine.record_keys import key_in, key_of
from registre.register.model import Register
from registre.requests.find import Finder, Found, Key, Reading

Running = dict[str, set[Key]]
"""Per store, the keys of the client records whose contract still runs."""


def running_contracts(
    register: Register, finder: Finder, found: Found, at: datetime, reading: Reading
) -> Running:
    """The client records found for the person whose contract runs at ``at``."""
    out: Running = {}
    for graph in finder.graphs:
        tenants = graph.store.tenants
        rows = found.tables.get((graph.store_id, tenants.table)) if tenants else None
        if tenants is None or rows is None or rows.bulk is not None or not rows.rows:
            continue
        mapping = graph.mapping(tenants.table)
        ends = [c for c in mapping.events.values() if "." not in c]
        if tenants.contract_ended:
            ends.append(tenants.contract_ended)
        ends = list(dict.fromkeys(ends))
        keys = sorted(rows.rows, key=repr)
        if not ends:
            out[graph.store_id] = set(keys)  # nothing says it ended: it runs
            continue
        table = finder.tables(graph)[tenants.table]
        key_columns = [table.c[c] for c in mapping.key_columns()]
        width = len(key_columns)
        query = sa.select(*key_columns, *[table.c[c] for c in ends]).where(
            key_in(key_columns, keys)
        )
        found.queries += 1
        running = {
            key_of(row, width)
            for row in reading.connection(graph.store_id).execute(query)
            if all(not _happened(value, at) for value in row[width:])
        }
        out[graph.store_id] = running
    return out


def _happened(value: Any, at: datetime) -> bool:
    """Whether an end event's value is at or before ``at`` (NULL: not happened)."""
    if value is None:
        return False
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment <= at
    if isinstance(value, date):
        return value <= at.date()
    return True  # a value we cannot read as a time: ended, so nothing is kept on a guess
