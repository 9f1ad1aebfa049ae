"""Legal holds: placed on a record or a person, in force until released or their last day, and
every placement and release recorded in the audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import test_state
from registre import StateError
from registre.demo.loader import load_app, load_demo_data
from registre.state import EngineState, identity_digest
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import server_url

# The fixtures shared with test_state.py and test_audit.py.
state_url = test_state.state_url
state = test_state.state
with_mariadb = test_state.with_mariadb

Cli = Callable[..., tuple[int, str, str]]

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "device-management"


@contextmanager
def _example_database(backend: str) -> Iterator[str]:
    with scratch_database(server_url(backend)) as url:
        engine = sa.create_engine(url)
        try:
            load_demo_data(load_app(EXAMPLE), engine, subjects=60, seed=1)
        finally:
            engine.dispose()
        yield url


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The device-management example on SQLite, its register and URL in the environment."""
    with _example_database("sqlite") as url:
        monkeypatch.setenv("PARCMOBILE_DATABASE_URL", url)
        monkeypatch.setenv("REGISTRE_REGISTER", str(EXAMPLE / "register.yaml"))
        yield url


def _first(url: str, query: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(query)).scalars().first())
    finally:
        engine.dispose()


@with_mariadb
def test_a_record_hold_is_in_force_and_audited(state: EngineState) -> None:
    hold = state.holds.place(
        reason="contentieux client n° 2024-17", store="crm", table="customer", key="42"
    )
    assert hold.kind == "record"
    assert state.holds.active() == [hold]
    assert state.holds.for_record("crm", "customer", 42) == [hold]
    assert state.holds.for_record("crm", "customer", 43) == []
    assert state.holds.for_record("billing", "customer", 42) == []

    [entry] = state.audit.entries(action_prefix="hold.")
    assert entry.action == "hold.placed"
    assert entry.details == {
        "hold_id": hold.id,
        "kind": "record",
        "reason": "contentieux client n° 2024-17",
        "store": "crm",
        "table": "customer",
        "key": "42",
    }
    assert state.audit.verify() == []


def test_a_person_hold_names_the_person_in_the_trail_only_by_a_digest(state: EngineState) -> None:
    hold = state.holds.place(
        reason="Prud'hommes", identity={"email": " Jeanne.Martin@Example.FR "}, actor="dpo"
    )
    assert hold.identity == {"email": "jeanne.martin@example.fr"}
    assert hold.placed_by == "dpo"
    assert state.holds.for_person({"email": "JEANNE.MARTIN@example.fr", "phone": None}) == [hold]
    assert state.holds.for_person({"email": "jean.martin@example.fr"}) == []

    [entry] = state.audit.entries()
    assert entry.actor == "dpo"
    assert entry.details["identity_names"] == ["email"]
    assert entry.details["identity_sha256"] == identity_digest(
        {"email": "jeanne.martin@example.fr"}
    )
    assert "jeanne" not in json.dumps(entry.details).lower()


@pytest.mark.parametrize(
    ("placed", "asked", "covered"),
    [
        ("06 12 34 56 78", {"phone": "+33612345678"}, True),
        ("+33 6 12 34 56 78", {"phone": "0612345678"}, True),
        ("+33612345678", {"phone": "06.12.34.56.78"}, True),
        ("+33612345678", {"phone": "+33612345679"}, False),
        ("+33612345678", {"phone": "not a number"}, False),
    ],
)
def test_phone_numbers_are_compared_in_e164(
    state: EngineState, placed: str, asked: dict[str, str], covered: bool
) -> None:
    hold = state.holds.place(reason="r", identity={"phone": placed})
    assert hold.identity == {"phone": "+33612345678"}
    assert (state.holds.for_person(asked) == [hold]) is covered


