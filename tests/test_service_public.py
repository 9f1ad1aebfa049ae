# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""The public side: a person files a request, reads the code in the mail a real SMTP server
received, proves the address with it; the operator then executes the request.

The code is single use, short-lived, and attempts are limited per request and per source
address. The proof is recorded on the request; every step is in the audit trail with who took
it: ``public`` for the person, ``token:NAME`` for the operator's tool.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from registre.service import create_app
from registre.service.codes import code_table
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    Inbox,
    _no_settings_from_outside,
    bearer,
    service_over,
    shop_url,
    smtp,
)


@pytest.fixture
def mailing(shop_url: str, tmp_path: Path, smtp: tuple[Inbox, int]) -> Iterator[Any]:
    inbox, port = smtp
    running = service_over(
        shop_url,
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="privacy@boutique-lumen.example",
        code_attempts=3,
        source_attempts=5,
    )
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            yield client, inbox, running
    finally:
        running.close()


def wait_for_job(
    client: TestClient, headers: dict[str, str], job_id: str, seconds: float = 30
) -> dict[str, Any]:
    """The job once it is done or failed (the in-process workers run it)."""
    deadline = time.monotonic() + seconds
    while True:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def file(client: TestClient, email: str = CAMILLE, **more: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/public/requests", json={"kind": "access", "email": email, **more}
    )
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_filed_verified_by_the_emailed_code_then_executed(mailing: Any) -> None:
    client, inbox, running = mailing
    filed = file(client, "Camille.Martin@Example.fr", lang="fr")
    request_id = filed["request_id"]
    assert filed["state"] == "received" and filed["code_sent_to"] == CAMILLE
    message = inbox.last_to(CAMILLE)
    assert message["From"] == "privacy@boutique-lumen.example"
    assert "code de vérification" in message["Subject"]
    assert message.get_body(("html",)) is not None  # and a plain-text part, read below
    code = inbox.code_for(CAMILLE)

    verified = client.post(f"/api/v1/public/requests/{request_id}/verify", json={"code": code})
    assert verified.status_code == 200, verified.text
    assert verified.json()["state"] == "in_progress"
    again = client.post(f"/api/v1/public/requests/{request_id}/verify", json={"code": code})
    assert again.status_code == 409 and "used already" in again.json()["message"]

    operator = bearer(running, "operator", name="desk")
    shown = client.get(f"/api/v1/requests/{request_id}", headers=operator).json()
    assert shown["identity_method"].startswith(f"one-time code sent by email to {CAMILLE}")
    executed = client.post(f"/api/v1/requests/{request_id}/execute", headers=operator)
    assert executed.status_code == 202, executed.text
    job = wait_for_job(client, operator, executed.json()["job"]["id"])
    assert job["state"] == "done", job
    done = client.get(f"/api/v1/requests/{request_id}", headers=operator).json()
    assert done["state"] == "done"
    assert Path(done["result"]["export"]).is_file()
    assert Path(done["result"]["letter"]).is_file()

    trail = client.get(f"/api/v1/audit?request_id={request_id}", headers=operator).json()
    actors = [(entry["action"], entry["actor"]) for entry in trail["items"]]
    assert actors[:2] == [("request.opened", "public"), ("request.identity.verified", "public")]
    assert {actor for action, actor in actors[2:]} == {"token:desk"}
    # the code is never kept, nor written to the audit trail
    assert code not in str(trail)
    with running.state.engine.connect() as connection:
        stored = connection.execute(sa.select(code_table)).one()
    assert code not in str(tuple(stored))


