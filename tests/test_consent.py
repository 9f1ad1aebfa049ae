"""The consent ledger on SQLite and PostgreSQL states: records with proof in the audit trail,
withdrawals, expiry, signed unsubscribe links, and rows altered by hand refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import test_state
from registre._exceptions import ConsentError, StateError
from registre.consent import (
    Decision,
    consent_history,
    expire_consents,
    follow_link,
    has_consent,
    links,
    make_link,
    record_consent,
    withdraw_consent,
)
from registre.consent.model import notice_digest
from registre.register.loader import load_register
from registre.state import open_state
from test_requests_fixtures import ROOT

state_url = test_state.state_url
SHOP = load_register(ROOT / "examples" / "online-shop" / "register.yaml")
DM = load_register(ROOT / "examples" / "device-management" / "register.yaml")
CAMILLE = "camille.martin@example.fr"
OTHER = "louis.bernard@example.fr"
BASE = "https://lumen.example/unsubscribe"
T0 = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRE_HMAC_KEY", "consent-test-key-0123456789abcdef")


def test_a_consent_is_recorded_with_its_proof_in_the_trail(state_url: str) -> None:
    with open_state(state_url) as state:
        record = record_consent(
            state,
            " Camille.Martin@Example.fr ",
            "newsletter",
            method="form",
            register=SHOP,
            notice_version="1.0",
            notice_text="Recevez notre lettre.",
            at=T0,
        )
        assert has_consent(state, CAMILLE, "newsletter")
        assert not has_consent(state, OTHER, "newsletter")
        assert not has_consent(state, CAMILLE, "customer_accounts")
        (entry,) = list(state.audit.entries(action_prefix="consent."))
        assert entry.action == "consent.given"
        assert entry.details["notice"] == {
            "version": "1.0",
            "sha256": notice_digest("Recevez notre lettre."),
        }
        assert entry.details["controller"] == "Boutique Lumen SAS"
        # the trail never names the person in clear
        assert CAMILLE not in json.dumps(entry.details).lower()
        assert entry.details["person"].startswith("hmac-sha256:")
        assert record.as_dpv()["dpv:hasConsentStatus"] == "dpv:ConsentGiven"
        assert state.audit.verify() == []


@pytest.mark.parametrize(
    ("decisions", "expected"),
    [
        (["given"], True),
        (["refused"], False),
        (["given", "withdrawn"], False),
        (["refused", "given"], True),
        (["given", "withdrawn", "given"], True),
    ],
)
def test_the_latest_decision_counts(state_url: str, decisions: list[str], expected: bool) -> None:
    with open_state(state_url) as state:
        for n, decision in enumerate(decisions):
            at = T0 + timedelta(days=n)
            if decision == "withdrawn":
                withdraw_consent(
                    state, CAMILLE, "newsletter", method="operator", register=SHOP, at=at
                )
            else:
                record_consent(
                    state,
                    CAMILLE,
                    "newsletter",
                    decision=decision,
                    method="form",
                    register=SHOP,
                    at=at,
                )
        assert has_consent(state, CAMILLE, "newsletter") is expected
        history = consent_history(state, CAMILLE)
        assert [r.decision.value for r in history] == decisions  # refusals are kept too


def test_a_cookie_choice_expires_after_six_months(state_url: str) -> None:
    with open_state(state_url) as state:
        record = record_consent(
            state, CAMILLE, "cookie:statistics", method="banner", register=DM, at=T0
        )
        assert record.expires_at == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
        assert has_consent(state, CAMILLE, "cookie:statistics", at=T0 + timedelta(days=183))
        assert not has_consent(state, CAMILLE, "cookie:statistics", at=T0 + timedelta(days=185))
        assert expire_consents(state, at=T0 + timedelta(days=100)) == []
        (expired,) = expire_consents(state, at=T0 + timedelta(days=200))
        assert expired.decision is Decision.expired and expired.replaces == record.id
        assert expire_consents(state, at=T0 + timedelta(days=201)) == []  # idempotent


@pytest.mark.parametrize(
    ("purpose", "message"),
    [("newsletter", "no activity"), ("cookie:advertising", "no cookie of category")],
)
def test_a_purpose_the_register_lacks_is_refused(
    state_url: str, purpose: str, message: str
) -> None:
    with open_state(state_url) as state, pytest.raises(ConsentError, match=message):
        record_consent(state, CAMILLE, purpose, method="form", register=DM)


def test_a_link_withdraws_once_and_cannot_serve_another_person(state_url: str) -> None:
    with open_state(state_url) as state:
        record_consent(state, CAMILLE, "newsletter", method="form", register=SHOP)
        record_consent(state, OTHER, "newsletter", method="form", register=SHOP)
        link = make_link(state, CAMILLE, "newsletter", BASE)
        assert link.headers == {
            "List-Unsubscribe": f"<{link.url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        assert CAMILLE not in link.url
        other = make_link(state, OTHER, "newsletter", BASE)
        forged = [
            link.token.split(".")[0] + "." + other.token.split(".")[1],  # her id, his signature
            other.token.split(".")[0] + "." + link.token.split(".")[1],  # his id, her signature
            link.token[:-2] + ("AA" if not link.token.endswith("AA") else "BB"),
            link.token.split(".")[0],
            "",
        ]
        for token in forged:
            with pytest.raises(ConsentError, match="not valid"):
                follow_link(state, token)
        assert has_consent(state, CAMILLE, "newsletter") and has_consent(state, OTHER, "newsletter")
        first = follow_link(state, link.url)
        again = follow_link(state, link.url)
        assert first.id == again.id and first.decision is Decision.withdrawn
        assert not has_consent(state, CAMILLE, "newsletter")
        assert has_consent(state, OTHER, "newsletter")
        actions = [e.action for e in state.audit.entries(action_prefix="consent.")]
        assert actions.count("consent.withdrawn") == 1


def test_a_link_signed_with_another_key_is_refused(state_url: str) -> None:
    with open_state(state_url) as state:
        record = record_consent(state, CAMILLE, "newsletter", method="form", register=SHOP)
        signature = links._signature(b"another-key", record.id, record.person, "newsletter")
        with pytest.raises(ConsentError, match="not valid"):
            follow_link(state, f"{BASE}?u={record.id}.{signature}")
        assert has_consent(state, CAMILLE, "newsletter")


@pytest.mark.parametrize(
    ("column", "value"),
    [("decision", "given"), ("at", datetime(2020, 1, 1)), ("purpose", "customer_accounts")],
)
def test_a_row_edited_by_hand_is_refused(state_url: str, column: str, value: object) -> None:
    with open_state(state_url) as state:
        record_consent(
            state, CAMILLE, "newsletter", decision="refused", method="form", register=SHOP
        )
        with state.engine.begin() as connection:
            connection.execute(sa.text(f"UPDATE registre_consent SET {column} = :v"), {"v": value})
        with pytest.raises(StateError, match="cannot be trusted"):
            has_consent(
                state, CAMILLE, (column == "purpose" and "customer_accounts") or "newsletter"
            )


def test_a_row_lent_to_another_person_is_not_theirs(state_url: str) -> None:
    with open_state(state_url) as state:
        record_consent(state, CAMILLE, "newsletter", method="form", register=SHOP)
        with state.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE registre_consent_identity SET value = :v"), {"v": OTHER}
            )
        assert not has_consent(state, OTHER, "newsletter")
