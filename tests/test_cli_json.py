"""What scripts read from the command line (issue 13 §3): ``--json`` outputs, commands that
need no register, and database URLs written the way users write them.

Each case runs the real command in this process through ``registre.cli.main``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from registre.database_urls import masked, parse_url
from test_requests_fixtures import server_url

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "online-shop"
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(run_cli: Cli) -> Cli:
    """Run ``registre ARGS``; returns (exit code, stdout, stderr): conftest's ``run_cli``."""
    return run_cli


def test_check_json_of_a_valid_register(cli: Cli) -> None:
    code, out, err = cli("check", str(SHOP / "register.yaml"), "--json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["ok"] is True and report["problems"] == []
    assert report["activities"] == 7 and report["retention_rules"] == 8


def test_check_json_of_a_broken_register(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "register.yaml"
    broken.write_text("organization:\n  name: Acme\n  colour: blue\n", encoding="utf-8")
    code, out, err = cli("check", str(broken), "--json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert report["ok"] is False
    unknown = [p for p in report["problems"] if "colour" in p["message"]]
    assert unknown and unknown[0]["file"] == str(broken) and unknown[0]["line"] == 3
    assert {"file", "line", "column", "message", "hint"} <= set(unknown[0])


def test_check_json_names_each_mismatch_with_the_live_database(cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    assert cli("demo-data", str(SHOP), "--url", url, "--subjects", "20")[0] == 0
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE logins RENAME TO logins_old"))
    engine.dispose()
    code, out, _ = cli("check", str(SHOP / "register.yaml"), "--connect", "--url", url, "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert report["stores"] == [{"store": "shop", "ok": False, "tables": 10}]
    assert any("'logins'" in p["message"] for p in report["problems"])


def test_request_list_reads_the_state_without_a_register(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    monkeypatch.delenv("REGISTRE_REGISTER", raising=False)
    monkeypatch.setenv("REGISTRE_STATE_URL", state_url)
    register = str(SHOP / "register.yaml")
    opened = cli("request", "open", "access", "--email", "a@b.fr", "--register", register)
    assert opened[0] == 0, opened
    request_id = opened[1].strip()

    code, out, err = cli("request", "list", "--json")
    assert (code, err) == (0, "")
    listed = json.loads(out)
    assert [(r["id"], r["kind"], r["status"]) for r in listed] == [
        (request_id, "access", "on_time")
    ]
    code, out, _ = cli("request", "show", request_id, "--json")
    assert code == 0 and json.loads(out)["history"][0]["action"] == "open"
    code, out, _ = cli("hold", "list", "--json")
    assert (code, json.loads(out)) == (0, [])


def test_request_list_without_register_nor_state_says_what_to_give(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REGISTRE_REGISTER", raising=False)
    monkeypatch.delenv("REGISTRE_STATE_URL", raising=False)
    code, out, err = cli("request", "list")
    assert code == 1 and out == ""
    assert "which state database?" in err and "--state-url" in err


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("mysql://app@db/shop", "mysql+pymysql"),
        ("mariadb://app@db/shop", "mariadb+pymysql"),
        ("postgresql://app@db/shop", "postgresql+psycopg"),
        ("mysql+pymysql://app@db/shop", "mysql+pymysql"),
        ("postgresql+psycopg://app@db/shop", "postgresql+psycopg"),
        ("sqlite:///shop.db", "sqlite"),
    ],
)
def test_urls_as_users_write_them_use_the_installed_driver(written: str, used: str) -> None:
    assert parse_url(written).drivername == used
    assert masked(written) == written  # shown as written


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_a_url_without_driver_reaches_the_server(cli: Cli, backend: str) -> None:
    server = make_url(server_url(backend))
    plain = server.set(drivername="mariadb" if backend == "mariadb" else "postgresql")
    written = plain.render_as_string(hide_password=False)
    assert "+" not in written.split("://")[0]
    code, out, err = cli(
        "check", str(SHOP / "register.yaml"), "--connect", "--url", written, "--json"
    )
    # the test database does not hold the shop's tables: reaching it is what counts here, and
    # a report names the store only once its database answered
    report = json.loads(out)
    assert code == 1 and report["stores"][0]["store"] == "shop", err


def test_audit_verify_json_for_monitoring(cli: Cli, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from registre.state import open_state

    state_url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    with open_state(state_url) as state:
        state.audit.append("test.one", details={"n": 1})
        state.audit.append("test.two", details={"n": 2})
    code, out, _ = cli("audit", "verify", "--state-url", state_url, "--json")
    report = json.loads(out)
    assert code == 0 and report["intact"] is True and report["entries"] == 2
    kept = report["head"]
    code, out, _ = cli(
        "audit", "verify", "--state-url", state_url, "--json", "--expect-head", kept[:32]
    )
    assert code == 0 and json.loads(out)["appended_since"] == 0

    engine = sa.create_engine(state_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE registre_audit_entry SET action = 'x' WHERE seq = 1"))
    engine.dispose()
    code, out, _ = cli("audit", "verify", "--state-url", state_url, "--json")
    report = json.loads(out)
    assert code == 1 and report["intact"] is False and report["problems"]


def test_check_json_when_a_database_does_not_answer(cli: Cli) -> None:
    code, out, _ = cli(
        "check", str(SHOP / "register.yaml"), "--connect", "--json",
        "--url", "postgresql://nobody@127.0.0.1:1/shop",
    )  # fmt: skip
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert "cannot be reached" in report["error"]["message"] and report["error"]["hint"]
