"""registre installed from its wheel, outside this checkout (issue 13 §5).

The wheel is built from this checkout and installed with its dependencies into a new virtual
environment (no system site packages; the package registry, or pip's cache, provides the rest),
as ``pip install registre`` would. Then the installed command checks the online-shop example,
opens a request (which creates a state from the migrations shipped in the wheel), and says how
to install Faker for ``demo-data``, which the plain install leaves out. About 20 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "online-shop"

pytestmark = pytest.mark.slow


def _run(args: list[str | Path], **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        **options,  # type: ignore[call-overload]
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a new virtual environment holding registre's wheel."""
    where = tmp_path_factory.mktemp("install")
    started = time.monotonic()
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", where, ROOT])
    assert built.returncode == 0, built.stderr
    (wheel,) = where.glob("registre-*.whl")
    made = _run([sys.executable, "-m", "venv", "--without-pip", where / "venv"])
    assert made.returncode == 0, made.stderr
    bin_dir = where / "venv" / "bin"
    # this environment's pip installs into the new one: installing pip there, then compiling
    # every dependency's bytecode, took 45-75 s of a loaded machine's time, against 17 s
    into = ["--python", bin_dir / "python"]
    pip = _run([sys.executable, "-m", "pip", *into, "install", "-q", "--no-compile", wheel])
    assert pip.returncode == 0, pip.stderr
    print(f"built and installed in {time.monotonic() - started:.1f} s")
    return bin_dir


def test_the_installed_command_checks_an_example(installed: Path) -> None:
    version = _run([installed / "registre", "--version"])
    assert version.returncode == 0 and version.stdout.startswith("registre ")
    checked = _run([installed / "registre", "check", SHOP / "register.yaml", "--json"])
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["ok"] is True


def test_the_installed_package_creates_its_state(installed: Path, tmp_path: Path) -> None:
    shutil.copy(SHOP / "register.yaml", tmp_path / "register.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRE_")}
    opened = _run(
        [installed / "registre", "request", "open", "access", "--email", "a@b.fr"],
        cwd=tmp_path,
        env=env | {"REGISTRE_REGISTER": str(tmp_path / "register.yaml")},
    )
    assert opened.returncode == 0, opened.stderr
    assert (tmp_path / "registre-state.sqlite").is_file()
    listed = _run(
        [installed / "registre", "request", "list", "--json"],
        cwd=tmp_path,
        env=env | {"REGISTRE_STATE_URL": f"sqlite:///{tmp_path / 'registre-state.sqlite'}"},
    )
    assert listed.returncode == 0, listed.stderr
    assert [r["id"] for r in json.loads(listed.stdout)] == [opened.stdout.strip()]


def test_demo_data_says_how_to_install_faker(installed: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    missing = _run([installed / "registre", "demo-data", SHOP, "--url", url])
    assert missing.returncode == 1
    assert "Faker is not installed" in missing.stderr
    assert "pip install 'registre[demo]'" in missing.stderr
    assert "Traceback" not in missing.stderr
