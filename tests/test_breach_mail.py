# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""A breach's letters and notices sent by the service's mail (issue 17 §3), on the
device-management example (SQLite), with a real SMTP server (aiosmtpd) and the in-process
worker of ``registre serve``.

The CLI queues them (``registre breach send``); the service's worker threads send them; each
delivery is followed in ``breach show`` and the API (queued, to be tried again with the
server's answer, sent, failed), each attempt in the audit trail; a client's notice goes to the
contact its row of the tenants table holds (``tenants.contact_column``), with only its own
people and records.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import registre.cli.breach  # noqa: F401  (registers the commands)
from registre.cli import app
from registre.service import Service, create_app, load_settings, open_service
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import DM, load_dm, server_url
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    SECRET,
    Inbox,
    _no_settings_from_outside,
    bearer,
    free_port,
    smtp,
)

FAST = {"jobs_poll_seconds": 0.1, "jobs_retry_seconds": 0.2, "jobs_redispatch_seconds": 0.5}
SENDER = "dpo@parcmobile.example"


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's database, each client with a contact for breaches (dpo_email)."""
    path = tmp_path_factory.mktemp("breach-mail") / "console.sqlite"
    load_dm(f"sqlite:///{path}")
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE accounts ADD COLUMN dpo_email VARCHAR(200)"))
        connection.execute(
            sa.text("UPDATE accounts SET dpo_email = 'dpo-' || id || '@client.example'")
        )
    engine.dispose()
    return path


