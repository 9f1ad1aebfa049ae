"""``registre consent`` as users run it, on the online-shop example with a SQLite store and state:
record with the notice's file, check, link, unsubscribe (enforced, with the letter), history."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from registre.demo import load_app, load_demo_data
from test_online_shop import CAMILLE, SEED, SHOP, SUBJECTS


def test_the_consent_commands(registre_cli: str, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = sa.create_engine(store)
    load_demo_data(load_app(SHOP), engine, subjects=SUBJECTS, seed=SEED)
    with engine.begin() as connection:
        connection.execute(
            sa.text("DELETE FROM newsletter WHERE lower(email) = :e"), {"e": CAMILLE}
        )
        connection.execute(
            sa.text("INSERT INTO newsletter (id, email, subscribed_at) VALUES (999999, :e, :t)"),
            {"e": CAMILLE, "t": "2026-05-01 09:30:00"},
        )
    engine.dispose()
    notice = tmp_path / "notice.txt"
    notice.write_text("Recevez nos nouveautés.", encoding="utf-8")
    env = {
        "REGISTRE_REGISTER": str(SHOP / "register.yaml"),
        "REGISTRE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        "REGISTRE_HMAC_KEY": "consent-cli-key-0123456789abcdef0123",
        "SHOP_DATABASE_URL": store,
        "PATH": "/usr/bin:/bin",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [registre_cli, "consent", *args], env=env, capture_output=True, text=True, check=False
        )

    who = ["--email", CAMILLE, "--activity", "newsletter"]
    assert run("check", *who).returncode == 1
    made = run("record", *who, "--notice-version", "1.0", "--notice-file", str(notice), "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["notice"]["version"] == "1.0"
    assert run("check", *who).returncode == 0
    assert run("check", "--email", CAMILLE, "--activity", "nope").returncode == 2
    headers = run("link", *who, "--base-url", "https://lumen.example/unsubscribe")
    assert headers.returncode == 0, headers.stderr
    lines = headers.stdout.splitlines()
    assert lines[1] == "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    url = lines[0].removeprefix("List-Unsubscribe: <").removesuffix(">")
    followed = run("unsubscribe", url, "--lang", "en", "--out", str(tmp_path / "out"), "--json")
    assert followed.returncode == 0, followed.stderr
    done = json.loads(followed.stdout)
    assert done["erased"] and Path(done["letter"]).is_file()
    assert run("check", *who).returncode == 1
    with sa.create_engine(store).connect() as connection:
        left = connection.execute(
            sa.text("SELECT count(*) FROM newsletter WHERE lower(email) = :e"), {"e": CAMILLE}
        ).scalar_one()
    assert left == 0
    history = run("history", "--email", CAMILLE)
    assert [line.split()[3] for line in history.stdout.splitlines()] == ["given", "withdrawn"]
    forged = run("unsubscribe", url[:-3] + "xyz", "--no-enforce")
    assert forged.returncode == 1 and "not valid" in forged.stderr


@pytest.mark.parametrize("args", [["check", "--activity", "newsletter"]])
def test_a_person_must_be_named(registre_cli: str, tmp_path: Path, args: list[str]) -> None:
    result = subprocess.run(
        [registre_cli, "consent", *args, "--register", str(SHOP / "register.yaml")],
        capture_output=True,
        text=True,
        check=False,
        env={"REGISTRE_STATE_URL": f"sqlite:///{tmp_path / 's.db'}", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "--email" in result.stderr
