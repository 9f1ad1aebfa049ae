"""registre.testing: throwaway databases for a host application's tests, on each backend.

Each database must be new and empty, named apart from every other, usable at its URL, and gone
after the block, even when the block fails or leaves a connection open on it. What exists on
the server is read from the server's own catalogue, not from registre.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa

from _support import BACKENDS, server_url
from registre import RegistreError, StoreError
from registre.testing import throwaway_database


def databases(server: str) -> set[str]:
    """The databases on the server, as its catalogue lists them."""
    engine = sa.create_engine(server)
    query = (
        "SELECT datname FROM pg_database"
        if engine.dialect.name == "postgresql"
        else "SELECT schema_name FROM information_schema.schemata"
    )
    try:
        with engine.connect() as connection:
            return set(connection.execute(sa.text(query)).scalars())
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest) -> str:
    return server_url(request.param)


def test_a_new_empty_database_each_time_dropped_after(server: str) -> None:
    with (
        throwaway_database(server, "rt_case") as first,
        throwaway_database(server, "rt_case") as second,
    ):
        assert first != second
        names = {sa.make_url(first).database, sa.make_url(second).database}
        engine = sa.create_engine(first)
        try:
            assert sa.inspect(engine).get_table_names() == []
            with engine.begin() as connection:
                connection.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
                connection.execute(sa.text("INSERT INTO t VALUES (1)"))
            other = sa.create_engine(second)
            assert sa.inspect(other).get_table_names() == []  # apart from the first
            other.dispose()
            # a connection left open, inside a transaction on the table: the drop goes ahead
            left_open = engine.connect()
            assert left_open.execute(sa.text("SELECT id FROM t")).scalar_one() == 1
            if server != "sqlite://":
                assert names <= databases(server)
                assert all(str(name).startswith("rt_case_") for name in names)
        finally:
            engine.dispose(close=False)
    # the server closed it (PostgreSQL, MariaDB): put it away now, not whenever it is collected
    with contextlib.suppress(sa.exc.DBAPIError):
        left_open.close()
    if server == "sqlite://":
        assert not _exists(first) and not _exists(second)
    else:
        assert not names & databases(server)


def _exists(url: str) -> bool:
    return Path(str(sa.make_url(url).database)).exists()


def test_dropped_when_the_block_fails(server: str) -> None:
    with pytest.raises(ZeroDivisionError), throwaway_database(server, "rt_failed") as url:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE t (id INTEGER)"))
        engine.dispose()
        1 / 0  # noqa: B018
    if server == "sqlite://":
        assert not _exists(url)
    else:
        assert sa.make_url(url).database not in databases(server)


@pytest.mark.parametrize("prefix", ["", "Upper", "9lives", "semi;colon", "x" * 41])
def test_a_prefix_that_cannot_start_a_name_is_refused(prefix: str) -> None:
    with pytest.raises(RegistreError, match="cannot start a database name"):  # noqa: SIM117
        with throwaway_database("sqlite://", prefix):
            pass


def test_an_unreachable_server_is_a_store_error_without_its_password() -> None:
    with pytest.raises(StoreError) as raised:  # noqa: SIM117
        with throwaway_database("postgresql+psycopg://app:S3cretPW@127.0.0.1:1/postgres"):
            pass
    assert "cannot be reached" in raised.value.message
    assert "S3cretPW" not in str(raised.value) + raised.value.hint


def test_a_user_who_may_not_create_databases_is_told() -> None:
    server = server_url("postgresql")
    role = f"registre_no_create_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE ROLE {role} LOGIN NOCREATEDB"))
    try:
        limited = sa.make_url(server).set(username=role, password="Pw")
        with pytest.raises(StoreError) as raised:  # noqa: SIM117
            with throwaway_database(limited.render_as_string(hide_password=False)):
                pass
        assert "cannot create the throwaway database" in raised.value.message
        assert "allowed to create" in raised.value.hint
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_the_module_exports_its_helper_alone() -> None:
    import registre
    import registre.testing

    assert registre.testing.__all__ == ["throwaway_database"]
    assert "testing" not in registre.__all__
