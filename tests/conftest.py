"""Fixtures shared by several test modules; keep each one small.

Plain helpers (the servers' URLs, golden files, the CliRun shape) are in ``_support.py``.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from _support import CliRun, RunCli, run_main


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


# -- where the suite's time goes ------------------------------------------------------------
# REGISTRE_TEST_CPU_REPORT=/tmp/cpu writes /tmp/cpu.<worker>.json: per test file, the processor
# seconds it used (this process and the processes it waited for) and its wall seconds. Processor
# time hardly depends on how busy the machine is, so it finds the long poles on a shared
# machine too; pytest-xdist's loadfile gives a whole file to one worker.

_CPU_REPORT = os.environ.get("REGISTRE_TEST_CPU_REPORT", "")
_SPENT: dict[str, list[float]] = {}


def _processor_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


if _CPU_REPORT:

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
        cpu, wall = _processor_seconds(), time.perf_counter()
        yield
        spent = _SPENT.setdefault(item.path.name, [0.0, 0.0])
        spent[0] += _processor_seconds() - cpu
        spent[1] += time.perf_counter() - wall
        # rewritten after each test: a run stopped halfway still tells where its time went
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        report = {
            name: {"cpu": round(c, 2), "wall": round(w, 2)} for name, (c, w) in _SPENT.items()
        }
        Path(f"{_CPU_REPORT}.{worker}.json").write_text(json.dumps(report, indent=1))