@with_mariadb
def test_releasing_a_hold_ends_it_and_is_audited(state: EngineState) -> None:
    kept = state.holds.place(reason="audit fiscal", store="billing", table="invoice", key="F-9")
    hold = state.holds.place(reason="litigation", identity={"phone": "+33612345678"})
    released = state.holds.release(hold.id, reason="settled", actor="dpo")
    assert (released.released_by, released.release_reason) == ("dpo", "settled")
    assert released.released_at is not None
    assert state.holds.active() == [kept]
    assert state.holds.all() == [kept, released]
    assert state.holds.get(hold.id) == released

    # Still in force at any moment before the release.
    assert state.holds.active(at=released.released_at - timedelta(microseconds=1)) == [
        kept,
        state.holds.get(hold.id),
    ]
    actions = [(e.action, e.details["hold_id"]) for e in state.audit.entries()]
    assert actions == [
        ("hold.placed", kept.id),
        ("hold.placed", hold.id),
        ("hold.released", hold.id),
    ]
    assert list(state.audit.entries())[-1].details["release_reason"] == "settled"
    assert state.audit.verify() == []


@pytest.mark.parametrize(
    ("days_after_until", "in_force"),
    [(-10, True), (0, True), (1, False)],
    ids=["before its last day", "on its last day", "the day after"],
)
def test_a_hold_lasts_through_its_last_day(
    state: EngineState, days_after_until: int, in_force: bool
) -> None:
    until = date.today() + timedelta(days=30)
    hold = state.holds.place(reason="r", store="s", table="t", key="1", until=until)
    moment = datetime.combine(until, datetime.min.time(), UTC) + timedelta(
        days=days_after_until, hours=12
    )
    assert (hold in state.holds.active(at=moment)) is in_force
    assert hold.is_active(moment) is in_force


