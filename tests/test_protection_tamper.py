"""What protects people cannot be removed unseen (issue 11 §1).

A legal hold, a restriction and an objection are placed the way registre places them, on the
device-management example (its store on SQLite); then the state database is tampered with by
hand, one way per case. Each time ``registre audit verify`` names what was done (exit 1), and
the retention sweep and the execution of an erasure refuse before their first write: the
store is byte for byte what it was, and the erasure stored no plan. Without tampering, the
same erasure and sweep do write (the control case), so a refusal is not a command that had
nothing to do. State databases: SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import test_state
from registre.demo.loader import load_app, load_demo_data

state_url = test_state.state_url

Cli = Callable[..., tuple[int, str, str]]

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "device-management"
AT = "2026-11-01"


def _shop_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the shop, to compare before and after."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"'), key=repr)
            for table in tables
        }
    finally:
        connection.close()


class Scene:
    """The shop, its state, and the protections placed in it."""

    restriction = ""
    objection = ""
    erasure = ""
    """The ids of the requests that placed them, and of an erasure verified, not executed."""

    def __init__(self, cli: Cli, shop: Path, state: str, out: Path) -> None:
        self.cli = cli
        self.shop = shop
        self.state = sa.create_engine(state)
        self.out = out

    def request(self, *args: str) -> dict[str, Any]:
        code, out, err = self.cli("request", *args, "--at", AT, "--out", str(self.out), "--json")
        assert code == 0, (out, err)
        return dict(json.loads(out))

    def opened(self, kind: str, email: str, *options: str, execute: bool = True) -> str:
        request_id = str(self.request("open", kind, "--email", email, *options)["id"])
        self.request("verify", request_id, "--method", "reply from the account's address")
        if execute:
            self.request("execute", request_id, "--yes")
        return request_id

    def erasure_steps(self) -> int:
        with self.state.connect() as connection:
            return int(
                connection.execute(
                    sa.text("SELECT count(*) FROM registre_erasure_step WHERE request_id = :r"),
                    {"r": self.erasure},
                ).scalar_one()
            )

    def tamper(self, *statements: str) -> None:
        with self.state.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))


def _account_holders(shop: Path) -> list[str]:
    connection = sqlite3.connect(shop)
    try:
        return [
            email
            for (email,) in connection.execute("SELECT email FROM account_holders ORDER BY id")
        ]
    finally:
        connection.close()


@pytest.fixture
def scene(
    state_url: str, run_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Scene]:
    shop = tmp_path / "shop.sqlite"
    engine = sa.create_engine(f"sqlite:///{shop}")
    try:
        load_demo_data(load_app(EXAMPLE), engine, subjects=60, seed=1)
    finally:
        engine.dispose()
    monkeypatch.setenv("PARCMOBILE_DATABASE_URL", f"sqlite:///{shop}")
    monkeypatch.setenv("REGISTRE_REGISTER", str(EXAMPLE / "register.yaml"))
    monkeypatch.setenv("REGISTRE_STATE_URL", state_url)
    monkeypatch.setenv("REGISTRE_HMAC_KEY", "chain-test-key")
    made = Scene(run_cli, shop, state_url, tmp_path / "out")
    held, restricted, objecting, erased = _account_holders(shop)[:4]
    code, out, err = run_cli(
        "hold", "add", "--email", held, "--reason", "litigation 2026-17", "--actor", "dpo"
    )
    assert code == 0, (out, err)
    made.restriction = made.opened("restriction", restricted)
    made.objection = made.opened("objection", objecting, "--activity", "account_security")
    made.erasure = made.opened("erasure", erased, execute=False)
    with made.state.connect() as connection:
        counts = [
            connection.execute(sa.text(f"SELECT count(*) FROM registre_{table}")).scalar()
            for table in ("legal_hold", "restriction", "objection")
        ]
    assert all(counts), counts  # each protection has rows to tamper with
    try:
        yield made
    finally:
        made.state.dispose()


HEAD_HASH = "(SELECT hash FROM registre_audit_head)"

TAMPERINGS: dict[str, tuple[list[str], list[str]]] = {
    # case: (statements run on the state database, what verify must say)
    "delete a hold": (
        ["DELETE FROM registre_legal_hold"],
        ["legal hold 1: placed on a person (by email), in force, by dpo", "was removed"],
    ),
    "edit a hold's identity": (
        ['UPDATE registre_legal_hold SET identity = \'{"email":"nobody@example.org"}\''],
        ["legal hold 1: its identity is not the one the audit trail recorded"],
    ),
    "release a hold by hand": (
        [
            "UPDATE registre_legal_hold SET released_at = placed_at, released_by = 'x', "
            "release_reason = 'x'"
        ],
        ["legal hold 1: it is released in the state database", "released by hand"],
    ),
    "delete a restriction row": (
        ["DELETE FROM registre_restriction WHERE id = (SELECT min(id) FROM registre_restriction)"],
        ["the restriction of request", "1 identity row of it was removed"],
    ),
    "lift a restriction by hand": (
        ["UPDATE registre_restriction SET lifted_at = placed_at"],
        ["the restriction of request", "it was lifted by hand"],
    ),
    "delete an objection row": (
        ["DELETE FROM registre_objection WHERE id = (SELECT max(id) FROM registre_objection)"],
        ["the objection of request", "removed from the state database"],
    ),
    "insert an entry with seq 0": (
        [
            "INSERT INTO registre_audit_entry (seq, at, action, actor, details, prev_hash, hash) "
            "VALUES (0, '2026-01-01 00:00:00', 'hold.released', 'x', '{}', "
            f"'{'0' * 64}', '{'1' * 64}')"
        ],
        ["seq 0: inserted: registre numbers entries from 1"],
    ),
    "delete an audit entry": (
        ["DELETE FROM registre_audit_entry WHERE action = 'hold.placed'"],
        [
            "seq 1: removed: this entry is missing",
            "legal hold 1: its row has no hold.placed entry in the audit trail",
        ],
    ),
}


def test_untampered_the_sweep_and_the_erasure_write(scene: Scene) -> None:
    code, out, err = scene.cli("audit", "verify")
    assert code == 0, (out, err)
    assert "audit trail intact" in out
    before = _shop_rows(scene.shop)
    scene.request("execute", scene.erasure, "--yes")
    assert scene.erasure_steps() > 0
    erased = _shop_rows(scene.shop)
    assert erased != before
    code, out, err = scene.cli("sweep", str(EXAMPLE / "register.yaml"), "--at", AT, "--yes")
    assert code == 0, (out, err)
    assert _shop_rows(scene.shop) != erased


@pytest.mark.parametrize("case", list(TAMPERINGS))
def test_a_tampered_protection_is_reported_and_stops_the_sweep_and_the_erasure(
    scene: Scene, case: str
) -> None:
    statements, said = TAMPERINGS[case]
    scene.tamper(*statements)

    code, out, err = scene.cli("audit", "verify")
    assert code == 1, (out, err)
    flat = " ".join(out.split())
    for words in said:
        assert words in flat, flat
    assert "Traceback" not in out + err

    before = _shop_rows(scene.shop)
    code, out, err = scene.cli("sweep", str(EXAMPLE / "register.yaml"), "--at", AT, "--yes")
    assert code != 0, (out, err)
    assert "Traceback" not in out + err
    message = " ".join(err.split())
    assert "not match the audit trail" in message, message
    assert "nothing was written" in message
    assert "restore the state database from its backup" in message

    code, out, err = scene.cli(
        "request", "execute", scene.erasure, "--yes", "--at", AT, "--out", str(scene.out)
    )
    assert code != 0, (out, err)
    assert "not match the audit trail" in " ".join(err.split())
    assert _shop_rows(scene.shop) == before
    assert scene.erasure_steps() == 0


def test_an_entry_numbered_0_is_shown_by_the_log(scene: Scene) -> None:
    statements, _ = TAMPERINGS["insert an entry with seq 0"]
    scene.tamper(*statements)
    code, out, err = scene.cli("audit", "log", "--json")
    assert code == 0, err
    seqs = [json.loads(line)["seq"] for line in out.splitlines()]
    assert seqs[0] == 0 and seqs[1:] == list(range(1, len(seqs)))


def test_a_keyed_identity_cannot_be_checked_without_the_key(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trail names people by HMAC under the deployment's key: without it, a sweep cannot
    tell whether a hold's identity was edited, so it refuses, saying which key to set."""
    with scene.state.connect() as connection:
        recorded = json.loads(
            connection.execute(
                sa.text("SELECT details FROM registre_audit_entry WHERE action = 'hold.placed'")
            ).scalar_one()
        )
    assert recorded["identity_sha256"].startswith("hmac-sha256:")
    monkeypatch.delenv("REGISTRE_HMAC_KEY")
    code, out, _err = scene.cli("audit", "verify")
    assert code == 1
    assert "REGISTRE_HMAC_KEY is not set" in " ".join(out.split())


