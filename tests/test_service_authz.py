# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""Who may call what: every route of the API, for every role and for anonymous callers.

The matrix below is the specification. The test enumerates the app's routes: a route added
without its line here fails, and so does a line whose route is gone. "ok" means the role passes
the door (the answer is neither 401 nor 403, and never a 5xx: a 404 for an id that does not
exist or a 422 for an empty body is fine); 401 and 403 are the answers expected otherwise.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from registre.service import create_app
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    _no_settings_from_outside,
    bearer,
    service_over,
    shop_url,
)

ROLES = ("anonymous", "auditor", "operator", "dpo")
EVERYONE = ("ok", "ok", "ok", "ok")
READ = (401, "ok", "ok", "ok")
WORK = (401, 403, "ok", "ok")
MANAGE = (401, 403, 403, "ok")

MATRIX: dict[tuple[str, str], tuple[Any, ...]] = {
    # the service itself and its documentation
    ("GET", "/health"): EVERYONE,
    ("GET", "/ready"): EVERYONE,
    ("GET", "/openapi.json"): EVERYONE,
    ("GET", "/docs"): EVERYONE,
    ("GET", "/docs/oauth2-redirect"): EVERYONE,
    ("GET", "/redoc"): EVERYONE,
    # people without an account
    ("POST", "/api/v1/public/requests"): EVERYONE,
    ("POST", "/api/v1/public/requests/{request_id}/code"): EVERYONE,
    ("POST", "/api/v1/public/requests/{request_id}/verify"): EVERYONE,
    ("GET", "/api/v1/register/policy"): EVERYONE,
    ("POST", "/api/v1/consent/choices"): EVERYONE,
    # requests
    ("GET", "/api/v1/requests"): READ,
    ("GET", "/api/v1/requests/{request_id}"): READ,
    ("POST", "/api/v1/requests"): WORK,
    ("POST", "/api/v1/requests/{request_id}/verify"): WORK,
    ("POST", "/api/v1/requests/{request_id}/execute"): WORK,
    ("POST", "/api/v1/requests/{request_id}/extend"): WORK,
    ("POST", "/api/v1/requests/{request_id}/refuse"): WORK,
    ("POST", "/api/v1/requests/{request_id}/forward"): WORK,
    ("POST", "/api/v1/requests/{request_id}/instruct"): WORK,
    ("POST", "/api/v1/requests/{request_id}/lift"): WORK,
    ("GET", "/api/v1/requests/{request_id}/history"): READ,
    ("GET", "/api/v1/requests/{request_id}/letters"): READ,
    ("GET", "/api/v1/requests/{request_id}/letters/{name}"): READ,
    ("GET", "/api/v1/requests/{request_id}/packages"): READ,
    ("GET", "/api/v1/requests/{request_id}/packages/{name}"): WORK,
    # holds, sweeps, audit trail, register
    ("GET", "/api/v1/holds"): READ,
    ("POST", "/api/v1/holds"): WORK,
    ("POST", "/api/v1/holds/{hold_id}/release"): WORK,
    ("GET", "/api/v1/plan"): READ,
    ("GET", "/api/v1/audit"): READ,
    ("GET", "/api/v1/audit/verify"): READ,
    ("GET", "/api/v1/register"): READ,
    ("GET", "/api/v1/register/lint"): READ,
    # who may use the service
    ("GET", "/api/v1/me"): READ,
    ("GET", "/api/v1/users"): MANAGE,
    ("POST", "/api/v1/users"): MANAGE,
    ("DELETE", "/api/v1/users/{name}"): MANAGE,
    ("GET", "/api/v1/tokens"): MANAGE,
    ("POST", "/api/v1/tokens"): MANAGE,
    ("DELETE", "/api/v1/tokens/{token_id}"): MANAGE,
    # jobs, sweeps on demand, the one-time download links mailed to people
    ("GET", "/api/v1/jobs"): READ,
    ("GET", "/api/v1/jobs/{job_id}"): READ,
    ("POST", "/api/v1/sweeps"): WORK,
    ("GET", "/api/v1/sweeps"): READ,
    ("GET", "/api/v1/sweeps/{run_id}"): READ,
    # the register of breaches (issue 17)
    ("GET", "/api/v1/breaches"): READ,
    ("POST", "/api/v1/breaches"): WORK,
    ("GET", "/api/v1/breaches/{breach_id}"): READ,
    ("POST", "/api/v1/breaches/{breach_id}/update"): WORK,
    ("POST", "/api/v1/breaches/{breach_id}/assess"): WORK,
    ("POST", "/api/v1/breaches/{breach_id}/scope"): WORK,
    ("POST", "/api/v1/breaches/{breach_id}/notifications"): WORK,
    ("POST", "/api/v1/breaches/{breach_id}/close"): WORK,
    ("GET", "/api/v1/breaches/{breach_id}/cnil"): READ,
    ("POST", "/api/v1/breaches/{breach_id}/letters"): WORK,
    ("POST", "/api/v1/breaches/{breach_id}/send"): WORK,
    ("GET", "/api/v1/breaches/{breach_id}/letters"): READ,
    ("GET", "/api/v1/breaches/{breach_id}/letters/{name}"): READ,
    ("GET", "/api/v1/public/downloads/{token}"): EVERYONE,
    # the cookie banner's choices, as the ledger recorded them
    ("GET", "/api/v1/consent/choices/{consent_id}"): READ,
}

