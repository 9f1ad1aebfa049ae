# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""French pages never show the API's English messages: a form's error, a refused action, a
limit reached, each on a French page, is in French; a message the pages do not know becomes a
French sentence for its kind of error, never the English text.

The messages checked are the ones the library and the API really raise (triggered here through
the pages, or built by the functions that raise them), so a changed English wording that the
French table no longer matches fails here rather than leaking to a page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from registre.service import create_app
from registre.service.throttle import too_many
from registre.service.web.translations import (
    FRENCH_BY_STATUS,
    FRENCH_ERRORS,
    FRENCH_UNAVAILABLE,
    error_text,
)
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    Inbox,
    _no_settings_from_outside,
    free_port,
    service_over,
    shop_url,
)
from test_web_pages import PASSWORD, csrf_of

ENGLISH = re.compile(
    r"\b(the|this|is|not|was|request|needs|cannot|there|too many|wrong|left)\b", re.IGNORECASE
)


@pytest.fixture(scope="module")
def french_site(shop_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    running = service_over(
        shop_url,
        tmp_path_factory.mktemp("web_french"),
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="privacy@boutique-lumen.example",
        filings_per_address=3,
    )
    for role in ("operator", "auditor"):
        running.access.add_user(f"fr-{role}", role, PASSWORD, actor="test")
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            yield client, running
    finally:
        running.close()
        controller.stop()


@pytest.fixture
def site(french_site: Any) -> Any:
    """A new visitor whose browser asks for French."""
    client, running = french_site
    client.cookies.clear()
    client.headers["accept-language"] = "fr-FR,fr;q=0.9"
    return client, running


def alert(html: str) -> str:
    """The text of the page's announced problem."""
    found = re.search(r'role="alert"[^>]*>(.*?)</div>', html, re.DOTALL)
    assert found, html
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


def french(text: str) -> None:
    assert not ENGLISH.search(text.replace("dpo, operator ou auditor", "")), text


def file(client: TestClient, email: str) -> Any:
    token = csrf_of(client.get("/privacy/request").text)
    return client.post(
        "/privacy/request", data={"csrf": token, "kind": "access", "email": email, "lang": "fr"}
    )


def test_the_privacy_centers_errors_in_french(site: Any) -> None:
    client, _ = site
    wrong = file(client, "not an address")
    assert wrong.status_code == 422
    said = alert(wrong.text)
    assert "«\u00a0not an address\u00a0» n'est pas une adresse électronique" in said
    french(said.replace("not an address", ""))

    filed = file(client, "someone.fr@example.org")
    assert filed.status_code == 200
    request_id = re.search(r'name="request_id" value="([^"]+)"', filed.text).group(1)  # type: ignore[union-attr]
    answer = client.post(
        "/privacy/verify",
        data={"csrf": csrf_of(filed.text), "request_id": request_id, "code": "000000"},
    )
    said = alert(answer.text)
    assert said.startswith("Le formulaire contient une erreur\u00a0: Ce n'est pas le code envoyé")
    assert "essais restants\u00a0: 4" in said
    french(said)
    empty = client.post(
        "/privacy/verify", data={"csrf": csrf_of(filed.text), "request_id": request_id}
    )
    assert "Ce n'est pas le code envoyé" in alert(empty.text)

    for _ in range(3):  # filings_per_address
        assert file(client, "limited.fr@example.org").status_code == 200
    limited = file(client, "limited.fr@example.org")
    assert limited.status_code == 429
    said = alert(limited.text)
    assert "Trop de demandes ont été déposées pour cette adresse électronique" in said
    french(said)


def test_the_consoles_errors_in_french(site: Any) -> None:
    client, running = site
    opened = running.desk.open("access", {"email": CAMILLE})
    running.desk.verify(opened.id, method="test")
    token = csrf_of(client.get("/console/login").text)
    client.post("/console/login", data={"csrf": token, "name": "fr-operator", "password": PASSWORD})
    page = client.get(f"/console/requests/{opened.id}").text
    # a form without its reason: the field by its label, not the API's key
    empty = client.post(f"/console/requests/{opened.id}/refuse", data={"csrf": csrf_of(page)})
    assert empty.status_code == 422
    assert alert(empty.text) == "À remplir ou corriger\u00a0: Motif"
    # a refusal the desk makes, in French
    client.post(
        f"/console/requests/{opened.id}/extend",
        data={"csrf": csrf_of(page), "reason": "plusieurs bases à consulter"},
    )
    again = client.post(
        f"/console/requests/{opened.id}/extend",
        data={"csrf": csrf_of(page), "reason": "encore"},
    )
    assert again.status_code == 409
    said = alert(again.text)
    assert "a déjà été prolongée" in said or "ne peut pas être prolongée" in said, said
    french(said)
    forwarded = client.post(f"/console/requests/{opened.id}/forward", data={"csrf": csrf_of(page)})
    said = alert(forwarded.text)
    assert f"La demande {opened.id} ne peut pas être transmise" in said
    french(said)
    # an auditor's refused action names the role in French
    client.cookies.clear()
    token = csrf_of(client.get("/console/login").text)
    client.post("/console/login", data={"csrf": token, "name": "fr-auditor", "password": PASSWORD})
    refused = client.post("/console/breaches", data={"csrf": token})
    assert refused.status_code == 403
    assert alert(refused.text) == "Le rôle auditeur ne permet pas cette action."


def test_library_messages_match_their_french_line() -> None:
    """Messages built by the functions that raise them; each has its French line."""
    for door, kind in (
        ("filing", "address"),
        ("filing", "source"),
        ("sign_in", "account"),
        ("sign_in", "source"),
    ):
        message = too_many(door, kind).message
        shown = error_text("fr", message, 429)
        assert shown != FRENCH_BY_STATUS[429], message
        french(shown)
    # every line of the table is well formed: its pattern compiles and its text formats
    for pattern, text in FRENCH_ERRORS:
        names = re.compile(pattern).groupindex
        text.format(**dict.fromkeys(names, "x"))


def test_a_message_the_pages_do_not_know_is_never_shown_in_english() -> None:
    assert error_text("fr", "something new went wrong with request r-1", 409) == (
        FRENCH_BY_STATUS[409].replace(" :", "\u00a0:")
    )
    assert error_text("fr", "the database is down", 503) == FRENCH_UNAVAILABLE
    assert error_text("en", "the database is down", 503) == "the database is down"


def test_the_centers_proof_of_identity_in_the_consoles_language() -> None:
    from registre.service.web.translations import method_text

    proof = (
        "one-time code sent by email to ann@example.org at 2026-12-04T21:02:04.540831+00:00, "
        "entered through the service"
    )
    assert method_text("fr", proof) == (
        "code à usage unique envoyé par courriel à ann@example.org le 2026-12-04 21:02 UTC, "
        "saisi sur le site"
    )
    assert method_text("en", proof).startswith("one-time code emailed to ann@example.org on")
    assert method_text("fr", "pièce d'identité vue au guichet") == "pièce d'identité vue au guichet"


def test_a_requests_details_in_words_not_the_apis_keys(site: Any) -> None:
    client, running = site
    activity, named = next(iter(running.register.activities.items()))
    changed = running.desk.open(
        "rectification", {"email": CAMILLE}, options={"changes": {"email": "new@example.fr"}}
    )
    restricted = running.desk.open(
        "restriction", {"email": CAMILLE}, options={"activities": [activity]}
    )
    token = csrf_of(client.get("/console/login").text)
    client.post("/console/login", data={"csrf": token, "name": "fr-operator", "password": PASSWORD})
    shown = unescape(client.get(f"/console/requests/{changed.id}").text)
    assert f"{changed.id} · rectification" in shown
    assert "Corrections demandées" in shown and "email → new@example.fr" in shown
    assert '{"changes"' not in shown
    shown = unescape(client.get(f"/console/requests/{restricted.id}").text)
    assert f"{restricted.id} · limitation" in shown and named.name.fr in shown
    assert "<td>reçue</td>" in shown  # the history's step, in words
