"""`registre breach` end to end on the device-management example (SQLite): what a DPO types, what
it prints, what it writes, and the story in the audit trail."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from registre.breaches.store import ACTIONS
from test_requests_fixtures import DM, load_dm

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'console.sqlite'}"
    load_dm(url)
    return {
        **os.environ,
        "PARCMOBILE_DATABASE_URL": url,
        "REGISTRE_REGISTER": str(DM / "register.yaml"),
        "REGISTRE_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}",
        "COLUMNS": "200",
    }


def run(registre_cli: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [registre_cli, "breach", *args], env=env, capture_output=True, text=True, check=False
    )


def test_a_breach_from_awareness_to_letters(
    registre_cli: str, env: dict[str, str], tmp_path: Path
) -> None:
    opened = run(
        registre_cli, env, "open", "--aware-at", "2026-10-24T10:00", "--nature",
        "confidentiality", "--summary", "A manager's session was stolen", "--processor",
        "--at", "2026-10-24T11:00", "--json",
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    breach = json.loads(opened.stdout)
    bid = breach["id"]
    assert breach["clocks"][0]["due_local"] == "2026-10-27 09:00 CET"
    assert breach["clock"] == "authority: 71 h 00 min left; controller: 71 h 00 min left"

    scoped = run(
        registre_cli, env, "update", bid, "--scope", "geolocation_points", "--since",
        "2026-10-01", "--until", "2026-10-20", "--at", "2026-10-24T12:00", "--json",
    )  # fmt: skip
    assert scoped.returncode == 0, scoped.stderr
    counts = json.loads(scoped.stdout)["counts"]
    assert counts["people"]["end_user"] > 0 and counts["tenants"]

    assessed = run(
        registre_cli, env, "assess", bid, "--risk", "high", "--reasons", "locations",
        "--at", "2026-10-24T13:00",
    )  # fmt: skip
    assert assessed.returncode == 0, assessed.stderr
    assert "owed:       documentation, authority, people, controller" in assessed.stdout

    late = run(
        registre_cli, env, "update", bid, "--notified", "authority", "--notified-at",
        "2026-10-27T10:00", "--at", "2026-10-27T11:00",
    )  # fmt: skip
    assert late.returncode == 1
    assert "Traceback" not in late.stderr
    assert "a late notification must give the reasons for the delay" in late.stderr
    assert "hint: give --delay-reason" in late.stderr

    listed = run(registre_cli, env, "list", "--at", "2026-10-27T11:00", "--json")
    (row,) = json.loads(listed.stdout)
    assert row["late"] and row["clock"].startswith("authority: late by 2 h 00 min")

    out = tmp_path / "out"
    draft = run(
        registre_cli, env, "notify-draft", bid, "--out", str(out), "--at", "2026-10-27T11:00"
    )
    assert draft.returncode == 0, draft.stderr
    data = json.loads((out / f"{bid}-cnil.fr.json").read_text(encoding="utf-8"))
    assert data["personnes_concernees"]["nombre_approximatif"] == counts["people"]["end_user"]
    assert data["justification_du_retard"] == "à compléter avant l'envoi"

    written = run(registre_cli, env, "letters", bid, "--out", str(out), "--lang", "en")
    assert written.returncode == 0, written.stderr
    people = sorted(out.glob(f"{bid}-person-*.en.md"))
    clients = sorted(out.glob(f"{bid}-client-*.en.md"))
    assert len(people) == counts["people"]["end_user"]
    assert len(clients) == len(counts["tenants"])
    assert all(p.stat().st_mode & 0o077 == 0 for p in people)  # they hold addresses

    engine = sa.create_engine(env["REGISTRE_STATE_URL"])
    with engine.connect() as connection:
        actions = [
            row[0]
            for row in connection.execute(
                sa.text("SELECT action FROM registre_audit_entry ORDER BY seq")
            )
        ]
    engine.dispose()
    assert actions == [
        "breach.open", "breach.scope", "breach.assess", "breach.draft", "breach.letters"
    ]  # fmt: skip


def test_every_audit_action_is_documented() -> None:
    text = (ROOT / "docs" / "breaches.md").read_text(encoding="utf-8")
    for action in ACTIONS:
        assert f"`{action}`" in text, action
