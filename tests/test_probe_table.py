"""The probe's table of issue 11, re-run: each row of "Done means" has an automated check.

| row of "Done means"                     | checked by                                           |
|-----------------------------------------|------------------------------------------------------|
| 0 tracebacks                            | the probe's reproducers (``REPRODUCERS`` below), the |
|                                         | fuzz test, every command's error shape               |
| 0 hangs                                 | the lock timeout, the alias bomb's bound, the fuzz   |
|                                         | test's time and memory bound                         |
| 0 passwords printed                     | every run of the fault and error-shape tests, the    |
|                                         | leakage scan, and here: a refused login, a database  |
|                                         | that does not exist, a sweep's trail                 |
| 0 undetected removals of a protection   | the tamper tests                                     |
| 0 wrong letters under concurrency       | two executions of an access (SQLite and PostgreSQL   |
|                                         | states) and, here, of an erasure                     |
| every failing rule isolated             | the sweep's failing rule, on the three databases     |

``test_every_row_of_the_table_is_checked`` fails when a test a row relies on is renamed or
removed; the other tests are the checks that were missing when the table was re-run.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from test_export_files import Desk, _write_lock
from test_requests_fixtures import DM, dm_database, email_of, server_url

AT = "2026-11-01"

REPRODUCERS = {
    # issue 11 §3: each minimal reproducer of the probe, and where it is a test
    "a duplicate key among a YAML alias bomb": [
        "test_check_errors::test_cli_reports_every_problem_at_once_and_writes_nothing",
        "test_register_fuzz::test_no_mutant_ends_in_a_traceback_a_hang_or_a_leak",
    ],
    "a: !!set x; languages: [fr, {x: 1}]; rules: [{account-data: 1}]": [
        "test_check_errors::test_problem_is_reported_where_it_is_written",
    ],
    "a retention or cookie lifetime of 10^40 months; 3000 years after account_deleted": [
        "test_fault_messages::test_a_period_past_200_years_is_refused_where_it_is_written",
        "test_check_errors::test_a_period_past_200_years_stops_every_command_at_the_register",
        "test_fault_messages::test_dates_at_the_ends_of_the_calendar_in_the_data",
    ],
    "a non-numeric port in a store or state URL": [
        "test_fault_messages::test_a_port_that_is_not_a_number",
        "test_error_shape::test_a_problem_exits_1_saying_what_where_and_what_to_do",
    ],
    "request execute as a SELECT-only role": ["test_fault_messages::test_a_user_who_may_only_read"],
    "a NOT NULL column anonymized to null": [
        "test_fault_messages::test_a_not_null_column_anonymized_to_null",
    ],
    "a dropped identity column; a dropped mapped table": [
        "test_fault_messages::test_dropped_from_the_database",
    ],
    "Ctrl-C": [
        "test_sweep_library::test_ctrl_c_says_what_was_done_and_left_and_how_to_resume",
        "test_sweep_library::test_ctrl_c_during_an_erasure_says_how_to_resume",
    ],
}

TABLE = {
    "0 tracebacks": [
        *(test for tests in REPRODUCERS.values() for test in tests),
        "test_error_shape::test_a_broken_register_lists_every_problem_where_it_is",
    ],
    "0 hangs": [
        "test_lock_timeout::test_a_sweep_behind_a_locked_table_stops_then_resumes",
        "test_lock_timeout::test_an_erasure_behind_a_locked_table_stops_then_resumes",
        "test_lock_timeout::test_every_store_connection_has_the_timeout",
        "test_check_errors::test_cli_reports_every_problem_at_once_and_writes_nothing",
        "test_register_fuzz::test_no_mutant_ends_in_a_traceback_a_hang_or_a_leak",
    ],
    "0 passwords printed": [
        "test_fault_messages::run_cli",  # every run of that module is scanned
        "test_error_shape::test_a_problem_exits_1_saying_what_where_and_what_to_do",
        "test_sweep_library::test_the_command_to_resume_shows_no_password",
        "test_leakage_postgresql_store::test_after_access_erasure_and_purge_the_person_is_only_where_documented",
        "test_probe_table::test_a_refused_login_or_a_missing_database_prints_no_password",
        "test_probe_table::test_a_sweep_stores_and_prints_no_password",
    ],
    "0 undetected removals of a protection": [
        "test_protection_tamper::test_a_tampered_protection_is_reported_and_stops_the_sweep_and_the_erasure",
        "test_protection_tamper::test_an_entry_numbered_0_is_shown_by_the_log",
        "test_protection_tamper::test_untampered_the_sweep_and_the_erasure_write",
    ],
    "0 wrong letters under concurrency": [
        "test_export_files::test_of_two_executions_at_once_the_loser_leaves_no_file",
        "test_fault_messages::test_of_two_executions_at_once_on_a_postgresql_state_the_loser_writes_nothing",
        "test_probe_table::test_of_two_erasures_at_once_the_letter_is_the_recorded_answer",
        "test_sweep_library::test_a_sweep_that_waited_for_another_records_what_that_one_left",
    ],
    "every failing rule isolated": [
        "test_sweep_library::test_a_rule_that_fails_is_reported_and_the_others_still_run",
        "test_sweep_library::test_the_command_line_exits_1_naming_the_failed_rule",
    ],
}


def test_every_row_of_the_table_is_checked() -> None:
    missing = []
    for row, tests in TABLE.items():
        assert tests, row
        for test in tests:
            module, name = test.split("::")
            if not callable(getattr(importlib.import_module(module), name, None)):
                missing.append(f"{row}: {test}")
    assert not missing, missing


# -- 0 passwords printed -------------------------------------------------------------------------

SECRET = "Pr0beTablePW"


def _run(cli: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    child = subprocess.run(
        [cli, *args], capture_output=True, text=True, timeout=180, env={**os.environ, **(env or {})}
    )
    return child.returncode, child.stdout + child.stderr


def _shown(output: str) -> str:
    assert "Traceback" not in output, output
    assert SECRET not in output, output
    return output


def test_a_refused_login_or_a_missing_database_prints_no_password(
    registre_cli: str, tmp_path: Path
) -> None:
    """The database answers, and refuses: its message must not carry the URL's password."""
    cases = []
    mariadb = os.environ.get("REGISTRE_TEST_MARIADB_URL")
    if mariadb:  # root has no password: a login with one is refused
        cases.append(sa.make_url(mariadb).set(password=SECRET))
    postgres = os.environ.get("REGISTRE_TEST_POSTGRES_URL")
    if postgres:  # trust ignores the password; the database does not exist
        cases.append(sa.make_url(postgres).set(password=SECRET, database="probe_none"))
    if not cases:
        pytest.skip("neither REGISTRE_TEST_MARIADB_URL nor REGISTRE_TEST_POSTGRES_URL is set")
    register = str(DM / "register.yaml")
    state = f"sqlite:///{tmp_path / 'state.sqlite'}"
    for parsed in cases:
        url = parsed.render_as_string(hide_password=False)
        for args in (
            ["check", register, "--connect", "--url", url],
            ["check", register, "--connect", "--url", url, "--json"],
            ["plan", register, "--at", AT, "--url", url, "--state-url", state],
            ["sweep", register, "--at", AT, "--yes", "--url", url, "--state-url", state],
            ["audit", "verify", "--state-url", url],
            ["request", "list", "--state-url", url],
        ):
            code, output = _run(registre_cli, *args)
            assert code == 1, (args, output)
            _shown(output)


