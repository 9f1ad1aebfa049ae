"""Erasure: nothing of the person left but what the letter says is kept; nobody else touched;
kept data kept only as long as the law requires; killed midway and run again, the same end
state and the same answer as an uninterrupted run.

"Nobody else touched" is checked against the person's rows as the tests compute them
(:mod:`test_requests_fixtures`), not as the finder found them: a finder that took someone
else's row would fail it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from registre._exceptions import RequestError
from registre.documents.wording import date as date_words
from registre.register.loader import load_register
from registre.register.model import Register
from registre.requests import RequestDesk, table_activities
from registre.requests.erase_steps import WRITES
from registre.requests.store import erasure_step
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import (  # noqa: F401  (fixtures are used by name)
    ANCHOR,
    BOOKING,
    booking_register,
    crm_register,
    digest_rows,
    dm_register,
    expected_booking,
    expected_crm,
    expected_dm,
    fresh_server,
    load_booking,
    load_crm,
    load_dm,
    text_hits,
)

HERE = Path(__file__).resolve().parent
PARIS = ZoneInfo("Europe/Paris")
REDACTED = "[redacted]"


def kept_fields(register: Register, result: dict[str, Any]) -> set[str]:
    """``table.column`` of the personal columns the letter lists as kept or as forwarded.

    Forwarded: rows we hold for a controller, which the letter says we pass the request to;
    their columns that an outcome anonymized are not among them.
    """
    fields = set()
    anonymized: dict[str, set[str]] = {}
    for outcome in result["outcomes"]:
        if outcome["action"] in ("anonymized", "kept"):
            anonymized.setdefault(outcome["table"], set()).update(outcome["columns"])
    for outcome in result["outcomes"]:
        mapping = register.stores[outcome["store"]].tables[outcome["table"]]
        personal = set(mapping.columns) | {c for _, c in mapping.identity_columns()}
        if outcome["action"] == "kept":
            fields |= {f"{outcome['table']}.{c}" for c in personal - set(outcome["columns"])}
        elif outcome["action"] == "forwarded":
            left = personal - anonymized.get(outcome["table"], set())
            fields |= {f"{outcome['table']}.{c}" for c in left}
    return fields


def erase(
    register: Register,
    engines: dict[str, sa.Engine],
    state_url: str,
    tmp: Path,
    identity: dict[str, str],
    now: datetime | None = None,
    **kwargs: Any,
) -> Any:
    with open_state(state_url) as state:
        desk = RequestDesk(register, state, engines, out_dir=tmp / "out", now=now)
        request = desk.open("erasure", identity)
        desk.verify(request.id, method="signed letter with an identity document")
        done = desk.execute(request.id, **kwargs)
        letter = Path(done.result["letter"]).read_text(encoding="utf-8")
        return done, letter, desk


def _plain(html: str) -> str:
    """The letter's text, tags and entities aside, spaces normalised."""
    text = re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("\xa0", " ")
    return re.sub(r"\s+", " ", text)


