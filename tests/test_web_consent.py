# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""The privacy center's consent pages: a signed unsubscribe link (opened, then confirmed or
posted in one click by a mailbox provider), the withdrawal page, the cookie-settings link, and
transfers named in the policy's words.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from registre.consent import has_consent, make_link, record_consent
from registre.register.loader import load_register
from registre.service import create_app
from registre.service.web.center import overview
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    _no_settings_from_outside,
    service_over,
    shop_url,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def site(
    shop_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Any]]:
    monkeypatch.setenv("REGISTRE_HMAC_KEY", "k" * 40)
    # a withdrawal erases: on a copy of the session's shop, which other modules only read
    copy = tmp_path / "shop.sqlite"
    shutil.copyfile(shop_url.removeprefix("sqlite:///"), copy)
    running = service_over(f"sqlite:///{copy}", tmp_path)
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            client.get("/privacy/?lang=en")
            yield client, running
    finally:
        running.close()


def subscribed(running: Any) -> str:
    """Camille subscribes to the newsletter; the path and query of her unsubscribe link."""
    record_consent(running.state, CAMILLE, "newsletter", method="form", register=running.register)
    link = make_link(
        running.state, CAMILLE, "newsletter", "https://shop.example/privacy/unsubscribe"
    )
    parts = urlsplit(link.url)
    return f"{parts.path}?{parts.query}"


def test_opening_the_link_changes_nothing_confirming_withdraws_and_erases(site: Any) -> None:
    client, running = site
    link = subscribed(running)
    shown = client.get(link)
    assert shown.status_code == 200 and "Withdraw my consent" in shown.text
    assert has_consent(running.state, CAMILLE, "newsletter")  # a mail scanner opened it
    token = re.search(r'name="u" value="([^"]+)"', shown.text).group(1)  # type: ignore[union-attr]
    done = client.post("/privacy/unsubscribe", data={"u": token})
    assert done.status_code == 200, done.text
    assert not has_consent(running.state, CAMILLE, "newsletter")
    assert '<dd id="withdrawn-activity">Newsletter</dd>' in done.text
    assert "has been erased or anonymized" in done.text
    assert CAMILLE not in done.text
    status = re.search(r'id="status-link" href="http://127.0.0.1:8000([^"]+)"', done.text)
    assert status, done.text
    page = client.get(status.group(1))
    assert page.status_code == 200 and "Erase my data" in page.text
    assert re.search(r"<dd id=\"state\">done", page.text), page.text
    again = client.post("/privacy/unsubscribe", data={"u": token})  # clicked twice: one record
    assert again.status_code == 200


def test_a_mailbox_providers_one_click_post_without_cookies(site: Any) -> None:
    client, running = site
    link = subscribed(running)
    client.cookies.clear()
    answer = client.post(
        link,
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200, answer.text
    assert not has_consent(running.state, CAMILLE, "newsletter")


@pytest.mark.parametrize("token", ["", "c-0000000000.forged", "garbage"])
def test_a_forged_or_missing_link_is_refused_and_records_nothing(site: Any, token: str) -> None:
    client, running = site
    subscribed(running)
    answer = client.post("/privacy/unsubscribe?u=" + token, content="List-Unsubscribe=One-Click")
    assert answer.status_code in (400, 404)
    if token:
        assert "This unsubscribe link is not valid" in answer.text
    assert has_consent(running.state, CAMILLE, "newsletter")


def test_the_withdrawal_page_leads_to_an_erasure_limited_to_the_activity(site: Any) -> None:
    client, _ = site
    page = client.get("/privacy/withdraw")
    assert page.status_code == 200
    link = re.search(r'href="(/privacy/request\?kind=erasure&amp;activity=newsletter)"', page.text)
    assert link, page.text
    assert "customer_accounts" not in page.text  # a contract is not withdrawn here
    form = client.get(link.group(1).replace("&amp;", "&")).text
    assert re.search(r'value="erasure"[^>]* checked', form), form
    assert re.search(r'value="newsletter"[^>]* checked', form), form


@pytest.mark.parametrize("path", ["/privacy/", "/privacy/policy", "/privacy/withdraw"])
def test_every_center_page_has_the_cookie_settings_link(site: Any, path: str) -> None:
    client, _ = site
    html = client.get(path).text
    assert re.search(r"<a [^>]*data-registre-open[^>]*>Cookie settings</a>", html), html


def test_transfers_are_named_in_the_policys_words() -> None:
    register = load_register(EXAMPLES / "device-management" / "register.yaml")
    english = overview(register, "en")["transfers"]
    french = overview(register, "fr")["transfers"]
    assert english[0]["country"] == "United States" and french[0]["country"] == "États-Unis"
    assert english[0]["safeguard"].startswith("Standard contractual clauses")
    assert french[0]["safeguard"].startswith("Clauses contractuelles types")
    assert all("scc" not in str(t) for t in english + french)