def test_a_sweep_stores_and_prints_no_password(registre_cli: str, tmp_path: Path) -> None:
    """A sweep and an erasure record the databases they wrote to: never with a password."""
    server = server_url("postgresql")
    with dm_database(server, "probe_table") as engine:
        url = engine.url.set(password=SECRET).render_as_string(hide_password=False)
        state = tmp_path / "state.sqlite"
        env = {
            "PARCMOBILE_DATABASE_URL": url,
            "REGISTRE_STATE_URL": f"sqlite:///{state}",
            "REGISTRE_REGISTER": str(DM / "register.yaml"),
        }
        register = str(DM / "register.yaml")
        code, output = _run(registre_cli, "sweep", register, "--at", AT, "--yes", env=env)
        assert code == 0, output
        _shown(output)
        email = email_of(url, "account_holders", 5)
        out = str(tmp_path / "requests")
        code, output = _run(registre_cli, "request", "open", "erasure", "--email", email, env=env)
        assert code == 0, output
        request_id = output.split()[-1]
        for args in (
            ["verify", request_id, "--method", "reply from the account's address"],
            ["execute", request_id, "--yes", "--at", AT, "--out", out],
        ):
            code, output = _run(registre_cli, "request", *args, env=env)
            assert code == 0, output
            _shown(output)
        code, output = _run(registre_cli, "audit", "log", "--json", env=env)
        assert code == 0 and '"databases"' in output, output  # the scan reads what names them
        _shown(output)
    connection = sqlite3.connect(state)
    try:
        dump = "\n".join(connection.iterdump())
    finally:
        connection.close()
    assert "probe_table_" in dump  # the database is named, ...
    assert SECRET not in dump  # ... never with its password


