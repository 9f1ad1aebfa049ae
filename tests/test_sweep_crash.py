"""A sweep killed with SIGKILL at a random batch, then run again, ends where an uninterrupted
sweep ends: every table byte-identical to a twin database swept in one go.

The sweep runs as a real process (the command line, a small batch size); the test watches the
audit trail and kills it once K batches are recorded. K is drawn at random; a failure names
its seed, and ``REGISTRE_CRASH_SEED=N`` replays it. (The seed is not in the test id: parallel
workers each collect the tests and must find the same ids.)
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registre.demo.loader import load_app, load_demo_data
from registre.state import open_state
from registre.stores.throwaway import scratch_database

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "device-management"
REGISTER = EXAMPLE / "register.yaml"
AT = "2026-11-01"
SUBJECTS = 150
BATCH = 60
SERVERS = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}
SEED = int(os.environ.get("REGISTRE_CRASH_SEED", time.time_ns() % 10_000))


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def twins(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two databases holding the same generated rows."""
    app = load_app(EXAMPLE)
    if request.param == "sqlite":
        first = tmp_path / "swept.sqlite"
        engine = sa.create_engine(f"sqlite:///{first}")
        load_demo_data(app, engine, subjects=SUBJECTS, seed=3)
        engine.dispose()
        shutil.copy(first, tmp_path / "twin.sqlite")
        yield f"sqlite:///{first}", f"sqlite:///{tmp_path / 'twin.sqlite'}"
        return
    server = os.environ.get(SERVERS[request.param], "")
    if not server:
        pytest.skip(f"{SERVERS[request.param]} is not set")
    with ExitStack() as stack:
        urls = [
            stack.enter_context(scratch_database(server, prefix="registre_crash")) for _ in range(2)
        ]
        for url in urls:
            engine = sa.create_engine(url)
            load_demo_data(app, engine, subjects=SUBJECTS, seed=3)
            engine.dispose()
        yield urls[0], urls[1]


def table_checksums(url: str) -> dict[str, str]:
    """One digest per table over all its rows in key order."""
    import hashlib

    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    digests = {}
    with engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            digest = hashlib.sha256()
            for row in connection.execute(sa.select(table).order_by(*table.primary_key)):
                digest.update(repr(tuple(row)).encode())
            digests[name] = digest.hexdigest()
    engine.dispose()
    return digests


def sweep_command(url: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from registre.cli import main; main()",
        "sweep",
        str(REGISTER),
        "--url",
        url,
        "--at",
        AT,
        "--yes",
        "--batch-size",
        str(BATCH),
    ]


def batches(state: Any) -> int:
    return sum(
        1
        for e in state.audit.entries(action_prefix="sweep.")
        if e.action in ("sweep.delete", "sweep.anonymize")
    )


@pytest.mark.slow
def test_a_killed_sweep_run_again_ends_like_an_uninterrupted_one(
    twins: tuple[str, str], tmp_path: Path
) -> None:
    seed = SEED
    print(f"REGISTRE_CRASH_SEED={seed}")  # shown with a failure, to replay it
    swept, twin = twins
    env = {**os.environ, "REGISTRE_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}"}
    twin_env = {**env, "REGISTRE_STATE_URL": f"sqlite:///{tmp_path / 'twin-state.sqlite'}"}
    subprocess.run(sweep_command(twin), env=twin_env, check=True, capture_output=True)
    with open_state(twin_env["REGISTRE_STATE_URL"]) as state:
        # batches grow with the speed of the machine: kill within the first half of them
        uninterrupted = batches(state)

    kill_after = random.Random(seed).randint(1, max(1, uninterrupted // 2))
    process = subprocess.Popen(
        sweep_command(swept), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    with open_state(env["REGISTRE_STATE_URL"]) as state:
        deadline = time.monotonic() + 60
        while batches(state) < kill_after and process.poll() is None:
            assert time.monotonic() < deadline, "the sweep made no progress"
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the sweep ended before it was killed"
        recorded = batches(state)
    assert recorded >= kill_after
    assert table_checksums(swept) != table_checksums(twin)  # killed half-way

    rerun = subprocess.run(sweep_command(swept), env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert "was interrupted" in rerun.stderr
    assert table_checksums(swept) == table_checksums(twin)
    with open_state(env["REGISTRE_STATE_URL"]) as state:
        assert state.audit.verify() == []
        killed, resumed = sorted(state.runs.list(), key=lambda r: r.id)
        assert (killed.status, resumed.status) == ("failed", "done")
        assert killed.summary == {"interrupted": True, "resumed_by": resumed.id}
        assert killed.options["targets"] == resumed.options["targets"]  # the same database
