# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""Rate limits: filing a request (per email address, per source) and signing in to the console
(failures per account name, per source), the same answer whether the person or account exists.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from registre.service import create_app
from registre.service.errors import TooManyAttempts
from registre.service.throttle import Throttle, throttle_table
from registre.stores.throwaway import scratch_database
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    Inbox,
    _no_settings_from_outside,
    free_port,
    service_over,
    shop_url,
)

PASSWORD = "correct horse battery staple"
LIMITS = {
    "filings_per_address": 2,
    "filings_per_source": 5,
    "sign_in_attempts": 3,
    "sign_in_source_attempts": 7,
}
SERVERS = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}


@pytest.fixture(scope="module")
def limited_site(shop_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    running = service_over(
        shop_url,
        tmp_path_factory.mktemp("limits"),
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="privacy@boutique-lumen.example",
        **LIMITS,
    )
    running.access.add_user("web-dpo", "dpo", PASSWORD, actor="test")
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            yield client, running
    finally:
        running.close()
        controller.stop()


@pytest.fixture
def site(limited_site: Any) -> Any:
    """The module's service with no event counted yet, seen by a new English visitor."""
    client, running = limited_site
    with running.state.engine.begin() as connection:
        connection.execute(throttle_table.delete())
    client.cookies.clear()
    client.get("/privacy/?lang=en")
    return limited_site


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def file(client: TestClient, email: str) -> Any:
    token = csrf_of(client.get("/privacy/request").text)
    return client.post(
        "/privacy/request", data={"csrf": token, "kind": "access", "email": email, "lang": "en"}
    )


def sign_in(client: TestClient, name: str, password: str) -> Any:
    token = csrf_of(client.get("/console/login").text)
    return client.post(
        "/console/login",
        data={"csrf": token, "name": name, "password": password},
        follow_redirects=False,
    )


def neutral(html: str) -> str:
    return re.sub(r'name="(csrf|request_id)" value="[^"]+"', "", html).replace(CAMILLE, "@")


def test_filings_per_address_the_same_for_a_known_and_an_unknown_person(site: Any) -> None:
    client, running = site
    refused = {}
    for email in (CAMILLE, "nobody-here@example.org"):
        for _ in range(LIMITS["filings_per_address"]):
            assert file(client, email).status_code == 200
        answer = file(client, email)
        assert answer.status_code == 429, answer.text
        assert "too many requests were filed for this email address" in answer.text
        assert 'role="alert"' in answer.text
        refused[email] = neutral(answer.text).replace("nobody-here@example.org", "@")
    assert refused[CAMILLE] == refused["nobody-here@example.org"]
    # the address is counted, not its spelling; another address still files
    assert file(client, CAMILLE.upper()).status_code == 429
    assert file(client, "someone-else@example.org").status_code == 200
    with running.state.engine.connect() as connection:
        buckets = connection.execute(sa.select(throttle_table.c.bucket)).scalars().all()
    assert buckets and not any("@" in bucket for bucket in buckets)  # HMACs, not addresses


def test_filings_per_source_through_the_page_and_the_api(site: Any) -> None:
    client, _ = site
    for i in range(LIMITS["filings_per_source"]):
        assert file(client, f"person-{i}@example.org").status_code == 200
    answer = file(client, "one-more@example.org")
    assert answer.status_code == 429
    assert "from your network address" in answer.text
    api = client.post("/api/v1/public/requests", json={"kind": "access", "email": "x@example.org"})
    assert api.status_code == 429 and api.json()["code"] == "too_many_attempts"
    assert "wait an hour" in api.json()["hint"]


def test_failed_sign_ins_per_account_the_same_for_a_user_and_a_stranger(site: Any) -> None:
    client, _ = site
    refused = {}
    for name in ("web-dpo", "ghost"):
        for _ in range(LIMITS["sign_in_attempts"]):
            assert sign_in(client, name, "wrong password!").status_code == 401
        answer = sign_in(client, name, "wrong password!")
        assert answer.status_code == 429
        assert "Too many sign-ins failed for this name" in answer.text
        refused[name] = re.sub(r'name="csrf" value="[^"]+"', "", answer.text)
    assert refused["web-dpo"] == refused["ghost"]
    # while the name is blocked even the right password waits: guessing gains nothing
    assert sign_in(client, "web-dpo", PASSWORD).status_code == 429


def test_failed_sign_ins_per_source_and_in_french(site: Any) -> None:
    client, _ = site
    client.get("/console/login?lang=fr")
    for i in range(LIMITS["sign_in_source_attempts"]):
        assert sign_in(client, f"name-{i}", "wrong password!").status_code == 401
    answer = sign_in(client, "web-dpo", PASSWORD)
    assert answer.status_code == 429
    assert "depuis votre adresse réseau dans l'heure\u00a0: réessayez" in unescape(answer.text)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def state_engine(request: pytest.FixtureRequest, tmp_path: Path, shop_url: str) -> Iterator[Any]:
    """A migrated state database of each kind (the service opens and migrates it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.sqlite'}"
        running = service_over(shop_url, tmp_path, state_url=url)
        try:
            yield running.state.engine
        finally:
            running.close()
        return
    server = os.environ.get(SERVERS[request.param])
    if not server:
        pytest.skip(f"{SERVERS[request.param]} is not set")
    with scratch_database(server, "web2_throttle") as url:
        running = service_over(shop_url, tmp_path, state_url=url)
        try:
            yield running.state.engine
        finally:
            running.close()


def test_the_limits_count_on_each_state_database(state_engine: Any) -> None:
    throttle = Throttle(state_engine, b"k" * 32)
    limits = {"address": ("ann@example.org", 2), "source": ("192.0.2.7", 3)}
    throttle.take("filing", limits)
    throttle.take("filing", limits)
    with pytest.raises(TooManyAttempts, match="for this email address"):
        throttle.take("filing", limits)
    other = {"address": ("bob@example.org", 2), "source": ("192.0.2.7", 3)}
    throttle.take("filing", other)
    with pytest.raises(TooManyAttempts, match="from your network address"):
        throttle.take("filing", other)
    assert throttle.over("sign_in", {"account": ("ann@example.org", 1)}) is None