# -- 0 wrong letters under concurrency: two executions of one erasure ----------------------------

NOTHING_FOUND = "nous ne détenons aucune donnée"
"""What the erasure's letter says when a search finds nothing: the letter a late second
execution would have written, once the first had erased everything."""


@pytest.fixture
def desk(registre_cli: str, tmp_path: Path) -> Iterator[Desk]:
    with dm_database("sqlite://", "probe_desk") as engine:
        yield Desk(registre_cli, engine.url.render_as_string(hide_password=False), tmp_path)


def _holder_left(data_url: str, email: str) -> bool:
    path = sa.make_url(data_url).database
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return bool(
            connection.execute(
                "SELECT count(*) FROM account_holders WHERE lower(email) = lower(?)", (email,)
            ).fetchone()[0]
        )
    finally:
        connection.close()


@pytest.mark.parametrize("when", ["both before the plan", "the second after the first erased"])
def test_of_two_erasures_at_once_the_letter_is_the_recorded_answer(desk: Desk, when: str) -> None:
    data_url = desk.env["PARCMOBILE_DATABASE_URL"]
    email = email_of(data_url, "account_holders", 3)  # invoices kept
    request_id = str(desk("open", "erasure", "--email", email)["id"])
    desk("verify", request_id, "--method", "reply from the account's address")
    command = ("execute", request_id, "--yes", "--json")
    if when == "both before the plan":
        # both wait for the state's writers' lock, before either stores its plan
        lock = _write_lock(desk.state)
        try:
            children = [desk.start(*command) for _ in range(2)]
            time.sleep(3)
            assert all(c.poll() is None for c in children)
        finally:
            lock.rollback()
            lock.close()
    else:
        # the second starts once the first has deleted the person's record, before it closes
        children = [desk.start(*command)]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and children[0].poll() is None:
            if not _holder_left(data_url, email):
                break
            time.sleep(0.01)
        # the first is then at a later step, or closing: still running
        assert children[0].poll() is None, children[0].communicate()
        children.append(desk.start(*command))
    outputs = [c.communicate(timeout=300) for c in children]
    codes = [c.returncode for c in children]
    assert 0 in codes, outputs
    for child, (stdout, stderr) in zip(children, outputs, strict=True):
        assert "Traceback" not in stdout + stderr, stderr
        if child.returncode:
            assert stderr.startswith("error: "), stderr
    assert not _holder_left(data_url, email)

    shown = desk("show", request_id)
    assert shown["state"] == "done" and not shown["result"]["nothing_found"], shown
    folder = desk.out / request_id
    letter = Path(shown["result"]["letter"])
    # one letter, the recorded one, saying what was done; nothing else of either execution
    assert sorted(p.name for p in folder.iterdir()) == [letter.name]
    text = " ".join(letter.read_text(encoding="utf-8").split()).lower()
    assert NOTHING_FOUND not in text
    # what the recorded outcome kept, and until when (the invoices: a legal obligation)
    kept = [o["until"] for o in shown["result"]["outcomes"] if o["action"] == "kept" and o["until"]]
    assert kept and all(until[:4] in text for until in kept), (kept, text)
