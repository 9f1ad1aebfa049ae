"""Throwaway databases for a host application's own tests.

A test that runs registre against real tables wants a database of its own: created empty, with
a name no other test (nor another run of the suite on the same server) uses, and dropped
afterwards, even when the test fails::

    from registre.testing import throwaway_database

    with throwaway_database("postgresql+psycopg://postgres@localhost/postgres") as url:
        engine = sqlalchemy.create_engine(url)
        ...  # create the application's tables, then run registre on them

On a PostgreSQL, MariaDB or MySQL server, :func:`throwaway_database` creates a database named
``<prefix>_<8 random hex digits>`` and drops it when the block ends; the connections the test
left open are closed first, so the drop never waits for them. The server URL names any database
the user may connect to (``/postgres``, ``/test``): the user must be allowed to create
databases. For SQLite the database is a file in a temporary folder, deleted with it.

Anything that goes wrong (a server that cannot be reached, a user who may not create databases)
is a :class:`registre.StoreError`, whose message never shows the password.

This module is public, and not imported with ``registre`` (it is for tests only).
"""

from __future__ import annotations

import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from registre._exceptions import RegistreError, StoreError
from registre.database_urls import masked
from registre.stores.connect import open_engine

__all__ = ["throwaway_database"]

SERVERS = ("postgresql", "mysql", "mariadb")
"""The backends on which a database is created; SQLite gets a file instead."""

_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,39}")
"""Lower case (MySQL on Windows and macOS folds database names), short enough for the name,
random part included, to fit PostgreSQL's 63 characters and MySQL's 64."""


@contextmanager
def throwaway_database(server: str, prefix: str = "registre_test") -> Iterator[str]:
    """The URL of a new, empty database on the server of ``server``; dropped when the block ends.

    ``server`` is the URL of any database on a PostgreSQL, MariaDB or MySQL server, or any
    ``sqlite://`` URL (the database is then a new file in a temporary folder). ``prefix`` starts
    the database's name: lower-case letters, digits and underscores, at most 40.
    """
    if not _PREFIX.fullmatch(prefix):
        raise RegistreError(
            f"{prefix!r} cannot start a database name",
            hint="use lower-case letters, digits and underscores (at most 40), starting with "
            "a letter, such as 'myapp_test'",
        )
    if server.split(":", 1)[0].split("+", 1)[0] == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"{prefix}_") as folder:
            yield f"sqlite:///{Path(folder) / 'throwaway.sqlite'}"
        return
    admin = open_engine(server, label="the test database server")
    try:
        backend = admin.url.get_backend_name()
        if backend not in SERVERS:
            raise StoreError(
                f"no throwaway databases on {masked(admin.url)}: registre makes them on "
                "PostgreSQL, MariaDB, MySQL and SQLite",
                hint="give the URL of a database on a PostgreSQL, MariaDB or MySQL server, or "
                "sqlite://",
            )
        name = f"{prefix}_{secrets.token_hex(4)}"
        autocommit = admin.execution_options(isolation_level="AUTOCOMMIT")
        _run(autocommit, f"CREATE DATABASE {_quoted(admin, name)}", name, "create")
        try:
            yield admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            _drop(autocommit, name)
    finally:
        admin.dispose()


def _quoted(engine: Engine, name: str) -> str:
    return str(engine.dialect.identifier_preparer.quote(name))


def _run(engine: Engine, statement: str, name: str, verb: str) -> None:
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    except DBAPIError as error:
        detail = (str(error.orig or error).strip().splitlines() or [""])[0]
        if engine.url.password:
            detail = detail.replace(str(engine.url.password), "***")
        raise StoreError(
            f"cannot {verb} the throwaway database {name} on {masked(engine.url)}: {detail}",
            hint="connect as a user allowed to create and drop databases",
        ) from None


def _drop(engine: Engine, name: str) -> None:
    """Drop the database ``name``, closing the connections a test left open on it first."""
    with engine.connect() as connection:
        _close_connections(connection, name)
    _run(engine, f"DROP DATABASE IF EXISTS {_quoted(engine, name)}", name, "drop")


def _close_connections(connection: Connection, name: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        return
    # MariaDB and MySQL: a connection inside a transaction on one of the tables holds a
    # metadata lock that DROP DATABASE would wait for
    threads = connection.execute(
        text(
            "SELECT id FROM information_schema.processlist "
            "WHERE db = :name AND id <> CONNECTION_ID()"
        ),
        {"name": name},
    ).scalars()
    for thread in list(threads):
        try:
            connection.execute(text(f"KILL {int(thread)}"))
        except DBAPIError:  # gone meanwhile, or another user's the server will not let go
            continue
