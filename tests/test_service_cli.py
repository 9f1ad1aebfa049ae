# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""The commands: ``registre serve`` starts the service (timed), ``registre user`` and
``registre token`` manage who may use it, each change audited with who made it.

They run as a user runs them, in a process of their own (``python -m registre``).
"""

from __future__ import annotations

import getpass
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    SHOP,
    _no_settings_from_outside,
    free_port,
    shop_url,
)

READY_WITHIN = 15.0
"""Seconds a test waits for /ready. The target is 2 s on SQLite (docs/service.md gives the
figure measured); a test run shares two cores with other work, so it only catches a start
that hangs."""


def registre(*args: str, state: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registre", *args, "--state-url", f"sqlite:///{state}"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_serve_answers_ready_then_stops_on_sigterm(shop_url: str, tmp_path: Path) -> None:
    port = free_port()
    began = time.perf_counter()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "registre",
            "serve",
            "--register",
            str(SHOP / "register.yaml"),
            "--port",
            str(port),
            "--state-url",
            f"sqlite:///{tmp_path / 'state.sqlite'}",
        ],
        env={**os.environ, "SHOP_DATABASE_URL": shop_url, "REGISTRE_OUT_DIR": str(tmp_path)},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = None
        while time.perf_counter() - began < READY_WITHIN and server.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.02)
        elapsed = time.perf_counter() - began
        assert ready is not None and ready.status_code == 200, (
            server.stderr and server.stderr.read()
        )
        assert ready.json()["register"] == {"version": "1.0", "stores": ["shop"]}
        print(f"registre serve ready in {elapsed:.2f} s")
        docs = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()
        assert "/api/v1/requests/{request_id}/execute" in docs["paths"]
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    # uvicorn shuts down cleanly, then dies of the SIGTERM it caught, as a shell expects
    assert server.returncode in (0, -signal.SIGTERM), errors
    assert "Application shutdown complete" in errors
    assert "registre serve: register" in errors and "Traceback" not in errors


def test_serve_with_a_wrong_setting_says_which_and_exits_1(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "registre", "serve", "--register", str(SHOP), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "REGISTRE_SMTP_HOST": "localhost"},
    )
    assert done.returncode == 1
    assert "port (REGISTRE_PORT)" in done.stderr and "without mail_from" not in done.stderr
    assert "docs/service.md" in done.stderr and "Traceback" not in done.stderr


def test_users_and_tokens_from_the_command_line(tmp_path: Path, shop_url: str) -> None:
    state = tmp_path / "state.sqlite"
    added = registre(
        "user",
        "add",
        "alice",
        "--role",
        "dpo",
        "--password-stdin",
        state=state,
        stdin="a long enough passphrase\n",
    )
    assert added.returncode == 0, added.stderr
    assert "user alice added, role dpo" in added.stdout
    again = registre(
        "user",
        "add",
        "alice",
        "--role",
        "dpo",
        "--password-stdin",
        state=state,
        stdin="a long enough passphrase\n",
    )
    assert again.returncode == 1 and "already a user alice" in again.stderr
    short = registre(
        "user", "add", "bob", "--role", "dpo", "--password-stdin", state=state, stdin="short\n"
    )
    assert short.returncode == 1 and "at least 12" in short.stderr
    wrong_role = registre("token", "create", "ci", "--role", "admin", state=state)
    assert wrong_role.returncode == 1 and "'admin' is not a role" in wrong_role.stderr

    created = registre("token", "create", "ci", "--role", "operator", state=state)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("rgt_") and len(secret) > 40
    assert "shown this once" in created.stderr
    listed = registre("token", "list", "--json", state=state)
    token = json.loads(listed.stdout)
    assert token["name"] == "ci" and token["role"] == "operator" and secret not in listed.stdout
    users = [
        json.loads(line)
        for line in registre("user", "list", "--json", state=state).stdout.splitlines()
    ]
    assert [(u["name"], u["role"]) for u in users] == [("alice", "dpo")]

    assert registre("token", "revoke", str(token["id"]), state=state).returncode == 0
    twice = registre("token", "revoke", str(token["id"]), state=state)
    assert twice.returncode == 1 and "already revoked" in twice.stderr
    assert registre("user", "remove", "alice", state=state).returncode == 0

    log = registre("audit", "log", "--json", state=state)
    entries = [json.loads(line) for line in log.stdout.splitlines()]
    me = getpass.getuser()
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("user.added", me),
        ("token.created", me),
        ("token.revoked", me),
        ("user.removed", me),
    ]
    assert "a long enough passphrase" not in log.stdout and secret not in log.stdout
    verify = registre("audit", "verify", state=state)
    assert verify.returncode == 0 and "intact: 4 entries" in verify.stdout


def test_listing_creates_no_state(tmp_path: Path) -> None:
    done = registre("token", "list", state=tmp_path / "none.sqlite")
    assert done.returncode == 1 and "no audit trail" in done.stderr
    assert not (tmp_path / "none.sqlite").exists()
