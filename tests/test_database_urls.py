"""No database URL is ever shown with its password, however malformed (issue 11 §3).

The probe found ``'postgresql+psycopg:/u:S3cretPW@…' is not a database URL`` on the screen, and
a traceback for a port that is not a number, for stores and for the state. Each case here runs
a real command in this process, through ``registre.cli.main``, with the URL in each place a URL
comes from, and looks for the password in everything printed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from _support import RunCli as CliRunner
from _support import combined
from registre.database_urls import masked, parse_url
from test_requests_fixtures import BACKENDS, server_url

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT / "examples" / "device-management" / "register.yaml"
SECRET = "S3cretPW"

MALFORMED = {
    "a port that is not a number": (
        f"postgresql+psycopg://app:{SECRET}@db.example:5432x/app",
        "its port '5432x' is not a number",
    ),
    "one slash short": (
        f"postgresql+psycopg:/app:{SECRET}@db.example/app",
        "it is not written as dialect+driver://user:password@host:port/database",
    ),
    "an unbracketed IPv6 host": (
        f"mysql+pymysql://app:{SECRET}@::1:3306/app",
        "is not a number",
    ),
    "no scheme": (f"app:{SECRET}@db.example/app", "it is not written as"),
}


@pytest.mark.parametrize(("url", "reason"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_url_is_masked_and_its_fault_named(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match="is not") as caught:
        parse_url(url)
    assert reason in str(caught.value)
    assert SECRET not in str(caught.value)
    assert SECRET not in masked(url)
    assert "app:***@" in masked(url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql+psycopg://app:{SECRET}@db/app", "postgresql+psycopg://app:***@db/app"),
        # SQLAlchemy ends the password at its first '@' and would show "ss@db"
        (f"mysql+pymysql://app:{SECRET}@ss@db/app", "mysql+pymysql://app:***@db/app"),
        (f"postgresql://db/app?password={SECRET}&x=1", "postgresql://db/app?password=***&x=1"),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/test", None),
        ("sqlite:////srv/app.db", None),
    ],
)
def test_masked_hides_every_password_and_nothing_else(url: str, shown: str | None) -> None:
    assert masked(url) == (shown or url)


RunCli = Callable[..., tuple[int, str]]


@pytest.fixture
def run_cli(run_cli: CliRunner) -> RunCli:
    """Run ``registre ARGS`` in this process; returns (exit code, everything printed)."""
    return lambda *args: combined(run_cli(*args))


def _places(url: str, tmp_path: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each place a URL is read from: the command to run and the environment to set."""
    state = f"sqlite:///{tmp_path / 'state.sqlite'}"
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    register_with_state = tmp_path / "register.yaml"
    register_with_state.write_text(
        REGISTER.read_text(encoding="utf-8") + "state:\n  url_env: APP_STATE_URL\n",
        encoding="utf-8",
    )
    plan = ["plan", str(REGISTER), "--at", "2026-11-01"]
    return {
        "store --url": ([*plan, "--url", url, "--state-url", state], {}),
        "store url_env": (["check", str(REGISTER), "--connect"], {"PARCMOBILE_DATABASE_URL": url}),
        "state --state-url": ([*plan, "--state-url", url], {"PARCMOBILE_DATABASE_URL": store}),
        "state REGISTRE_STATE_URL": (
            ["audit", "verify", "--register", str(REGISTER)],
            {"REGISTRE_STATE_URL": url},
        ),
        "state url_env of the register": (
            ["request", "list", "--register", str(register_with_state)],
            {"APP_STATE_URL": url},
        ),
    }


PLACES = [
    "store --url",
    "store url_env",
    "state --state-url",
    "state REGISTRE_STATE_URL",
    "state url_env of the register",
]


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(("url", "reason"), MALFORMED.values(), ids=MALFORMED.keys())
def test_no_command_shows_the_password_of_a_malformed_url(
    run_cli: RunCli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    place: str,
    url: str,
    reason: str,
) -> None:
    args, environment = _places(url, tmp_path)[place]
    monkeypatch.delenv("REGISTRE_STATE_URL", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    code, printed = run_cli(*args)

    assert code == 1, printed
    assert "Traceback" not in printed
    assert SECRET not in printed
    assert "app:***@" in printed, printed
    assert reason in printed


@pytest.mark.parametrize("backend", BACKENDS[1:])
def test_a_refused_login_on_a_real_server_shows_no_password(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, backend: str
) -> None:
    url = make_url(server_url(backend)).set(username="registre_nobody", password=SECRET)
    shown = url.render_as_string(hide_password=False)
    monkeypatch.setenv("PARCMOBILE_DATABASE_URL", shown)

    code, printed = run_cli("check", str(REGISTER), "--connect")

    assert code == 1, printed
    assert "cannot connect to" in printed
    assert "registre_nobody:***@" in printed
    assert SECRET not in printed
