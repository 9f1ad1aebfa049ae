"""The engine's own state database: URL, engine, schema, migrations on open.

The state database holds what registre itself must remember between runs: the audit trail,
legal holds, and sweep runs with their checkpoints. It is reached by a SQLAlchemy URL found the
same way from any directory (see :mod:`registre.state.location`) and brought to the latest
schema with Alembic every time it is opened.

SQLite is driven in "manual BEGIN" mode so that writers can ask for ``BEGIN IMMEDIATE``: the
audit trail's appends then serialise on the database lock instead of failing half way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from registre import database_urls
from registre._exceptions import StateError

MIGRATIONS = Path(__file__).parent / "migrations"

# Busy-wait this long for another writer's lock before giving up (seconds).
SQLITE_BUSY_TIMEOUT = 30
_IMMEDIATE = "registre_immediate"

metadata = sa.MetaData()


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored as naive UTC, returned as an aware UTC datetime.

    SQLite has no time zones and PostgreSQL's ``timestamptz`` would come back in the session's
    zone; storing naive UTC everywhere gives the same value (to the microsecond, which MySQL
    keeps only in ``DATETIME(6)``) on every database, and the audit trail's hashes depend on it.
    """

    impl = sa.DateTime(timezone=False)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime(timezone=False))

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: registre stores aware UTC timestamps")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


audit_entry = sa.Table(
    "registre_audit_entry",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("action", sa.String(200), nullable=False, index=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("run_id", sa.Integer, nullable=True, index=True),
    sa.Column("request_id", sa.String(200), nullable=True, index=True),
    # Canonical JSON text, not a JSON type: the bytes hashed are the bytes stored.
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

audit_head = sa.Table(
    "registre_audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

legal_hold = sa.Table(
    "registre_legal_hold",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("store", sa.String(200), nullable=True),
    sa.Column("table_name", sa.String(200), nullable=True),
    sa.Column("record_key", sa.String(500), nullable=True),
    sa.Column("identity", sa.Text, nullable=True),
    sa.Column("until", sa.Date, nullable=True),
    sa.Column("placed_at", UTCDateTime, nullable=False),
    sa.Column("placed_by", sa.String(200), nullable=False),
    sa.Column("released_at", UTCDateTime, nullable=True),
    sa.Column("released_by", sa.String(200), nullable=True),
    sa.Column("release_reason", sa.Text, nullable=True),
)

run = sa.Table(
    "registre_run",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(100), nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("register_version", sa.String(100), nullable=False),
    sa.Column("register_digest", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Column("options", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=True),
)

run_progress = sa.Table(
    "registre_run_progress",
    metadata,
    sa.Column(
        "run_id", sa.Integer, sa.ForeignKey("registre_run.id"), primary_key=True, nullable=False
    ),
    sa.Column("key", sa.String(300), primary_key=True, nullable=False),
    sa.Column("done", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


def utcnow() -> datetime:
    """Now, aware, in UTC, to the microsecond the databases keep."""
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is refused (its zone would be a guess)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass an aware datetime (UTC or a zone)")
    return value.astimezone(UTC)


def masked(url: str | URL) -> str:
    """The URL for messages, with its password hidden, even in a malformed URL."""
    return database_urls.masked(url)


def create_state_engine(url: str) -> Engine:
    """A SQLAlchemy engine on the state database, set up for serialised audit appends."""
    try:
        parsed = database_urls.parse_url(url)
    except ValueError as reason:
        raise StateError(
            f"the state database URL '{masked(url)}' is not a SQLAlchemy URL: {reason}",
            hint="use e.g. sqlite:////srv/privacy/registre-state.sqlite or "
            "postgresql+psycopg://user@host/db (option --state-url or REGISTRE_STATE_URL)",
        ) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})
            _manual_begin(engine)
        else:
            engine = sa.create_engine(parsed)
            _ping_when_idle(engine)
    except (exc.NoSuchModuleError, ImportError, exc.ArgumentError) as error:
        raise StateError(
            f"cannot use the state database at {masked(parsed)}: {_first_line(error)}",
            hint="install the database driver named in the URL, or use a sqlite:/// URL",
        ) from None
    return engine


# A pooled connection idle longer than this is pinged before use (seconds).
PING_AFTER_IDLE = 1.0


def _ping_when_idle(engine: Engine) -> None:
    # pool_pre_ping pings on every check-out: one round trip each, and a request checks out a
    # connection for each of its few short transactions, back to back. A connection used less
    # than a second ago was alive then; one idle longer (a long-running API process between
    # requests, a server restarted meanwhile) is pinged, and replaced by the pool if dead.
    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _idle(_dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["registre_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(
        dbapi_connection: DBAPIConnection,
        record: ConnectionPoolEntry,
        _proxy: PoolProxiedConnection,
    ) -> None:
        since = record.info.get("registre_idle_since")
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if not engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            raise exc.DisconnectionError("the state database connection was closed")


def _manual_begin(engine: Engine) -> None:
    # pysqlite's own transaction handling issues BEGIN lazily (DEFERRED) and cannot be asked
    # for IMMEDIATE; take over BEGIN so a writer can lock the database before reading the head.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        if immediate and not connection.info.get(_WAL):
            # WAL: a commit writes the log once instead of the rollback journal and the file,
            # and readers do not wait for the writer (opening an access request, one commit,
            # took 7.5-15 ms in the default mode and 3.4-7.6 ms in WAL). Set by the first
            # writer, outside a transaction as SQLite requires, never by a reader, which
            # leaves the file as it found it. The mode stays with the file: back it up with
            # sqlite3's .backup, or copy the -wal file with it.
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            connection.info[_WAL] = True
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_WAL = "registre_wal"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A short transaction that holds the writers' lock from its first statement.

    On SQLite the transaction is ``BEGIN IMMEDIATE``; on other databases the caller locks the
    audit head row with ``SELECT ... FOR UPDATE`` (see :mod:`registre.state.audit`).
    """
    with writer_connection(engine) as connection, connection.begin():
        yield connection


@contextmanager
def writer_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose transactions take the writers' lock (``BEGIN IMMEDIATE`` on SQLite)."""
    with guard(engine), engine.connect() as connection:
        connection.execution_options(**{_IMMEDIATE: True})
        yield connection


@contextmanager
def read_connection(engine: Engine, *, single: bool = False) -> Iterator[Connection]:
    """A connection for reading, with database errors turned into :class:`StateError`.

    With ``single``, for one statement read on its own: on PostgreSQL it runs outside a
    transaction, without the BEGIN before it and the ROLLBACK after it, two round trips of
    three. (psycopg switches to autocommit without asking the server; other drivers would ask
    it twice, and SQLite here begins its transactions itself.)
    """
    with guard(engine), engine.connect() as connection:
        if single and engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


@contextmanager
def guard(engine: Engine) -> Iterator[None]:
    """Turn a database failure into a :class:`StateError` naming the (masked) URL."""
    try:
        yield
    except exc.DBAPIError as error:
        raise StateError(
            f"the state database at {masked(engine.url)} failed: {_first_line(error.orig)}",
            hint="check that the database is reachable and that registre may write to it "
            "(option --state-url or REGISTRE_STATE_URL)",
        ) from None


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, characters kept as UTF-8, no NaN or infinity."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the one row an INSERT wrote."""
    key = result.inserted_primary_key
    assert key is not None  # an INSERT of one row always has one
    return int(key[0])
