"""The mypy configuration says what it does (`make lint` runs mypy itself).

mypy reads ``strict`` only as a global option: written in a per-module override it silently
turns strict mode on for the whole package, so an override list of "strict packages" would
claim less than it does, and a package dropped from it would still be checked strictly.
"""

from __future__ import annotations

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
