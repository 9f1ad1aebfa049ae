"""The README's command lines run when pasted (issue 13 §3).

The block under "Enforcing it on a database, in a few commands" runs as written, with bash,
in a folder holding a copy of the online-shop example, with the ``registre`` of this
environment first on ``PATH``: demo data, check, plan, sweep, then an access request from
opening to its export.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _block(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {heading}", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found, f"no sh block under {heading!r}"
    return found.group(1)


def test_the_first_steps_run_as_pasted(registre_cli: str, tmp_path: Path) -> None:
    block = _block("Enforcing it on a database, in a few commands")
    assert "[--" not in block, "an optional part written inline does not run when pasted"
    shutil.copytree(ROOT / "examples" / "online-shop", tmp_path / "examples" / "online-shop")
    for left in (tmp_path / "examples" / "online-shop").glob("registre-state.sqlite*"):
        left.unlink()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGISTRE_", "SHOP_"))}
    env["PATH"] = f"{Path(registre_cli).parent}{os.pathsep}{env.get('PATH', '')}"
    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    assert "audit trail intact" in ran.stdout
    assert re.search(r"r-\w+: done", ran.stdout)
    assert list((tmp_path / "registre-requests").glob("r-*/access-r-*.zip"))
