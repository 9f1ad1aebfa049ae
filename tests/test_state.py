"""The engine's state database: opened by URL, migrated on open, runs with their checkpoints.

The fixtures here (``state_url``, ``state``) are shared with ``test_audit.py`` and
``test_holds.py`` (``run_cli`` is conftest's). Every test gets a fresh database: a SQLite
file; on PostgreSQL (when ``REGISTRE_TEST_POSTGRES_URL`` is set) a schema of its own, and on
MariaDB (when ``REGISTRE_TEST_MARIADB_URL`` is set) a database of its own, dropped afterwards,
so these tests never meet other tests using the same server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from registre import StateError, load_register
from registre.state import EngineState, db, existing_state, open_state, register_digest
from registre.state.db import MIGRATIONS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "device-management" / "register.yaml"
POSTGRES_VARIABLE = "REGISTRE_TEST_POSTGRES_URL"
MARIADB_VARIABLE = "REGISTRE_TEST_MARIADB_URL"
TABLES = {
    "alembic_version",
    "registre_audit_entry",
    "registre_audit_head",
    "registre_legal_hold",
    "registre_run",
    "registre_run_progress",
}


ALL_DATABASES = ["sqlite", "postgresql", "mariadb"]
with_mariadb = pytest.mark.parametrize("state_url", ALL_DATABASES, indirect=True)
"""Run a test on MariaDB too (creating a database there is slow: only the essential tests)."""


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty state database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.sqlite'}"
        return
    variable = POSTGRES_VARIABLE if request.param == "postgresql" else MARIADB_VARIABLE
    server = os.environ.get(variable)
    if not server:
        pytest.skip(f"{variable} is not set")
    name = f"registre_state_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server)
    try:
        if request.param == "postgresql":
            # A schema of our own in the shared database, chosen by the search path.
            with admin.begin() as connection:
                connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
            separator = "&" if "?" in server else "?"
            yield f"{server}{separator}options={quote(f'-csearch_path={name}')}"
        else:
            with admin.begin() as connection:
                connection.execute(sa.text(f"CREATE DATABASE `{name}`"))
            yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            if request.param == "postgresql":
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            else:
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture
def state(state_url: str) -> Iterator[EngineState]:
    """A fresh state database, open."""
    with open_state(state_url) as opened:
        yield opened


# run_cli: tests/conftest.py (registre.cli.main in this process; code, out, err)


def _tables(state: EngineState) -> set[str]:
    return set(sa.inspect(state.engine).get_table_names()) & TABLES


def _head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


# --- opening and migrating ------------------------------------------------------------------


@with_mariadb
def test_open_creates_the_schema_on_an_empty_database(state: EngineState) -> None:
    assert _tables(state) == TABLES
    with state.engine.connect() as connection:
        revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert revision == _head_revision()
    assert state.audit.head() == (0, "0" * 64)
    assert state.audit.verify() == []


@with_mariadb
def test_reopening_is_idempotent(state_url: str) -> None:
    with open_state(state_url) as first:
        first.audit.append("test.kept", details={"n": 1})
        first.holds.place(reason="litigation", store="crm", table="customer", key="1")
    for _ in range(2):
        with open_state(state_url) as again:
            assert _tables(again) == TABLES
            assert [e.action for e in again.audit.entries()] == ["test.kept", "hold.placed"]
            assert len(again.holds.active()) == 1
            assert again.audit.verify() == []


@with_mariadb
def test_opening_a_fresh_database_from_several_processes_at_once(state_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def open_and_write(n: int) -> None:
        try:
            barrier.wait()
            with open_state(state_url) as mine:
                mine.audit.append("test.opened", details={"n": n})
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=open_and_write, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_state(state_url) as state:
        assert _tables(state) == TABLES
        assert sorted(e.details["n"] for e in state.audit.entries()) == [0, 1, 2]
        assert state.audit.verify() == []


def test_the_url_comes_from_the_environment_never_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REGISTRE_STATE_URL", raising=False)
    with pytest.raises(StateError, match=r"^which state database\? ") as raised:
        open_state()
    assert "--register" in raised.value.hint and "REGISTRE_STATE_URL" in raised.value.hint
    assert list(tmp_path.iterdir()) == []

    monkeypatch.setenv("REGISTRE_STATE_URL", f"sqlite:///{tmp_path / 'from-env.sqlite'}")
    with open_state() as state:
        assert list(state.audit.entries()) == []
    assert (tmp_path / "from-env.sqlite").exists()


@with_mariadb
def test_opening_to_read_creates_nothing(state_url: str, tmp_path: Path) -> None:
    with pytest.raises(StateError, match=r"^no audit trail at ") as raised:
        open_state(state_url, create=False)
    assert "REGISTRE_STATE_URL" in raised.value.hint
    assert existing_state(state_url) is None
    if state_url.startswith("sqlite"):
        assert str(tmp_path / "state.sqlite") in raised.value.message
        assert list(tmp_path.iterdir()) == []
    else:
        engine = sa.create_engine(state_url)
        try:
            assert not set(sa.inspect(engine).get_table_names()) & TABLES
        finally:
            engine.dispose()

    with open_state(state_url) as state:
        state.audit.append("test.written", details={})
    opened = existing_state(state_url)
    assert opened is not None
    with opened, open_state(state_url, create=False) as again:
        assert [e.action for e in opened.audit.entries()] == ["test.written"]
        assert again.audit.head() == opened.audit.head()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_state_has_nothing_to_read(url: str) -> None:
    assert existing_state(url) is None


def test_an_empty_sqlite_file_is_not_a_state_and_stays_empty(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.touch()
    assert existing_state(f"sqlite:///{path}") is None
    assert path.stat().st_size == 0


@pytest.mark.parametrize(
    ("url", "says", "hint"),
    [
        (
            "postgresql+psycopg://bob:s3cret@127.0.0.1:1/registre",
            "cannot open the state database at postgresql+psycopg://bob:***@127.0.0.1:1/registre",
            "server is running",
        ),
        (
            "sqlite:////nonexistent-directory/state.sqlite",
            "cannot open the state database at sqlite:////nonexistent-directory/state.sqlite",
            "directory of the SQLite file exists",
        ),
        ("registre-state.sqlite", "is not a SQLAlchemy URL", "sqlite:////srv/privacy/"),
        ("nosuchdb://user:pw@host/db", "nosuchdb://user:***@host/db", "driver"),
    ],
)
def test_an_unusable_database_says_which_url_and_what_to_do(url: str, says: str, hint: str) -> None:
    with pytest.raises(StateError) as raised:
        open_state(url)
    assert says in raised.value.message
    assert hint in raised.value.hint
    assert "s3cret" not in raised.value.message + raised.value.hint


def test_a_database_from_a_newer_registre_is_refused(state_url: str) -> None:
    with open_state(state_url) as state, state.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StateError, match="revision '9999'") as raised:
        open_state(state_url)
    assert "newer registre" in raised.value.hint


def test_migrations_ship_inside_the_package() -> None:
    import registre

    package = Path(registre.__file__).parent
    assert MIGRATIONS.is_relative_to(package)
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "script.py.mako").is_file()
    assert (MIGRATIONS / "versions" / "0001_initial.py").is_file()


def test_cli_errors_reach_the_user_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "registre"), "audit", "verify"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "REGISTRE_STATE_URL": "postgresql+psycopg://u:pw@127.0.0.1:1/x"},
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: cannot open the state database at postgresql+psycopg://u:***@" in result.stderr


@pytest.mark.parametrize("state_url", ["postgresql", "mariadb"], indirect=True)
@pytest.mark.parametrize("idle", [0.0, 3600.0])
def test_a_connection_the_server_dropped_is_replaced_only_when_it_was_idle(
    state_url: str, idle: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # connections used back to back are not pinged; one idle past the threshold is
    monkeypatch.setattr(db, "PING_AFTER_IDLE", idle)
    backend = {"postgresql": "SELECT pg_backend_pid()", "mariadb": "SELECT CONNECTION_ID()"}
    kill = {"postgresql": "SELECT pg_terminate_backend({})", "mariadb": "KILL CONNECTION {}"}
    with open_state(state_url) as state:
        name = "postgresql" if state.engine.dialect.name == "postgresql" else "mariadb"
        with state.engine.connect() as connection:
            dropped = connection.execute(sa.text(backend[name])).scalar_one()
        admin = sa.create_engine(state.engine.url)
        with admin.begin() as connection:
            connection.execute(sa.text(kill[name].format(int(dropped))))
        admin.dispose()
        if idle:
            with pytest.raises(sa.exc.DBAPIError), state.engine.connect() as connection:
                connection.execute(sa.text(backend[name]))
        else:
            with state.engine.connect() as connection:
                assert connection.execute(sa.text(backend[name])).scalar_one() != dropped


# --- runs -----------------------------------------------------------------------------------


def test_a_run_records_the_register_enforced_and_resumes_from_its_checkpoints(
    state: EngineState,
) -> None:
    register = load_register(EXAMPLE)
    paris = datetime(2025, 3, 30, 2, 30, tzinfo=ZoneInfo("Europe/Paris")) + timedelta(hours=1)
    run = state.runs.start(
        "sweep",
        register_version=register.policy.version,
        register_digest=register_digest(register),
        at=paris,
        options={"dry_run": False, "batch": 500},
    )
    assert run.status == "running"
    assert run.at == paris and run.at.tzinfo == UTC
    assert run.register_version == register.policy.version

    state.runs.progress(run.id, "device_history_15d/web_history", 500)
    state.runs.progress(run.id, "device_history_15d/web_history", 1000)
    state.runs.progress(run.id, "geolocation_2m/location", 50)

    # The process dies here; the next sweep finds the run and where it stopped.
    resumed = state.runs.unfinished("sweep")
    assert resumed is not None and resumed.id == run.id
    assert resumed.progress == {
        "device_history_15d/web_history": 1000,
        "geolocation_2m/location": 50,
    }
    assert state.runs.unfinished("request") is None

    done = state.runs.finish(run.id, status="done", summary={"deleted": 1050})
    assert (done.status, done.summary) == ("done", {"deleted": 1050})
    assert done.finished_at is not None and done.finished_at >= done.started_at
    assert state.runs.unfinished("sweep") is None
    assert state.runs.get(run.id) == done
    assert state.runs.get(run.id + 1) is None


def test_runs_are_listed_newest_first(state: EngineState) -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    ids = [
        state.runs.start("sweep", register_version="1", register_digest="d", at=at, options={}).id
        for _ in range(3)
    ]
    assert [r.id for r in state.runs.list()] == ids[::-1]
    assert [r.id for r in state.runs.list(limit=2)] == ids[:0:-1]


@pytest.mark.parametrize(
    ("action", "error"),
    [
        ("finish twice", "already finished"),
        ("progress after finish", "already finished"),
        ("finish unknown", "there is no run"),
    ],
)
def test_finished_or_unknown_runs_are_refused(state: EngineState, action: str, error: str) -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    run = state.runs.start("sweep", register_version="1", register_digest="d", at=at, options={})
    state.runs.finish(run.id, status="failed", summary={"error": "store unreachable"})
    with pytest.raises(StateError, match=error):
        if action == "finish twice":
            state.runs.finish(run.id, status="done", summary={})
        elif action == "progress after finish":
            state.runs.progress(run.id, "rule/table", 1)
        else:
            state.runs.finish(run.id + 100, status="done", summary={})


def test_a_naive_reference_time_is_refused(state: EngineState) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        state.runs.start(
            "sweep", register_version="1", register_digest="d", at=datetime(2025, 1, 1), options={}
        )


def test_the_register_digest_names_exactly_one_register() -> None:
    register = load_register(EXAMPLE)
    digest = register_digest(register)
    assert len(digest) == 64
    assert register_digest(load_register(EXAMPLE)) == digest
    changed = register.model_copy(
        update={"policy": register.policy.model_copy(update={"version": "changed"})}
    )
    assert register_digest(changed) != digest


def test_the_state_api_is_deliberate() -> None:
    import registre.state

    assert registre.state.__all__ == sorted(registre.state.__all__)
    for name in registre.state.__all__:
        assert getattr(registre.state, name).__module__.startswith("registre.state"), name
