"""Fixtures shared by several test modules; keep each one small.

Plain helpers (the servers' URLs, golden files, the CliRun shape) are in ``_support.py``.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from _support import CliRun, run_main

RunCli = Callable[..., CliRun]


@pytest.fixture(scope="session")
def registre_cli() -> str:
    """The installed ``registre`` command of the environment running the tests."""
    beside = Path(sys.executable).with_name("registre")
    found = str(beside) if beside.exists() else shutil.which("registre")
    if found is None:
        pytest.fail("the registre command is not installed: run pip install -e '.[dev]'")
    return found


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run ``registre ARGS`` through ``registre.cli.main`` in this process; returns a
    ``CliRun`` (code, out, err), which unpacks as a tuple. A traceback printed fails the test."""

    def run(*args: str) -> CliRun:
        return run_main(capsys, *args)

    return run