def test_a_hold_is_not_in_force_before_it_was_placed(state: EngineState) -> None:
    hold = state.holds.place(reason="r", store="s", table="t", key="1")
    assert state.holds.active(at=hold.placed_at - timedelta(seconds=1)) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"reason": " "}, "needs a reason"),
        ({"reason": "r"}, "needs store, table and key"),
        ({"reason": "r", "store": "crm", "table": "customer"}, "needs store, table and key"),
        (
            {"reason": "r", "store": "crm", "table": "t", "key": "1", "identity": {"email": "a@b"}},
            "not both",
        ),
        ({"reason": "r", "identity": {"email": "  "}}, "must not be empty"),
        ({"reason": "r", "identity": {"phone": "12"}}, "not a valid phone number"),
        (
            {"reason": "r", "store": "s", "table": "t", "key": "1", "until": date(2020, 1, 1)},
            "already past",
        ),
    ],
)
def test_an_incomplete_hold_is_refused_and_nothing_is_written(
    state: EngineState, arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        state.holds.place(**arguments)  # type: ignore[arg-type]
    assert state.holds.all() == []
    assert list(state.audit.entries()) == []


@pytest.mark.parametrize(
    ("release", "message"),
    [("twice", "was already released on"), ("unknown", "there is no legal hold 999")],
)
def test_releasing_twice_or_an_unknown_hold_is_refused(
    state: EngineState, release: str, message: str
) -> None:
    hold = state.holds.place(reason="r", store="s", table="t", key="1")
    state.holds.release(hold.id, reason="done")
    with pytest.raises(StateError, match=message):
        state.holds.release(hold.id if release == "twice" else 999, reason="again")
    assert len(list(state.audit.entries())) == 2


def test_a_hold_and_its_audit_entry_commit_together(state: EngineState) -> None:
    # With the trail unusable the hold is not placed either: neither exists without the other.
    with state.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM registre_audit_head"))
    with pytest.raises(Exception, match="head record is missing"):
        state.holds.place(reason="r", store="s", table="t", key="1")
    assert state.holds.all() == []


# --- the commands ---------------------------------------------------------------------------


def test_hold_add_list_release(state_url: str, run_cli: Cli, example: str) -> None:
    # a person the database holds, asked in capitals: held as requests match, any case
    engine = sa.create_engine(example)
    with engine.connect() as connection:
        email = connection.execute(sa.text("SELECT min(email) FROM managers")).scalar_one()
    engine.dispose()
    code, out, err = run_cli(
        "hold", "add", "--reason", "contentieux", "--email", email.upper(),
        "--until", "2099-12-31", "--actor", "dpo", "--state-url", state_url,
    )  # fmt: skip
    assert (code, out, err) == (
        0,
        f"legal hold 1 placed on email {email.lower()} until 2099-12-31\n",
        "",
    )
    code, out, _ = run_cli(
        "hold", "add", "--reason", "audit", "--store", "console", "--table", "accounts",
        "--key", "3", "--state-url", state_url,
    )  # fmt: skip
    assert (code, out) == (0, "legal hold 2 placed on console.accounts #3\n")

    code, out, _ = run_cli("hold", "list", "--json", "--state-url", state_url)
    listed = json.loads(out)
    assert code == 0
    assert [(h["id"], h["kind"], h["placed_by"]) for h in listed] == [
        (1, "person", "dpo"),
        (2, "record", listed[1]["placed_by"]),
    ]

    code, out, _ = run_cli("hold", "release", "1", "--reason", "settled", "--state-url", state_url)
    assert (code, out) == (0, f"legal hold 1 on email {email.lower()} released\n")
    code, out, _ = run_cli("hold", "list", "--state-url", state_url)
    assert code == 0 and "console.accounts #3" in out and email.lower() not in out
    code, out, _ = run_cli("hold", "list", "--all", "--json", "--state-url", state_url)
    assert [hold["id"] for hold in json.loads(out)] == [1, 2]

    code, out, _ = run_cli("audit", "log", "--action", "hold.", "--json", "--state-url", state_url)
    assert [json.loads(line)["action"] for line in out.splitlines()] == [
        "hold.placed",
        "hold.placed",
        "hold.released",
    ]


@pytest.mark.parametrize(
    ("arguments", "code", "says"),
    [
        (["hold", "add", "--reason", "r"], 2, "give --email, --phone or --identity"),
        (["hold", "add", "--reason", "r", "--store", "crm", "--table", "t"], 2, "all of --store"),
        (
            ["hold", "add", "--reason", "r", "--email", "a@b.fr", "--store", "s", "--table", "t",
             "--key", "1"],
            2,
            "either a person",
        ),
        (["hold", "add", "--reason", "r", "--phone", "1", "--until", "31/12/2025"], 2,
         "YYYY-MM-DD"),
        (["hold", "add", "--email", "a@b.fr"], 2, "--reason"),
        (["hold", "add", "--reason", "r", "--phone", "12"], 2, "not a valid phone number"),
        (["hold", "release", "7", "--reason", "r"], 1, "there is no legal hold 7"),
        (["hold", "release", "seven", "--reason", "r"], 2, "valid integer"),
    ],
)  # fmt: skip
def test_hold_commands_refuse_bad_input_without_a_traceback(
    state: EngineState,
    state_url: str,
    run_cli: Cli,
    example: str,
    arguments: list[str],
    code: int,
    says: str,
) -> None:
    got, out, err = run_cli(*arguments, "--state-url", state_url)
    assert got == code
    assert says in err
    assert "Traceback" not in out + err


def test_hold_list_says_when_there_is_none(
    state: EngineState, state_url: str, run_cli: Cli
) -> None:
    assert run_cli("hold", "list", "--state-url", state_url) == (
        0,
        "no legal hold in force\n",
        "",
    )


# --- what a hold protects ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--store", "nosuch", "--table", "devices", "--key", "1"],
         "the register declares no store 'nosuch': the hold would protect nothing"),
        (["--store", "console", "--table", "device", "--key", "1"],
         "store 'console' maps no table 'device': the hold would protect nothing"),
        (["--store", "console", "--table", "devices", "--key", "abc"],
         "the key of 'devices' (id) is a whole number, and 'abc' is not one"),
        (["--store", "console", "--table", "devices", "--key", "4_2"],
         "the key of 'devices' (id) is a whole number, and '4_2' is not one"),
        (["--store", "console", "--table", "devices", "--key", "999999"],
         "store 'console' has no row of 'devices' with id 999999"),
        (["--identity", "badge=17"],
         "no table of the register's mapping has a 'badge' identity"),
        (["--identity", "customer_id=ACME"],
         "'customer_id' is a whole number in every table that declares it, and 'ACME' is not"),
    ],
    ids=["unknown store", "unmapped table", "text key", "underscored key", "missing row",
         "undeclared identity kind", "text customer id"],
)  # fmt: skip
def test_a_hold_that_would_protect_nothing_is_refused_and_nothing_is_written(
    run_cli: Cli, example: str, tmp_path: Path, arguments: list[str], says: str
) -> None:
    state = tmp_path / "state.sqlite"
    code, out, err = run_cli(
        "hold", "add", "--reason", "r", *arguments, "--state-url", f"sqlite:///{state}"
    )
    assert (code, out) == (1, "")
    assert says in err
    assert "hint: " in err and "Traceback" not in err
    assert not state.exists()


