# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""The rest of the API surface, called as an operator's tool calls it, on the shop example.

Requests: history, letters and packages (downloaded by operators, audited with who), lifting a
restriction, a forward refused with what to do; sweep runs with each rule's result; the
register of breaches from opening to the CNIL draft and the letters, every step in the audit
trail with the token that took it. The counts are checked against an independent SQL count.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from registre.service import create_app
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    _no_settings_from_outside,
    bearer,
    service_over,
    shop_url,
)
from test_service_public import wait_for_job


@pytest.fixture
def api(shop_url: str, tmp_path: Path) -> Iterator[Any]:
    """A service on a copy of the shop (a sweep changes it), with a token per role."""
    copy = tmp_path / "shop.sqlite"
    shutil.copy(shop_url.removeprefix("sqlite:///"), copy)
    running = service_over(f"sqlite:///{copy}", tmp_path)
    roles = {role: bearer(running, role, name=f"api-{role}") for role in ("operator", "auditor")}
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            yield client, roles, running, f"sqlite:///{copy}"
    finally:
        running.close()


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def actions_by(running: Any, actor: str) -> list[str]:
    return [e.action for e in running.state.audit.entries() if e.actor == actor]


def test_a_request_s_history_letters_and_packages(api: Any) -> None:
    client, roles, running, _ = api
    operator, auditor = roles["operator"], roles["auditor"]
    opened = ok(
        client.post(
            "/api/v1/requests", json={"kind": "access", "email": CAMILLE}, headers=operator
        ),
        201,
    )
    rid = opened["id"]
    ok(
        client.post(
            f"/api/v1/requests/{rid}/verify", json={"method": "ID card seen"}, headers=operator
        )
    )
    job = ok(client.post(f"/api/v1/requests/{rid}/execute", headers=operator), 202)["job"]
    assert wait_for_job(client, operator, job["id"])["state"] == "done"

    history = ok(client.get(f"/api/v1/requests/{rid}/history", headers=auditor))
    assert [(e["action"], e["to"]) for e in history][-2:] == [
        ("verify", "in_progress"),
        ("execute", "done"),
    ]
    assert {e["actor"] for e in history} == {"token:api-operator"}

    letters = ok(client.get(f"/api/v1/requests/{rid}/letters", headers=auditor))
    assert [(x["letter"], x["lang"]) for x in letters] == [("access", "fr")]
    letter = client.get(letters[0]["url"], headers=auditor)
    assert letter.status_code == 200 and letter.headers["content-type"].startswith("text/html")
    written = running.desk.out_dir / rid / "access-fr.html"
    assert letter.text == written.read_text(encoding="utf-8")
    assert "Réponse à votre demande d’accès" in letter.text

    packages = ok(client.get(f"/api/v1/requests/{rid}/packages", headers=auditor))
    assert [p["name"] for p in packages] == [f"access-{rid}.zip"]
    # the export holds the personal data: an auditor lists it, only an operator downloads it
    refused = client.get(packages[0]["url"], headers=auditor)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    download = client.get(packages[0]["url"], headers=operator)
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert zipfile.ZipFile(BytesIO(download.content)).namelist()
    assert "request.package.downloaded" in actions_by(running, "token:api-operator")

    for url in (
        f"/api/v1/requests/{rid}/letters/..%2F..%2Fstate.sqlite",
        f"/api/v1/requests/{rid}/letters/refusal-fr.html",
        f"/api/v1/requests/{rid}/packages/state.sqlite",
    ):
        answer = client.get(url, headers=operator)
        assert answer.status_code == 404, (url, answer.text)
        assert answer.json()["code"] == "not_found"


def test_a_restriction_is_lifted_with_its_letter(api: Any) -> None:
    client, roles, _, _ = api
    operator = roles["operator"]
    rid = ok(
        client.post(
            "/api/v1/requests", json={"kind": "restriction", "email": CAMILLE}, headers=operator
        ),
        201,
    )["id"]
    ok(client.post(f"/api/v1/requests/{rid}/verify", json={"method": "ID"}, headers=operator))
    job = ok(client.post(f"/api/v1/requests/{rid}/execute", headers=operator), 202)["job"]
    assert wait_for_job(client, operator, job["id"])["state"] == "done"
    empty = client.post(f"/api/v1/requests/{rid}/lift", json={"reason": ""}, headers=operator)
    assert empty.status_code == 422
    lifted = ok(
        client.post(
            f"/api/v1/requests/{rid}/lift",
            json={"reason": "the accuracy was checked"},
            headers=operator,
        )
    )
    assert lifted["state"] == "done" and lifted["result"]["lift_reason"]
    names = [x["name"] for x in ok(client.get(f"/api/v1/requests/{rid}/letters", headers=operator))]
    assert "lift-fr.html" in names
    again = client.post(f"/api/v1/requests/{rid}/lift", json={"reason": "x"}, headers=operator)
    assert (again.status_code, again.json()["code"]) == (409, "request_state")


def test_a_request_about_data_we_control_is_not_forwarded(api: Any) -> None:
    client, roles, _, _ = api
    operator = roles["operator"]
    rid = ok(
        client.post(
            "/api/v1/requests", json={"kind": "access", "email": CAMILLE}, headers=operator
        ),
        201,
    )["id"]
    answer = client.post(f"/api/v1/requests/{rid}/forward", headers=operator)
    assert answer.status_code == 409
    assert "cannot be forwarded" in answer.json()["message"]
    assert answer.json()["hint"]
    instruct = client.post(
        f"/api/v1/requests/{rid}/instruct", json={"reference": "mail"}, headers=operator
    )
    assert instruct.status_code == 409, instruct.text