def _paris_day(moment: Any) -> date:
    """The day in Paris of a naive UTC timestamp (SQLite gives its text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS).date()


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _outcome(result: dict[str, Any], table: str, action: str) -> list[dict[str, Any]]:
    return [o for o in result["outcomes"] if o["table"] == table and o["action"] == action]


# -- device management: who the person is, and what must become of their data -------------------

# (table, n): the holder of account n, per state of the account (the demo data cycles through
# them: see examples/device-management/app.py), and the n-th console manager
DM_PEOPLE = [
    ("account_holders", 1, "active"),
    ("account_holders", 2, "deleted ~1 month ago"),
    ("account_holders", 7, "deleted ~6 years ago"),
    ("account_holders", 10, "deleted ~11 years ago"),
    ("managers", 3, "manager"),
]


def _dm_person(connection: Any, table: str, offset: int) -> tuple[str, list[str], Any]:
    """The person's email, the strings that identify them, and their account's deletion."""
    if table == "account_holders":
        email, phone, first, last, deleted = connection.execute(
            sa.text(
                "SELECT h.email, h.phone, h.first_name, h.last_name, a.deleted_at "
                "FROM account_holders h JOIN accounts a ON a.id = h.account_id "
                "WHERE a.id = :account"
            ),
            {"account": offset},
        ).one()
        return email, [email, phone, f"{first} {last}"], deleted
    email = connection.execute(
        sa.text(f"SELECT email FROM managers ORDER BY id LIMIT 1 OFFSET {offset}")
    ).scalar_one()
    return email, [email], None


def _invoices(connection: Any, email: str) -> list[tuple[Any, ...]]:
    """The invoices of the account the person holds (the holder's row may be gone after)."""
    return [
        tuple(row)
        for row in connection.execute(
            sa.text(
                "SELECT id, number, amount_cents, billing_name, billing_email, billing_address "
                "FROM invoices WHERE account_id IN (SELECT account_id FROM account_holders "
                "WHERE email = :e) ORDER BY id"
            ),
            {"e": email},
        )
    ]


def _manager_rows(connection: Any, email: str, logs: list[Any] | None = None) -> Any:
    """The manager's row, and their dashboard actions (those given, once unlinked)."""
    manager = connection.execute(
        sa.text("SELECT id, email, last_login_at, last_ip FROM managers WHERE email = :e"),
        {"e": email},
    ).one()
    query = sa.text(
        "SELECT id, manager_id, action, target, ip, created_at FROM dashboard_logs "
        + ("WHERE id IN :ids" if logs is not None else "WHERE manager_id = :m")
        + " ORDER BY id"
    )
    if logs is not None:
        query = query.bindparams(sa.bindparam("ids", expanding=True))
    params = {"ids": [log[0] for log in logs]} if logs is not None else {"m": manager.id}
    return manager, [tuple(row) for row in connection.execute(query, params)]


def test_device_management_erasures(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """One database, one erasure after another; each checked against the state just before."""
    register = dm_register()
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    with scratch_database(fresh_server, "registre_rq") as url:
        load_dm(url)
        engine = sa.create_engine(url)
        try:
            for table, offset, case in DM_PEOPLE:
                _check_dm_erasure(register, engine, state_url, tmp_path, table, offset, case)
        finally:
            engine.dispose()


def _check_dm_erasure(
    register: Register,
    engine: sa.Engine,
    state_url: str,
    tmp: Path,
    table: str,
    offset: int,
    case: str,
) -> None:
    with engine.connect() as connection:
        email, needles, deleted_at = _dm_person(connection, table, offset)
        theirs = expected_dm(connection, email)
        invoices_before = _invoices(connection, email)
        manager_before = _manager_rows(connection, email) if table == "managers" else None
    before_hits = text_hits(engine, register, "console", needles)
    before = digest_rows(engine, theirs)
    done, letter, desk = erase(
        register, {"console": engine}, state_url, tmp, {"email": email}, ANCHOR
    )
    after_hits = text_hits(engine, register, "console", needles)
    after = digest_rows(engine, theirs)
    with engine.connect() as connection:
        invoices_after = [
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT id, number, amount_cents, billing_name, billing_email, "
                    "billing_address FROM invoices WHERE id IN :ids ORDER BY id"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": [row[0] for row in invoices_before] or [-1]},
            )
        ]
        manager_after = (
            _manager_rows(connection, email, manager_before[1]) if manager_before else None
        )
    # done: a second execution is refused, nothing runs twice
    with pytest.raises(RequestError), open_state(state_url) as state:
        RequestDesk(register, state, {"console": engine}).execute(done.id)

    assert done.state.value == "done", case
    assert not done.result["nothing_found"], case
    assert before_hits, case  # the scan sees the person before
    assert after_hits <= kept_fields(register, done.result), (case, after_hits)
    assert after == before, case  # every other person's row is byte-identical
    text = _plain(letter)
    today = desk.today()
    # nothing is ever said to be kept until a day already past
    for outcome in done.result["outcomes"]:
        if outcome["until"]:
            assert date.fromisoformat(outcome["until"]) > today, (case, outcome)

    if table == "managers":
        _check_manager(done.result, text, manager_before, manager_after)
        return
    # the client company's account is its own, not the holder's: never changed by the
    # holder's erasure; its payment methods are kept while its contract runs
    account = _outcome(done.result, "accounts", "kept")
    assert [o["reason"] for o in account] == ["organization"], (case, done.result)
    methods = {o["reason"] for o in done.result["outcomes"] if o["table"] == "payment_methods"}
    if case == "active":
        assert methods == {"contract"}, (case, done.result)
        assert "dont le contrat est en cours" in text, case
    else:
        assert "contract" not in methods, (case, done.result)
    kept = _outcome(done.result, "invoices", "kept")
    if case == "deleted ~11 years ago":
        # past the 10 years of the Code de commerce: the invoices go too
        assert _paris_day(deleted_at).year == ANCHOR.year - 11, case
        assert invoices_before and not invoices_after, case
        assert not kept and "obligation légale" not in text, case
        assert _outcome(done.result, "invoices", "deleted")[0]["count"] == len(invoices_before)
        return
    # kept for the legal obligation, and the letter says so, why and until when
    assert len(kept) == 1 and kept[0]["reason"] == "legal_obligation", (case, done.result)
    assert "obligation légale" in text and "Code de commerce" in text, case
    until = kept[0]["until"]
    if deleted_at is None:
        # the account is not deleted: the ten years have not started
        assert until is None and "jusqu’au" not in text, case
    else:
        deleted = _paris_day(deleted_at)
        expected_until = _years_after(deleted, 10)  # the deletion rule, not the 5-year one
        assert until == expected_until.isoformat(), (case, until)
        assert f"jusqu’au {date_words(expected_until, 'fr')}".replace("\xa0", " ") in text
    if case == "deleted ~6 years ago":
        # past the 5 years after which only the accounting entries stay: anonymized now
        assert _paris_day(deleted_at).year == ANCHOR.year - 6, case
        assert kept[0]["columns"] == ["billing_address", "billing_email", "billing_name"]
        assert [r[:3] for r in invoices_after] == [r[:3] for r in invoices_before]
        assert {r[3:] for r in invoices_after} == {(REDACTED, None, REDACTED)}
    else:
        assert kept[0]["columns"] == [] and invoices_after == invoices_before, case


def _check_manager(result: dict[str, Any], text: str, before: Any, after: Any) -> None:
    """A console manager: the client's to erase, their connection logs ours.

    The manager's account (their email) is held for the client company, the controller: it
    stays and the request goes to the client. The last login and IP address are ours (account
    security): erased. Their actions stay in the account's logs, unlinked from them, as the
    register says (``on_delete: unlink``).
    """
    manager_before, logs_before = before
    manager_after, logs_after = after
    assert manager_after.email == manager_before.email
    assert manager_after.last_login_at is None and manager_after.last_ip is None
    assert result["forwarded"]["rows"] == {"console": {"managers": 1}}
    assert Path(result["forwarded"]["forward_letter"]).is_file()
    assert re.search(r"transm\w+ votre demande", text), "the letter says where it went"
    assert logs_before, "the manager has dashboard actions"
    assert logs_after == [(log[0], None, *log[2:]) for log in logs_before]
    assert _outcome(result, "dashboard_logs", "kept")[0]["reason"] == "unlinked"
    assert "sans plus aucun lien avec vous" in text
    assert not _outcome(result, "dashboard_logs", "deleted")
    assert not _outcome(result, "managers", "deleted")


# -- booking platform: a professional's account under a contract *and* a legal obligation -------


def _booking_person(connection: Any, table: str) -> tuple[str, list[str]]:
    if table == "professionals":
        email, phone, first, last, username = connection.execute(
            sa.text(
                "SELECT email, phone, contact_first_name, contact_last_name, username "
                "FROM professionals ORDER BY id LIMIT 1"
            )
        ).one()
        return email, [email, phone, f"{first} {last}", username]
    # a client who visited the booking site: those visits are ours, the rest the professional's
    email, phone, first, last = connection.execute(
        sa.text(
            "SELECT email, phone, first_name, last_name FROM clients WHERE id IN "
            "(SELECT client_id FROM access_logs) ORDER BY id LIMIT 1"
        )
    ).one()
    return email, [email, phone, f"{first} {last}"]


def test_booking_platform_erasures(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    register = booking_register()
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    with scratch_database(fresh_server, "registre_rq") as url:
        load_booking(url)
        engine = sa.create_engine(url)
        try:
            for table in ("professionals", "clients"):
                with engine.connect() as connection:
                    email, needles = _booking_person(connection, table)
                    theirs = expected_booking(connection, email)
                before = digest_rows(engine, theirs)
                before_hits = text_hits(engine, register, "platform", needles)
                done, letter, _ = erase(
                    register, {"platform": engine}, state_url, tmp_path, {"email": email}, ANCHOR
                )
                after = digest_rows(engine, theirs)
                hits = text_hits(engine, register, "platform", needles)
                with engine.connect() as connection:
                    left = {
                        name: connection.execute(
                            sa.text(f"SELECT count(*) FROM {name} WHERE id IN :keys").bindparams(
                                sa.bindparam("keys", expanding=True)
                            ),
                            {"keys": sorted(keys)},
                        ).scalar_one()
                        for name, keys in theirs.items()
                    }
                assert done.state.value == "done", table
                assert before_hits and after == before, table
                assert hits <= kept_fields(register, done.result), (table, hits)
                if table == "professionals":
                    # the legal obligation among the activity's bases names no data: nothing is
                    # kept for it, not the username nor the password hash
                    assert not [o for o in done.result["outcomes"] if o["action"] == "kept"]
                    assert "obligation légale" not in _plain(letter)
                    assert left == {"professionals": 1}  # their clients' bookings point at it
                    assert "professionals.username" not in hits
                else:
                    # the visits are ours to erase; the client's record and bookings are the
                    # professional's, to whom the request goes
                    assert left["access_logs"] == 0
                    assert all(left[t] == len(theirs[t]) for t in theirs if t != "access_logs")
                    assert set(done.result["forwarded"]["rows"]["platform"]) == {
                        t for t in theirs if t != "access_logs"
                    }
        finally:
            engine.dispose()


# the professional's details kept on the invoices for ten years, under its own rule
INVOICE_RULE = """
      professional-invoicing:
        data: [professional_details]
        after: 10 years after service_terminated
        reference:
          fr: "Article L. 123-22 alinéa 2 du Code de commerce"
          en: "Article L. 123-22, paragraph 2, of the French Commercial Code"
"""


def _booking_with_invoicing_rule(tmp: Path) -> Register:
    text = (BOOKING / "register.yaml").read_text(encoding="utf-8")
    anchor = "      professional-data:\n        after: 3 months after service_terminated\n"
    assert anchor in text
    text = text.replace(anchor, anchor + INVOICE_RULE.lstrip("\n"))
    text = text.replace(
        "        rules: [professional-data]\n",
        "        rules: [professional-data, professional-invoicing]\n",
    )
    path = tmp / "register.yaml"
    path.write_text(text, encoding="utf-8")
    return load_register(path)


@pytest.mark.parametrize(
    ("register_name", "store", "table", "rules", "kept"),
    [
        (
            "device-management",
            "console",
            "invoices",
            ["invoices", "invoice-personal-data"],
            {"number", "issued_at", "amount_cents", "stripe_id", "billing_name"}
            | {"billing_email", "billing_address"},
        ),
        ("device-management", "console", "accounts", [], set()),
        ("booking-platform", "platform", "professionals", [], set()),
        (
            "booking-platform + a rule naming its data",
            "platform",
            "professionals",
            ["professional-invoicing"],
            {"company_name", "contact_first_name", "contact_last_name", "email", "phone"}
            | {"address"},
        ),
    ],
)
def test_only_what_a_legal_obligation_names_is_kept(
    tmp_path: Path, register_name: str, store: str, table: str, rules: list[str], kept: set[str]
) -> None:
    register = {
        "device-management": dm_register,
        "booking-platform": booking_register,
        "booking-platform + a rule naming its data": lambda: _booking_with_invoicing_rule(tmp_path),
    }[register_name]()
    mapping = register.stores[store].tables[table]
    duty = table_activities.legal_duty_rules(register, mapping)
    assert [ref.rule_id for ref in duty] == rules
    assert table_activities.kept_columns(register, mapping, duty) == kept


def test_a_professional_keeps_only_what_the_obligation_names(tmp_path: Path) -> None:
    """With a rule of the obligation that names the professional's details, those stay."""
    register = _booking_with_invoicing_rule(tmp_path)
    with scratch_database("sqlite://", "registre_rq") as url:
        load_booking(url)
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                # a professional who left the service ~2 years ago: within the ten years
                email, terminated = connection.execute(
                    sa.text(
                        "SELECT email, terminated_at FROM professionals WHERE terminated_at "
                        "IS NOT NULL ORDER BY terminated_at DESC LIMIT 1 OFFSET 1"
                    )
                ).one()
            done, letter, _ = erase(
                register,
                {"platform": engine},
                f"sqlite:///{tmp_path / 'state.db'}",
                tmp_path,
                {"email": email},
                ANCHOR,
            )
            with engine.connect() as connection:
                row = connection.execute(
                    sa.text(
                        "SELECT email, username, password_hash FROM professionals WHERE email = :e"
                    ),
                    {"e": email},
                ).one()
        finally:
            engine.dispose()
    (kept,) = _outcome(done.result, "professionals", "kept")
    assert kept["reason"] == "legal_obligation" and kept["columns"] == ["password_hash", "username"]
    terminated_day = _paris_day(terminated)
    assert kept["until"] == _years_after(terminated_day, 10).isoformat()
    assert row == (email, REDACTED, REDACTED)
    assert "obligation légale" in _plain(letter)


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
            with engine.connect() as connection:
                theirs, _ = expected_crm(connection, 1)
            before = digest_rows(engine, theirs)
            done, letter, _ = erase(
                register,
                {"crm": engine},
                f"sqlite:///{tmp_path / 'state.db'}",
                tmp_path,
                {"email": "person1@example.fr"},
            )
            hits = text_hits(engine, register, "crm", needles)
            after = digest_rows(engine, theirs)
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


# -- killed midway -------------------------------------------------------------------------------

CHILD = """
import sys
from datetime import datetime
sys.path.insert(0, {tests!r})
import sqlalchemy as sa
from test_requests_fixtures import crm_register
from registre.requests import RequestDesk
from registre.state import open_state
engine = sa.create_engine({url!r})
with open_state({state!r}) as state:
    RequestDesk(
        crm_register(forwarded_notes=True), state, {{"crm": engine}}, out_dir={out!r},
        now=datetime.fromisoformat({now!r}),
    ).execute({request!r}, step_size=2)
"""


def _done_steps(state_url: str, request_id: str) -> tuple[int, int]:
    """Steps that change the data: done, and in all."""
    engine = sa.create_engine(state_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(erasure_step.c.done_at).where(
                    erasure_step.c.request_id == request_id, erasure_step.c.action.in_(WRITES)
                )
            ).all()
    finally:
        engine.dispose()
    return sum(1 for r in rows if r.done_at is not None), len(rows)


PACED = """\
import time
from registre.requests import erase_steps
_mark_done = erase_steps.mark_done
def _paced(*args, **kwargs):
    _mark_done(*args, **kwargs)
    time.sleep(0.05)
erase_steps.mark_done = _paced
"""
"""Prepended to the child's code: each step marked done waits 50 ms, so that the watcher, which
looks every 20 ms, always sees the erasure midway, however fast the database writes."""


def kill_midway(code: str, state_url: str, request_id: str) -> int:
    """Run ``code`` in a child process and SIGKILL it midway through the erasure's steps.

    Fails unless at least 5 steps were done and 5 were left; returns the number of steps.
    """
    child = subprocess.Popen([sys.executable, "-c", PACED + code], env=os.environ.copy())
    deadline = time.monotonic() + 60
    done = total = 0
    while time.monotonic() < deadline and child.poll() is None:
        done, total = _done_steps(state_url, request_id)
        if total and 5 <= done < total - 5:
            break
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert 5 <= done < total, (done, total)  # it was really stopped midway
    return total


def _answer(request: Any) -> Any:
    """What the person and the controller receive: the result, each file it names read.

    Request ids and folders aside, which differ between the two runs by construction.
    """

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        if isinstance(value, str) and request.id in value and Path(value).is_file():
            return Path(value).read_text(encoding="utf-8").replace(request.id, "ID")
        return value.replace(request.id, "ID") if isinstance(value, str) else value

    return plain(request.result)


@pytest.mark.slow
def test_an_erasure_killed_midway_resumes_to_the_same_state_and_answer(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The same rows and the same letters: not 'we hold no data about you' after a resume.

    The meetings' notes are held for a client here (a processor's rule): the request about
    them must still go to the client when the erasure resumes.
    """
    register = crm_register(forwarded_notes=True)
    identity = {"email": "person1@example.fr"}
    with (
        scratch_database(fresh_server, "registre_rq") as killed_url,
        scratch_database(fresh_server, "registre_rq") as straight_url,
    ):
        for url in (killed_url, straight_url):
            load_crm(url, lines_for_alice=30)
        # uninterrupted
        straight = sa.create_engine(straight_url)
        uninterrupted, _, _ = erase(
            register,
            {"crm": straight},
            f"sqlite:///{tmp_path / 's1.db'}",
            tmp_path / "o1",
            identity,
            ANCHOR,
            step_size=2,
        )
        # killed with SIGKILL midway, then run again
        state_url = f"sqlite:///{tmp_path / 's2.db'}"
        killed = sa.create_engine(killed_url)
        out = tmp_path / "o2" / "out"
        with open_state(state_url) as state:
            desk = RequestDesk(register, state, {"crm": killed}, out_dir=out, now=ANCHOR)
            request = desk.open("erasure", identity)
            desk.verify(request.id, method="signed letter with an identity document")
        code = CHILD.format(
            tests=str(HERE),
            url=killed_url,
            state=state_url,
            out=str(out),
            request=request.id,
            now=ANCHOR.isoformat(),
        )
        total = kill_midway(code, state_url, request.id)
        with open_state(state_url) as state:
            resumed = RequestDesk(
                register, state, {"crm": killed}, out_dir=out, now=ANCHOR
            ).execute(request.id, step_size=2)
        assert resumed.state.value == "done"
        assert _done_steps(state_url, request.id)[0] == total
        try:
            assert digest_rows(killed, {}) == digest_rows(straight, {})
        finally:
            killed.dispose()
            straight.dispose()
    assert not resumed.result["nothing_found"] and resumed.result["forwarded"]["rows"]
    assert _answer(resumed) == _answer(uninterrupted)
