"""Fixtures shared by several test modules; keep each one small."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def registre_cli() -> str:
    """The installed ``registre`` command of the environment running the tests."""
    beside = Path(sys.executable).with_name("registre")
    found = str(beside) if beside.exists() else shutil.which("registre")
    if found is None:
        pytest.fail("the registre command is not installed: run pip install -e '.[dev]'")
    return found
