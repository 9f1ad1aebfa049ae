"""``registre check --connect`` and ``registre demo-data``, as a person runs them.

Each schema case changes the live database of the device-management example the way an
application migration would, and names what the command must say; the command exits 1 and
points at the line of the mapping in register.yaml. No case may print a traceback.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from registre.cli import main
from registre.demo import load_app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "device-management"
REGISTER = EXAMPLE / "register.yaml"


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["registre", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


@pytest.fixture
def schema_url(tmp_path: Path) -> Iterator[str]:
    """A SQLite database holding the example's empty schema."""
    url = f"sqlite:///{tmp_path / 'console.db'}"
    engine = create_engine(url)
    load_app(EXAMPLE).metadata.create_all(engine)
    engine.dispose()
    yield url


SCHEMA_CASES = [
    # (case, SQL run on the live schema, words the report must hold)
    (
        "column dropped",
        ["ALTER TABLE managers DROP COLUMN last_ip"],
        "table 'managers', column 'last_ip': the mapping names a column the table does not have",
    ),
    (
        "table renamed",
        ["ALTER TABLE web_history RENAME TO web_visits"],
        "table 'web_history': the table does not exist in the database (was it renamed "
        "'web_visits'?",
    ),
    (
        "column renamed",
        ["ALTER TABLE devices RENAME COLUMN imei TO imei_number"],
        "column 'imei': the mapping names a column the table does not have (was it renamed "
        "'imei_number'?",
    ),
    (
        "timestamp turned into text",
        [
            "DROP INDEX ix_devices_reset_at",
            "ALTER TABLE devices DROP COLUMN reset_at",
            "ALTER TABLE devices ADD COLUMN reset_at TEXT",
        ],
        "event 'device_reset' is at 'reset_at', a TEXT column, not a date or timestamp",
    ),
    (
        "unmapped column added",
        ["ALTER TABLE devices ADD COLUMN owner_email VARCHAR(200)"],
        "column 'owner_email': the column is not mapped",
    ),
    (
        "unmapped table pointing at a mapped one",
        [
            "CREATE TABLE support_tickets (id INTEGER PRIMARY KEY, email VARCHAR(200), "
            "device_id INTEGER REFERENCES devices (id))"
        ],
        "table 'support_tickets': the table is not mapped, but its foreign key "
        "support_tickets.device_id -> devices.id points at mapped tables",
    ),
]


@pytest.mark.parametrize(
    ("statements", "words"),
    [pytest.param(sql, words, id=case) for case, sql, words in SCHEMA_CASES],
)
def test_a_schema_that_drifted_from_the_mapping_fails_the_check_with_the_register_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    schema_url: str,
    statements: list[str],
    words: str,
) -> None:
    engine = create_engine(schema_url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()

    code, out, err = run(
        capsys, monkeypatch, "check", str(REGISTER), "--connect", "--url", schema_url
    )

    assert code == 1
    assert "OK (8 processing activities" in out  # the register itself is fine
    assert words in err
    line = next(line for line in err.splitlines() if words in line)
    assert re.match(r"\s*- .*register\.yaml:\d+:\d+: store 'console', table '", line)
    assert "no sweep or request runs until they match" in err


def test_a_schema_that_matches_passes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, schema_url: str
) -> None:
    monkeypatch.setenv("PARCMOBILE_DATABASE_URL", schema_url)
    code, out, err = run(capsys, monkeypatch, "check", str(REGISTER), "--connect")
    assert (code, err) == (0, "")
    assert "store 'console': the database matches the mapping (11 tables)" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(
            ["--url", "postgresql+psycopg://app:hunter2@127.0.0.1:1/app"],
            "the database server cannot be reached",
            id="unreachable server",
        ),
        pytest.param([], "$PARCMOBILE_DATABASE_URL, which is not set", id="variable unset"),
        pytest.param(
            ["--store", "billing", "--url", "sqlite://"], "no store 'billing'", id="unknown store"
        ),
    ],
)
def test_a_database_that_cannot_be_reached_is_one_message_without_traceback(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    words: str,
) -> None:
    monkeypatch.delenv("PARCMOBILE_DATABASE_URL", raising=False)
    code, _, err = run(capsys, monkeypatch, "check", str(REGISTER), "--connect", *args)
    assert code == 1
    assert err.startswith("error: ")
    assert words in err
    assert "hunter2" not in err
    assert "hint: " in err


