# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""HTTP Basic on the API is rate limited like the console's sign-in, and counted with it.

Failures are counted per account name (whether or not it is a user's) and per source address;
at the limit the answer is a 429 before the password is checked, even a right one. Tokens are
not limited this way (a token cannot be guessed), and right passwords count nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registre.service import Service, create_app
from registre.service.routes.public import throttle
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    _no_settings_from_outside,
    bearer,
    service_over,
    shop_url,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def limited(shop_url: str, tmp_path: Path) -> Iterator[tuple[Service, TestClient]]:
    running = service_over(shop_url, tmp_path, sign_in_attempts=3, sign_in_source_attempts=5)
    running.access.add_user("alice", "operator", PASSWORD, actor="test")
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            yield running, client
    finally:
        running.close()


def me(client: TestClient, **given: Any) -> Any:
    return client.get("/api/v1/me", **given)


def test_basic_failures_per_account_then_per_source(
    limited: tuple[Service, TestClient],
) -> None:
    running, client = limited
    # right passwords count nothing
    for _ in range(5):
        assert me(client, auth=("alice", PASSWORD)).status_code == 200
    for _ in range(3):
        assert me(client, auth=("alice", "not the password")).status_code == 401
    # at the account's limit: refused before the password is checked, even the right one
    refused = me(client, auth=("alice", PASSWORD))
    assert refused.status_code == 429, refused.text
    body = refused.json()
    assert body["code"] == "too_many_attempts"
    assert "for this account name" in body["message"] and "Traceback" not in refused.text
    # the console reads the same counts: its sign-in for alice is refused too
    source = {"source": ("testclient", running.settings.sign_in_source_attempts)}
    assert throttle(running).over("sign_in", {"account": ("alice", 3)}) == "account"
    # a name nobody has counts the same way; the source reaches its limit of 5 failures
    assert me(client, auth=("nobody", "guess one")).status_code == 401
    assert me(client, auth=("nobody", "guess two")).status_code == 401
    assert throttle(running).over("sign_in", source) == "source"
    other = me(client, auth=("somebody-else", "first guess"))
    assert other.status_code == 429
    assert "from your network address" in other.json()["message"]
    # a token is not a password: not limited by sign-in failures
    assert me(client, headers=bearer(running, "auditor")).status_code == 200
