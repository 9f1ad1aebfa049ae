"""Two settings that make the everyday commands cheaper (issue 13 §4).

- A SQLite state file is switched to WAL by its first writer: a commit then writes the log
  once, instead of the rollback journal and the file. A reader leaves the file as it found it.
- ``plan`` counts on PostgreSQL with JIT compilation off: compiling took 438 ms of a 440 ms
  count on a small database.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registre.cli import main
from registre.demo import load_app, load_demo_data
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import server_url

SHOP = Path(__file__).resolve().parent.parent / "examples" / "online-shop"


def _journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return str(connection.execute("PRAGMA journal_mode").fetchone()[0])


def test_the_first_write_puts_a_sqlite_state_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with open_state(f"sqlite:///{path}") as state:
        state.holds.place(reason="litigation", identity={"email": "a@b.fr"}, actor="dpo")
        with state.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert _journal_mode(path) == "wal"  # it stays with the file
    with open_state(f"sqlite:///{path}", create=False) as again:
        assert [hold.reason for hold in again.holds.active()] == ["litigation"]


def test_a_reader_leaves_a_state_in_its_journal_mode(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with open_state(f"sqlite:///{path}") as state:
        state.holds.place(reason="litigation", identity={"email": "a@b.fr"}, actor="dpo")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    with open_state(f"sqlite:///{path}", create=False) as reader:
        assert len(reader.holds.active()) == 1
    assert _journal_mode(path) == "delete"


@pytest.fixture
def shop_on_postgresql() -> Iterator[str]:
    with scratch_database(server_url("postgresql"), prefix="cli_jit") as url:
        engine = sa.create_engine(url)
        try:
            load_demo_data(load_app(SHOP), engine, subjects=30)
        finally:
            engine.dispose()
        yield url


def test_plan_counts_without_jit_on_postgresql(
    shop_on_postgresql: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    executed: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        monkeypatch.setattr(
            sys,
            "argv",
            [
                "registre", "plan", str(SHOP / "register.yaml"), "--at", "2026-11-01",
                "--url", shop_on_postgresql, "--json",
                "--state-url", f"sqlite:///{tmp_path / 'state.sqlite'}",
            ],
        )  # fmt: skip
        try:
            main()
        except SystemExit as exited:
            assert exited.code in (0, None), capsys.readouterr().err
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert "SET LOCAL jit = off" in executed
    first_count = next(i for i, s in enumerate(executed) if "count(" in s.lower())
    assert executed.index("SET LOCAL jit = off") < first_count
