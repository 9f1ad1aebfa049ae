# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""The breach console through HTTP (the browser path is in test_web_browser.py): a late
notification refused without its reasons, in French, then recorded with them; a closed breach
keeps its page and offers no action; an unknown breach is a 404 page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from registre.service import create_app
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    _no_settings_from_outside,
    service_over,
    shop_url,
)
from test_web_pages import PASSWORD, csrf_of


@pytest.fixture(scope="module")
def console(shop_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    running = service_over(shop_url, tmp_path_factory.mktemp("web_breaches"))
    running.access.add_user("br-operator", "operator", PASSWORD, actor="test")
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            token = csrf_of(client.get("/console/login?lang=fr").text)
            client.post(
                "/console/login",
                data={"csrf": token, "name": "br-operator", "password": PASSWORD},
            )
            yield client, running
    finally:
        running.close()


def text(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_a_late_notification_needs_its_reasons_and_a_closed_breach_offers_no_action(
    console: Any,
) -> None:
    client, running = console
    tz = ZoneInfo(running.register.policy.timezone)
    aware = (datetime.now(tz) - timedelta(hours=80)).strftime("%Y-%m-%dT%H:%M")
    listing = client.get("/console/breaches")
    token = csrf_of(listing.text)
    opened = client.post(
        "/console/breaches",
        data={
            "csrf": token,
            "aware_at": aware,
            "nature": ["availability"],
            "summary": "Sauvegarde illisible après une panne",
        },
    )
    assert opened.status_code == 200, opened.text
    breach_id = str(opened.url).split("/")[-1].split("?")[0]
    assert "en retard de" in text(opened.text)

    late = client.post(
        f"/console/breaches/{breach_id}/notify", data={"csrf": token, "to": "authority"}
    )
    assert late.status_code == 409
    said = text(late.text)
    assert f"La violation {breach_id} a été notifiée à la CNIL" in said
    assert "une notification en retard doit en donner les motifs (article 33.1)" in said
    assert "late notification" not in said

    recorded = client.post(
        f"/console/breaches/{breach_id}/notify",
        data={
            "csrf": token,
            "to": "authority",
            "delay_reason": "la panne a empêché d'établir les faits",
            "reference": "CNIL-2026-0042",
        },
    )
    assert recorded.status_code == 200
    shown = text(recorded.text)
    assert "notifiée en retard" in shown and "CNIL-2026-0042" in shown
    assert "la panne a empêché d'établir les faits" in shown

    closed = client.post(
        f"/console/breaches/{breach_id}/close", data={"csrf": token, "text": "restaurée"}
    )
    assert closed.status_code == 200
    assert f'action="/console/breaches/{breach_id}/' not in closed.text
    assert "Aucune action ne reste possible dans cet état." in text(closed.text)
    listed = text(client.get("/console/breaches").text)
    assert "close" in listed and "en retard de" not in listed
    actions = [e.action for e in running.state.audit.entries() if e.action.startswith("breach.")]
    assert actions == ["breach.open", "breach.notify", "breach.close"]


def test_an_unknown_breach_and_an_unknown_action(console: Any) -> None:
    client, _ = console
    missing = client.get("/console/breaches/b-00000000")
    assert missing.status_code == 404
    assert "Il n'y a pas de violation b-00000000." in text(missing.text)
    token = csrf_of(client.get("/console/breaches").text)
    nowhere = client.post("/console/breaches/b-00000000/explode", data={"csrf": token})
    assert nowhere.status_code == 404


def test_the_letters_are_sent_once_from_the_console_and_each_delivery_is_followed(
    console: Any,
) -> None:
    client, running = console
    tz = ZoneInfo(running.register.policy.timezone)
    token = csrf_of(client.get("/console/breaches").text)
    opened = client.post(
        "/console/breaches",
        data={
            "csrf": token,
            "aware_at": (datetime.now(tz) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "nature": ["confidentiality"],
            "summary": "Export des clients laissé en accès public",
        },
    )
    breach_id = str(opened.url).split("/")[-1].split("?")[0]
    assert "Envoyer par courriel" not in text(opened.text)  # nothing written yet
    client.post(
        f"/console/breaches/{breach_id}/scope", data={"csrf": token, "targets": "shop.customers"}
    )
    client.post(
        f"/console/breaches/{breach_id}/assess",
        data={"csrf": token, "risk": "high", "reasons": "adresses et téléphones en clair"},
    )
    written = client.post(f"/console/breaches/{breach_id}/letters", data={"csrf": token})
    letters = len(set(re.findall(r"/letters/([^\"]+)\"", written.text)))
    assert letters > 0
    assert "Envoyer par courriel" in text(written.text)

    sent = client.post(f"/console/breaches/{breach_id}/send", data={"csrf": token})
    assert sent.status_code == 200, sent.text
    shown = text(sent.text)
    assert "Envois par courriel" in shown and "Lettres aux personnes" in shown
    counted = re.search(r"Lettres aux personnes\s?: (.+?) Actions", shown)
    assert counted is not None, shown
    states = dict(
        (name, int(n))
        for n, name in re.findall(
            r"(\d+) (en attente|envoyé\(s\)|à réessayer|en échec|sans adresse)", counted.group(1)
        )
    )
    assert sum(states.values()) == letters, states
    assert "Envoyer par courriel" not in shown  # sent once: the form is gone

    again = client.post(f"/console/breaches/{breach_id}/send", data={"csrf": token})
    assert again.status_code == 409  # the API's refusal, in French
    assert "pas possible dans l'état actuel" in text(again.text)
    actions = [e.action for e in running.state.audit.entries() if e.action.startswith("breach.")]
    assert actions.count("breach.send") == 1
