"""The sweep run from Python (``registre.plan``, ``registre.sweep``), issue 11 §4 and Ctrl-C.

On the online-shop example, on SQLite, PostgreSQL and MariaDB: a rule whose table refuses the
write (a trigger that raises) is reported, in the report, the run and the audit trail, and the
other rules still run unless asked to stop at the first failure; a sweep that waited for
another one records as due what that one left; Ctrl-C says what was done and left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import registre
from _support import RunCli
from registre.demo.loader import load_app, load_demo_data
from registre.stores.throwaway import scratch_database

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "online-shop"
REGISTER = EXAMPLE / "register.yaml"
AT = date(2026, 11, 1)
SERVERS = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}
REFUSED = "support_requests"
"""The table whose trigger refuses every delete: rule ``support-requests``."""

TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER library_refuse BEFORE DELETE ON {REFUSED} "
        "BEGIN SELECT RAISE(ABORT, 'library test: support requests are kept'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION library_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'library test: support requests are kept'; END $$",
        f"CREATE TRIGGER library_refuse BEFORE DELETE ON {REFUSED} "
        "FOR EACH ROW EXECUTE FUNCTION library_refuse()",
    ],
    "mariadb": [
        f"CREATE TRIGGER library_refuse BEFORE DELETE ON {REFUSED} FOR EACH ROW "
        "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'library test: support requests are kept'"
    ],
}


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own holding the online shop's generated rows."""
    if request.param == "sqlite":
        server = f"sqlite:///{tmp_path / 'unused.sqlite'}"
    else:
        server = os.environ.get(SERVERS[request.param], "")
        if not server:
            pytest.skip(f"{SERVERS[request.param]} is not set")
    with scratch_database(server, prefix="library_sweep") as url:
        engine = sa.create_engine(url)
        load_demo_data(load_app(EXAMPLE), engine, subjects=120, seed=3)
        engine.dispose()
        yield url


def _refuse_deletes(url: str) -> None:
    engine = sa.create_engine(url)
    dialect = "postgresql" if engine.dialect.name == "postgresql" else engine.dialect.name
    with engine.begin() as connection:
        for statement in TRIGGERS["mariadb" if dialect == "mysql" else dialect]:
            connection.execute(sa.text(statement))
    engine.dispose()


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    engine.dispose()
    return found


@pytest.mark.parametrize("stop", [False, True], ids=["the others run", "stop at the first"])
def test_a_rule_that_fails_is_reported_and_the_others_still_run(
    shop: str, stop: bool, tmp_path: Path
) -> None:
    _refuse_deletes(shop)
    register = registre.load_register(REGISTER)
    planned = registre.plan(register, at=AT, url=shop)
    order = [(r.rule, r.table) for r in planned.rules]
    failing = order.index(("support-requests", REFUSED))
    assert 0 < failing < len(order) - 1  # rules before and after it
    kept = _count(shop, REFUSED)

    with registre.open_state(f"sqlite:///{tmp_path / 'state.sqlite'}") as state:
        report = registre.sweep(
            register, state, at=AT, url=shop, batch_size=7, stop_at_first_failure=stop
        )
        run = state.runs.get(report.run_id or 0)
        entries = list(state.audit.entries(action_prefix="sweep."))

    assert not report.ok
    (failed,) = report.failed
    assert (failed.rule, failed.table, failed.changed) == ("support-requests", REFUSED, 0)
    assert failed.error is not None and "support requests are kept" in failed.error
    assert _count(shop, REFUSED) == kept
    statuses = [r.status for r in report.rules]
    after = ["not_run" if stop else "done"] * (len(order) - failing - 1)
    assert statuses == ["done"] * failing + ["failed"] + after
    for rule, planned_rule in zip(report.rules, planned.rules, strict=True):
        assert rule.due == planned_rule.due  # counted under the lock, nothing in between
        if rule.status == "done":
            assert rule.changed == rule.due and rule.seconds > 0
            assert rule.deleted + rule.anonymized == rule.changed
    assert report.changed == sum(r.changed for r in report.rules) > 0

    # the run and the trail say the same
    assert run is not None and run.status == "failed"
    assert run.summary is not None and run.summary["failed"] == 1
    (entry,) = [e for e in entries if e.action == "sweep.rule_failed"]
    assert entry.details["rule"] == "support-requests" and entry.details["table"] == REFUSED
    assert "support requests are kept" in entry.details["error"]
    assert entries[-1].action == "sweep.finished"
    assert entries[-1].details == run.summary
    documented = (ROOT / "docs" / "enforcement.md").read_text()
    assert "`sweep.rule_failed`" in documented


