"""What several test modules share: the database servers, the command line run in this process,
golden files. Fixtures built on these live in conftest.py; import plain helpers from here::

    from _support import check_golden, server_url

The suite runs each PostgreSQL and MariaDB test in a throwaway database
(:func:`registre.testing.throwaway_database`) on the servers named by two environment variables;
a test asking for a server whose variable is not set is skipped, and says which variable to set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

SERVERS = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}
"""The environment variable naming each database server the tests may use."""

BACKENDS = ["sqlite", "postgresql", "mariadb"]

UPDATE_GOLDEN = os.environ.get("REGISTRE_UPDATE_GOLDEN") == "1"
"""``REGISTRE_UPDATE_GOLDEN=1`` rewrites the golden files after a deliberate change."""


def server_url(backend: str) -> str:
    """The URL of the test server of ``backend`` (``sqlite://`` for SQLite); skip the test when
    its environment variable is not set."""
    if backend == "sqlite":
        return "sqlite://"
    url = os.environ.get(SERVERS[backend], "")
    if not url:
        pytest.skip(f"{SERVERS[backend]} is not set")
    return url


def check_golden(path: Path, content: str | bytes) -> None:
    """``content`` must be the golden file at ``path``, byte for byte."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    assert path.exists(), f"{where} is missing: run with REGISTRE_UPDATE_GOLDEN=1 and read it"
    assert data == path.read_bytes(), (
        f"{where} differs: if the change is deliberate, run with REGISTRE_UPDATE_GOLDEN=1, read "
        "the diff (and look at the document) before committing"
    )


class CliRun(NamedTuple):
    """What ``registre ARGS`` did: its exit code and what it printed."""

    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        """Everything printed, standard output then standard error."""
        return self.out + self.err


RunCli = Callable[..., CliRun]
"""conftest's ``run_cli`` fixture: ``run_cli("check", "register.yaml")``."""


def cli_exit_code(exited: SystemExit) -> int:
    """The exit code of a ``SystemExit``, as the shell would see it."""
    if exited.code is None:
        return 0
    return exited.code if isinstance(exited.code, int) else 1


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> CliRun:
    """``registre ARGS`` through ``registre.cli.main`` in this process, never with a traceback
    printed (users never see one)."""
    from registre.cli import main

    saved = sys.argv
    sys.argv = ["registre", *args]
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exited:
        code = cli_exit_code(exited)
    finally:
        sys.argv = saved
    captured = capsys.readouterr()
    run = CliRun(code, captured.out, captured.err)
    assert "Traceback (most recent call last)" not in run.output, run.output
    return run


def combined(run: CliRun) -> tuple[int, str]:
    """A run as (exit code, everything printed), for the tests that read both streams as one."""
    return run.code, run.output
