"""What a client receives when a request about the data we hold for it is forwarded, on SQLite,
PostgreSQL and MariaDB: exactly the person's rows in its tables, computed here with plain SQL
(:func:`test_requests_fixtures.expected_dm`), and nothing of ours."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registre._exceptions import RequestError
from registre.requests import RequestDesk
from registre.requests.table_activities import processor_only
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_erasure import _answer, _done_steps, kill_midway
from test_requests_fixtures import (  # noqa: F401
    ANCHOR,
    digest_rows,
    dm_database,
    dm_register,
    dm_url,
    expected_dm,
    fresh_server,
    load_dm,
    text_hits,
)


@pytest.mark.parametrize("offset", [0, 7, 23])
def test_a_forwarded_access_sends_the_client_exactly_the_rows_held_for_it(
    dm_url: str,  # noqa: F811
    offset: int,
    tmp_path: Path,
) -> None:
    register = dm_register()
    mappings = register.stores["console"].tables
    held_for_clients = {t for t, m in mappings.items() if processor_only(register, m)}
    engine = sa.create_engine(dm_url)
    try:
        with engine.connect() as connection:
            email = connection.execute(
                sa.text(
                    "SELECT email FROM directory_users WHERE email IS NOT NULL ORDER BY id "
                    f"LIMIT 1 OFFSET {offset}"
                )
            ).scalar_one()
            expected = {
                table: keys
                for table, keys in expected_dm(connection, email).items()
                if table in held_for_clients
            }
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(register, state, {"console": engine}, out_dir=tmp_path, now=ANCHOR)
            request = desk.open("access", {"email": email})
            desk.verify(request.id, method="reply from the account's address")
            done = desk.execute(request.id)
    finally:
        engine.dispose()

    forwarded = done.result.get("forwarded", done.result)
    (package,) = forwarded["forward_data"]
    with zipfile.ZipFile(package) as archive:
        tables = json.loads(archive.read("data.json"))["tables"]
        csv_lines = {
            name.removesuffix(".csv"): len(archive.read(name).decode().splitlines()) - 1
            for name in archive.namelist()
            if name.endswith(".csv")
        }
    sent = {table: {row["id"] for row in data["rows"]} for table, data in tables.items()}
    assert sent == expected
    assert csv_lines == {table: len(keys) for table, keys in expected.items()}
    assert set(sent) <= held_for_clients  # nothing of the data we control


# -- carrying out a forwarded request on the controller's instruction ---------------------------


def _user(connection: Any, offset: int) -> tuple[str, str, set[Any]]:
    """A device user who is nobody else (no manager, holder or contact with that email)."""
    rows = connection.execute(
        sa.text(
            "SELECT u.email, u.name FROM directory_users u WHERE u.email IS NOT NULL "
            "AND u.email NOT IN (SELECT email FROM managers) "
            "AND u.email NOT IN (SELECT email FROM account_holders) "
            "AND u.email NOT IN (SELECT email FROM shared_contacts WHERE email IS NOT NULL) "
            "AND u.deleted_at IS NULL ORDER BY u.id"
        )
    ).all()
    email, name = rows[offset]
    return email, name, {a for (a,) in connection.execute(sa.text("SELECT id FROM accounts"))}


def _contact(connection: Any, offset: int) -> tuple[str, str]:
    """A shared contact who is nobody else, with a name nobody else has: all we hold of them
    is held for the client (seed 003, section C)."""
    rows = connection.execute(
        sa.text(
            "SELECT c.email, c.name FROM shared_contacts c WHERE c.email IS NOT NULL "
            "AND c.deleted_at IS NULL "
            "AND c.email NOT IN (SELECT email FROM managers) "
            "AND c.email NOT IN (SELECT email FROM account_holders) "
            "AND c.email NOT IN (SELECT email FROM directory_users WHERE email IS NOT NULL) "
            "AND c.name NOT IN (SELECT name FROM directory_users WHERE name IS NOT NULL) "
            "AND (SELECT count(*) FROM shared_contacts o WHERE o.name = c.name "
            "OR o.email = c.email) = 1 ORDER BY c.id"
        )
    ).all()
    email, name = rows[offset]
    return email, name


@pytest.mark.parametrize("who", ["contact", "device user"])
def test_a_forwarded_erasure_is_carried_out_on_the_controllers_instruction(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
    who: str,
) -> None:
    """A shared contact's data is all held for the client: the request is forwarded whole. A
    device user's web history is ours (seed 003, section B) and erased at once; the rest
    (directory entry, device names, geolocation) waits for the client's instruction."""
    register = dm_register()
    with dm_database(fresh_server) as engine:
        with engine.connect() as connection:
            if who == "contact":
                email, name = _contact(connection, 3)
            else:
                email, name, _ = _user(connection, 3)
            theirs = expected_dm(connection, email)
        before = digest_rows(engine, theirs)
        assert text_hits(engine, register, "console", [email, name])
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(register, state, {"console": engine}, out_dir=tmp_path, now=ANCHOR)
            request = desk.open("erasure", {"email": email})
            desk.verify(request.id, method="reply from the account's address")
            forwarded = desk.execute(request.id)
            if who == "contact":
                assert forwarded.state.value == "forwarded"
            else:  # our part done, the rest forwarded
                assert forwarded.state.value == "done" and "forwarded" in forwarded.result
                assert theirs.get("web_history")  # the user has a history, now gone
                with engine.connect() as connection:
                    left = connection.execute(
                        sa.text(
                            "SELECT count(*) FROM web_history WHERE device_id IN "
                            f"({','.join(str(d) for d in sorted(theirs['devices']))})"
                        )
                    ).scalar_one()
                assert left == 0
            assert text_hits(engine, register, "console", [email, name])  # the client's part

            with pytest.raises(RequestError, match="say which instruction"):
                desk.instruct(request.id, "  ")
            with pytest.raises(RequestError, match="not forwarded to a client '999999'"):
                desk.instruct(request.id, "email", tenant="999999")
            instructed = desk.instruct(request.id, "email from the client, 2 December 2026")
            assert instructed.state.value == "in_progress" and instructed.closed_at is None
            done = desk.execute(request.id)
            actions = [e.action for e in state.audit.entries()]
        after_hits = text_hits(engine, register, "console", [email, name])
        after = digest_rows(engine, theirs)

    assert done.state.value == "done" and done.closed_at is not None
    # the person's data is gone, and every other person's rows are as they were, byte for byte
    assert after_hits == set()
    assert after == before
    outcomes = {(o["table"], o["action"]) for o in done.result["outcomes"]}
    table = "shared_contacts" if who == "contact" else "directory_users"
    assert (table, "deleted") in outcomes
    assert not any(action == "forwarded" for _, action in outcomes)
    # audited: the instruction, then the plan and each step before it ran (a device user's
    # own erasure was planned once before, for our part)
    assert actions.count("request.erasure.planned") == (1 if who == "contact" else 2)
    last_plan = len(actions) - 1 - actions[::-1].index("request.erasure.planned")
    assert actions.index("request.instructed") < last_plan
    # the confirmation goes to the client, not to the person
    letter = Path(done.result["letter"])
    assert letter.name == "instruction-fr.html"
    text = letter.read_text(encoding="utf-8")
    assert "Exécution de vos instructions" in text and "email from the client" in text
    assert "Données effacées" in text and "répondre à la personne" in text
    assert "avec vous" not in text and "vous identifient" not in text  # about the person


