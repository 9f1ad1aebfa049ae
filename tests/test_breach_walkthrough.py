"""The walkthrough of docs/breaches.md runs as written (issue 17, "done means").

The block under "Walkthrough" runs with bash in a folder holding a copy of the
device-management example, the ``registre`` of this environment first on ``PATH``, and a real
SMTP server (aiosmtpd) where the block says port 2525 (the mail server's and the service's
ports are replaced by free ones, as other tests run at the same time): a DPO records a breach,
counts who is affected, assesses it, writes the CNIL draft, has the letters mailed by
``registre serve``, and reads the story in the audit trail.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from test_service_fixtures import Inbox, free_port

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _block() -> str:
    text = (ROOT / "docs" / "breaches.md").read_text(encoding="utf-8")
    section = text.split("## Walkthrough", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found, "no sh block under the walkthrough"
    return found.group(1)


def test_the_walkthrough_runs_as_written(registre_cli: str, tmp_path: Path) -> None:
    block = _block()
    assert "2525" in block and "8765" in block
    smtp_port, web_port = free_port(), free_port()
    script = block.replace("2525", str(smtp_port)).replace("8765", str(web_port))
    script += '\nregistre breach show "$ID" --json > final.json\n'
    example = tmp_path / "examples" / "device-management"
    shutil.copytree(ROOT / "examples" / "device-management", example)
    for left in example.glob("registre-state.sqlite*"):
        left.unlink()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REGISTRE_", "PARCMOBILE_", "SHOP_"))
    }
    env["PATH"] = f"{Path(registre_cli).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "200"
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the service it starts goes with it if it fails
    )
    try:
        out, err = process.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        controller.stop()
    assert process.returncode == 0, out[-3000:] + err[-3000:]

    final = json.loads((tmp_path / "final.json").read_text(encoding="utf-8"))
    letters = [d for d in final["deliveries"] if d["to"] == "person"]
    sent = [d for d in letters if d["state"] == "sent"]
    assert sent and len(inbox.messages) == len(sent)
    assert all(m["From"] == "dpo@parcmobile.example" for m in inbox.messages)
    assert all(m["Subject"].startswith("Violation de vos données") for m in inbox.messages)
    assert final["counts"]["people"]["end_user"] > 0
    notified = {n["to"]: n for n in final["notifications"]}
    assert notified["authority"]["reference"] == "CNIL-2026-123"
    assert not notified["authority"]["late"] and "people" in notified
    assert f"letters:    {len(sent)} sent (by mail)" in out
    assert (tmp_path / "out" / f"{final['id']}-cnil.fr.md").is_file()
    # the story, in the order it happened, and the trail intact
    actions = re.findall(r"\bbreach\.[a-z]+\b", out)
    story = list(dict.fromkeys(actions))
    assert "audit trail intact" in out
    assert story[:7] == [
        "breach.open", "breach.scope", "breach.assess", "breach.draft", "breach.notify",
        "breach.send", "breach.mail",
    ]  # fmt: skip