def test_sweep_runs_and_each_rule_s_result(api: Any) -> None:
    client, roles, _, _ = api
    operator, auditor = roles["operator"], roles["auditor"]
    assert ok(client.get("/api/v1/sweeps", headers=auditor))["total"] == 0
    job = ok(client.post("/api/v1/sweeps", json={"store": "shop"}, headers=operator), 202)
    assert wait_for_job(client, operator, job["id"])["state"] == "done"
    runs = ok(client.get("/api/v1/sweeps", headers=auditor))
    assert runs["total"] == 1 and runs["items"][0]["status"] == "done"
    run = ok(client.get(f"/api/v1/sweeps/{runs['items'][0]['id']}", headers=auditor))
    planned = ok(client.get("/api/v1/plan", headers=auditor))["stores"][0]["items"]
    assert [(r["rule"], r["table"]) for r in run["rules"]] == [
        (p["rule"], p["table"]) for p in planned
    ]
    assert sum(r["changed"] for r in run["rules"]) == run["summary"]["changed"] > 0
    missing = client.get("/api/v1/sweeps/424242", headers=auditor)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_a_breach_from_opening_to_the_letters(api: Any) -> None:
    client, roles, running, url = api
    operator, auditor = roles["operator"], roles["auditor"]
    opened = ok(
        client.post(
            "/api/v1/breaches",
            json={
                "aware_at": "2026-12-01T09:30",
                "nature": ["confidentiality"],
                "summary": "a backup of the customer table was left readable",
                "systems": ["backups"],
            },
            headers=operator,
        ),
        201,
    )
    bid = opened["id"]
    assert opened["aware_local"].startswith("2026-12-01 09:30")  # the policy's time zone
    assert opened["clocks"][0]["to"] == "authority"

    future = client.post(
        "/api/v1/breaches",
        json={"aware_at": "2999-01-01T00:00", "nature": ["integrity"], "summary": "x"},
        headers=operator,
    )
    assert (future.status_code, future.json()["code"]) == (422, "invalid")
    wrong = client.post(
        f"/api/v1/breaches/{bid}/scope", json={"targets": ["no_such_table"]}, headers=operator
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "invalid")

    ok(
        client.post(
            f"/api/v1/breaches/{bid}/update",
            json={"text": "the file was downloaded once", "unknown": "by whom"},
            headers=operator,
        )
    )
    scoped = ok(
        client.post(
            f"/api/v1/breaches/{bid}/scope", json={"targets": ["customers"]}, headers=operator
        )
    )
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            customers = connection.execute(sa.text("SELECT count(*) FROM customers")).scalar()
    finally:
        engine.dispose()
    assert scoped["people"] == customers > 0
    ok(
        client.post(
            f"/api/v1/breaches/{bid}/assess",
            json={"risk": "high", "reasons": "names, emails and addresses", "advice": "beware"},
            headers=operator,
        )
    )
    listed = ok(client.get("/api/v1/breaches", headers=auditor))
    assert [b["id"] for b in listed] == [bid] and listed[0]["late"] is True

    draft = ok(client.get(f"/api/v1/breaches/{bid}/cnil", headers=auditor))
    assert draft["personnes_concernees"]["nombre_approximatif"] == customers
    markdown = client.get(f"/api/v1/breaches/{bid}/cnil?format=markdown", headers=auditor)
    assert markdown.headers["content-type"].startswith("text/markdown")

    written = ok(client.post(f"/api/v1/breaches/{bid}/letters", json={}, headers=operator))
    assert written["people"] == customers and written["clients"] == 0
    letters = ok(client.get(f"/api/v1/breaches/{bid}/letters", headers=auditor))
    assert len(letters) == customers
    first = client.get(letters[0]["url"], headers=auditor)
    assert first.status_code == 200 and first.text.startswith("To: ")

    late = client.post(
        f"/api/v1/breaches/{bid}/notifications", json={"to": "authority"}, headers=operator
    )
    assert (late.status_code, late.json()["code"]) == (409, "breach")
    assert "reasons for the delay" in late.json()["message"]
    ok(
        client.post(
            f"/api/v1/breaches/{bid}/notifications",
            json={"to": "authority", "delay_reason": "found on a holiday weekend"},
            headers=operator,
        )
    )
    closed = ok(client.post(f"/api/v1/breaches/{bid}/close", json={}, headers=operator))
    assert closed["closed"] is True
    again = client.post(f"/api/v1/breaches/{bid}/update", json={"text": "x"}, headers=operator)
    assert (again.status_code, again.json()["code"]) == (409, "breach")

    assert [a for a in actions_by(running, "token:api-operator") if a.startswith("breach.")] == [
        "breach.open",
        "breach.update",
        "breach.scope",
        "breach.assess",
        "breach.letters",
        "breach.notify",
        "breach.close",
    ]
    assert actions_by(running, "token:api-auditor") == ["breach.draft", "breach.draft"]
    unknown = client.get("/api/v1/breaches/b-00000000", headers=auditor)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
