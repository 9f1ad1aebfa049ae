"""Erasure: nothing of the person left but what the letter says is kept; nobody else touched;
killed midway and run again, the same end state as an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registre._exceptions import RequestError
from registre.register.model import Register
from registre.requests import SubjectRequests
from registre.requests.find import Finder
from registre.requests.store import erasure_step
from registre.state import open_state
from registre.stores.scratch import scratch_database
from test_requests_fixtures import (  # noqa: F401  (fixtures are used by name)
    crm_register,
    digest_rows,
    dm_register,
    fresh_server,
    load_crm,
    load_dm,
    text_hits,
)

HERE = Path(__file__).resolve().parent


def kept_fields(register: Register, result: dict[str, Any]) -> set[str]:
    """``table.column`` of the personal columns the letter lists as kept."""
    fields = set()
    for outcome in result["outcomes"]:
        if outcome["action"] != "kept":
            continue
        mapping = register.stores[outcome["store"]].tables[outcome["table"]]
        personal = set(mapping.columns) | set(mapping.identity.values())
        fields |= {f"{outcome['table']}.{c}" for c in personal - set(outcome["columns"])}
    return fields


def erase(
    register: Register,
    engines: dict[str, sa.Engine],
    state_url: str,
    tmp: Path,
    identity: dict[str, str],
    **kwargs: Any,
) -> Any:
    with open_state(state_url) as state:
        desk = SubjectRequests(register, state, engines, out_dir=tmp / "out")
        request = desk.open("erasure", identity)
        desk.verify(request.id, method="signed letter with an identity document")
        done = desk.execute(request.id, **kwargs)
        letter = Path(done.result["letter"]).read_text(encoding="utf-8")
        return done, letter, desk


def _dm_person(engine: sa.Engine, table: str, offset: int) -> tuple[dict[str, str], list[str]]:
    with engine.connect() as connection:
        if table == "account_holders":
            email, phone, first, last = connection.execute(
                sa.text(
                    "SELECT email, phone, first_name, last_name FROM account_holders ORDER BY id "
                    f"LIMIT 1 OFFSET {offset}"
                )
            ).one()
            return {"email": email}, [email, phone, f"{first} {last}"]
        email = connection.execute(
            sa.text(f"SELECT email FROM managers ORDER BY id LIMIT 1 OFFSET {offset}")
        ).scalar_one()
        return {"email": email}, [email]


@pytest.mark.parametrize(("table", "offset"), [("account_holders", 1), ("managers", 3)])
def test_device_management_erasure(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
    table: str,
    offset: int,
) -> None:
    register = dm_register()
    with scratch_database(fresh_server, "registre_rq") as url:
        load_dm(url)
        engine = sa.create_engine(url)
        try:
            identity, needles = _dm_person(engine, table, offset)
            found = Finder(register, {"console": engine}).find(identity)
            mine = {t: set(r.rows) for (_, t), r in found.tables.items()}
            before_hits = text_hits(engine, register, "console", needles)
            before = digest_rows(engine, mine)
            done, letter, _ = erase(
                register,
                {"console": engine},
                f"sqlite:///{tmp_path / 'state.db'}",
                tmp_path,
                identity,
            )
            after_hits = text_hits(engine, register, "console", needles)
            after = digest_rows(engine, mine)
            state_url = f"sqlite:///{tmp_path / 'state.db'}"
            # done: a second execution is refused, nothing runs twice
            with pytest.raises(RequestError), open_state(state_url) as state:
                SubjectRequests(register, state, {"console": engine}).execute(done.id)
        finally:
            engine.dispose()
    assert before_hits  # the scan sees the person before
    assert after_hits <= kept_fields(register, done.result), after_hits
    assert after == before  # every other row is byte-identical
    assert done.state.value == "done"
    if table == "account_holders":
        # invoices stay for the legal obligation, and the letter says so and why
        assert any(
            o["table"] == "invoices" and o["reason"] == "legal_obligation"
            for o in done.result["outcomes"]
        )
        assert "obligation légale" in letter and "Code de commerce" in letter


def test_crm_erasure_keeps_shared_rows_and_erases_the_rest(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    register = crm_register()
    needles = ["person1@example.fr", "+33600000001", "Prénom1 Nom1"]
    with scratch_database(fresh_server, "registre_rq") as url:
        load_crm(url)
        engine = sa.create_engine(url)
        try:
            found = Finder(register, {"crm": engine}).find({"email": "person1@example.fr"})
            mine = {t: set(r.rows) for (_, t), r in found.tables.items()}
            before = digest_rows(engine, mine)
            done, letter, _ = erase(
                register,
                {"crm": engine},
                f"sqlite:///{tmp_path / 'state.db'}",
                tmp_path,
                {"email": "person1@example.fr"},
            )
            hits = text_hits(engine, register, "crm", needles)
            after = digest_rows(engine, mine)
            with engine.connect() as connection:
                address = connection.execute(sa.text("SELECT street FROM addresses WHERE id = 1"))
                street = address.scalar_one()
                meeting = connection.execute(sa.text("SELECT title FROM meetings WHERE id = 1"))
                title = meeting.scalar_one()
        finally:
            engine.dispose()
    assert hits <= kept_fields(register, done.result), hits
    assert after == before
    assert street == "1 rue des Lilas" and title == "Réunion 1"  # shared: kept as they were
    assert "concernent aussi d’autres personnes" in letter


def test_a_legal_hold_keeps_the_rows_as_they_are(tmp_path: Path) -> None:
    register = crm_register()
    with scratch_database("sqlite://", "registre_rq") as url:
        load_crm(url)
        engine = sa.create_engine(url)
        state_url = f"sqlite:///{tmp_path / 'state.db'}"
        try:
            with open_state(state_url) as state:
                state.holds.place(reason="litige commercial", store="crm", table="orders", key="2")
            done, letter, _ = erase(
                register, {"crm": engine}, state_url, tmp_path, {"email": "person1@example.fr"}
            )
            with engine.connect() as connection:
                note = connection.execute(sa.text("SELECT note FROM orders WHERE id = 2"))
                kept = note.scalar_one()
                gone = connection.execute(sa.text("SELECT count(*) FROM orders WHERE id = 3"))
                deleted = gone.scalar_one()
        finally:
            engine.dispose()
    assert kept == "commande de person1@example.fr" and deleted == 0
    assert any(o["reason"] == "hold" for o in done.result["outcomes"])
    assert "gel juridique" in letter


CHILD = """
import sys
sys.path.insert(0, {tests!r})
import sqlalchemy as sa
from test_requests_fixtures import crm_register
from registre.requests import SubjectRequests
from registre.state import open_state
engine = sa.create_engine({url!r})
with open_state({state!r}) as state:
    SubjectRequests(crm_register(), state, {{"crm": engine}}, out_dir={out!r}).execute(
        {request!r}, step_size=2)
