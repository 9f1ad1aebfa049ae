# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""Jobs on Celery: the real Redis and RabbitMQ of this machine, ``registre worker`` subprocesses.

- the "done means" on each broker with two workers: a request filed through the API with the
  emailed code is executed by a worker, and the person receives the letter and the link;
- a worker SIGKILLed in the middle of a sweep: another worker takes the job again once its
  lease ran out, and the store ends as one uninterrupted sweep at the same instant leaves it.

Each test uses its own queue name, so runs never see each other's messages.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from registre.demo import load_app, load_demo_data
from registre.register.loader import load_register
from registre.retention import sweep
from registre.service import create_app
from registre.state import open_state
from test_jobs_inprocess import file_verify_execute, link_in, wait_for
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    SECRET,
    SHOP,
    Inbox,
    _no_settings_from_outside,
    bearer,
    service_over,
    shop_url,
    smtp,
)

REDIS = "redis://127.0.0.1:6379/15"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
REGISTRE = Path(sys.executable).parent / "registre"


def _up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not _up(6379), reason="no Redis on 127.0.0.1:6379")
needs_rabbitmq = pytest.mark.skipif(not _up(5672), reason="no RabbitMQ on 127.0.0.1:5672")


class Workers:
    """``registre worker`` processes over one settings file; stopped at the end."""

    def __init__(self, folder: Path, settings: dict[str, Any]) -> None:
        self.folder = folder
        self.file = folder / "worker.toml"
        lines = []
        for name, value in settings.items():
            if isinstance(value, dict):
                continue
            lines.append(
                f"{name} = {json.dumps(value if not isinstance(value, Path) else str(value))}"
            )
        for name, value in settings.items():
            if isinstance(value, dict):
                lines.append(f"[{name}]")
                lines += [f"{k} = {json.dumps(v)}" for k, v in value.items()]
        self.file.write_text("\n".join(lines) + "\n")
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRE_")}
        log = self.folder / f"worker-{len(self.processes)}.log"
        with log.open("wb") as out:  # the child keeps its own copy of the file
            process = subprocess.Popen(
                [
                    str(REGISTRE),
                    "worker",
                    "--settings",
                    str(self.file),
                    "--concurrency",
                    "2",
                    "--name",
                    f"w{len(self.processes)}-{uuid.uuid4().hex[:6]}@%h",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        wait_for(lambda: b"ready." in log.read_bytes() or process.poll() is not None, 60)
        assert process.poll() is None, log.read_text()
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def celery_settings(broker: str, **more: Any) -> dict[str, Any]:
    return {
        "jobs_backend": "celery",
        "jobs_broker_url": broker,
        "jobs_queue": f"registre-test-{uuid.uuid4().hex[:10]}",
        "jobs_poll_seconds": 0.3,
        "jobs_retry_seconds": 0.5,
        "jobs_lease_seconds": 2.0,
        "jobs_redispatch_seconds": 1.0,
        **more,
    }


def _forget_queue(broker: str, queue: str) -> None:
    if broker.startswith("redis"):
        import redis

        client = redis.Redis.from_url(broker)
        client.delete(queue)
        client.close()


@pytest.fixture
def on_celery(
    request: pytest.FixtureRequest, shop_url: str, tmp_path: Path, smtp: tuple[Inbox, int]
) -> Iterator[Any]:
    broker = request.param
    inbox, port = smtp
    jobs = celery_settings(broker)
    mail = {"smtp_host": "127.0.0.1", "smtp_port": port, "mail_from": "privacy@lumen.example"}
    running = service_over(shop_url, tmp_path, **mail, **jobs)
    workers = Workers(
        tmp_path,
        {
            "register": SHOP / "register.yaml",
            "state_url": running.state.url,
            "out_dir": tmp_path / "letters",
            "secret_key": SECRET,
            **mail,
            **jobs,
            "store_urls": {"shop": shop_url},
        },
    )
    try:
        workers.start()
        workers.start()
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            yield client, inbox, running
    finally:
        workers.stop()
        running.close()
        _forget_queue(broker, jobs["jobs_queue"])


@pytest.mark.parametrize(
    "on_celery",
    [pytest.param(REDIS, marks=needs_redis), pytest.param(RABBITMQ, marks=needs_rabbitmq)],
    indirect=True,
    ids=["redis", "rabbitmq"],
)
def test_done_means_with_two_celery_workers(on_celery: Any) -> None:
    client, inbox, running = on_celery
    operator = bearer(running, "operator", name="desk")
    request_id = file_verify_execute(client, inbox, operator)
    letter = wait_for(lambda: [m for m in inbox.messages if request_id in (m["Subject"] or "")])[0]
    assert not list(letter.iter_attachments())
    link = link_in(letter.get_body(("plain",)).get_content())
    assert client.get(link.removeprefix("http://127.0.0.1:8000")).status_code == 200
    jobs = client.get("/api/v1/jobs?state=done", headers=operator).json()["items"]
    workers = {job["worker"].split(":")[1] for job in jobs}
    assert workers and str(os.getpid()) not in workers  # run by the workers, not this process


def _contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = sa.create_engine(url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as connection:
            return {
                name: sorted(connection.execute(sa.select(table)).all(), key=repr)
                for name, table in meta.tables.items()
            }
    finally:
        engine.dispose()


@needs_redis
def test_a_worker_killed_mid_sweep_is_taken_over_and_ends_as_an_uninterrupted_sweep(
    tmp_path: Path,
) -> None:
    killed_db, reference_db = tmp_path / "shop.sqlite", tmp_path / "reference.sqlite"
    engine = sa.create_engine(f"sqlite:///{killed_db}")
    try:
        load_demo_data(load_app(SHOP), engine, subjects=1500, seed=3)
    finally:
        engine.dispose()
    shutil.copy(killed_db, reference_db)
    shop = f"sqlite:///{killed_db}"
    jobs = celery_settings(REDIS)
    running = service_over(shop, tmp_path, **jobs)
    workers = Workers(
        tmp_path,
        {
            "register": SHOP / "register.yaml",
            "state_url": running.state.url,
            "out_dir": tmp_path / "letters",
            "secret_key": SECRET,
            **jobs,
            "store_urls": {"shop": shop},
        },
    )
    try:
        first = workers.start()
        with TestClient(create_app(running), raise_server_exceptions=False) as client:
            operator = bearer(running, "operator")
            queued = client.post(
                "/api/v1/sweeps", json={"store": "shop", "batch_size": 1}, headers=operator
            )
            assert queued.status_code == 202, queued.text
            job_id = queued.json()["id"]

            def sweeping() -> bool:
                with running.state.engine.connect() as connection:
                    return bool(
                        connection.execute(sa.text("SELECT count(*) FROM registre_run")).scalar()
                    )

            wait_for(sweeping, 60)
            first.send_signal(signal.SIGKILL)  # in the middle of the sweep
            first.wait()
            assert (
                client.get(f"/api/v1/jobs/{job_id}", headers=operator).json()["state"] == "running"
            )
            workers.start()
            done = wait_for(
                lambda: (
                    job
                    if (job := client.get(f"/api/v1/jobs/{job_id}", headers=operator).json())[
                        "state"
                    ]
                    in ("done", "failed")
                    else None
                ),
                90,
            )
    finally:
        workers.stop()
        running.close()
        _forget_queue(REDIS, jobs["jobs_queue"])
    assert done["state"] == "done", done
    assert done["attempts"] == 2 and done["result"]["changed"] > 0, done

    # the same sweep, at the same instant, uninterrupted, on the copy made before
    register = load_register(SHOP / "register.yaml")
    with open_state(f"sqlite:///{tmp_path / 'reference-state.sqlite'}") as state:
        report = sweep(
            register,
            state,
            at=datetime.fromisoformat(done["arguments"]["at"]),
            url=f"sqlite:///{reference_db}",
        )
    assert report.ok and report.changed > 0
    assert _contents(shop) == _contents(f"sqlite:///{reference_db}")
