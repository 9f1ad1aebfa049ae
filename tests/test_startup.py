"""The command line starts fast (issue 13 §3): ``registre --help`` and a command's ``--help``
well under 0.2 s on a developer's machine, and no command waits on imports it does not use.

The timings count the processor time of the child (user + system), not the wall clock: the test
suite runs on two workers beside the databases, and a loaded machine stretches the wall clock
of a start that did not get slower. The bound is generous (0.35 s); the figures measured are in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "sqlalchemy", "alembic", "jinja2", "openpyxl", "babel", "faker", "pydantic", "psycopg",
    "pymysql", "fastapi", "starlette", "uvicorn", "httpx",
)  # fmt: skip
"""Libraries no command needs before it runs: a command imports what it uses itself."""

BOUND = 0.35


def _cpu_seconds(args: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, check=True, capture_output=True, env=os.environ | {"COLUMNS": "80"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@pytest.mark.parametrize(
    "args",
    [["--help"], ["request", "list", "--help"], ["--version"]],
    ids=" ".join,
)
def test_help_starts_fast(registre_cli: str, args: list[str]) -> None:
    runs = [_cpu_seconds([registre_cli, *args]) for _ in range(5)]
    assert statistics.median(runs) < BOUND, runs


def test_the_commands_import_nothing_heavy_before_they_run() -> None:
    probe = (
        "import sys\n"
        "from registre.cli import command\n"
        "command()\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()
    heavy = sorted({name.split(".")[0] for name in loaded} & set(HEAVY))
    assert heavy == [], f"imported by the command line before any command runs: {heavy}"
    assert "registre.register.model" not in loaded
    assert "registre.state" not in loaded


def test_the_public_api_loads_on_first_use() -> None:
    probe = (
        "import sys, registre\n"
        "assert 'sqlalchemy' not in sys.modules and 'pydantic' not in sys.modules\n"
        "import registre.lint\n"  # the submodule must not hide the function it exports
        "assert callable(registre.lint) and registre.lint.__module__ == 'registre.lint'\n"
        "assert registre.Register.__name__ == 'Register'\n"
        "assert set(registre.__all__) <= set(dir(registre))\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_the_migration_files_name_the_head_alembic_finds() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from registre.state import MIGRATIONS, _written_head

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert _written_head() == ScriptDirectory.from_config(config).get_current_head()


def test_a_state_at_the_latest_revision_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    subprocess.run(
        [sys.executable, "-c", f"from registre.state import open_state; open_state({url!r})"],
        check=True,
    )  # created and migrated: Alembic runs
    probe = (
        "import sys\n"
        "from registre.state import open_state\n"
        f"open_state({url!r}, create=False).close()\n"
        "assert 'alembic' not in sys.modules, 'Alembic imported to open an up-to-date state'\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