"""


def _done_steps(state_url: str, request_id: str) -> tuple[int, int]:
    engine = sa.create_engine(state_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(erasure_step.c.done_at).where(erasure_step.c.request_id == request_id)
            ).all()
    finally:
        engine.dispose()
    return sum(1 for r in rows if r.done_at is not None), len(rows)


@pytest.mark.slow
def test_an_erasure_killed_midway_resumes_to_the_same_state(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    register = crm_register()
    identity = {"email": "person1@example.fr"}
    with (
        scratch_database(fresh_server, "registre_rq") as killed_url,
        scratch_database(fresh_server, "registre_rq") as straight_url,
    ):
        for url in (killed_url, straight_url):
            load_crm(url, lines_for_alice=30)
        # uninterrupted
        straight = sa.create_engine(straight_url)
        erase(
            register,
            {"crm": straight},
            f"sqlite:///{tmp_path / 's1.db'}",
            tmp_path,
            identity,
            step_size=2,
        )
        # killed with SIGKILL midway, then run again
        state_url = f"sqlite:///{tmp_path / 's2.db'}"
        killed = sa.create_engine(killed_url)
        with open_state(state_url) as state:
            desk = SubjectRequests(register, state, {"crm": killed}, out_dir=tmp_path / "o2")
            request = desk.open("erasure", identity)
            desk.verify(request.id, method="identity document")
        code = CHILD.format(
            tests=str(HERE),
            url=killed_url,
            state=state_url,
            out=str(tmp_path / "o2"),
            request=request.id,
        )
        child = subprocess.Popen([sys.executable, "-c", code], env=os.environ.copy())
        deadline = time.monotonic() + 60
        done = total = 0
        while time.monotonic() < deadline and child.poll() is None:
            done, total = _done_steps(state_url, request.id)
            if total and 5 <= done < total - 5:
                break
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert 5 <= done < total, (done, total)  # it was really stopped midway
        with open_state(state_url) as state:
            result = SubjectRequests(
                register, state, {"crm": killed}, out_dir=tmp_path / "o2"
            ).execute(request.id, step_size=2)
        assert result.state.value == "done"
        assert _done_steps(state_url, request.id)[0] == total
        try:
            assert digest_rows(killed, {}) == digest_rows(straight, {})
        finally:
            killed.dispose()
            straight.dispose()
