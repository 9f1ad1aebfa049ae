"""registre is typed for its users, and its mypy configuration says what it does.

(`make lint` runs mypy on the package itself.)

mypy reads ``strict`` only as a global option: written in a per-module override it silently
turns strict mode on for the whole package, so an override list of "strict packages" would
claim less than it does, and a package dropped from it would still be checked strictly.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _mypy() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["mypy"]
    return config


def test_the_whole_package_is_strict() -> None:
    config = _mypy()
    assert config.get("strict") is True, "set strict = true in [tool.mypy]"
    assert config["files"] == ["src/registre"]


def test_no_override_pretends_to_set_strict() -> None:
    for override in _mypy().get("overrides", []):
        assert "strict" not in override, override["module"]


def test_no_override_loosens_strict_mode() -> None:
    # what strict sets; an override may add checks, or waive the extra ones, never undo these
    strict = {
        "disallow_untyped_defs": True,
        "disallow_incomplete_defs": True,
        "disallow_any_generics": True,
        "disallow_untyped_calls": True,
        "disallow_untyped_decorators": True,
        "disallow_subclassing_any": True,
        "check_untyped_defs": True,
        "warn_return_any": True,
        "implicit_reexport": False,
        "strict_equality": True,
        "extra_checks": True,
        "ignore_errors": False,
    }
    for override in _mypy().get("overrides", []):
        for key, value in strict.items():
            assert override.get(key, value) == value, (override["module"], key)


HOST = """\
import registre

register = registre.load_register("register.yaml")
with registre.open_state(register="register.yaml") as state:
    report = registre.sweep(register, state)
failed: int = report.failed
"""


def test_a_host_application_type_checks_against_registre(tmp_path: Path) -> None:
    # without the py.typed marker (PEP 561) mypy skips registre ("missing library stubs or
    # py.typed marker") and every registre call of the host is unchecked
    (tmp_path / "host.py").write_text(HOST, encoding="utf-8")
    (tmp_path / "mypy.ini").write_text("[mypy]\nstrict = True\n", encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "host.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, checked.stdout
    assert errors[0].startswith("host.py:6:"), errors
    assert "[assignment]" in errors[0], errors