def test_a_released_hold_and_a_lifted_restriction_still_match(scene: Scene) -> None:
    code, out, err = scene.cli("hold", "release", "1", "--reason", "settled")
    assert code == 0, (out, err)
    scene.request("lift", scene.restriction, "--reason", "accuracy verified")
    code, out, err = scene.cli("audit", "verify")
    assert code == 0, (out, err)


def test_the_check_is_one_read_of_each_table(scene: Scene) -> None:
    """Fast enough to run before every sweep and erasure: a few milliseconds for a few
    protections, whatever else the trail holds."""
    from registre.state import open_state

    with open_state(str(scene.state.url.render_as_string(hide_password=False))) as state:
        for _ in range(200):
            state.audit.append("test.filler", details={"n": 1})
        started = datetime.now(UTC)
        state.protections.check()
        took = (datetime.now(UTC) - started).total_seconds()
    assert took < 1.0


def test_digests_written_without_a_key_are_still_checked_once_one_is_set(
    state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries written before the deployment had a key keep their plain sha256: read as such."""
    from registre.state import identity_digest, open_state

    monkeypatch.delenv("REGISTRE_HMAC_KEY", raising=False)
    with open_state(state_url) as state:
        state.holds.place(reason="litigation", identity={"email": "Ann@Example.org"})
        plain = identity_digest({"email": "ann@example.org"})
        assert len(plain) == 64
        monkeypatch.setenv("REGISTRE_HMAC_KEY", "a deployment key")
        keyed = identity_digest({"email": "ann@example.org"})
        assert keyed.startswith("hmac-sha256:") and plain not in keyed
        state.holds.place(reason="litigation", identity={"email": "bob@example.org"})
        assert len(state.holds.active()) == 2  # both checked, under either form
        assert state.protections.problems() == []
        monkeypatch.setenv("REGISTRE_HMAC_KEY", "another key")
        (problem,) = state.protections.problems()
        assert str(problem).startswith("legal hold 2: its identity is not the one")
