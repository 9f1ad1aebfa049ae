# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""The web pages through HTTP: CSRF, headers, secret status links, the same answer for anyone,
who may see and do what in the console. The browser itself is in test_web_browser.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from registre.service import create_app
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    Inbox,
    _no_settings_from_outside,
    free_port,
    service_over,
    shop_url,
)

PASSWORD = "correct horse battery staple"
PUBLIC_PAGES = ["/privacy/", "/privacy/policy", "/privacy/request", "/console/login"]
CONSOLE_PAGES = ["/console/", "/console/holds", "/console/audit", "/console/plan"]


@pytest.fixture(scope="module")
def service_site(shop_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One service for the module (users' argon2 hashes take time); a fresh browser per test."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    running = service_over(
        shop_url,
        tmp_path_factory.mktemp("web"),
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="privacy@boutique-lumen.example",
    )
    for role in ("dpo", "operator", "auditor"):
        running.access.add_user(f"web-{role}", role, PASSWORD, actor="test")
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            yield client, inbox, running
    finally:
        running.close()
        controller.stop()


@pytest.fixture
def site(service_site: Any) -> Any:
    """The module's service, seen by a new visitor who reads English."""
    client, _, _ = service_site
    client.cookies.clear()
    client.get("/privacy/?lang=en")
    return service_site


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def file(client: TestClient, email: str, kind: str = "access") -> str:
    """File a request through the form; the code page it answers with."""
    token = csrf_of(client.get("/privacy/request").text)
    answer = client.post(
        "/privacy/request", data={"csrf": token, "kind": kind, "email": email, "lang": "en"}
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def code_for(inbox: Inbox, request_id: str) -> str:
    """The code of the mail about ``request_id`` (the mail is a job: wait for it)."""

    def texts() -> list[str]:
        found = [m.get_body(("plain",)) for m in inbox.messages]
        return [t.get_content() for t in found if t is not None]

    with inbox.arrived:
        inbox.arrived.wait_for(lambda: any(request_id in t for t in texts()), timeout=20)
    text = next(t for t in reversed(texts()) if request_id in t)
    return re.search(r"\b(\d{6})\b", text).group(1)  # type: ignore[union-attr]


def sign_in(client: TestClient, role: str) -> None:
    token = csrf_of(client.get("/console/login").text)
    answer = client.post(
        "/console/login",
        data={"csrf": token, "name": f"web-{role}", "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


@pytest.mark.parametrize("path", [*PUBLIC_PAGES, "/static/site.css", "/privacy/nowhere"])
def test_security_headers_on_every_page(site: Any, path: str) -> None:
    client, _, _ = site
    answer = client.get(path)
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in answer.headers  # plain http here


def test_hsts_when_the_service_is_reached_over_tls(shop_url: str, tmp_path: Path) -> None:
    running = service_over(shop_url, tmp_path, public_url="https://privacy.example")
    try:
        with TestClient(create_app(running)) as client:
            answer = client.get("/privacy/")
        assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
        assert "secure" in answer.headers["set-cookie"].lower()
    finally:
        running.close()


@pytest.mark.parametrize(
    "path",
    ["/privacy/request", "/privacy/verify", "/privacy/code", "/console/login", "/console/holds"],
)
@pytest.mark.parametrize("csrf", ["missing", "forged"])
def test_a_form_without_the_pages_csrf_token_is_refused(site: Any, path: str, csrf: str) -> None:
    client, inbox, _ = site
    client.get("/privacy/request")  # the cookie is set; the field is what is missing or wrong
    before = len(inbox.messages)
    data = {"kind": "access", "email": CAMILLE, "name": "web-dpo", "password": PASSWORD}
    if csrf == "forged":
        data["csrf"] = "not-the-token"
    answer = client.post(path, data=data, follow_redirects=False)
    assert answer.status_code == 403
    assert "reload the page" in answer.text or "rechargez la page" in answer.text
    assert len(inbox.messages) == before


def test_the_same_answer_for_a_known_and_an_unknown_email(site: Any) -> None:
    client, inbox, _ = site

    def neutral(html: str) -> str:
        html = re.sub(r'name="(csrf|request_id)" value="[^"]+"', "", html)
        return html

    known = file(client, CAMILLE)
    unknown = file(client, "nobody-here@example.org")
    assert neutral(known) == neutral(unknown)
    assert CAMILLE not in known
    inbox.last_to("nobody-here@example.org")  # a code goes to both: nothing was searched


def test_a_wrong_code_is_announced_and_the_right_one_gives_number_due_date_and_link(
    site: Any,
) -> None:
    client, inbox, _ = site
    page = file(client, CAMILLE)
    request_id = re.search(r'name="request_id" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    code = code_for(inbox, request_id)
    wrong = "000000" if code != "000000" else "111111"
    answer = client.post(
        "/privacy/verify", data={"csrf": csrf_of(page), "request_id": request_id, "code": wrong}
    )
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text and 'aria-invalid="true"' in answer.text
    answer = client.post(
        "/privacy/verify", data={"csrf": csrf_of(page), "request_id": request_id, "code": code}
    )
    assert answer.status_code == 200, answer.text
    assert f'<dd id="request-number">{request_id}</dd>' in answer.text
    link = re.search(r'id="status-link" href="([^"]+)"', answer.text).group(1)  # type: ignore[union-attr]
    status = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert status.status_code == 200 and request_id in status.text
    assert CAMILLE not in status.text and CAMILLE not in link
    forged = link.removeprefix("http://127.0.0.1:8000")[:-3] + "abc"
    assert client.get(forged).status_code == 404
    assert client.get(f"/privacy/status/{request_id}").status_code == 404


@pytest.mark.parametrize("path", [*CONSOLE_PAGES, "/console/requests/r-00000000"])
def test_the_console_asks_to_sign_in(site: Any, path: str) -> None:
    client, _, _ = site
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/login"


@pytest.mark.parametrize("role", ["dpo", "operator", "auditor"])
@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_every_role_reads_the_console(site: Any, role: str, path: str) -> None:
    client, _, _ = site
    sign_in(client, role)
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert f"web-{role}" in answer.text


def test_a_wrong_password_is_refused(site: Any) -> None:
    client, _, _ = site
    token = csrf_of(client.get("/console/login").text)
    answer = client.post(
        "/console/login", data={"csrf": token, "name": "web-dpo", "password": "wrong password!"}
    )
    assert answer.status_code == 401 and "Wrong user name or password" in answer.text


def test_an_auditor_changes_nothing(site: Any) -> None:
    client, _inbox, running = site
    page = file(client, CAMILLE)
    request_id = re.search(r'name="request_id" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    sign_in(client, "auditor")
    shown = client.get(f"/console/requests/{request_id}")
    assert "Your role allows no action here." in shown.text
    answer = client.post(
        f"/console/requests/{request_id}/verify",
        data={"csrf": csrf_of(shown.text), "method": "passport seen"},
    )
    assert answer.status_code == 403
    assert running.desk.get(request_id).state.value == "received"


def test_an_operator_verifies_refuses_and_it_is_audited_with_their_name(site: Any) -> None:
    client, _, running = site
    page = file(client, CAMILLE, kind="erasure")
    request_id = re.search(r'name="request_id" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    sign_in(client, "operator")
    shown = client.get(f"/console/requests/{request_id}").text
    empty = client.post(f"/console/requests/{request_id}/refuse", data={"csrf": csrf_of(shown)})
    assert empty.status_code == 422 and "Fill in or correct: Reason" in empty.text
    answer = client.post(
        f"/console/requests/{request_id}/verify",
        data={"csrf": csrf_of(shown), "method": "called back on the phone number we hold"},
    )
    assert answer.status_code == 200 and "Done." in answer.text
    answer = client.post(
        f"/console/requests/{request_id}/refuse",
        data={"csrf": csrf_of(shown), "reason": "the account is under a court order"},
    )
    assert answer.status_code == 200
    assert running.desk.get(request_id).state.value == "refused"
    actors = {event["actor"] for event in running.desk.history(request_id)}
    assert "user:web-operator" in actors
