"""One sweep at a time per database: a session lock the server releases when the process dies."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Engine

from registre._exceptions import StoreError
from registre.engine.store_plan import StorePlan, store_error

LOCK_NAME = "registre-sweep"
LOCK_WAIT_SECONDS = 5
LOCK_FILE_SUFFIX = ".registre-sweep.lock"
"""Beside a SQLite database file, the file whose lock the sweep of that database holds."""
_PG_LOCK = 0x7377_6565_70  # "sweep"; any constant other applications do not use


def _sqlite_path(engine: Engine) -> Path | None:
    """The absolute path of a SQLite database file; None in memory."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve()


@contextmanager
def exclusive(sp: StorePlan) -> Iterator[None]:
    """Hold the store's sweep lock: a second sweep of the same database is refused.

    A session lock on PostgreSQL (advisory) and MySQL/MariaDB (``GET_LOCK``), released on exit
    or when the process dies, so a killed sweep never blocks the next one. SQLite has no such
    lock: the sweep takes an exclusive ``flock`` on a file beside the database
    (:data:`LOCK_FILE_SUFFIX`), which the system releases when the process dies too. An
    in-memory database is private to its process: nothing is taken there.
    """
    if sp.dialect == "sqlite":
        with _file_lock(sp):
            yield
        return
    if sp.dialect not in ("postgresql", "mysql", "mariadb"):
        yield
        return
    if sp.dialect == "postgresql":  # advisory locks are per database already
        take = sa.select(sa.func.pg_try_advisory_lock(_PG_LOCK))
        release = sa.select(sa.func.pg_advisory_unlock(_PG_LOCK))
    else:  # GET_LOCK names are server-wide: name the database
        name = f"{LOCK_NAME}:{sp.engine.url.database}"[:64]
        take = sa.select(sa.func.get_lock(name, 0))
        release = sa.select(sa.func.release_lock(name))
    with sp.engine.connect() as connection:
        # a sweep killed a moment ago may still hold it until its server session notices
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        try:
            while not (taken := bool(connection.execute(take).scalar())):
                connection.commit()
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            connection.commit()
        except exc.DBAPIError as error:
            raise store_error(sp.store, "taking the sweep lock", error) from None
        if not taken:
            raise StoreError(
                f"store '{sp.store}': another registre sweep is running on this database",
                hint="wait for it to finish; nothing was changed by this one",
            )
        try:
            yield
        finally:
            try:
                connection.execute(release)
                connection.commit()
            except exc.DBAPIError:
                pass  # the session is gone, and its lock with it


@contextmanager
def _file_lock(sp: StorePlan) -> Iterator[None]:
    path = _sqlite_path(sp.engine)
    if path is None:
        yield
        return
    import fcntl

    lock = path.with_name(path.name + LOCK_FILE_SUFFIX)
    try:
        handle = open(lock, "a")  # noqa: SIM115  (closed below, after the lock is released)
    except OSError as error:
        raise StoreError(
            f"store '{sp.store}': cannot open the sweep lock file {lock}: {error.strerror}",
            hint="the sweep needs to write beside the database file, as SQLite does",
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(
                f"store '{sp.store}': another registre sweep is running on this database",
                hint="wait for it to finish; nothing was changed by this one",
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
