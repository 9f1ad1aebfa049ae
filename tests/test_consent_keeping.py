"""The consent ledger's own retention, applied by the sweep (issue 16 §1), on SQLite and
PostgreSQL states with the online-shop example: a chain of records ended (withdrawn, refused,
expired) longer ago than ``rights.consent_records_kept`` is deleted with the identities it
names, audited; a consent in force and a chain ended recently stay; a cookie refusal past its
six months is first recorded as expired; the trail still verifies, and a second sweep does
nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import registre
import test_state
from registre.consent import consent_history, record_consent, withdraw_consent
from registre.demo import load_app, load_demo_data
from registre.durations import Duration
from registre.register.model import Register
from registre.state import EngineState, open_state

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "online-shop"
ALICE, BRUNO, CHLOE = "alice@example.fr", "bruno@example.fr", "chloe@example.fr"
SHOP = "Boutique Lumen SAS"
BROWSER = {"consent_id": "0123456789abcdef0123456789abcdef"}


@pytest.fixture(scope="module")
def shop_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("keeping") / "shop.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        load_demo_data(load_app(EXAMPLE), engine, subjects=20, seed=0)
    finally:
        engine.dispose()
    return f"sqlite:///{path}"


state_url = test_state.state_url  # a SQLite and a PostgreSQL state


@pytest.fixture
def state(state_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineState]:
    monkeypatch.setenv("REGISTRE_HMAC_KEY", "keeping-key-0123456789abcdef0123456789")
    with open_state(state_url) as opened:
        yield opened


def day(year: int, month: int, dom: int) -> datetime:
    return datetime(year, month, dom, 10, 0, tzinfo=UTC)


def decisions(state: EngineState, register: Register) -> None:
    """Alice withdrew in 2020, Bruno consents since 2019, Chloé withdrew in 2024; a browser
    refused audience measurement in 2020 (its choice lasted six months) and another accepted
    it a month ago."""
    for person, given in (
        (ALICE, day(2019, 1, 10)),
        (BRUNO, day(2019, 2, 1)),
        (CHLOE, day(2019, 3, 1)),
    ):
        record_consent(state, person, "newsletter", method="form", register=register, at=given)
    withdraw_consent(
        state, ALICE, "newsletter", method="operator", register=register, at=day(2020, 3, 1)
    )
    withdraw_consent(
        state, CHLOE, "newsletter", method="operator", register=register, at=day(2024, 6, 1)
    )
    # (the shop's site sets no cookie of its own: a banner on another site of the controller)
    record_consent(
        state, BROWSER, "cookie:statistics", decision="refused", method="banner",
        controller=SHOP, at=day(2020, 1, 1), lifetime=Duration(6, "months"),
    )  # fmt: skip
    record_consent(
        state, {"consent_id": "f" * 32}, "cookie:statistics", method="banner",
        controller=SHOP, at=datetime.now(UTC) - timedelta(days=30),
        lifetime=Duration(6, "months"),
    )  # fmt: skip


def identities(state: EngineState) -> set[str]:
    with state.engine.connect() as connection:
        return set(
            connection.execute(sa.text("SELECT value FROM registre_consent_identity")).scalars()
        )


def test_the_sweep_deletes_the_chains_past_the_ledgers_retention(
    state: EngineState, shop_url: str
) -> None:
    register = registre.load_register(EXAMPLE / "register.yaml")
    assert register.rights.consent_records_kept == Duration(5, "years")  # stated in the example
    decisions(state, register)
    assert {ALICE, BRUNO, CHLOE, BROWSER["consent_id"]} <= identities(state)

    report = registre.sweep(register, state, url=shop_url)
    # the refusal's expiry recorded, then Alice's chain (ended 2020) and the refusal's deleted
    assert dict(report.consent_ledger) == {"expired": 1, "chains": 2, "records": 4}
    assert consent_history(state, ALICE) == []
    assert consent_history(state, BROWSER) == []
    assert ALICE not in identities(state) and BROWSER["consent_id"] not in identities(state)
    assert [r.decision.value for r in consent_history(state, BRUNO)] == ["given"]  # in force
    assert [r.decision.value for r in consent_history(state, CHLOE)] == ["given", "withdrawn"]
    assert registre.consent.has_consent(state, BRUNO, "newsletter")

    purged = list(state.audit.entries(action_prefix="consent.purged"))
    assert len(purged) == 2
    assert {e.details["purpose"] for e in purged} == {"newsletter", "cookie:statistics"}
    assert all(e.details["kept"] == "5 years" for e in purged)
    assert all(ALICE not in str(e.details) for e in purged)  # the trail names no one in clear
    assert state.audit.verify() == []
    finished = list(state.audit.entries(action_prefix="sweep.finished"))[-1]
    assert finished.details["consent_ledger"] == {"expired": 1, "chains": 2, "records": 4}

    # again: nothing more is due
    again = registre.sweep(register, state, url=shop_url)
    assert dict(again.consent_ledger) == {"expired": 0, "chains": 0, "records": 0}

    # a register that keeps the proof one year: Chloé's chain (ended in 2024) goes too
    shorter = register.model_copy(
        update={
            "rights": register.rights.model_copy(
                update={"consent_records_kept": Duration(1, "years")}
            )
        }
    )
    assert dict(registre.sweep(shorter, state, url=shop_url).consent_ledger)["chains"] == 1
    assert consent_history(state, CHLOE) == [] and CHLOE not in identities(state)
    assert registre.consent.has_consent(state, BRUNO, "newsletter")
    assert state.audit.verify() == []


def test_a_dry_run_leaves_the_ledger_alone(state: EngineState, shop_url: str) -> None:
    register = registre.load_register(EXAMPLE / "register.yaml")
    decisions(state, register)
    before = identities(state)
    registre.sweep(register, state, url=shop_url, dry_run=True)
    assert identities(state) == before
    assert len(consent_history(state, ALICE)) == 2


def test_consent_expire_applies_the_retention_without_a_sweep(
    state: EngineState, state_url: str, run_cli: Any
) -> None:
    """A register that maps no database cannot be swept: `registre consent expire`, run from
    cron, applies the ledger's retention as the sweep does."""
    register = registre.load_register(EXAMPLE / "register.yaml")
    decisions(state, register)
    code, out, _ = run_cli(
        "consent", "expire", "--register", str(EXAMPLE), "--state-url", state_url,
        "--json",
    )  # fmt: skip
    assert code == 0, out
    assert json.loads(out) == {"expired": 1, "chains": 2, "records": 4}
    assert consent_history(state, ALICE) == [] and len(consent_history(state, CHLOE)) == 2


def test_registre_sweep_says_what_it_did_to_the_ledger(
    state: EngineState, state_url: str, shop_url: str, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    register = registre.load_register(EXAMPLE / "register.yaml")
    decisions(state, register)
    monkeypatch.setenv("SHOP_DATABASE_URL", shop_url)
    code, out, _ = run_cli("sweep", str(EXAMPLE), "--yes", "--state-url", state_url)
    assert code == 0, out
    assert "Consent ledger: 1 expiry recorded, 4 records past their retention deleted." in out
    assert consent_history(state, ALICE) == []
