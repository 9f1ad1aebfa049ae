# ruff: noqa: F811  (the fixtures imported from other test modules are used by name)
"""Issue 16's done-means on the meeting-assistant example (seed 001), on SQLite, PostgreSQL and
MariaDB stores: Léa Dubois, a client who subscribes to the newsletter, gives her consent with
proof; her mailbox provider posts the one-click unsubscribe (RFC 8058) to the privacy center,
without cookies or an account; her subscription is erased by the erasure machinery (planned and
audited) and nothing else of hers or anyone's, her account stays; she gets the letter; her Art. 15
copy holds her consent history.

The device-management example (seed 003) has no such activity: its seed names no legal basis
for the newsletter it sends to account holders, and its only consent, the geolocation the
device's user switches on in the device's settings, is processed for the client company
(docs/consent.md, "The examples").
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from registre.consent import consent_history, has_consent, make_link, record_consent
from registre.demo import load_app, load_demo_data
from registre.service import create_app, load_settings, open_service
from registre.testing import throwaway_database
from test_requests_fixtures import fresh_server  # noqa: F401  (fixtures are used by name)
from test_service_fixtures import SECRET, _no_settings_from_outside  # noqa: F401

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "meeting-assistant"
LEA = "lea.dubois@example.fr"
FORM_TEXT = (
    "Recevez l'actualité de Plume, ses mises à jour et ses offres spéciales. "
    "Désinscription à tout moment, par le lien de chaque lettre."
)


@pytest.fixture
def plume(fresh_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The privacy center over a fresh Plume database (40 clients), its state on SQLite."""
    monkeypatch.setenv("REGISTRE_HMAC_KEY", "plume-consent-key-0123456789abcdef01")
    with throwaway_database(fresh_server, "registre_plume") as url:
        engine = sa.create_engine(url)
        load_demo_data(load_app(EXAMPLE), engine, subjects=40, seed=1)
        running = open_service(
            load_settings(
                register=EXAMPLE / "register.yaml",
                state_url=f"sqlite:///{tmp_path / 'state.sqlite'}",
                store_urls={"plume": url},
                out_dir=tmp_path / "letters",
                secret_key=SECRET,
            )
        )
        try:
            yield engine, running
        finally:
            running.close()
            engine.dispose()


def _rows(engine: sa.Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]


def test_a_newsletter_subscription_unsubscribed_in_one_click_is_erased_with_the_letter(
    plume: Any,
) -> None:
    engine, running = plume
    clients, subscribers = _rows(engine, "clients"), _rows(engine, "newsletter_subscribers")
    hers = [r for r in subscribers if r[1].lower() == LEA]
    assert len(hers) == 1 and any(r[1].lower() == LEA for r in clients)

    given = record_consent(
        running.state,
        LEA,
        "newsletter",
        method="form",
        register=running.register,
        notice_version=running.register.policy.version,
        notice_text=FORM_TEXT,
    )
    assert given.notice_version == "2019.03"
    assert given.notice_sha256 == hashlib.sha256(FORM_TEXT.encode()).hexdigest()
    assert has_consent(running.state, LEA, "newsletter")
    link = make_link(running.state, LEA, "newsletter", "https://plume.example/privacy/unsubscribe")
    assert link.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert LEA not in link.url and "lea" not in link.url.lower()

    # the mailbox provider's one-click POST (RFC 8058): no cookie, no account, no page opened
    with TestClient(create_app(running), raise_server_exceptions=False) as client:
        parts = urlsplit(link.url)
        client.cookies.clear()
        answer = client.post(
            f"{parts.path}?{parts.query}",
            content="List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 200, answer.text
    assert not has_consent(running.state, LEA, "newsletter")

    # her subscription is gone, nothing else: her account and every other row are as they were
    assert _rows(engine, "newsletter_subscribers") == [r for r in subscribers if r not in hers]
    assert _rows(engine, "clients") == clients

    history = consent_history(running.state, LEA)
    assert [r.decision.value for r in history] == ["given", "withdrawn"]
    withdrawal = history[1]
    assert withdrawal.method.value == "unsubscribe_link" and withdrawal.request_id
    request = running.desk.get(withdrawal.request_id)
    assert request.kind == "erasure" and request.options["activities"] == ["newsletter"]
    steps = [
        e.action
        for e in running.state.audit.entries(action_prefix="request.erasure.")
        if e.request_id == request.id
    ]
    assert steps and any("plan" in action for action in steps), steps
    assert running.state.audit.verify() == []

    letters = sorted((running.desk.out_dir / request.id).glob("consent-withdrawal-*.html"))
    assert len(letters) == 1, letters
    letter = letters[0].read_text()
    if letters[0].name.endswith("-fr.html"):
        assert "Retrait de votre consentement" in letter
        assert "effacées (1 enregistrement)" in letter
    else:
        assert "Withdrawal of your consent" in letter
        assert "erased (1 record)" in letter, letter
    assert "Assistia SAS" in letter

    # Art. 15: her copy holds her consent history, in the ISO/IEC TS 27560 shape
    access = running.desk.open("access", LEA)
    running.desk.verify(access.id, method="reply from the account's address")
    answered = running.desk.execute(access.id)
    with zipfile.ZipFile(answered.result["export"]) as package:
        consents = json.loads(package.read("consents.json"))
    assert [c["dpv:hasConsentStatus"] for c in consents] == [
        "dpv:ConsentGiven",
        "dpv:ConsentWithdrawn",
    ]
    assert consents[0]["dpv:hasNotice"]["dct:hasVersion"] == "2019.03"
    assert consents[0]["dpv:hasNotice"]["dpv:hasHashValue"] == given.notice_sha256
    assert consents[1]["dpv:hasIndicationMethod"].startswith("one-click unsubscribe")