def test_wrong_codes_burn_the_code_then_a_new_one_works(mailing: Any) -> None:
    client, inbox, _ = mailing
    request_id = file(client)["request_id"]
    code = inbox.code_for(CAMILLE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [
        client.post(f"/api/v1/public/requests/{request_id}/verify", json={"code": wrong})
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert "2 attempts left" in answers[0].json()["message"]
    burnt = client.post(f"/api/v1/public/requests/{request_id}/verify", json={"code": code})
    assert burnt.status_code == 429, burnt.text
    assert burnt.json()["hint"] == "ask for a new code"

    before = len(inbox.messages)
    assert client.post(f"/api/v1/public/requests/{request_id}/code").status_code == 200
    with inbox.arrived:  # the mail is a job: it arrives a moment later
        inbox.arrived.wait_for(lambda: len(inbox.messages) == before + 1, timeout=10)
    assert len(inbox.messages) == before + 1
    fresh = inbox.code_for(CAMILLE)
    ok = client.post(f"/api/v1/public/requests/{request_id}/verify", json={"code": fresh})
    assert ok.status_code == 200, ok.text


def test_one_source_cannot_try_many_requests(mailing: Any) -> None:
    client, inbox, _ = mailing
    ids = [file(client, f"person{n}@example.org")["request_id"] for n in range(3)]
    tries = [
        client.post(f"/api/v1/public/requests/{ids[n % 3]}/verify", json={"code": "000000"})
        for n in range(6)
    ]
    statuses = [t.status_code for t in tries]
    # five wrong codes an hour from one address (source_attempts=5), over all requests
    assert statuses[:5] == [422] * 5 and statuses[5] == 429, statuses
    right = inbox.code_for("person2@example.org")
    blocked = client.post(f"/api/v1/public/requests/{ids[2]}/verify", json={"code": right})
    assert blocked.status_code == 429 and "wait an hour" in blocked.json()["hint"]


def test_an_expired_code_is_refused(mailing: Any) -> None:
    client, inbox, running = mailing
    request_id = file(client)["request_id"]
    code = inbox.code_for(CAMILLE)
    with running.state.engine.begin() as connection:  # as if 15 minutes went by
        connection.execute(code_table.update().values(expires_at=code_table.c.created_at))
    late = client.post(f"/api/v1/public/requests/{request_id}/verify", json={"code": code})
    assert late.status_code == 422 and "expired" in late.json()["message"]


def test_codes_sent_for_one_request_are_limited(mailing: Any) -> None:
    client, _, _ = mailing
    request_id = file(client)["request_id"]
    answers = [client.post(f"/api/v1/public/requests/{request_id}/code") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]


def test_a_mail_server_down_delays_the_code_visibly(shop_url: str, tmp_path: Path) -> None:
    from test_service_fixtures import free_port

    running = service_over(
        shop_url,
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        mail_from="p@x.example",
        jobs_retry_seconds=60,
    )
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            filed = client.post(
                "/api/v1/public/requests", json={"kind": "access", "email": CAMILLE}
            )
            assert filed.status_code == 201, filed.text
            operator = bearer(running, "operator")
            for _ in range(100):
                jobs = client.get("/api/v1/jobs?kind=mail.code", headers=operator).json()
                if jobs["items"] and jobs["items"][0]["attempts"] and jobs["items"][0]["error"]:
                    break
                time.sleep(0.1)
    finally:
        running.close()
    # the mail waits in the queue for its next attempt, with why; the code is not shown
    waiting = jobs["items"][0]
    assert waiting["state"] == "queued" and waiting["attempts"] == 1, waiting
    assert "did not take the message" in waiting["error"]
    assert "code" not in waiting["arguments"]


def test_an_extension_and_a_refusal_are_mailed_to_the_person(mailing: Any) -> None:
    """Every letter reaches the person, not only the final answer: the extension with its
    reason (Art. 12(3)), the refusal with the right to complain (Art. 12(4))."""
    client, inbox, running = mailing
    operator = bearer(running, "operator", name="desk-letters")
    extended_id = file(client, CAMILLE, lang="fr")["request_id"]
    code = inbox.code_for(CAMILLE)
    verified = client.post(f"/api/v1/public/requests/{extended_id}/verify", json={"code": code})
    assert verified.status_code == 200, verified.text
    reason = "nous avons reçu de nombreuses demandes ce mois-ci"
    extended = client.post(
        f"/api/v1/requests/{extended_id}/extend", json={"reason": reason}, headers=operator
    )
    assert extended.status_code == 200, extended.text

    def mailed(subject_part: str, to: str = CAMILLE) -> Any:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for message in inbox.messages:
                if subject_part in message["Subject"] and message["To"] == to:
                    return message
            time.sleep(0.05)
        raise AssertionError(
            f"no mail {subject_part!r} in {[m['Subject'] for m in inbox.messages]}"
        )

    letter = mailed(f"Votre demande {extended_id} : délai de réponse prolongé")
    assert reason in letter.get_body(("plain",)).get_content()

    refused_id = file(client, "autre@example.fr", lang="en")["request_id"]
    refused = client.post(
        f"/api/v1/requests/{refused_id}/refuse",
        json={"reason": "the identity could not be established"},
        headers=operator,
    )
    assert refused.status_code == 200, refused.text
    answer = mailed(f"Answer to your request {refused_id}", to="autre@example.fr")
    text = answer.get_body(("plain",)).get_content()
    assert "We cannot act on your request" in text and "lodge a complaint" in text
    # the identity was never verified: the letter keeps the operator's reason to itself
    assert "the identity could not be established" not in text