EXAMPLES = {
    "request_id": "r-00000000",
    "hold_id": "999",
    "name": "nobody",
    "token_id": "999",
    "job_id": "j-000000000000",
    "token": "no-such-link",
    "consent_id": "0123456789abcdef0123456789abcdef",
    "run_id": "999",
    "breach_id": "b-00000000",
}


@pytest.fixture(scope="module")
def app_and_headers(shop_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    running = service_over(shop_url, tmp_path_factory.mktemp("authz"))
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ROLES[1:]:
        headers[role] = bearer(running, role, name=f"authz-{role}")
    try:
        yield create_app(running), headers, running
    finally:
        running.close()


def routes(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app answers: its OpenAPI document's, and the documents' own.

    Read from the OpenAPI document, the public description of the routes, rather than from
    ``app.routes``, which FastAPI now nests per included router in private classes.
    """
    found = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    for route in app.routes:
        if isinstance(route, APIRoute) or not hasattr(route, "methods"):
            continue
        found |= {(method, route.path) for method in route.methods if method != "HEAD"}
    return found


def test_every_route_has_a_line_in_the_matrix(app_and_headers: Any) -> None:
    app, _, _ = app_and_headers
    present = routes(app)
    assert present - MATRIX.keys() == set(), "routes without a line in MATRIX"
    assert MATRIX.keys() - present == set(), "lines of MATRIX for routes that are gone"


@pytest.mark.parametrize(
    ("method", "path"), sorted(MATRIX), ids=[" ".join(k) for k in sorted(MATRIX)]
)
def test_each_role_gets_what_the_matrix_says(app_and_headers: Any, method: str, path: str) -> None:
    app, headers, _ = app_and_headers
    url = re.sub(r"\{(\w+)\}", lambda m: EXAMPLES[m.group(1)], path)
    with TestClient(app, raise_server_exceptions=False) as client:
        for role, expected in zip(ROLES, MATRIX[method, path], strict=True):
            body = {} if method in ("POST", "PUT", "PATCH") else None
            response = client.request(method, url, json=body, headers=headers[role])
            if expected == "ok":
                assert response.status_code not in (401, 403), (role, response.text)
                assert response.status_code < 500, (role, response.text)
            else:
                assert response.status_code == expected, (role, response.text)
                assert response.json()["code"] == (
                    "unauthenticated" if expected == 401 else "forbidden"
                )


def test_a_revoked_or_expired_token_and_a_removed_user_get_401(app_and_headers: Any) -> None:
    import time
    from datetime import timedelta

    from registre.state.db import utcnow

    app, _, running = app_and_headers
    ends = utcnow() + timedelta(seconds=2)
    _, short = running.access.create_token("soon", "auditor", actor="test", expires_at=ends)
    token, secret = running.access.create_token("ci", "auditor", actor="test")
    running.access.add_user("auditor-ann", "auditor", "correct horse battery", actor="test")
    with TestClient(app, raise_server_exceptions=False) as client:

        def status(**given: Any) -> int:
            code: int = client.get("/api/v1/me", **given).status_code
            return code

        assert status(headers={"Authorization": f"Bearer {secret}"}) == 200
        running.access.revoke_token(token.id, actor="test")
        assert status(headers={"Authorization": f"Bearer {secret}"}) == 401
        time.sleep(max(0.0, (ends - utcnow()).total_seconds()) + 0.1)
        assert status(headers={"Authorization": f"Bearer {short}"}) == 401
        basic = ("auditor-ann", "correct horse battery")
        assert client.get("/api/v1/me", auth=basic).json()["actor"] == "user:auditor-ann"
        assert status(auth=("auditor-ann", "wrong password!")) == 401
        running.access.remove_user("auditor-ann", actor="test")
        assert status(auth=basic) == 401