@pytest.mark.parametrize(
    ("environment", "arguments", "says"),
    [
        ({}, ["--email", "a@b.fr"], "which register?"),
        ({"REGISTRE_REGISTER": "set"}, ["--identity", "customer_id"], "KIND=VALUE"),
        ({"REGISTRE_REGISTER": "set"},
         ["--identity", "customer_id=1", "--identity", "customer_id=2"], "two values"),
    ],
    ids=["no register", "identity without a value", "two values of one kind"],
)  # fmt: skip
def test_hold_add_usage_errors(
    run_cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    arguments: list[str],
    says: str,
) -> None:
    monkeypatch.delenv("REGISTRE_REGISTER", raising=False)
    for name in environment:
        monkeypatch.setenv(name, str(EXAMPLE / "register.yaml"))
    code, _, err = run_cli(
        "hold", "add", "--reason", "r", *arguments, "--state-url", f"sqlite:///{tmp_path / 's'}"
    )
    assert code == 2
    assert says in err
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_holds_by_customer_id_and_by_key_keep_the_rows_a_plan_would_change(
    run_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    state_url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    register = str(EXAMPLE / "register.yaml")
    with _example_database(backend) as url:
        # a device due now (deleted at reset), and the client account of another one
        due = "SELECT {} FROM devices WHERE reset_at < '2026-10-01' {} ORDER BY id"
        device = _first(url, due.format("id", ""))
        own = _first(url, f"SELECT account_id FROM devices WHERE id = {device}")
        account = _first(url, due.format("account_id", f"AND account_id <> {own}"))

        def held() -> dict[str, int]:
            code, out, err = run_cli(
                "plan", register, "--url", url, "--at", "2026-11-01", "--json",
                "--state-url", state_url,
            )  # fmt: skip
            assert code == 0, err
            items = json.loads(out)["stores"][0]["items"]
            return {i["rule"]: i["held"] for i in items if i["held"]}

        assert held() == {}
        code, out, _ = run_cli(
            "hold", "add", "--reason", "r", "--store", "console", "--table", "devices",
            "--key", f"00{device}", "--register", register, "--url", url,
            "--state-url", state_url,
        )  # fmt: skip
        assert (code, out) == (0, f"legal hold 1 placed on console.devices #{device}\n")
        by_key = held()
        assert by_key.get("devices-reset") == 1

        code, out, _ = run_cli(
            "hold", "add", "--reason", "r", "--identity", f"customer_id=0{account}",
            "--register", register, "--url", url, "--state-url", state_url,
        )  # fmt: skip
        assert (code, out) == (0, f"legal hold 2 placed on customer_id {account}\n")
        by_account = held()
    # the account's own rows and, through their references, its devices and their data
    assert by_account["devices-reset"] > by_key["devices-reset"]
    assert sum(by_account.values()) > sum(by_key.values())
