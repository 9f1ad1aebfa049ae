# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""Every error of the API has one JSON shape, and a bad request is a 4xx that says what to fix.

The shape: ``status``, ``code``, ``message``, ``hint`` and ``context`` (what the error is about:
the request, the hold, the fields a body got wrong). The settings are checked before the service
listens, each wrong one named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registre._exceptions import StoreError
from registre.service import Service, create_app, load_settings
from registre.service.errors import SettingsError
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    SHOP,
    _no_settings_from_outside,
    bearer,
    client,
    service,
    service_over,
    shop_url,
)

SHAPE = {"status", "code", "message", "hint", "context"}


def check_shape(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == SHAPE, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["message"] and isinstance(body["message"], str)
    assert isinstance(body["hint"], str) and isinstance(body["context"], dict)
    return body


CASES = [
    # method, path, role, json body, status, code, what the message says
    ("GET", "/nowhere", None, None, 404, "not_found", "there is no /nowhere"),
    ("DELETE", "/health", None, None, 405, "method_not_allowed", "DELETE is not a method"),
    ("GET", "/api/v1/requests", None, None, 401, "unauthenticated", "needs a token"),
    ("GET", "/api/v1/users", "operator", None, 403, "forbidden", "operator role may not"),
    ("GET", "/api/v1/requests?limit=0", "auditor", None, 422, "invalid", "query.limit"),
    ("GET", "/api/v1/requests?state=lost", "auditor", None, 422, "invalid", "query.state"),
    ("POST", "/api/v1/requests", "operator", {"kind": "access"}, 422, "invalid", "identity"),
    (
        "POST",
        "/api/v1/requests",
        "operator",
        {"kind": "nope", "email": "a@b.fr"},
        422,
        "invalid",
        "body.kind",
    ),
    (
        "POST",
        "/api/v1/requests",
        "operator",
        {"kind": "access", "email": "not-mail"},
        422,
        "invalid",
        "is not an email address",
    ),
    ("POST", "/api/v1/requests", "operator", [1, 2], 422, "invalid", "body"),
    (
        "POST",
        "/api/v1/requests",
        "operator",
        {"kind": "objection", "email": CAMILLE, "activities": ["nope"]},
        422,
        "invalid",
        "no activity nope",
    ),
    (
        "GET",
        "/api/v1/requests/r-00000000",
        "auditor",
        None,
        404,
        "not_found",
        "there is no request r-00000000",
    ),
    (
        "POST",
        "/api/v1/holds/999/release",
        "operator",
        {"reason": "done"},
        404,
        "not_found",
        "no legal hold 999",
    ),
    ("POST", "/api/v1/holds", "operator", {"reason": "court case"}, 422, "invalid", "identity"),
    (
        "POST",
        "/api/v1/holds",
        "operator",
        {"reason": "court case", "identity": {"email": "nobody@example.org"}},
        503,
        "store",
        "no row of the mapped tables",
    ),
    ("GET", "/api/v1/plan?at=someday", "auditor", None, 422, "invalid", "query.at"),
    ("GET", "/api/v1/register/policy?lang=de", None, None, 422, "invalid", "query.lang"),
    (
        "POST",
        "/api/v1/users",
        "dpo",
        {"name": "Bob!", "role": "dpo", "password": "x" * 12},
        422,
        "invalid",
        "is not a user name",
    ),
    (
        "POST",
        "/api/v1/users",
        "dpo",
        {"name": "bob", "role": "dpo", "password": "short"},
        422,
        "invalid",
        "at least 12",
    ),
    ("POST", "/api/v1/tokens", "dpo", {"name": "ci", "role": "king"}, 422, "invalid", "body.role"),
    (
        "POST",
        "/api/v1/tokens",
        "dpo",
        {"name": "ci", "role": "auditor", "expires_at": "2020-01-01T00:00:00Z"},
        422,
        "invalid",
        "expire before",
    ),
    (
        "POST",
        "/api/v1/tokens",
        "dpo",
        {"name": "ci", "role": "auditor", "expires_at": "2099-01-01T00:00:00"},
        422,
        "invalid",
        "time zone",
    ),
    ("DELETE", "/api/v1/tokens/999", "dpo", None, 404, "not_found", "no token 999"),
    ("DELETE", "/api/v1/users/nobody", "dpo", None, 404, "not_found", "no user nobody"),
    (
        "POST",
        "/api/v1/public/requests",
        None,
        {"kind": "access", "email": CAMILLE},
        503,
        "unavailable",
        "sends no mail",
    ),
    (
        "POST",
        "/api/v1/public/requests/r-00000000/verify",
        None,
        {"code": "123456"},
        404,
        "not_found",
        "no request",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "status", "code", "says"),
    CASES,
    ids=[f"{c[0]} {c[1]} {c[5]}" for c in CASES],
)
def test_error_shape(
    client: TestClient,
    service: Service,
    method: str,
    path: str,
    role: str | None,
    body: Any,
    status: int,
    code: str,
    says: str,
) -> None:
    headers = bearer(service, role) if role else {}
    response = client.request(method, path, json=body, headers=headers)
    answer = check_shape(response, status, code)
    assert says in answer["message"], answer


def test_a_request_that_cannot_move_is_a_conflict_naming_it(
    client: TestClient, service: Service
) -> None:
    headers = bearer(service, "operator")
    opened = client.post(
        "/api/v1/requests", json={"kind": "access", "email": CAMILLE}, headers=headers
    )
    request_id = opened.json()["id"]
    answer = check_shape(
        client.post(f"/api/v1/requests/{request_id}/execute", headers=headers), 409, "request_state"
    )
    assert answer["context"] == {"request_id": request_id}
    assert "verify" in answer["hint"]


def test_a_wrong_credential_is_refused_not_taken_for_anonymous(client: TestClient) -> None:
    for header in ("Bearer rgt_nothing", "Bearer other", "Basic !!!", "Digest x"):
        check_shape(
            client.get("/api/v1/me", headers={"Authorization": header}),
            401,
            "unauthenticated",
        )


def test_a_bug_is_a_500_in_the_shape_with_nothing_inside(service: Service) -> None:
    app = create_app(service)

    @app.get("/boom")
    def boom() -> None:
        raise ZeroDivisionError("secret detail")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        answer = check_shape(test_client.get("/boom"), 500, "internal")
    assert "secret detail" not in str(answer)


def test_a_state_database_gone_is_a_503_on_ready(service: Service, tmp_path: Path) -> None:
    from sqlalchemy import text

    with service.state.engine.begin() as connection:
        connection.execute(text("DROP TABLE registre_audit_head"))
    with TestClient(create_app(service), raise_server_exceptions=False) as test_client:
        assert test_client.get("/health").json() == {"status": "ok"}
        answer = check_shape(test_client.get("/ready"), 503, "state")
    assert "state database" in answer["message"]


def test_every_error_of_the_library_has_its_status() -> None:
    import inspect

    from registre import _exceptions
    from registre.service.errors import _LIBRARY

    tree = {
        cls
        for _, cls in inspect.getmembers(_exceptions, inspect.isclass)
        if issubclass(cls, _exceptions.RegistreError) and cls is not _exceptions.RegistreError
    }
    mapped = {cls for cls, _, _ in _LIBRARY}
    missing = sorted(cls.__name__ for cls in tree - mapped)
    assert not missing, (
        f"give {', '.join(missing)} its HTTP status and code in "
        "registre.service.errors._LIBRARY (4xx if the caller can fix it, 503 if a server is down)"
    )
    assert mapped <= tree


# -- settings, checked at start ------------------------------------------------------------------

SETTINGS = [
    ({}, "register (REGISTRE_REGISTER): is required"),
    ({"register": SHOP, "port": "eighty"}, "port (REGISTRE_PORT): Input should be a valid integer"),
    ({"register": SHOP, "secret_key": "short"}, "at least 32 characters"),
    ({"register": SHOP, "smtp_host": "localhost"}, "without mail_from"),
    ({"register": SHOP, "smtp_username": "me"}, "go together"),
    ({"register": SHOP, "smtp_security": "ssl"}, "smtp_security (REGISTRE_SMTP_SECURITY)"),
    ({"register": SHOP, "jobs_backend": "celery"}, "jobs_backend"),
    ({"register": SHOP, "export_retention": "0 days"}, "long enough to send it"),
    ({"register": SHOP, "export_retention": "soon"}, "export_retention"),
]


@pytest.mark.parametrize(("given", "says"), SETTINGS, ids=[s[1][:30] for s in SETTINGS])
def test_wrong_settings_stop_the_start_naming_each(given: dict[str, Any], says: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(**given)
    assert says in raised.value.message
    assert "docs/service.md" in raised.value.hint


def test_settings_come_from_the_environment_and_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "registre-serve.toml"
    file.write_text(f'register = "{SHOP}"\nport = 9000\nhost = "0.0.0.0"\n', encoding="utf-8")
    monkeypatch.setenv("REGISTRE_PORT", "9100")
    settings = load_settings(file)
    assert (settings.register, settings.port, settings.host) == (SHOP, 9100, "0.0.0.0")
    assert load_settings(file, port=9200).port == 9200  # the command line wins
    file.write_text("port = [", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(file)
    file.write_text("colour = 'blue'\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"colour .* is not a setting"):
        load_settings(file, register=SHOP)
    with pytest.raises(SettingsError, match="cannot read the settings file"):
        load_settings(tmp_path / "missing.toml")


def test_a_store_that_cannot_be_reached_stops_the_start(shop_url: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        service_over(f"sqlite:///{tmp_path / 'nowhere.sqlite'}", tmp_path)
    with pytest.raises(SettingsError, match="store_urls names warehouse"):
        service_over(shop_url, tmp_path, store_urls={"warehouse": shop_url})
