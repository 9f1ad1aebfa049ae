"""How long a statement on a store waits for a lock, and what is said when the wait ends.

Another application's long transaction, a ``LOCK TABLE`` or a migration holds a table: without
a limit a sweep or an erasure waits behind it forever, printing nothing. Every connection to a
store waits at most ``REGISTRE_LOCK_TIMEOUT`` seconds (30 by default; 0 waits as long as the
database does) for each lock: PostgreSQL's ``lock_timeout``, MariaDB's
``innodb_lock_wait_timeout`` (rows) and ``lock_wait_timeout`` (tables), SQLite's busy timeout.

When the wait ends, the driver's error ("canceling statement due to lock timeout", "Lock wait
timeout exceeded") is replaced by one that names the table and, where the database can say,
who holds it: the session's process id, user, application and since when its transaction is
open (PostgreSQL's ``pg_locks`` and ``pg_stat_activity``; MariaDB's open InnoDB transactions).
Never the holder's statement: it may name a person, and the message reaches the audit trail.
The error stays a SQLAlchemy ``OperationalError``, so the sweep and the erasure report it as
any failed write, with how to resume.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, ExceptionContext
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.util import find_tables

from registre._exceptions import StoreError

VARIABLE = "REGISTRE_LOCK_TIMEOUT"
DEFAULT_SECONDS = 30
"""Long enough for an application's ordinary transaction to end; short enough that a sweep
run by cron reports a stuck table in its log the same minute."""
_MAX_SECONDS = 86_400  # MariaDB's own bound is a year; a day is already "forever" for a sweep
_PG_LOCK_NOT_AVAILABLE = "55P03"
_MYSQL_LOCK_WAIT_TIMEOUT = 1205


class LockTimeout(Exception):
    """Stands for the driver's error in the SQLAlchemy error raised on a lock timeout."""


def lock_timeout() -> int:
    """Seconds a statement waits for a lock, from ``REGISTRE_LOCK_TIMEOUT``; 0 for no limit."""
    raw = os.environ.get(VARIABLE, "").strip()
    if not raw:
        return DEFAULT_SECONDS
    try:
        seconds = int(raw.removesuffix("s").strip())
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= _MAX_SECONDS:
        raise StoreError(
            f"{VARIABLE}={raw!r} is not a number of seconds from 0 to {_MAX_SECONDS}",
            hint=f"export {VARIABLE}=30 (seconds a statement waits for a locked table; 0 waits "
            "as long as the database does)",
        )
    return seconds


def connect_args(url: URL, seconds: int) -> dict[str, object]:
    """What the driver takes when connecting: SQLite's busy timeout."""
    if url.get_backend_name() == "sqlite" and "timeout" not in url.query:
        # 0 would fail at once; "no limit" is a very long wait
        return {"timeout": float(seconds or _MAX_SECONDS)}
    return {}


