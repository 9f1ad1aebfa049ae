# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""The service's tables (migration 0004) on every state database: SQLite, PostgreSQL, MariaDB.

A service opened on a fresh state database migrates it; users, tokens and one-time codes then
work the same on each, and their changes are in the audit trail, which verifies.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from registre.service.errors import Conflict, InvalidInput, TooManyAttempts
from registre.stores.throwaway import scratch_database
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    _no_settings_from_outside,
    service_over,
    shop_url,
)

SERVERS = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.sqlite'}"
        return
    server = os.environ.get(SERVERS[request.param])
    if not server:
        pytest.skip(f"{SERVERS[request.param]} is not set")
    with scratch_database(server, "service_state") as url:
        yield url


def test_users_tokens_and_codes_on_each_state_database(
    shop_url: str, tmp_path: Path, state_url: str
) -> None:
    running = service_over(shop_url, tmp_path, state_url=state_url, code_attempts=2)
    try:
        access = running.access
        access.add_user("dana", "dpo", "twelve chars or more", actor="test")
        assert access.check_password("dana", "twelve chars or more") is not None
        assert access.check_password("dana", "twelve chars or mor") is None
        assert access.check_password("nobody", "twelve chars or more") is None
        token, secret = access.create_token("crm", "auditor", actor="user:dana")
        assert access.token_for(secret) == token
        assert access.token_for(secret + "x") is None
        access.revoke_token(token.id, actor="user:dana")
        assert access.token_for(secret) is None
        with pytest.raises(Conflict):
            access.revoke_token(token.id, actor="user:dana")

        request = running.desk.open("access", {"email": "someone@example.org"})
        codes = running.codes
        code, _ = codes.issue(request.id, "someone@example.org")
        with pytest.raises(InvalidInput, match="1 attempt left"):
            codes.check(request.id, "x" + code[1:], "192.0.2.1")
        proof = codes.check(request.id, code, "192.0.2.1")
        assert proof["sent_to"] == "someone@example.org"
        with pytest.raises(Conflict, match="used already"):
            codes.check(request.id, code, "192.0.2.1")
        other = running.desk.open("access", {"email": "other@example.org"})
        codes.issue(other.id, "other@example.org")
        for _ in range(2):
            with pytest.raises(InvalidInput):
                codes.check(other.id, "000000" if code != "000000" else "111111", "192.0.2.2")
        with pytest.raises(TooManyAttempts):
            codes.check(other.id, "000000", "192.0.2.2")

        actions = [(e.action, e.actor) for e in running.state.audit.entries()]
        assert actions[:3] == [
            ("user.added", "test"),
            ("token.created", "user:dana"),
            ("token.revoked", "user:dana"),
        ]
        assert running.state.audit.verify() == []
    finally:
        running.close()
