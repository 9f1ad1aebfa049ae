"""Open a connection to a data store, turning every way it can fail into a StoreError.

The URL comes from the command line or from the environment variable the register names
(``url_env``): secrets never sit in the register. Messages never show the password.

A store's SQLite file must exist: SQLite creates a missing file on connecting, so a mistyped
path would otherwise be an empty database that matches nothing (or, worse, that a check
reports as a wholly missing schema). Only ``demo-data`` creates one (``create=True``).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from registre import database_urls
from registre._exceptions import StoreError
from registre.register.model import Register
from registre.stores import locks

CONNECT_TIMEOUT_SECONDS = 5

# (words in the driver's message, what it means, what to do); first match wins
_DIAGNOSES: list[tuple[tuple[str, ...], str, str]] = [
    (
        # before the credentials: MariaDB says "access denied for user ... to database"
        ("permission denied", "(1044", "(1142", "to database '", "insufficient privilege"),
        "the user is not allowed to use this database",
        "grant the user access to the database, or connect as another user",
    ),
    (
        ("password authentication failed", "access denied for user", "(1045", "(1698", 'role "'),
        "the server refused the user name or password",
        "check the user and password in the URL",
    ),
    (
        ("does not exist", "unknown database", "(1049"),
        "the database does not exist on that server",
        "create it, or fix the database name at the end of the URL",
    ),
    (
        (
            "connection refused",
            "can't connect",
            "could not connect",
            "(2003",
            "timeout expired",
            "timed out",
            "could not translate host name",
            "name or service not known",
            "no route to host",
            "network is unreachable",
            "connection failed",
        ),
        "the database server cannot be reached",
        "check the host and port in the URL, and that the server is running and accepts "
        "connections from this machine",
    ),
    (
        ("unable to open database file",),
        "the SQLite file cannot be opened",
        "check that its folder exists and is writable",
    ),
]


def masked(url: str | URL) -> str:
    """The URL as it may be shown: the password replaced by ***, even in a malformed URL."""
    return database_urls.masked(url)


def store_url(register: Register, store_id: str, url: str | None = None) -> str:
    """The URL of a store: ``url`` when given, else the environment variable named by the store."""
    if store_id not in register.stores:
        declared = ", ".join(sorted(register.stores)) or "none"
        raise StoreError(
            f"the register declares no store '{store_id}'", hint=f"declared stores: {declared}"
        )
    if url:
        return url
    variable = register.stores[store_id].url_env
    value = os.environ.get(variable, "").strip()
    if not value:
        raise StoreError(
            f"store '{store_id}' reads its database URL from ${variable}, which is not set",
            hint=f"export {variable}='postgresql+psycopg://user:password@host/dbname' "
            "(any SQLAlchemy URL), or pass --url",
        )
    return value


def open_engine(url: str, *, label: str = "", create: bool = True) -> Engine:
    """An engine on ``url`` whose first connection has succeeded; StoreError otherwise.

    Each of its statements waits at most ``REGISTRE_LOCK_TIMEOUT`` seconds for a lock
    (:mod:`registre.stores.locks`).

    ``label`` (such as "store 'console'") starts the error messages. With ``create=False`` a
    SQLite file that does not exist is an error instead of a new, empty database.
    """
    prefix = f"{label}: " if label else ""
    try:
        parsed = database_urls.parse_url(url)
    except ValueError as reason:
        raise StoreError(
            f"{prefix}'{masked(url)}' is not a database URL: {reason}",
            hint="write it as dialect+driver://user:password@host:port/dbname, such "
            "as postgresql+psycopg://app@localhost/app or sqlite:///app.db",
        ) from None
    if not create:
        _require_sqlite_file(parsed, prefix)
    wait = locks.lock_timeout()
    connect_args: dict[str, object] = locks.connect_args(parsed, wait)
    if parsed.get_backend_name() in ("postgresql", "mysql", "mariadb") and (
        "connect_timeout" not in parsed.query
    ):
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    try:
        engine = create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)
    except NoSuchModuleError:
        raise StoreError(
            f"{prefix}no SQLAlchemy dialect for {parsed.drivername!r}",
            hint="use sqlite://, postgresql+psycopg:// or mysql+pymysql://",
        ) from None
    except (ArgumentError, ImportError) as exc:
        raise StoreError(
            f"{prefix}cannot use {masked(parsed)}: {exc}",
            hint="check the dialect and driver part of the URL",
        ) from None
    locks.install(engine, wait)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        raise _diagnose(exc, parsed, prefix) from None
    return engine


def connect(register: Register, store_id: str, url: str | None = None) -> Engine:
    """An engine on one of the register's stores, checked by a first connection.

    A SQLite store whose file does not exist is a StoreError: it is never created.
    """
    return open_engine(
        store_url(register, store_id, url), label=f"store '{store_id}'", create=False
    )


def _require_sqlite_file(url: URL, prefix: str) -> None:
    if url.get_backend_name() != "sqlite":
        return
    database = url.database or ""
    if database.startswith("file:"):  # a URI filename (uri=true)
        database = database[len("file:") :]
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return  # nothing on disk to find or to create
    path = Path(database)
    if path.is_file():
        return
    if path.exists():
        raise StoreError(
            f"{prefix}{path} is not a SQLite file", hint="check the path at the end of the URL"
        )
    folder = "" if path.parent.is_dir() else f", nor does its folder {path.parent}"
    raise StoreError(
        f"{prefix}the SQLite file {path.resolve()} cannot be opened: it does not exist{folder}",
        hint="check the path in the URL: sqlite:///relative/to/here.db or "
        "sqlite:////absolute/path.db; registre never creates a store's database",
    )


def _diagnose(exc: DBAPIError, url: URL, prefix: str) -> StoreError:
    raw = str(exc.orig if exc.orig is not None else exc)
    if url.password:
        raw = raw.replace(str(url.password), "***")
    detail = (raw.strip().splitlines() or [""])[0]
    lowered = raw.lower()
    for words, meaning, hint in _DIAGNOSES:
        if any(word in lowered for word in words):
            return StoreError(
                f"{prefix}cannot connect to {masked(url)}: {meaning} ({detail})", hint=hint
            )
    return StoreError(
        f"{prefix}cannot connect to {masked(url)}: {detail}",
        hint="check the URL and that the server accepts this user",
    )
