"""A sweep or an erasure behind a locked table gives up within REGISTRE_LOCK_TIMEOUT, says which
table and who holds it, and finishes when run again (issue 11 §3).

Another connection holds row locks on a table of the online shop in an open transaction, as an
application's long transaction does. On PostgreSQL and MariaDB (SQLite has a busy timeout of
the same setting, and no one to name).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from registre._exceptions import StoreError
from registre.stores import locks
from test_fault_messages import CAMILLE, refused, server, shop_on, succeeds

__all__ = ["server"]  # the fixture, used by name

TIMEOUT = 2
SLACK = 15
"""Seconds a run may take beyond the timeout: loading the register, planning, other rules."""


@contextmanager
def holding(url: str, statement: str) -> Iterator[int]:
    """Another session's open transaction that ran ``statement``; its session id."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            if engine.dialect.name == "postgresql":
                session = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            else:
                session = connection.execute(sa.text("SELECT CONNECTION_ID()")).scalar_one()
            connection.execute(sa.text(statement))
            try:
                yield int(session)
            finally:
                transaction.rollback()
    finally:
        engine.dispose()


def digest(url: str) -> dict[str, str]:
    """Per table, a digest of its rows, but for the instant each row was anonymized at."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    out = {}
    try:
        meta.reflect(engine)
        with engine.connect() as connection:
            for table in meta.sorted_tables:
                columns = [c for c in table.columns if c.name != "anonymized_at"]
                rows = connection.execute(sa.select(*columns).order_by(*table.primary_key))
                out[table.name] = hashlib.sha256(repr(rows.all()).encode()).hexdigest()
    finally:
        engine.dispose()
    return out


def timed(args: list[str], *fragments: str) -> tuple[str, float]:
    started = time.monotonic()
    output = refused(args, *fragments)
    return output, time.monotonic() - started


def test_a_sweep_behind_a_locked_table_stops_then_resumes(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(locks.VARIABLE, str(TIMEOUT))
    (tmp_path / "reference").mkdir()
    (tmp_path / "locked").mkdir()
    with (
        shop_on(server, tmp_path / "reference", monkeypatch) as reference,
        shop_on(server, tmp_path / "locked", monkeypatch) as shop,
    ):
        monkeypatch.setenv("SHOP_DATABASE_URL", reference.url)
        succeeds(reference.sweep())
        monkeypatch.setenv("SHOP_DATABASE_URL", shop.url)
        with holding(shop.url, "UPDATE logins SET ip = ip") as session:
            output, seconds = timed(
                shop.sweep(),
                f"table 'logins' stayed locked for {TIMEOUT} s (REGISTRE_LOCK_TIMEOUT)",
                str(session),
                "run the sweep again",
            )
        assert seconds < TIMEOUT + SLACK, output
        succeeds(shop.sweep())
        assert digest(shop.url) == digest(reference.url)


def test_an_erasure_behind_a_locked_table_stops_then_resumes(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(locks.VARIABLE, str(TIMEOUT))
    with shop_on(server, tmp_path, monkeypatch) as shop:
        camille = shop.count(f"customers WHERE lower(email) = '{CAMILLE}'", "max(id)")
        erasure = shop.request("erasure")
        mine = f"UPDATE logins SET ip = ip WHERE customer_id = {camille}"
        with holding(shop.url, mine) as session:
            output, seconds = timed(
                shop.execute(erasure),
                f"table 'logins' stayed locked for {TIMEOUT} s",
                str(session),
                "it resumes at this step",
            )
        assert seconds < TIMEOUT + SLACK, output
        assert shop.count(f"logins WHERE customer_id = {camille}") > 0
        succeeds(shop.execute(erasure))
        assert shop.count(f"logins WHERE customer_id = {camille}") == 0
        assert shop.count(f"customers WHERE lower(email) = '{CAMILLE}'") == 0


@pytest.mark.parametrize(
    ("value", "seconds"), [("", 30), ("5", 5), ("5s", 5), (" 0 ", 0), ("abc", None), ("-1", None)]
)
def test_the_lock_timeout_setting(
    value: str, seconds: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(locks.VARIABLE, value)
    if seconds is None:
        with pytest.raises(StoreError, match="is not a number of seconds"):
            locks.lock_timeout()
    else:
        assert locks.lock_timeout() == seconds


def test_every_store_connection_has_the_timeout(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from registre.stores.connect import open_engine

    monkeypatch.setenv(locks.VARIABLE, "7")
    engine = open_engine(server)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                shown = connection.execute(sa.text("SHOW lock_timeout")).scalar_one()
                assert shown == "7s"
            else:
                row = connection.execute(
                    sa.text("SELECT @@innodb_lock_wait_timeout, @@lock_wait_timeout")
                ).one()
                assert tuple(row) == (7, 7)
    finally:
        engine.dispose()
