# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""Jobs on the in-process backend, with a real SMTP server (aiosmtpd), the state on SQLite and
on PostgreSQL (``REGISTRE_TEST_POSTGRES_URL``; skipped, saying so, when it is not set).

The issue's "done means": a request filed through the API with the emailed code is executed by
the worker threads, and the person receives the letter and a one-time download link; a mail
server that is down delays a mail, which is retried and visible in the queue; schedules fire
each occurrence once, however many processes look, and a missed one once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from _support import server_url
from registre.service import create_app
from registre.service.jobs import schedules
from registre.service.jobs.queue import JobQueue, job_table
from registre.testing import throwaway_database
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    Inbox,
    _no_settings_from_outside,
    bearer,
    free_port,
    service_over,
    shop_url,
    smtp,
)

FAST = {"jobs_poll_seconds": 0.1, "jobs_retry_seconds": 0.2, "jobs_redispatch_seconds": 0.5}


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The state database of one test: a SQLite file, or a throwaway PostgreSQL database."""
    with throwaway_database(server_url(request.param), "registre_jobs") as url:
        yield url


def wait_for(what: Any, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := what()):
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.05)
    return found


def link_in(text: str) -> str:
    start = text.index("http://")
    return text[start:].split()[0]


def file_verify_execute(client: TestClient, inbox: Inbox, operator: dict[str, str]) -> str:
    filed = client.post(
        "/api/v1/public/requests", json={"kind": "access", "email": CAMILLE, "lang": "fr"}
    )
    assert filed.status_code == 201, filed.text
    request_id: str = filed.json()["request_id"]
    code = inbox.code_for(CAMILLE)
    verified = client.post(f"/api/v1/public/requests/{request_id}/verify", json={"code": code})
    assert verified.status_code == 200, verified.text
    executed = client.post(f"/api/v1/requests/{request_id}/execute", headers=operator)
    assert executed.status_code == 202, executed.text
    assert executed.json()["job"]["state"] in ("queued", "running", "done")
    return request_id


def test_done_means_filed_with_the_code_executed_then_letter_and_link_mailed(
    shop_url: str, tmp_path: Path, smtp: tuple[Inbox, int], state_url: str
) -> None:
    inbox, port = smtp
    running = service_over(
        shop_url,
        tmp_path,
        state_url=state_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="privacy@boutique-lumen.example",
        public_url="http://127.0.0.1:8000",
        **FAST,
    )
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            operator = bearer(running, "operator", name="desk")
            request_id = file_verify_execute(client, inbox, operator)
            letter = wait_for(
                lambda: [m for m in inbox.messages if request_id in (m["Subject"] or "")]
            )[0]
            assert letter["Subject"].startswith(f"Réponse à votre demande {request_id}")
            assert not list(letter.iter_attachments())  # never the export itself
            text = letter.get_body(("plain",)).get_content()
            html = letter.get_body(("html",)).get_content()
            link = link_in(text)
            assert link in html and "une seule fois" in text
            path = link.removeprefix("http://127.0.0.1:8000")

            first = client.get(path)
            assert first.status_code == 200, first.text
            assert first.content[:2] == b"PK"  # the export package, a zip
            second = client.get(path)
            assert second.status_code == 409 and "works once" in second.json()["message"]

            jobs = client.get("/api/v1/jobs?state=done", headers=operator).json()["items"]
            kinds = sorted(job["kind"] for job in jobs)
            # and the purge of expired exports, whose daily schedule fired at start
            assert kinds == ["exports.purge", "mail.code", "mail.letter", "request.execute"]
            trail = client.get(f"/api/v1/audit?request_id={request_id}", headers=operator)
            actions = [entry["action"] for entry in trail.json()["items"]]
            assert "request.export.downloaded" in actions
    finally:
        running.close()
    # the code is not kept once its mail went out, and the link's token only as a digest
    engine = sa.create_engine(state_url)
    try:
        with engine.connect() as connection:
            arguments = connection.execute(
                sa.select(job_table.c.arguments).where(job_table.c.kind == "mail.code")
            ).scalar_one()
            tokens = connection.execute(sa.text("SELECT token_hash FROM registre_download")).all()
    finally:
        engine.dispose()
    assert '"code"' not in arguments
    assert path.rsplit("/", 1)[1] not in str(tokens)


def test_a_mail_server_down_delays_the_letter_which_goes_when_it_is_back(
    shop_url: str, tmp_path: Path, state_url: str
) -> None:
    port = free_port()
    running = service_over(
        shop_url,
        tmp_path,
        state_url=state_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="privacy@boutique-lumen.example",
        **FAST,
    )
    inbox = Inbox()
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            operator = bearer(running, "operator")
            filed = client.post(
                "/api/v1/public/requests", json={"kind": "access", "email": CAMILLE}
            )
            assert filed.status_code == 201
            waiting = wait_for(
                lambda: [
                    job
                    for job in client.get("/api/v1/jobs?kind=mail.code", headers=operator).json()[
                        "items"
                    ]
                    if job["attempts"] >= 2
                ]
            )[0]
            assert waiting["state"] in ("queued", "running") and waiting["error"]
            controller = Controller(inbox, hostname="127.0.0.1", port=port)
            controller.start()  # the server is back: the next attempt gets through
            try:
                code = inbox.code_for(CAMILLE)
                done = client.get(f"/api/v1/jobs/{waiting['id']}", headers=operator).json()
                wait_for(
                    lambda: (
                        client.get(f"/api/v1/jobs/{waiting['id']}", headers=operator).json()[
                            "state"
                        ]
                        == "done"
                    )
                )
            finally:
                controller.stop()
    finally:
        running.close()
    assert len(code) == 6 and done["attempts"] >= 3


def test_a_job_delivered_twice_runs_once_and_a_dead_workers_job_is_taken_again(
    shop_url: str, tmp_path: Path, state_url: str
) -> None:
    running = service_over(shop_url, tmp_path, state_url=state_url)
    try:
        queue = JobQueue(running.state.engine, lease_seconds=0.3)
        job, new = queue.add("exports.purge", {}, actor="test", key="k")
        assert new and queue.add("exports.purge", {}, actor="test", key="k") == (job, False)
        assert queue.claim(job.id, "a") is not None
        assert queue.claim(job.id, "b") is None  # a second delivery, while a runs it
        time.sleep(0.4)  # a died: its lease ran out
        taken = queue.claim(job.id, "b")
        assert taken is not None and taken.attempts == 2 and taken.worker == "b"
        queue.finish(taken, "a", {"by": "a"}, None)  # a's late answer changes nothing
        assert queue.get(job.id).state == "running"
        queue.finish(taken, "b", {"by": "b"}, None)
        assert queue.get(job.id).result == {"by": "b"}
    finally:
        running.close()


def test_each_occurrence_fires_once_among_processes_and_a_missed_one_once(
    shop_url: str, tmp_path: Path, state_url: str
) -> None:
    services = [service_over(shop_url, tmp_path, state_url=state_url) for _ in range(3)]
    tz = ZoneInfo("Europe/Paris")
    nightly = [schedules.Schedule("sweep:shop", schedules.parse_time("03:00"), "sweep", {})]
    try:
        now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
        fired: list[Any] = []

        def fire(service: Any, at: datetime) -> None:
            fired.extend(
                schedules.fire_due(service.state.engine, service.jobs.queue, nightly, tz, at)
            )

        threads = [threading.Thread(target=fire, args=(s, now)) for s in services]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(fired) == 1  # three processes, one job
        assert fired[0].arguments["at"] == "2026-12-04T02:00:00+00:00"  # 03:00 in Paris
        fire(services[0], now + timedelta(hours=2))
        assert len(fired) == 1  # the same occurrence: nothing more

        # the service was down four nights: it sweeps once when it comes back
        fire(services[1], now + timedelta(days=4))
        assert len(fired) == 2
        assert fired[1].arguments["at"] == "2026-12-08T02:00:00+00:00"
        with services[0].state.engine.connect() as connection:
            sweeps = connection.execute(
                sa.select(sa.func.count()).where(job_table.c.kind == "sweep")
            ).scalar()
        assert sweeps == 2
    finally:
        for service in services:
            service.close()


def test_a_code_goes_out_while_every_work_thread_is_busy(
    shop_url: str, tmp_path: Path, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mail jobs have a lane of their own: a sweep or a row of requests executing on every
    work thread does not hold back a person's code."""
    from registre.service.jobs import tasks

    inbox, port = smtp
    release = threading.Event()
    busy = threading.Event()

    def block(service: Any, job: Any) -> Any:
        busy.set()
        assert release.wait(30)
        return {"blocked": True}, None

    monkeypatch.setitem(tasks.TASKS, "test.block", block)
    running = service_over(
        shop_url,
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="privacy@boutique-lumen.example",
        jobs_threads=1,
        **FAST,
    )
    try:
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            blocker = running.jobs.submit("test.block", {}, actor="test")
            assert busy.wait(30)  # the only work thread is taken
            filed = client.post(
                "/api/v1/public/requests", json={"kind": "access", "email": CAMILLE}
            )
            assert filed.status_code == 201, filed.text
            assert len(inbox.code_for(CAMILLE)) == 6  # arrived while the work lane is blocked
            assert running.jobs.queue.get(blocker.id).state == "running"
            release.set()
            wait_for(lambda: running.jobs.queue.get(blocker.id).state == "done")
    finally:
        release.set()
        running.close()
