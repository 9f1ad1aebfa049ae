"""What the service tests share: the shop's demo database, a service over it, a real SMTP server.

The service runs on the online-shop example with its demo data on SQLite (the state database
too, unless a test names another), the same library the CLI drives; the mail goes to a real
SMTP server (aiosmtpd) started in the test process, whose messages the tests read.
"""

from __future__ import annotations

import re
import secrets
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from registre.demo import load_app, load_demo_data
from registre.service import Service, create_app, load_settings, open_service

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "online-shop"
CAMILLE = "camille.martin@example.fr"
SECRET = "a-test-secret-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def shop_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A shop database with 60 customers, Camille Martin among them; tests only read it."""
    path = tmp_path_factory.mktemp("service_shop") / "shop.sqlite"
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    try:
        load_demo_data(load_app(SHOP), engine, subjects=60, seed=0)
    finally:
        engine.dispose()
    return url


@pytest.fixture(autouse=True)
def _no_settings_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test alone, not from the REGISTRE_* of whoever runs it."""
    import os

    for name in list(os.environ):
        if name.startswith("REGISTRE_") and not name.startswith("REGISTRE_TEST_"):
            monkeypatch.delenv(name)


class Inbox:
    """The messages a real SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def last_to(self, address: str) -> EmailMessage:
        with self.arrived:
            self.arrived.wait_for(
                lambda: any(m["To"] == address for m in self.messages), timeout=10
            )
        return [m for m in self.messages if m["To"] == address][-1]

    def code_for(self, address: str) -> str:
        """The six-digit code of the latest message to ``address``, read from its text."""
        text = self.last_to(address).get_body(("plain",))
        assert text is not None
        found = re.search(r"\b(\d{6})\b", text.get_content())
        assert found, text.get_content()
        return found.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def service_over(
    shop_url: str, folder: Path, *, state_url: str | None = None, **settings: Any
) -> Service:
    """A service on the shop database, its state and letters in ``folder``."""
    given: dict[str, Any] = {
        "register": SHOP / "register.yaml",
        "state_url": state_url or f"sqlite:///{folder / 'state.sqlite'}",
        "store_urls": {"shop": shop_url},
        "out_dir": folder / "letters",
        "secret_key": SECRET,
    }
    return open_service(load_settings(**(given | settings)))


@pytest.fixture
def service(shop_url: str, tmp_path: Path) -> Iterator[Service]:
    running = service_over(shop_url, tmp_path)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def client(service: Service) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(create_app(service), raise_server_exceptions=False) as test_client:
        yield test_client


def bearer(service: Service, role: str, name: str | None = None) -> dict[str, str]:
    """The Authorization header of a new token with ``role``."""
    _, secret = service.access.create_token(
        name or f"{role}-{secrets.token_hex(2)}", role, actor="test"
    )
    return {"Authorization": f"Bearer {secret}"}
