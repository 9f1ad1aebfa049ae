"""What a legal hold names, checked against the register and the live database before it is placed.

A hold that protects nothing is worse than none: whoever placed it believes the data is kept.
A record hold must name a store the register declares, a table it maps, and the key of a row
that exists, written in the key column's type (sweeps compare ``42`` with an integer key and
would never match ``abc``; the key is stored as the sweep will compare it, ``042`` as ``42``,
a UUID in lower case, an instant in UTC: see :mod:`registre.engine.record_keys`).
A person hold must use identity kinds that some mapped table declares (``email``, ``phone``,
``customer_id``...); a value for an integer identity column must be a whole number, stored in
its plain form. And the person must have rows: some mapped table must hold one of the values,
matched as requests and sweeps match them (:mod:`registre.engine.identities`: an email in any
case, a phone number in any written form). A hold placed by a misspelt address would otherwise
be accepted, protect nothing, and let the next sweep delete what it was meant to keep. Once
placed, it also keeps what arrives later.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from registre._exceptions import StoreError
from registre.engine import identities
from registre.engine.record_keys import held_key, key_in, key_kind, key_text, typed_value
from registre.register.model import Register
from registre.stores.connect import connect

TEXT_KINDS = frozenset({"email", "phone"})
"""Identity kinds whose values are text whatever the column: normalized by the holds."""


def record_key(
    register: Register, store_id: str, table: str, key: str, *, url: str | None = None
) -> str:
    """The key of a record hold as sweeps compare it; StoreError when it would protect nothing."""
    if store_id not in register.stores:
        declared = ", ".join(sorted(register.stores)) or "none"
        raise StoreError(
            f"the register declares no store '{store_id}': the hold would protect nothing",
            hint=f"declared stores: {declared}",
        )
    store = register.stores[store_id]
    if table not in store.tables:
        close = difflib.get_close_matches(table, sorted(store.tables), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise StoreError(
            f"store '{store_id}' maps no table '{table}': the hold would protect nothing",
            hint=f"{hint}mapped tables: {', '.join(sorted(store.tables))}",
        )
    names = store.tables[table].key_columns()
    column = ", ".join(names)
    with _engine(register, store_id, url) as engine:
        key_columns = _columns(engine, store_id, table, names)
        value = held_key(key_columns, key.strip())
        if value is None:
            if len(key_columns) > 1:
                example = ", ".join(key_kind(c)[1] for c in key_columns)
                raise StoreError(
                    f"the key of '{table}' has several columns ({column}), and {key!r} is not "
                    "a list of one value for each: the hold would protect nothing",
                    hint=f"give the record's key as a JSON list, such as --key '[{example}]'",
                )
            kind, example = key_kind(key_columns[0])
            raise StoreError(
                f"the key of '{table}' ({column}) is {kind}, and {key!r} is not one: "
                "the hold would protect nothing",
                hint=f"give the record's primary key value, such as --key {example}",
            )
        query = sa.select(sa.literal(1)).where(key_in(key_columns, [value])).limit(1)
        try:
            with engine.connect() as connection:
                found = connection.execute(query).first() is not None
        except DBAPIError as error:
            raise _failed(store_id, error) from None
    if not found:
        raise StoreError(
            f"store '{store_id}' has no row of '{table}' with {column} {key_text(value)}: "
            "the hold would protect nothing",
            hint="check the key; a record is held while it exists, so hold one that does",
        )
    return key_text(value)


def person_identity(
    register: Register, identity: dict[str, str], *, url: str | None = None
) -> dict[str, str]:
    """The identity of a person hold as sweeps compare it; StoreError when a kind is unknown."""
    declared = identity_columns(register)
    kinds = ", ".join(sorted(declared)) or "none"
    checked = dict(identity)
    for kind, value in identity.items():
        if kind not in declared:
            raise StoreError(
                f"no table of the register's mapping has a '{kind}' identity: "
                "the hold would protect nothing",
                hint=f"identity kinds the mapping declares: {kinds}",
            )
        if kind in TEXT_KINDS:
            continue
        typed = _typed_in_some(register, declared[kind], value.strip(), url)
        if typed is None:
            raise StoreError(
                f"'{kind}' is a whole number in every table that declares it, and "
                f"{value!r} is not one: the hold would protect nothing",
                hint=f"give the person's {kind} as the database holds it, such as {kind}=42",
            )
        checked[kind] = str(typed)
    if not _has_rows(register, declared, checked, url):
        described = ", ".join(f"{kind} {value}" for kind, value in sorted(checked.items()))
        raise StoreError(
            f"no row of the mapped tables holds {described}: the hold would protect nothing",
            hint="check the value (emails match in any case, phone numbers in any written "
            "form); a person hold keeps data that exists, so place it once the person has rows",
        )
    return checked


def identity_columns(register: Register) -> dict[str, list[tuple[str, str, str]]]:
    """Each identity kind the mapping declares, with its (store, table, column)."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for store_id, store in register.stores.items():
        for table_name, table in store.tables.items():
            for kind, column in table.identity_columns():
                found.setdefault(kind, []).append((store_id, table_name, column))
    return found


