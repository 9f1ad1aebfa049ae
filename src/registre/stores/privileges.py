"""Whether the database lets us make the writes a sweep or an erasure will make.

Asked before the first write, so that a missing privilege refuses the run instead of stopping it
half way. Each database is asked in its own words: PostgreSQL's ``has_table_privilege`` and
``has_column_privilege``, MariaDB's ``information_schema`` privilege tables, and for SQLite
whether the file can be written at all (opened read-only, or not writable by this user).

Only what the database can tell is reported. MariaDB does not show a role's privileges in
``information_schema``: a user with a role enabled is not refused here. A row-level security
policy is not seen either. The write itself then fails, at a step the erasure resumes from.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy import Engine


class Write(NamedTuple):
    """One kind of write: DELETE on a table, or UPDATE of one of its columns."""

    table: str
    privilege: str  # DELETE | UPDATE
    column: str | None = None

    def __str__(self) -> str:
        what = f"{self.privilege} on table '{self.table}'"
        return what + (f" (column '{self.column}')" if self.column else "")


def denied(engine: Engine, writes: Iterable[Write]) -> list[Write]:
    """The writes the database will refuse to the connecting user, in the order given."""
    wanted = list(dict.fromkeys(writes))
    if not wanted:
        return []
    dialect = engine.dialect.name
    if dialect == "sqlite":
        return wanted if _sqlite_read_only(engine) else []
    with engine.connect() as connection:
        if dialect == "postgresql":
            return _postgres_denied(connection, wanted)
        if dialect in ("mysql", "mariadb"):
            if _mariadb_roles(connection):
                # a role's privileges do not show in information_schema: not known, not refused
                return []
            granted = _mariadb_grants(connection)
            return [w for w in wanted if not _mariadb_allows(granted, w)]
    return []


def _sqlite_read_only(engine: Engine) -> bool:
    url = engine.url
    database = url.database or ""
    if url.query.get("mode") == "ro" or "mode=ro" in database:
        return True
    if not database or database == ":memory:" or database.startswith("file:"):
        return False
    return os.path.exists(database) and not os.access(database, os.W_OK)


def _postgres_denied(connection: sa.Connection, wanted: list[Write]) -> list[Write]:
    """Two round trips whatever the number of writes (one per write took 145 ms for 29)."""
    tables = sorted({w.table for w in wanted})
    existing = {
        (row[0], row[1])
        for row in connection.execute(
            sa.text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name IN :tables"
            ).bindparams(sa.bindparam("tables", expanding=True)),
            {"tables": tables},
        )
    }
    # asking about a table or column that does not exist is an error: the mapping check
    # reports those on its own
    known = {table for table, _ in existing}
    asked = [
        w
        for w in wanted
        if (w.column is None and w.table in known) or (w.table, w.column) in existing
    ]
    if not asked:
        return []
    checks = []
    values: dict[str, str | None] = {}
    for number, write in enumerate(asked):
        values[f"t{number}"], values[f"p{number}"] = write.table, write.privilege
        if write.column is None:
            checks.append(f"has_table_privilege(quote_ident(:t{number}), :p{number})")
        else:
            values[f"c{number}"] = write.column
            checks.append(f"has_column_privilege(quote_ident(:t{number}), :c{number}, :p{number})")
    allowed = connection.execute(sa.text("SELECT " + ", ".join(checks)), values).one()
    return [write for write, ok in zip(asked, allowed, strict=True) if not ok]


_GRANTEE = (
    "CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', "
    "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')"
)


def _mariadb_roles(connection: sa.Connection) -> bool:
    try:
        query = sa.text("SELECT COUNT(ROLE_NAME) FROM information_schema.ENABLED_ROLES")
        return bool(connection.execute(query).scalar())
    except sa.exc.DBAPIError:
        connection.rollback()
        return False  # a server without roles


def _mariadb_grants(connection: sa.Connection) -> set[tuple[str | None, str | None, str]]:
    """(table or None for all, column or None for all, privilege) granted to the user here."""
    granted: set[tuple[str | None, str | None, str]] = set()
    levels = [
        ("USER_PRIVILEGES", "NULL", "NULL", ""),
        ("SCHEMA_PRIVILEGES", "NULL", "NULL", " AND TABLE_SCHEMA = DATABASE()"),
        ("TABLE_PRIVILEGES", "TABLE_NAME", "NULL", " AND TABLE_SCHEMA = DATABASE()"),
        ("COLUMN_PRIVILEGES", "TABLE_NAME", "COLUMN_NAME", " AND TABLE_SCHEMA = DATABASE()"),
    ]
    for view, table, column, where in levels:
        query = (
            f"SELECT {table}, {column}, PRIVILEGE_TYPE FROM information_schema.{view} "
            f"WHERE GRANTEE = {_GRANTEE}{where}"
        )
        for row in connection.execute(sa.text(query)):
            granted.add((row[0], row[1], str(row[2]).upper()))
    return granted


def _mariadb_allows(granted: set[tuple[str | None, str | None, str]], write: Write) -> bool:
    return any(
        privilege == write.privilege
        and table in (None, write.table)
        and (column is None or column == write.column)
        for table, column, privilege in granted
    )
