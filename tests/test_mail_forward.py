# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""Forwarding a request (we are the processor): the letter to each controller goes out by mail.

On the device-management example (SQLite), a device user's access request is the client's to
answer: executing it forwards it. The letter to the client is a ``mail.forward`` job, queued
once, sent to the contact the register names for the client's requests (``contact_column``:
here the accounts' ``accounting_email``), with a one-time link to the client's data, never an
attachment; a real SMTP server (aiosmtpd) receives it. When the register names no contact, the
job fails at once, saying what to do, for an operator to see in the queue.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from registre.demo import load_app, load_demo_data
from registre.service import create_app, load_settings, open_service
from registre.service.jobs.mails import as_text
from test_jobs_inprocess import FAST, link_in, wait_for
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    ROOT,
    SECRET,
    Inbox,
    _no_settings_from_outside,
    bearer,
    smtp,
)

DM = ROOT / "examples" / "device-management"
CLIENT_KIND = (
    '      kind: {fr: "l\'entreprise cliente qui gère ses appareils", '
    'en: "the client company managing its devices"}\n'
)


@pytest.fixture(scope="module")
def dm(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example's data (300 device users), its register as shipped and one naming where the
    clients take people's requests."""
    folder = tmp_path_factory.mktemp("dm_forward")
    url = f"sqlite:///{folder / 'dm.sqlite'}"
    engine = sa.create_engine(url)
    try:
        load_demo_data(load_app(DM), engine, subjects=300, seed=3)
        with engine.connect() as connection:
            users = connection.execute(
                sa.text(
                    "SELECT u.email, a.accounting_email FROM directory_users u "
                    "JOIN accounts a ON a.id = u.account_id "
                    "WHERE u.email IS NOT NULL AND a.accounting_email IS NOT NULL "
                    "AND u.email NOT IN (SELECT email FROM managers) ORDER BY u.id LIMIT 2"
                )
            ).all()
            # a shared contact's data is all held for its client: forwarded whole
            contact = connection.execute(
                sa.text(
                    "SELECT min(email) FROM shared_contacts WHERE email IS NOT NULL "
                    "AND email NOT IN (SELECT email FROM directory_users WHERE email IS NOT NULL) "
                    "AND email NOT IN (SELECT email FROM managers) "
                    "AND email NOT IN (SELECT email FROM account_holders) "
                    "GROUP BY email HAVING count(*) = 1 ORDER BY 1 LIMIT 1"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    with_contact = folder / "with-contact"
    shutil.copytree(DM, with_contact)
    text = (with_contact / "register.yaml").read_text(encoding="utf-8")
    assert text.count(CLIENT_KIND) == 2
    (with_contact / "register.yaml").write_text(
        text.replace(CLIENT_KIND, CLIENT_KIND + "      contact_column: accounting_email\n"),
        encoding="utf-8",
    )
    return {
        "url": url,
        "users": [tuple(row) for row in users],
        "contact": contact,
        "with_contact": with_contact / "register.yaml",
    }


@pytest.fixture
def running(
    dm: dict[str, Any], tmp_path: Path, smtp: tuple[Inbox, int], request: pytest.FixtureRequest
) -> Iterator[tuple[Any, TestClient, Inbox]]:
    inbox, port = smtp
    register = dm["with_contact"] if request.param else DM / "register.yaml"
    service = open_service(
        load_settings(
            register=register,
            state_url=f"sqlite:///{tmp_path / 'state.sqlite'}",
            store_urls={"console": dm["url"]},
            out_dir=tmp_path / "letters",
            secret_key=SECRET,
            smtp_host="127.0.0.1",
            smtp_port=port,
            mail_from="rgpd@parcmobile.example",
            public_url="http://127.0.0.1:8000",
            **FAST,
        )
    )
    try:
        with TestClient(create_app(service), raise_server_exceptions=False) as client:
            yield service, client, inbox
    finally:
        service.close()


def jobs(client: TestClient, operator: dict[str, str], kind: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(f"/api/v1/jobs?kind={kind}", headers=operator).json()[
        "items"
    ]
    return items


@pytest.mark.parametrize("running", [True], indirect=True)
def test_an_executed_request_forwarded_mails_the_client_its_letter_and_a_link(
    running: tuple[Any, TestClient, Inbox], dm: dict[str, Any]
) -> None:
    service, client, inbox = running
    person, client_contact = dm["users"][0]
    operator = bearer(service, "operator")
    opened = client.post(
        "/api/v1/requests", json={"kind": "access", "email": person, "lang": "fr"}, headers=operator
    )
    request_id = opened.json()["id"]
    verified = client.post(
        f"/api/v1/requests/{request_id}/verify", json={"method": "reply from"}, headers=operator
    )
    assert verified.status_code == 200, verified.text
    assert client.post(f"/api/v1/requests/{request_id}/execute", headers=operator).is_success

    to_client = inbox.last_to(client_contact)
    assert to_client["Subject"] == (
        f"Demande d'une personne concernée transmise ({request_id}) — Parcmobile SAS"
    )
    assert not list(to_client.iter_attachments())  # the client's data is behind a link
    text = to_client.get_body(("plain",)).get_content()
    html = to_client.get_body(("html",)).get_content()
    listed = client.get(f"/api/v1/requests/{request_id}/letters", headers=operator).json()
    (forward,) = [item for item in listed if item["letter"] == "forward"]
    written = client.get(forward["url"], headers=operator).text
    assert as_text(written) in text.replace("\r\n", "\n")  # the letter, after the link
    assert request_id in text and "une seule fois" in text
    link = link_in(text)
    assert f'href="{link}"' in html
    first = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert first.status_code == 200 and first.content[:2] == b"PK"
    assert client.get(link.removeprefix("http://127.0.0.1:8000")).status_code == 409
    # the person's letter goes to the person, tracked like the client's
    assert request_id in inbox.last_to(person)["Subject"]
    sent = wait_for(
        lambda: [j for j in jobs(client, operator, "mail.forward") if j["state"] == "done"]
    )
    assert [j["result"]["sent_to"] for j in sent] == [client_contact]
    assert sent[0]["arguments"] == {"request_id": request_id, "controller": 0}
    assert [j["state"] for j in jobs(client, operator, "mail.letter")] == ["done"]


@pytest.mark.parametrize("running", [False], indirect=True)
def test_without_a_contact_in_the_register_the_forward_mail_fails_saying_so(
    running: tuple[Any, TestClient, Inbox], dm: dict[str, Any]
) -> None:
    service, client, inbox = running
    person = dm["contact"]
    operator = bearer(service, "operator")
    opened = client.post(
        "/api/v1/requests", json={"kind": "access", "email": person}, headers=operator
    )
    request_id = opened.json()["id"]
    forwarded = client.post(f"/api/v1/requests/{request_id}/forward", headers=operator)
    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["state"] == "forwarded"
    failed = wait_for(
        lambda: [j for j in jobs(client, operator, "mail.forward") if j["state"] == "failed"]
    )
    assert failed[0]["attempts"] == 1  # not a passing fault: no retries
    assert "names no email address for this controller's requests" in failed[0]["error"]
    assert "contact_column" in failed[0]["error"]
    # the identity was never proven: nothing is mailed to the person's address
    assert jobs(client, operator, "mail.letter") == []
    assert inbox.messages == []