def _has_rows(
    register: Register,
    declared: dict[str, list[tuple[str, str, str]]],
    identity: dict[str, str],
    url: str | None,
) -> bool:
    """Whether a mapped table holds one of the identity's values, as requests match them."""
    stores = sorted({store for kind in identity for store, _, _ in declared[kind]})
    for store_id in stores:
        with _engine(register, store_id, url) as engine:
            dialect = engine.dialect.name
            for kind, value in sorted(identity.items()):
                for _, table, column in (p for p in declared[kind] if p[0] == store_id):
                    live = _column(engine, store_id, table, column)
                    case_folded = identities.folds_case(live, dialect)
                    where = identities.condition(
                        live, kind, value, dialect, case_folded=case_folded
                    )
                    if where is None:
                        continue
                    query = sa.select(sa.literal(1)).select_from(live.table).where(where).limit(1)
                    try:
                        with engine.connect() as connection:
                            if connection.execute(query).first() is not None:
                                return True
                    except DBAPIError as error:
                        raise _failed(store_id, error) from None
    return False


def _typed_in_some(
    register: Register, places: list[tuple[str, str, str]], value: str, url: str | None
) -> Any:
    """``value`` in the type of the first identity column that can hold it; None if none can."""
    for store_id in sorted({store for store, _, _ in places}):
        with _engine(register, store_id, url) as engine:
            for _, table, column in (p for p in places if p[0] == store_id):
                typed = typed_value(_column(engine, store_id, table, column), value)
                if typed is not None:
                    return typed
    return None


@contextmanager
def _engine(register: Register, store_id: str, url: str | None) -> Iterator[Engine]:
    # --url names one database: only meaningful for a register with a single store
    engine = connect(register, store_id, url if len(register.stores) == 1 else None)
    try:
        yield engine
    finally:
        engine.dispose()


def _column(engine: Engine, store_id: str, table: str, column: str) -> sa.Column[Any]:
    return _columns(engine, store_id, table, (column,))[0]


def _columns(
    engine: Engine, store_id: str, table: str, columns: tuple[str, ...]
) -> list[sa.Column[Any]]:
    """The live columns, of one reflection of the table (a query on them names it once)."""
    try:
        live = sa.Table(table, sa.MetaData(), autoload_with=engine)
    except sa.exc.NoSuchTableError:
        raise StoreError(
            f"store '{store_id}': the table '{table}' does not exist in the database",
            hint="run `registre check --connect` to compare the mapping with the database",
        ) from None
    except DBAPIError as error:
        raise _failed(store_id, error) from None
    for column in columns:
        if column not in live.c:
            raise StoreError(
                f"store '{store_id}': the table '{table}' has no column '{column}'",
                hint="run `registre check --connect` to compare the mapping with the database",
            )
    return [live.c[column] for column in columns]


def _failed(store_id: str, error: DBAPIError) -> StoreError:
    detail = (str(error.orig).strip().splitlines() or [""])[0]
    return StoreError(
        f"store '{store_id}': checking the hold failed: {detail}",
        hint="check that the database is reachable and that the user may read the table",
    )