def test_demo_data_loads_then_refuses_to_overwrite_without_drop(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["demo-data", str(EXAMPLE), "--url", url, "--subjects", "60", "--seed", "4"]

    code, out, _ = run(capsys, monkeypatch, *args)
    assert code == 0
    assert re.search(r"rows in [\d.]+ s \(accounts 10, .*directory_users 60, ", out)
    assert f"export PARCMOBILE_DATABASE_URL='{url}'" in out

    code, _, err = run(capsys, monkeypatch, *args)
    assert code == 1
    assert "already has the tables" in err and "--drop" in err

    code, out, _ = run(capsys, monkeypatch, *args, "--drop")
    assert code == 0

    code, out, _ = run(capsys, monkeypatch, "check", str(REGISTER), "--connect", "--url", url)
    assert code == 0
    assert "matches the mapping" in out


def test_demo_data_takes_a_profile_and_refuses_an_unknown_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'lean.db'}"
    args = ["demo-data", str(EXAMPLE), "--url", url, "--subjects", "60"]

    code, _, err = run(capsys, monkeypatch, *args, "--profile", "thin")
    assert code == 1
    assert "no data profile 'thin' (its profiles: lean)" in err
    assert not (tmp_path / "lean.db").exists()

    code, out, _ = run(capsys, monkeypatch, *args, "--profile", "lean")
    assert code == 0
    assert "directory_users 60, " in out


def test_a_sweep_refuses_to_orphan_the_rows_of_an_unmapped_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # SQLite does not enforce foreign keys: deleting a reset device would leave its ticket
    # pointing at nothing
    url = f"sqlite:///{tmp_path / 'app.db'}"
    code, _, _ = run(
        capsys, monkeypatch, "demo-data", str(EXAMPLE), "--url", url, "--subjects", "60"
    )
    assert code == 0
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE support_tickets (id INTEGER PRIMARY KEY, email VARCHAR(200), "
                "device_id INTEGER REFERENCES devices (id))"
            )
        )
        device = conn.execute(
            text("SELECT min(id) FROM devices WHERE reset_at < '2026-10-01'")
        ).scalar_one()
        conn.execute(
            text("INSERT INTO support_tickets VALUES (1, 'jeanne@example.fr', :d)"), {"d": device}
        )
    monkeypatch.setenv("REGISTRE_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")

    code, _, err = run(
        capsys, monkeypatch, "sweep", str(REGISTER), "--url", url, "--at", "2026-11-01", "--yes"
    )

    assert code == 1
    assert "table 'support_tickets': the table is not mapped" in err
    assert "nothing was written" in err
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM devices WHERE id = :d"), {"d": device})
        assert kept.scalar_one() == 1
    engine.dispose()


def test_the_check_names_a_rule_bound_to_no_table_at_its_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    schema_url: str,
    tmp_path: Path,
) -> None:
    text_ = REGISTER.read_text(encoding="utf-8")
    assert text_.count("rules: [shared-contacts]") == 1
    register = tmp_path / "register.yaml"
    register.write_text(text_.replace("rules: [shared-contacts]", "rules: []"), encoding="utf-8")

    code, _, err = run(
        capsys, monkeypatch, "check", str(register), "--connect", "--url", schema_url
    )

    assert code == 1
    [line] = [line for line in err.splitlines() if "bound to no table" in line]
    number = next(
        i for i, row in enumerate(text_.splitlines(), 1) if row.strip() == "shared-contacts:"
    )
    assert f"register.yaml:{number}:" in line
    assert "rule 'shared-contacts'" in line
    assert (
        "add 'shared-contacts' under 'rules:' of the table holding its data: shared_contacts"
        in (line)
    )
    # the table's columns are that rule's data: one gap, one report
    assert "kept forever" not in err


@pytest.fixture
def demo_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> str:
    """A SQLite database of the example holding a little generated data."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    code, _, _ = run(
        capsys, monkeypatch, "demo-data", str(EXAMPLE), "--url", url, "--subjects", "60"
    )
    assert code == 0
    return url


def test_a_plan_writes_no_state(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    demo_url: str,
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.delenv("REGISTRE_STATE_URL", raising=False)

    code, out, _ = run(
        capsys, monkeypatch, "plan", str(REGISTER), "--url", demo_url, "--at", "2026-11-01"
    )

    assert code == 0
    assert "Store console (sqlite) at 2026-11-01" in out
    assert list(here.iterdir()) == []


@pytest.mark.parametrize(
    "command",
    [
        ["plan", str(REGISTER), "--at", "2026-11-01"],
        ["sweep", str(REGISTER), "--at", "2026-11-01", "--yes"],
        ["check", str(REGISTER), "--connect"],
    ],
    ids=lambda command: command[0],
)
def test_a_mistyped_sqlite_store_is_an_error_and_no_file_is_created(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    demo_url: str,
    command: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REGISTRE_STATE_URL", raising=False)
    before = sorted(tmp_path.iterdir())

    code, _, err = run(capsys, monkeypatch, *command, "--url", "sqlite:///ap.db")

    assert code == 1
    assert (
        f"store 'console': the SQLite file {tmp_path / 'ap.db'} cannot be opened: it does " in err
    )
    assert sorted(tmp_path.iterdir()) == before
    # nor a state beside the register: a sweep that cannot open its store stops before it
    assert not (REGISTER.parent / "registre-state.sqlite").exists()