def install(engine: Engine, seconds: int) -> None:
    """Set the lock timeout on each new connection of ``engine``, and explain its expiry."""
    statements = _session_settings(engine.dialect.name, seconds)
    if statements:

        @event.listens_for(engine, "connect")
        def _settings(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_connection.cursor()
            try:
                for statement in statements:
                    cursor.execute(statement)
            finally:
                cursor.close()
            dbapi_connection.commit()  # a PostgreSQL SET in a rolled-back transaction is undone

    @event.listens_for(engine, "handle_error")
    def _explain(context: ExceptionContext) -> None:
        error = context.original_exception
        if not is_lock_timeout(error):
            return
        tables = _tables(context)
        holders = _holders(engine, tables)
        raise sa.exc.OperationalError(
            context.statement, None, LockTimeout(_message(tables, holders, seconds, error))
        ) from error


def _session_settings(dialect: str, seconds: int) -> list[str]:
    if dialect == "postgresql":
        return [f"SET lock_timeout = {seconds * 1000}"]
    if dialect in ("mysql", "mariadb"):
        wait = seconds or _MAX_SECONDS
        return [f"SET SESSION innodb_lock_wait_timeout = {wait}, lock_wait_timeout = {wait}"]
    return []


def is_lock_timeout(error: BaseException) -> bool:
    """Whether the driver's ``error`` is a statement giving up waiting for a lock."""
    if getattr(error, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:  # psycopg 3
        return True
    if getattr(error, "pgcode", None) == _PG_LOCK_NOT_AVAILABLE:  # psycopg2
        return True
    args = getattr(error, "args", ())
    if args and args[0] == _MYSQL_LOCK_WAIT_TIMEOUT:
        return True
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


def _tables(context: ExceptionContext) -> list[str]:
    """The tables the failed statement touches, the one it writes first; [] for plain text."""
    compiled = getattr(context.execution_context, "compiled", None)
    statement = getattr(compiled, "statement", None)
    if statement is None:
        return []
    names: list[str] = []
    target = getattr(statement, "table", None)
    if isinstance(target, sa.Table):
        names.append(target.name)
    try:
        found = find_tables(statement, include_crud=True, include_aliases=True)
    except Exception:  # an unusual construct: the written table is enough
        found = []
    for table in found:
        if isinstance(table, sa.Table) and table.name not in names:
            names.append(table.name)
    return names


def _holders(engine: Engine, tables: list[str]) -> list[str]:
    """Who holds a lock on ``tables``, as the database tells; [] when it cannot say."""
    try:
        if engine.dialect.name == "postgresql" and tables:
            return _pg_holders(engine, tables)
        if engine.dialect.name in ("mysql", "mariadb"):
            return _mysql_holders(engine)
    except Exception:  # best effort: the timeout is reported whatever happens here
        return []
    return []


_PG_HOLDERS = sa.text(
    "SELECT DISTINCT a.pid, a.usename, a.application_name, a.client_addr, a.xact_start "
    "FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
    "JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.granted AND c.relname IN :tables AND l.pid <> pg_backend_pid() "
    "ORDER BY a.xact_start NULLS LAST LIMIT 3"
).bindparams(sa.bindparam("tables", expanding=True))

_MYSQL_HOLDERS = sa.text(
    "SELECT t.trx_mysql_thread_id, p.USER, p.HOST, t.trx_started "
    "FROM information_schema.INNODB_TRX t "
    "LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
    "WHERE t.trx_mysql_thread_id <> CONNECTION_ID() ORDER BY t.trx_started LIMIT 3"
)


def _pg_holders(engine: Engine, tables: list[str]) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(_PG_HOLDERS, {"tables": tables}).all()
    out = []
    for pid, user, application, address, started in rows:
        details = [f"user {user}"]
        if application:
            details.append(f"application '{application}'")
        if address:
            details.append(f"from {address}")
        if started is not None:
            details.append(f"transaction open since {started:%Y-%m-%d %H:%M:%S %Z}".strip())
        out.append(f"PostgreSQL process {pid} ({', '.join(details)})")
    return out


def _mysql_holders(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(_MYSQL_HOLDERS).all()
    out = []
    for thread, user, host, started in rows:
        who = f"user {user}@{host}, " if user else ""
        out.append(f"connection {thread} ({who}transaction open since {started:%Y-%m-%d %H:%M:%S})")
    return out


def _message(tables: list[str], holders: Iterable[str], seconds: int, error: BaseException) -> str:
    """One line (the sweep and the erasure show a database error's first line)."""
    table = f"table '{tables[0]}'" if tables else "a table"
    if isinstance(error, sqlite3.OperationalError):
        held = "another connection is writing to the SQLite file"
    else:
        named = list(holders)
        if not named:
            held = "held by another session (SHOW PROCESSLIST or pg_stat_activity say which)"
        elif named[0].startswith("PostgreSQL"):
            held = "held by " + "; ".join(named)
        else:  # InnoDB names the open transactions, not which one holds the rows
            held = "held by one of the open transactions: " + "; ".join(named)
    return (
        f"{table} stayed locked for {seconds} s ({VARIABLE}), {held}; "
        "nothing of this statement was written"
    )