def test_a_request_answered_for_our_part_is_carried_out_for_the_rest_on_instruction(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A console manager: we erase what we hold for ourselves (last login, IP) and forward the
    rest to the client; the client then instructs us to erase it, with a plan of its own."""
    register = dm_register()
    with dm_database(fresh_server) as engine:
        with engine.connect() as connection:
            email = connection.execute(
                sa.text(
                    "SELECT email FROM managers WHERE deleted_at IS NULL "
                    "AND email NOT IN (SELECT email FROM directory_users "
                    "WHERE email IS NOT NULL) "
                    "AND email NOT IN (SELECT email FROM account_holders) "
                    "AND email NOT IN (SELECT email FROM shared_contacts "
                    "WHERE email IS NOT NULL) ORDER BY id"
                )
            ).first()[0]  # type: ignore[index]
            theirs = expected_dm(connection, email)
        before = digest_rows(engine, theirs)
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(register, state, {"console": engine}, out_dir=tmp_path, now=ANCHOR)
            request = desk.open("erasure", {"email": email})
            desk.verify(request.id, method="reply from the account's address")
            ours = desk.execute(request.id)
            assert ours.state.value == "done" and "forwarded" in ours.result
            assert text_hits(engine, register, "console", [email])  # the client's part
            instructed = desk.instruct(request.id, "ticket 77 from the client")
            assert instructed.state.value == "in_progress"
            done = desk.execute(request.id)
            with pytest.raises(RequestError, match="already carried out on the instruction"):
                desk.instruct(request.id, "the same ticket again")
            with state.engine.connect() as connection:
                plans = connection.execute(
                    sa.text(
                        "SELECT DISTINCT plan FROM registre_erasure_step "
                        "WHERE request_id = :r ORDER BY plan"
                    ),
                    {"r": request.id},
                ).scalars()
                plans = list(plans)
            actions = [e.action for e in state.audit.entries()]
        after_hits = text_hits(engine, register, "console", [email])
        after = digest_rows(engine, theirs)

    assert done.state.value == "done"
    assert after_hits == set()
    assert after == before  # nobody else's rows changed
    assert plans == [0, 1]  # our erasure, then the client's, each with its own plan
    assert actions.count("request.erasure.planned") == 2
    assert actions.index("request.instructed") < len(actions) - 1 - actions[::-1].index(
        "request.erasure.planned"
    )
    assert Path(done.result["letter"]).name == "instruction-fr.html"
    assert Path(ours.result["letter"]).exists()  # the person's answer is still there


def test_an_instruction_names_its_client_when_the_request_went_to_several(
    tmp_path: Path,
) -> None:
    register = dm_register()
    url = f"sqlite:///{tmp_path / 'dm.db'}"
    load_dm(url)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:  # the same person, employed by two clients
            email, name, _ = _user(connection, 5)
            first = connection.execute(
                sa.text("SELECT account_id FROM directory_users WHERE email = :e"), {"e": email}
            ).scalar_one()
            second = connection.execute(
                sa.text("SELECT min(id) FROM accounts WHERE id <> :a"), {"a": first}
            ).scalar_one()
            connection.execute(
                sa.text(
                    "INSERT INTO directory_users (id, account_id, email, name, created_at) "
                    "VALUES (99997, :account, :email, :name, '2026-01-05')"
                ),
                {"account": second, "email": email, "name": name},
            )
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(register, state, {"console": engine}, out_dir=tmp_path, now=ANCHOR)
            access = desk.open("access", {"email": email})
            desk.verify(access.id, method="reply")
            desk.execute(access.id)
            with pytest.raises(RequestError, match="erase or to rectify"):
                desk.instruct(access.id, "email")
            request = desk.open("erasure", {"email": email})
            with pytest.raises(RequestError, match="only a request forwarded to a client can"):
                desk.instruct(request.id, "email")  # not forwarded yet
            desk.verify(request.id, method="reply")
            desk.execute(request.id)
            with pytest.raises(RequestError, match="went to 2 clients") as caught:
                desk.instruct(request.id, "email")
            low, high = sorted((first, second))
            assert f"--tenant KEY, one of {low}, {high}" in (caught.value.hint or "")
            desk.instruct(request.id, "email from the second client", tenant=str(second))
            done = desk.execute(request.id)
            with engine.connect() as connection:
                left = connection.execute(
                    sa.text("SELECT id, account_id FROM directory_users WHERE email = :e"),
                    {"e": email},
                ).all()
            # then the first client instructs too, about its own row, with a plan of its own
            with pytest.raises(RequestError, match="already carried out on the instruction"):
                desk.instruct(request.id, "again", tenant=str(second))
            desk.instruct(request.id, "email from the first client", tenant=str(first))
            last = desk.execute(request.id)
        with engine.connect() as connection:
            remaining = connection.execute(
                sa.text("SELECT count(*) FROM directory_users WHERE email = :e"), {"e": email}
            ).scalar_one()
    finally:
        engine.dispose()
    assert done.state.value == "done"
    # the second client's row is gone; the first client's is untouched
    assert [account for _, account in left] == [first]
    assert last.state.value == "done" and remaining == 0
    assert Path(last.result["letter"]).name == "instruction-2-fr.html"
    assert Path(done.result["letter"]).exists()  # the first confirmation is kept


CHILD = """
import sys
from datetime import datetime
sys.path.insert(0, {tests!r})
import sqlalchemy as sa
from test_requests_fixtures import dm_register
from registre.requests import RequestDesk
from registre.state import open_state
engine = sa.create_engine({url!r})
with open_state({state!r}) as state:
    RequestDesk(
        dm_register(), state, {{"console": engine}}, out_dir={out!r},
        now=datetime.fromisoformat({now!r}),
    ).execute({request!r}, step_size=2)
"""


def _instructed(desk: RequestDesk, email: str) -> str:
    """An erasure request about a device user, done for our part (their web history) and
    forwarded for the rest, then instructed by the client."""
    request = desk.open("erasure", {"email": email})
    desk.verify(request.id, method="signed letter")
    ours = desk.execute(request.id)
    assert ours.state.value == "done" and "forwarded" in ours.result
    desk.instruct(request.id, "email from the client, 2 December 2026")
    return request.id


@pytest.mark.slow
def test_an_instructed_erasure_killed_midway_resumes_to_the_same_state_and_answer(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    register = dm_register()
    with (
        scratch_database(fresh_server, "registre_rq") as killed_url,
        scratch_database(fresh_server, "registre_rq") as straight_url,
    ):
        for url in (killed_url, straight_url):
            load_dm(url)
        straight, killed = sa.create_engine(straight_url), sa.create_engine(killed_url)
        try:
            with straight.connect() as connection:  # the user with the longest history
                email = connection.execute(
                    sa.text(
                        "SELECT u.email FROM directory_users u JOIN devices d ON d.user_id = u.id "
                        "JOIN geolocation_points g ON g.device_id = d.id "
                        "WHERE u.email NOT IN (SELECT email FROM managers) "
                        "GROUP BY u.id, u.email ORDER BY count(*) DESC, u.id LIMIT 1"
                    )
                ).scalar_one()
            with open_state(f"sqlite:///{tmp_path / 's1.db'}") as state:
                desk = RequestDesk(
                    register, state, {"console": straight}, out_dir=tmp_path / "o1", now=ANCHOR
                )
                uninterrupted = desk.execute(_instructed(desk, email), step_size=2)

            state_url = f"sqlite:///{tmp_path / 's2.db'}"
            out = tmp_path / "o2"
            with open_state(state_url) as state:
                desk = RequestDesk(register, state, {"console": killed}, out_dir=out, now=ANCHOR)
                request_id = _instructed(desk, email)
            code = CHILD.format(
                tests=str(Path(__file__).parent),
                url=killed_url,
                state=state_url,
                out=str(out),
                request=request_id,
                now=ANCHOR.isoformat(),
            )
            total = kill_midway(code, state_url, request_id)
            with open_state(state_url) as state:
                resumed = RequestDesk(
                    register, state, {"console": killed}, out_dir=out, now=ANCHOR
                ).execute(request_id, step_size=2)
            assert _done_steps(state_url, request_id)[0] == total
            assert digest_rows(killed, {}) == digest_rows(straight, {})
        finally:
            killed.dispose()
            straight.dispose()
    assert resumed.state.value == uninterrupted.state.value == "done"
    assert _answer(resumed) == _answer(uninterrupted)
    assert Path(resumed.result["letter"]).name == "instruction-fr.html"