@pytest.fixture
def desk(console: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A copy of the example whose tenants table names the contact column, its own state."""
    folder = tmp_path / "device-management"
    shutil.copytree(DM, folder)
    register = folder / "register.yaml"
    text = register.read_text(encoding="utf-8")
    mapped = "tenants: {table: accounts, key: id}"
    assert mapped in text
    register.write_text(
        text.replace(mapped, "tenants: {table: accounts, key: id, contact_column: dpo_email}"),
        encoding="utf-8",
    )
    db = tmp_path / "console.sqlite"
    shutil.copyfile(console, db)
    env = {
        "PARCMOBILE_DATABASE_URL": f"sqlite:///{db}",
        "REGISTRE_REGISTER": str(register),
        "REGISTRE_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}",
        "COLUMNS": "200",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def breach(env: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(app, ["breach", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def a_high_risk_breach(env: dict[str, str]) -> str:
    opened = json.loads(
        breach(
            env, "open", "--aware-at", "2026-10-24T10:00", "--nature", "confidentiality",
            "--summary", "A manager's console session was stolen", "--processor",
            "--at", "2026-10-24T11:00", "--json",
        )
    )  # fmt: skip
    bid: str = opened["id"]
    breach(
        env, "update", bid, "--scope", "geolocation_points", "--since", "2026-10-01",
        "--until", "2026-10-20", "--at", "2026-10-24T12:00",
    )  # fmt: skip
    breach(
        env, "assess", bid, "--risk", "high", "--reasons", "precise locations of employees",
        "--consequences", "Someone may know where you were.", "--measures",
        "Sessions revoked.", "--advice", "Tell us of any odd message.", "--at",
        "2026-10-24T13:00",
    )  # fmt: skip
    return bid


def serve(env: dict[str, str], tmp_path: Path, port: int, **settings: Any) -> Service:
    return open_service(
        load_settings(
            register=Path(env["REGISTRE_REGISTER"]),
            state_url=env["REGISTRE_STATE_URL"],
            store_urls={"console": env["PARCMOBILE_DATABASE_URL"]},
            out_dir=tmp_path / "letters",
            secret_key=SECRET,
            smtp_host="127.0.0.1",
            smtp_port=port,
            mail_from=SENDER,
            **(FAST | settings),
        )
    )


def wait_for(what: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := what()):
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.05)
    return found


def settled(read: Callable[[], dict[str, Any]], states: set[str]) -> dict[str, Any]:
    """The breach as ``read`` gives it, once every delivery is in one of ``states``."""

    def check() -> dict[str, Any] | None:
        found = read()
        return found if {d["state"] for d in found["deliveries"]} <= states else None

    return wait_for(check)  # type: ignore[no-any-return]


def shown(env: dict[str, str], bid: str) -> dict[str, Any]:
    return json.loads(breach(env, "show", bid, "--json"))  # type: ignore[no-any-return]


def test_letters_and_notices_queued_by_the_cli_are_mailed_by_the_service(
    desk: dict[str, str], tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    bid = a_high_risk_breach(desk)
    queued = json.loads(breach(desk, "send", bid, "--json"))
    deliveries = queued["deliveries"]
    people = [d for d in deliveries if d["to"] == "person"]
    clients = [d for d in deliveries if d["to"] == "client"]
    counted = queued["counts"]
    assert len(people) == sum(counted["people"].values())
    assert sorted(d["client"] for d in clients) == sorted(counted["tenants"], key=str)
    assert {d["state"] for d in deliveries} <= {"queued", "no_address"}
    to_send = [d for d in deliveries if d["state"] == "queued"]
    assert len(to_send) > len(clients) > 1
    # queued once: sending again is refused, with where to look
    again = CliRunner().invoke(app, ["breach", "send", bid], env=desk)
    assert again.exit_code != 0 and "queued already" in str(again.exception)

    running = serve(desk, tmp_path, port)
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            wait_for(lambda: len(inbox.messages) >= len(to_send))
            reader = bearer(running, "auditor")
            twice = client.post(
                f"/api/v1/breaches/{bid}/send", json={}, headers=bearer(running, "dpo")
            )
            assert twice.status_code == 409 and "queued already" in twice.json()["message"]
            api = settled(
                lambda: client.get(f"/api/v1/breaches/{bid}", headers=reader).json(),
                {"sent", "no_address"},
            )
    finally:
        running.close()
    assert api["mail"]["client"] == {"sent": len(clients)}
    assert all(d["sent_at"] and d["attempts"] == 1 for d in api["deliveries"] if d["job"])

    # each client's notice went to the contact its row holds, with its own people only
    for delivery in clients:
        key = delivery["client"]
        mail = inbox.last_to(f"dpo-{key}@client.example")
        assert mail["From"] == SENDER and bid in mail["Subject"]
        text = mail.get_body(("plain",)).get_content()
        html = mail.get_body(("html",)).get_content()
        mine = counted["tenants"][key]
        total = sum(mine["people"].values())
        assert f"(client {key})" in text and "<h2>" in html and "**" not in text
        assert f": {total}" in text.replace("\u00a0", " ")
    # the letters to people, in French, to their own addresses
    letters = [m for m in inbox.messages if not m["To"].endswith("@client.example")]
    assert len(letters) == len(to_send) - len(clients)
    first = letters[0].get_body(("plain",)).get_content()
    assert letters[0]["Subject"].startswith("Violation de vos données personnelles")
    assert "Someone may know where you were." in first and "Madame, Monsieur" in first

    # the story in the audit trail: queued once, then one entry per mail sent, no address
    text = breach(desk, "show", bid)
    assert f"notices:    {len(clients)} sent (by mail)" in text
    state = open_state(desk["REGISTRE_STATE_URL"])
    try:
        entries = [e for e in state.audit.entries() if e.action.startswith("breach.")]
        assert state.audit.verify() == []
    finally:
        state.close()
    sends = [e for e in entries if e.action == "breach.send"]
    mails = [e for e in entries if e.action == "breach.mail"]
    assert len(sends) == 1 and len(mails) == len(to_send)
    assert {e.details["state"] for e in mails} == {"sent"}
    assert "@" not in json.dumps([e.details for e in sends + mails])
    # once sent, the jobs keep no address and no text: the state holds no list of people told
    engine = sa.create_engine(desk["REGISTRE_STATE_URL"])
    with engine.connect() as connection:
        kept = connection.execute(
            sa.text("SELECT arguments FROM registre_job WHERE kind = 'mail.breach'")
        ).scalars()
        kept = [json.loads(arguments) for arguments in kept]
    engine.dispose()
    assert len(kept) == len(to_send)
    assert all(set(arguments) == {"breach", "delivery", "lang", "subject"} for arguments in kept)


def test_a_mail_server_down_delays_the_letters_which_fail_then_go_when_sent_again(
    desk: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()  # nothing listens: the mail server is down
    bid = a_high_risk_breach(desk)
    breach({**desk, "REGISTRE_JOBS_ATTEMPTS": "2"}, "send", bid)  # the service's setting
    running = serve(desk, tmp_path, port)
    try:
        running.jobs.start()
        failed = settled(lambda: shown(desk, bid), {"failed", "no_address"})
    finally:
        running.close()
    tried = [d for d in failed["deliveries"] if d["job"]]
    assert all(d["attempts"] == 2 and "did not take the message" in d["error"] for d in tried)
    text = breach(desk, "show", bid)
    assert "failed after 2 attempt(s): the mail server 127.0.0.1" in text

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()  # the server is back; the DPO sends the failed ones again
    try:
        again = json.loads(breach(desk, "send", bid, "--retry", "--json"))
        assert {d["state"] for d in again["deliveries"] if d["job"]} == {"queued"}
        running = serve(desk, tmp_path, port)
        try:
            running.jobs.start()
            wait_for(lambda: len(inbox.messages) >= len(tried))
            done = settled(lambda: shown(desk, bid), {"sent", "no_address"})
        finally:
            running.close()
    finally:
        controller.stop()
    assert all(d["attempts"] == 3 and not d["error"] for d in done["deliveries"] if d["job"])
    state = open_state(desk["REGISTRE_STATE_URL"])
    try:
        mails = [e.details for e in state.audit.entries() if e.action == "breach.mail"]
    finally:
        state.close()
    # each letter: tried (to be tried again), failed, then sent once sent again
    first = [m["state"] for m in mails if m["delivery"] == tried[0]["number"]]
    assert first == ["retrying", "failed", "sent"]


def test_each_written_notice_is_headed_by_its_clients_contact(
    desk: dict[str, str], tmp_path: Path
) -> None:
    bid = a_high_risk_breach(desk)
    breach(desk, "letters", bid, "--out", str(tmp_path / "out"))
    notices = sorted((tmp_path / "out").glob(f"{bid}-client-*.fr.md"))
    assert len(notices) > 1
    engine = sa.create_engine(desk["PARCMOBILE_DATABASE_URL"])
    with engine.connect() as connection:
        names = dict(connection.execute(sa.text("SELECT id, company_name FROM accounts")).all())
    engine.dispose()
    for notice in notices:
        key = notice.name.removeprefix(f"{bid}-client-").removesuffix(".fr.md")
        head, _, body = notice.read_text(encoding="utf-8").partition("\n\n")
        assert head == f"To: dpo-{key}@client.example"
        assert f"À {names[int(key)]} (client {key})" in body  # named as its row names it


def test_a_contact_column_the_clients_table_lacks_is_named(
    desk: dict[str, str], tmp_path: Path
) -> None:
    register = Path(desk["REGISTRE_REGISTER"])
    register.write_text(
        register.read_text(encoding="utf-8").replace(
            "contact_column: dpo_email", "contact_column: security_email"
        ),
        encoding="utf-8",
    )
    bid = a_high_risk_breach(desk)
    refused = CliRunner().invoke(app, ["breach", "send", bid], env=desk)
    assert refused.exit_code != 0
    assert "has no column 'security_email'" in str(refused.exception)
    assert shown(desk, bid)["deliveries"] == []  # nothing queued


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_workers_at_once_record_every_delivery_on_a_server_state(
    backend: str, desk: dict[str, str], tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    """Four worker threads record their deliveries in the same breach at once: none is lost
    (each change locks the breach's row), on a PostgreSQL or MariaDB state database."""
    inbox, port = smtp
    with scratch_database(server_url(backend), "registre_brm") as state_url:
        env = {**desk, "REGISTRE_STATE_URL": state_url}
        bid = a_high_risk_breach(env)
        queued = json.loads(breach(env, "send", bid, "--json"))["deliveries"]
        to_send = [d for d in queued if d["state"] == "queued"]
        running = serve(env, tmp_path, port, jobs_threads=4)
        try:
            running.jobs.start()
            done = settled(lambda: shown(env, bid), {"sent", "no_address"})
        finally:
            running.close()
        state = open_state(state_url)
        try:
            mails = [e for e in state.audit.entries() if e.action == "breach.mail"]
            assert state.audit.verify() == []
        finally:
            state.close()
    assert len(inbox.messages) == len(to_send) > 4
    assert sorted(e.details["delivery"] for e in mails) == sorted(d["number"] for d in to_send)
    assert all(d["attempts"] == 1 for d in done["deliveries"] if d["job"])
