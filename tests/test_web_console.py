# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""The console's pages beyond the queue, through HTTP: users and tokens (the DPO only), the
register (version, findings, the Art. 30 record, the policy preview), sweeps (the plan on a
chosen day, a sweep run as a job, the runs and their rules) and a request's later actions
(lift a restriction, forward, instruct).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registre.service import create_app
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    _no_settings_from_outside,
    service_over,
    shop_url,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def console(shop_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    running = service_over(shop_url, tmp_path_factory.mktemp("console"))
    for role in ("dpo", "operator", "auditor"):
        running.access.add_user(f"web-{role}", role, PASSWORD, actor="test")
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            yield client, running
    finally:
        running.close()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def signed_in(console: Any, role: str) -> TestClient:
    client, _ = console
    client.cookies.clear()
    token = csrf_of(client.get("/console/login?lang=en").text)
    answer = client.post(
        "/console/login",
        data={"csrf": token, "name": f"web-{role}", "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def post(client: TestClient, page: str, action: str, **data: str) -> Any:
    return client.post(action, data={"csrf": csrf_of(client.get(page).text), **data})


def test_the_dpo_adds_a_user_and_creates_a_token_shown_once(console: Any) -> None:
    client = signed_in(console, "dpo")
    _, running = console
    added = post(
        client,
        "/console/users",
        "/console/users",
        name="new-op",
        role="operator",
        password="twelve chars at least",
    )
    assert added.status_code == 200 and "new-op" in added.text
    short = post(
        client, "/console/users", "/console/users", name="x", role="auditor", password="short"
    )
    assert short.status_code == 422
    created = post(
        client,
        "/console/tokens",
        "/console/tokens",
        name="crm",
        role="auditor",
        expires_on="2099-01-01",
    )
    secret = re.search(r'<code id="token-secret">(rgt_[^<]+)</code>', created.text)
    assert secret, created.text
    assert running.access.token_for(secret.group(1)) is not None
    assert secret.group(1) not in client.get("/console/tokens").text  # once only
    token_id = next(t.id for t in running.access.tokens() if t.name == "crm")
    post(client, "/console/tokens", f"/console/tokens/{token_id}/revoke")
    assert running.access.token_for(secret.group(1)) is None
    post(client, "/console/users", "/console/users/new-op/remove")
    assert "new-op" not in {u.name for u in running.access.users()}
    actors = {
        e.actor for e in running.state.audit.entries() if e.action.startswith(("user.", "token."))
    }
    assert "user:web-dpo" in actors


@pytest.mark.parametrize("role", ["operator", "auditor"])
@pytest.mark.parametrize("path", ["/console/users", "/console/tokens"])
def test_users_and_tokens_are_for_the_dpo_only(console: Any, role: str, path: str) -> None:
    client = signed_in(console, role)
    assert client.get(path).status_code == 403
    assert 'href="/console/users"' not in client.get("/console/").text


def test_the_register_page_its_record_and_its_policy(console: Any) -> None:
    client = signed_in(console, "auditor")
    _, running = console
    page = client.get("/console/register")
    assert page.status_code == 200
    assert running.register.policy.version in page.text
    assert 'id="lint-clean"' in page.text  # the shop's register is clean
    xlsx = client.get("/console/register/ropa.xlsx?lang=en")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx.headers["content-disposition"]
    policy = client.get("/console/register/policy?lang=fr")
    assert policy.status_code == 200 and "<html" in policy.text
    assert policy.headers["content-security-policy"].startswith("sandbox")


def test_the_plan_on_a_chosen_day_and_a_sweep_run_as_a_job(console: Any) -> None:
    client = signed_in(console, "operator")
    plan = client.get("/console/plan?at=2026-11-01")
    assert plan.status_code == 200 and "2026-10-31T23:00:00" in plan.text
    answer = post(client, "/console/sweeps", "/console/sweeps", store="shop")
    assert answer.status_code == 200
    job = re.search(r"/console/sweeps\?job=(j-[0-9a-f]+)", str(answer.url))
    assert job, answer.url
    deadline = time.monotonic() + 60
    while 'id="job-state">done<' not in answer.text and time.monotonic() < deadline:
        assert 'id="job-state">failed<' not in answer.text, answer.text
        time.sleep(0.3)
        answer = client.get(f"/console/sweeps?job={job.group(1)}")
    assert 'id="job-state">done<' in answer.text
    run = re.search(r'<a href="(/console/sweeps/\d+)">', answer.text)
    assert run, answer.text
    shown = client.get(run.group(1))
    assert shown.status_code == 200 and 'id="run-status">done<' in shown.text, shown.text


def test_an_auditor_cannot_run_a_sweep(console: Any) -> None:
    client = signed_in(console, "auditor")
    page = client.get("/console/sweeps")
    assert page.status_code == 200 and 'id="run-sweep"' not in page.text
    answer = client.post("/console/sweeps", data={"csrf": csrf_of(page.text), "store": "shop"})
    assert answer.status_code == 403


def test_a_restriction_is_lifted_from_its_page(console: Any) -> None:
    _, running = console
    opened = running.desk.open("restriction", {"email": CAMILLE})
    running.desk.verify(opened.id, "seen in person")
    running.desk.execute(opened.id)
    client = signed_in(console, "operator")
    page = client.get(f"/console/requests/{opened.id}")
    assert f'action="/console/requests/{opened.id}/lift"' in page.text
    lifted = client.post(
        f"/console/requests/{opened.id}/lift",
        data={"csrf": csrf_of(page.text), "reason": "the accuracy was checked"},
    )
    assert lifted.status_code == 200, lifted.text
    assert running.desk.get(opened.id).result["lifted_at"]
    assert f'action="/console/requests/{opened.id}/lift"' not in lifted.text


def test_forward_says_why_when_we_hold_nothing_for_a_client(console: Any) -> None:
    _, running = console
    opened = running.desk.open("access", {"email": CAMILLE})
    client = signed_in(console, "operator")
    page = client.get(f"/console/requests/{opened.id}")
    assert f'action="/console/requests/{opened.id}/forward"' in page.text
    answer = client.post(
        f"/console/requests/{opened.id}/forward", data={"csrf": csrf_of(page.text)}
    )
    assert 400 <= answer.status_code < 500 and 'role="alert"' in answer.text, answer.text
