# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""Who may see and do what on the web pages: every route of every mount, for anonymous
visitors and each role signed in to the console.

The matrix below is the specification, as tests/test_service_authz.py is the API's. The test
walks the app's mounts (/privacy, /console, /static): a page added without its line fails, and
so does a line whose page is gone. Every post carries a valid CSRF token, so what is checked
is the door, not the token. "ok" means the page lets the visitor in (neither the sign-in
redirect nor 403, never a 5xx: a 404 for an id that does not exist or a 422 for an empty form
is fine); 303 is the redirect to the sign-in page, 403 a role refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from registre.service import create_app
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    _no_settings_from_outside,
    service_over,
    shop_url,
)

PASSWORD = "correct horse battery staple"
ROLES = ("anonymous", "auditor", "operator", "dpo")
EVERYONE = ("ok", "ok", "ok", "ok")
READ = (303, "ok", "ok", "ok")
WORK = (303, 403, "ok", "ok")
MANAGE = (303, 403, 403, "ok")

MATRIX: dict[tuple[str, str], tuple[Any, ...]] = {
    # the privacy center: anyone, without an account
    ("GET", "/privacy/"): EVERYONE,
    ("GET", "/privacy/policy"): EVERYONE,
    ("GET", "/privacy/request"): EVERYONE,
    ("POST", "/privacy/request"): EVERYONE,
    ("POST", "/privacy/code"): EVERYONE,
    ("POST", "/privacy/verify"): EVERYONE,
    ("GET", "/privacy/status/{token}"): EVERYONE,
    ("GET", "/privacy/status/{token}/letter"): EVERYONE,
    ("GET", "/privacy/unsubscribe"): EVERYONE,
    ("POST", "/privacy/unsubscribe"): EVERYONE,
    ("GET", "/privacy/withdraw"): EVERYONE,
    # the console's own door
    ("GET", "/console/login"): EVERYONE,
    ("POST", "/console/login"): (401, 401, 401, 401),  # the empty form: a wrong password
    ("POST", "/console/logout"): (303, 303, 303, 303),
    # requests, holds, audit trail
    ("GET", "/console/"): READ,
    ("GET", "/console/requests/{request_id}"): READ,
    ("POST", "/console/requests/{request_id}/{action}"): WORK,
    ("GET", "/console/holds"): READ,
    ("POST", "/console/holds"): WORK,
    ("POST", "/console/holds/{hold_id}/release"): WORK,
    ("GET", "/console/audit"): READ,
    # the register of breaches
    ("GET", "/console/breaches"): READ,
    ("POST", "/console/breaches"): WORK,
    ("GET", "/console/breaches/{breach_id}"): READ,
    ("GET", "/console/breaches/{breach_id}/cnil"): READ,
    ("GET", "/console/breaches/{breach_id}/letters/{name}"): READ,
    ("POST", "/console/breaches/{breach_id}/{action}"): WORK,
    # sweeps and the register
    ("GET", "/console/plan"): READ,
    ("GET", "/console/sweeps"): READ,
    ("POST", "/console/sweeps"): WORK,
    ("GET", "/console/sweeps/{run_id}"): READ,
    ("GET", "/console/register"): READ,
    ("GET", "/console/register/ropa.xlsx"): READ,
    ("GET", "/console/register/policy"): READ,
    # users and tokens
    ("GET", "/console/users"): MANAGE,
    ("POST", "/console/users"): MANAGE,
    ("POST", "/console/users/{name}/remove"): MANAGE,
    ("GET", "/console/tokens"): MANAGE,
    ("POST", "/console/tokens"): MANAGE,
    ("POST", "/console/tokens/{token_id}/revoke"): MANAGE,
    # our stylesheet and htmx
    ("GET", "/static/{path}"): EVERYONE,
}

EXAMPLES = {
    "token": "r-00000000.forged",
    "request_id": "r-00000000",
    "breach_id": "b-00000000",
    "action": "verify",
    "hold_id": "999",
    "run_id": "999",
    "name": "nobody",
    "token_id": "999",
    "path": "site.css",
}


def web_routes(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) of the app's mounts; a static mount answers GET under its path."""
    found: set[tuple[str, str]] = set()
    for mount in app.routes:
        if not isinstance(mount, Mount):
            continue
        inner = [r for r in getattr(mount.app, "routes", []) if isinstance(r, Route)]
        if not inner:  # a mount of files
            found.add(("GET", f"{mount.path}/{{path}}"))
        for route in inner:
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method, mount.path + route.path))
        for sub in getattr(mount.app, "routes", []):
            if isinstance(sub, Mount) and not getattr(sub.app, "routes", None):
                found.add(("GET", f"{mount.path}/{{path}}"))
    return found


@pytest.fixture(scope="module")
def site(shop_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    running = service_over(shop_url, tmp_path_factory.mktemp("web-authz"))
    for role in ROLES[1:]:
        running.access.add_user(f"authz-{role}", role, PASSWORD, actor="test")
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            yield client, running
    finally:
        running.close()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def visitor(client: TestClient, role: str) -> str:
    """Sign ``role`` in (or out, for anonymous); the CSRF token of its pages."""
    client.cookies.clear()
    token = csrf_of(client.get("/console/login").text)
    if role != "anonymous":
        signed = client.post(
            "/console/login",
            data={"csrf": token, "name": f"authz-{role}", "password": PASSWORD},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
    return token


def test_every_web_route_has_a_line_in_the_matrix(site: Any) -> None:
    client, _ = site
    present = web_routes(client.app)
    assert present - MATRIX.keys() == set(), "web routes without a line in MATRIX"
    assert MATRIX.keys() - present == set(), "lines of MATRIX for web routes that are gone"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_matrix_says(site: Any, role: str) -> None:
    client, _ = site
    column = ROLES.index(role)
    wrong = []
    token = visitor(client, role)
    for (method, path), expected_by_role in sorted(MATRIX.items()):
        url = re.sub(r"\{(\w+)\}", lambda m: EXAMPLES[m.group(1)], path)
        data = {"csrf": token} if method == "POST" else None
        answer = client.request(method, url, data=data, follow_redirects=False)
        expected = expected_by_role[column]
        status = answer.status_code
        if expected == "ok":
            to_login = status == 303 and answer.headers.get("location") == "/console/login"
            if status == 403 or to_login or status >= 500:
                wrong.append((method, path, status))
        elif status != expected:
            wrong.append((method, path, status))
        if expected == 303:
            assert answer.headers["location"] == "/console/login", (method, path)
        if path == "/console/logout":
            token = visitor(client, role)  # signed out: sign in again for the next lines
    assert wrong == [], f"{role}: (method, path, status) against the matrix"