def test_the_command_line_exits_1_naming_the_failed_rule(
    shop: str, tmp_path: Path, run_cli: Any
) -> None:
    _refuse_deletes(shop)
    args = ("sweep", str(REGISTER), "--url", shop, "--at", AT.isoformat(), "--yes")
    code, out, err = run_cli(*args)
    assert code == 1, err
    assert "support-requests" in out and "(failed)" in out  # in the summary table
    assert "failed:" in err and "support requests are kept" in err
    assert "1 retention rule of" in err and "the other rules ran" in err
    assert "Traceback" not in err
    # the others were swept: a second run changes only nothing more, and fails the same
    code, out, err = run_cli(*args, "--fail-fast")
    assert code == 1 and "stopped at the first failure" in err


@pytest.fixture
def run_cli(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RunCli:
    """conftest's ``run_cli`` with a state database of the test's own."""
    from registre import cli as cli_module

    monkeypatch.setenv("REGISTRE_STATE_URL", f"sqlite:///{tmp_path / 'state.sqlite'}")
    # the console's width is fixed when it is made (COLUMNS under pytest-xdist): a table
    # read by the test must not cut its rule names short
    monkeypatch.setattr(cli_module.out, "width", 200)
    return run_cli


def test_a_sweep_that_waited_for_another_records_what_that_one_left(
    shop: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 §4: the due counts are taken once the lock is held, not before."""
    from registre.engine import sweep_lock as engine_sweep

    if shop.startswith("sqlite"):
        pytest.skip("a second sweep of a SQLite database is refused at once: no waiting")
    monkeypatch.setattr(engine_sweep, "LOCK_WAIT_SECONDS", 30)
    register = registre.load_register(REGISTER)
    before = registre.plan(register, at=AT, url=shop)
    holder = sa.create_engine(shop)
    found: list[registre.SweepReport] = []
    failures: list[BaseException] = []

    def second_sweep() -> None:
        try:
            with registre.open_state(f"sqlite:///{tmp_path / 'state.sqlite'}") as state:
                found.append(registre.sweep(register, state, at=AT, url=shop))
        except BaseException as error:  # reported by the test
            failures.append(error)

    with holder.connect() as other:  # the first sweep, as the database sees it
        if holder.dialect.name == "postgresql":
            other.execute(sa.select(sa.func.pg_advisory_lock(engine_sweep._PG_LOCK)))
        else:
            name = f"{engine_sweep.LOCK_NAME}:{holder.url.database}"
            other.execute(sa.select(sa.func.get_lock(name, 0)))
        other.commit()
        waiting = threading.Thread(target=second_sweep)
        waiting.start()
        time.sleep(1.0)  # the second sweep is waiting for the lock
        with holder.begin() as connection:  # the first sweep's work on the logins
            connection.execute(sa.text("DELETE FROM logins"))
        if holder.dialect.name == "postgresql":
            other.execute(sa.select(sa.func.pg_advisory_unlock(engine_sweep._PG_LOCK)))
        else:
            other.execute(sa.select(sa.func.release_lock(name)))
        other.commit()
        waiting.join(60)
    holder.dispose()
    assert not failures, failures
    (report,) = found
    logins = [r for r in report.rules if r.table == "logins"]
    assert [r.due for r in logins] == [0]
    assert report.due == before.due - sum(r.due for r in before.rules if r.table == "logins")
    with registre.open_state(f"sqlite:///{tmp_path / 'state.sqlite'}") as state:
        (started,) = state.audit.entries(action_prefix="sweep.started")
    assert started.details["due"] == report.due


def test_a_dry_run_changes_and_records_nothing(shop: str, tmp_path: Path) -> None:
    register = registre.load_register(REGISTER)
    with registre.open_state(f"sqlite:///{tmp_path / 'state.sqlite'}") as state:
        report = registre.sweep(register, state, at=AT, url=shop, dry_run=True)
        assert report.run_id is None and report.dry_run and report.ok
        assert report.due > 0 and report.changed == 0
        assert {r.status for r in report.rules} == {"not_run"}
        assert list(state.audit.entries()) == []
        # narrowed to one rule: the logins only
        logins = registre.sweep(register, state, at=AT, url=shop, rules=["logins"])
    assert [(r.rule, r.status) for r in logins.rules] == [("logins", "done")]
    assert logins.changed == logins.due > 0
    after = {(r.rule, r.table): r.due for r in registre.plan(register, at=AT, url=shop).rules}
    before = {(r.rule, r.table): r.due for r in report.rules}
    assert after == {**before, ("logins", "logins"): 0}


SLOW_TRIGGER = [
    "CREATE FUNCTION library_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "PERFORM pg_sleep(0.2); RETURN NULL; END $$",
    "CREATE TRIGGER library_slow AFTER DELETE ON logins "
    "FOR EACH STATEMENT EXECUTE FUNCTION library_slow()",
]


def test_ctrl_c_says_what_was_done_and_left_and_how_to_resume(tmp_path: Path) -> None:
    """SIGINT to a sweep slowed down by a trigger (0.2 s a batch): exit 130 and a message."""
    server = os.environ.get(SERVERS["postgresql"], "")
    if not server:
        pytest.skip(f"{SERVERS['postgresql']} is not set")
    state_url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    with scratch_database(server, prefix="library_ctrl_c") as url:
        engine = sa.create_engine(url)
        load_demo_data(load_app(EXAMPLE), engine, subjects=120, seed=3)
        with engine.begin() as connection:
            for statement in SLOW_TRIGGER:
                connection.execute(sa.text(statement))
        engine.dispose()
        command = [
            sys.executable,
            "-c",
            "from registre.cli import main; main()",
            "sweep",
            str(REGISTER),
            "--url",
            url,
            "--at",
            AT.isoformat(),
            "--yes",
            "--batch-size",
            "1",
        ]
        env = {**os.environ, "REGISTRE_STATE_URL": state_url, "COLUMNS": "200"}
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            _wait_for_batches(state_url, 3)
            child.send_signal(signal.SIGINT)
            _out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
        assert child.returncode == 130, err
        assert "Traceback" not in err
        assert "interrupted: sweep #1 changed" in err
        assert "stopped in rule 'logins' on table 'logins'" in err or "rules not run" in err
        assert "Committed batches stay committed" in err
        assert f"to resume, run the command again: registre sweep {REGISTER}" in err
        with registre.open_state(state_url) as state:
            run = state.runs.get(1)
            assert run is not None and run.status == "failed"
            assert run.summary is not None and run.summary["interrupted"] is True
            (failed,) = state.audit.entries(action_prefix="sweep.failed")
            assert failed.details["interrupted"] is True
        # resumed: the same command finishes the work
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TRIGGER library_slow ON logins"))
        engine.dispose()
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert finished.returncode == 0, finished.stderr
        register = registre.load_register(REGISTER)
        assert registre.plan(register, at=AT, url=url).due == 0


BATCHES = sa.text("SELECT count(*) FROM registre_audit_entry WHERE action LIKE 'sweep.de%'")


BATCHES = sa.text("SELECT count(*) FROM registre_audit_entry WHERE action LIKE 'sweep.de%'")


def _wait_for_batches(state_url: str, count: int) -> None:
    deadline = time.monotonic() + 60
    engine = sa.create_engine(state_url)
    try:
        while time.monotonic() < deadline:
            try:
                with engine.connect() as connection:
                    found = connection.execute(BATCHES).scalar_one()
            except sa.exc.OperationalError:  # not created yet
                found = 0
            if found >= count:
                return
            time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError("the sweep never started its batches")


def test_the_command_to_resume_shows_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from registre.cli import resume_command

    url = "postgresql+psycopg://shop:S3cret@db.internal:5432/shop"
    monkeypatch.setattr(sys, "argv", ["registre", "sweep", "register.yaml", "--url", url])
    shown = resume_command()
    assert "S3cret" not in shown
    assert shown == (
        "registre sweep register.yaml --url 'postgresql+psycopg://shop:***@db.internal:5432/shop'"
        " (with the password where *** stands)"
    )


SLOWER = (
    "CREATE FUNCTION library_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "PERFORM pg_sleep(0.3); RETURN NULL; END $$"
)


def test_ctrl_c_during_an_erasure_says_how_to_resume(tmp_path: Path) -> None:
    """SIGINT to `request execute` of an erasure slowed down by triggers (0.3 s a statement):
    exit 130, what stays, and the command to resume, which then finishes the erasure."""
    server = os.environ.get(SERVERS["postgresql"], "")
    if not server:
        pytest.skip(f"{SERVERS['postgresql']} is not set")
    state_url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    register = registre.load_register(REGISTER)
    with scratch_database(server, prefix="library_ctrl_c_erasure") as url:
        engine = sa.create_engine(url)
        load_demo_data(load_app(EXAMPLE), engine, subjects=60, seed=3)
        with engine.begin() as connection:
            connection.execute(sa.text(SLOWER))
            for table in sa.inspect(connection).get_table_names():
                connection.execute(
                    sa.text(
                        f"CREATE TRIGGER library_slow AFTER UPDATE OR DELETE ON {table} "
                        "FOR EACH STATEMENT EXECUTE FUNCTION library_slow()"
                    )
                )
        with registre.open_state(state_url) as state:
            desk = registre.RequestDesk(register, state, {"shop": engine}, out_dir=tmp_path / "out")
            request = desk.open("erasure", "camille.martin@example.fr")
            desk.verify(request.id, method="reply from the account's address")
        engine.dispose()
        command = [
            sys.executable,
            "-c",
            "from registre.cli import main; main()",
            "request",
            "execute",
            request.id,
            "--yes",
            "--register",
            str(REGISTER),
            "--url",
            url,
            "--out",
            str(tmp_path / "out"),
        ]
        env = {**os.environ, "REGISTRE_STATE_URL": state_url}
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            _wait_for(state_url, "request.erasure.planned")
            time.sleep(0.5)
            child.send_signal(signal.SIGINT)
            _out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
        assert child.returncode == 130, err
        assert "Traceback" not in err
        assert "interrupted: what was committed stays committed" in err
        assert f"registre request show {request.id}" in err
        assert f"to resume, run the command again: registre request execute {request.id}" in err
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert finished.returncode == 0, finished.stderr
        with registre.open_state(state_url) as state:
            desk = registre.RequestDesk(register, state, {}, out_dir=tmp_path / "out")
            assert desk.get(request.id).state is registre.RequestState.done


def _wait_for(state_url: str, action: str) -> None:
    deadline = time.monotonic() + 60
    engine = sa.create_engine(state_url)
    query = sa.text("SELECT count(*) FROM registre_audit_entry WHERE action = :action")
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if connection.execute(query, {"action": action}).scalar_one():
                    return
            time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError(f"no {action} entry")
