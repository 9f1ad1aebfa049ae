"""Benchmark of data-subject requests on PostgreSQL with the device-management example.

Measures, end to end through the library API (:class:`registre.requests.RequestDesk`):

* the latency of finding a person's rows (the finder alone);
* the latency of an access request (open, verify, execute: find, ZIP export, letter, audit);
* the latency of an erasure (open, verify, execute: find, plan, audited steps, letter);
* the latency of an access request about a device user: data held as a processor, forwarded
  to the client with its data package (``forward-data.zip``) and a letter;
* the peak RSS of the export of a device's full history (100,000 geolocation points), against
  a person with a few rows;
* the state database's commits per request (each one waits for the disk).

Access and erasure sample the account holders and managers: the data we control. The device
users (a million of them with ``demo-data --profile lean --subjects 1000000``) are the clients'
employees, so their requests are forwarded.

Usage::

    .venv/bin/python benchmarks/bench_requests.py --subjects 24000 \\
        --server postgresql+psycopg://postgres@127.0.0.1:5432/test

``--url`` reuses an already loaded database instead of creating (and dropping) one; each run
erases ``--samples`` people from it and gives one device 100,000 geolocation points (once).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DM = ROOT / "examples" / "device-management"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 0.50) * 1000, 2),
        "p95_ms": round(percentile(values, 0.95) * 1000, 2),
        "mean_ms": round(statistics.fmean(values) * 1000, 2),
    }


def sample_device_users(engine: sa.Engine, count: int, seed: int) -> list[str]:
    """Device users with an email, sampled by id (the table may hold a million of them)."""
    with engine.connect() as connection:
        highest = connection.execute(sa.text("SELECT max(id) FROM directory_users")).scalar_one()
        rng = random.Random(seed)
        ids = rng.sample(range(1, highest + 1), min(highest, count * 2))
        emails = connection.execute(
            sa.text(
                "SELECT email FROM directory_users WHERE id = ANY(:ids) AND email IS NOT NULL "
                "ORDER BY id"
            ),
            {"ids": ids},
        ).scalars()
        chosen = list(emails)
    rng.shuffle(chosen)
    return chosen[:count]


def sample_people(engine: sa.Engine, count: int, seed: int) -> list[str]:
    with engine.connect() as connection:
        holders = [
            r[0]
            for r in connection.execute(sa.text("SELECT email FROM account_holders ORDER BY id"))
        ]
        managers = [
            r[0]
            for r in connection.execute(
                sa.text("SELECT email FROM managers WHERE deleted_at IS NULL ORDER BY id")
            )
        ]
    rng = random.Random(seed)
    people = rng.sample(holders, min(count // 2, len(holders)))
    people += rng.sample(managers, min(count - len(people), len(managers)))
    rng.shuffle(people)
    return people


def run_requests(
    register: Any, engine: sa.Engine, state_url: str, kind: str, emails: list[str], out: Path
) -> tuple[list[float], list[float], float]:
    """Latencies end to end and of ``execute`` alone, and state commits per request."""
    from registre.requests import RequestDesk
    from registre.state import open_state

    total: list[float] = []
    executes: list[float] = []
    commits = [0]
    with open_state(state_url) as state:

        @sa.event.listens_for(state.engine, "commit")
        def count(_connection: Any) -> None:
            commits[0] += 1

        desk = RequestDesk(register, state, {"console": engine}, out_dir=out)
        for email in emails:
            started = time.perf_counter()
            opened = "access" if kind == "forwarded" else kind
            request = desk.open(opened, {"email": email})
            desk.verify(request.id, method="benchmark")
            middle = time.perf_counter()
            done = desk.execute(request.id)
            ended = time.perf_counter()
            if kind == "forwarded":  # a few users are also managers: done, and forwarded
                assert done.state.value == "forwarded" or "forwarded" in done.result, done
            else:
                assert done.state.value == "done", done.state
            total.append(ended - started)
            executes.append(ended - middle)
    return total, executes, commits[0] / len(emails)


def big_device(engine: sa.Engine, rows: int) -> str:
    """The email of a device user whose device has ``rows`` geolocation points, made with one
    INSERT.

    Always the same user (the first with a device); points already there count, so a reused
    database does not grow.
    """
    with engine.begin() as connection:
        device_id, email = connection.execute(
            sa.text(
                "SELECT d.id, u.email FROM devices d JOIN directory_users u ON u.id = d.user_id "
                "WHERE u.email IS NOT NULL ORDER BY u.id, d.id LIMIT 1"
            )
        ).one()
        present = connection.execute(
            sa.text("SELECT count(*) FROM geolocation_points WHERE device_id = :d"),
            {"d": device_id},
        ).scalar_one()
        if present < rows:
            connection.execute(
                sa.text(
                    "INSERT INTO geolocation_points "
                    "(device_id, lat, lon, accuracy_m, recorded_at) "
                    "SELECT :d, 48.85 + g * 1e-7, 2.35 - g * 1e-7, 10 + g % 50, "
                    "timestamp '2026-08-01' + g * interval '1 minute' "
                    "FROM generate_series(1, :n) AS g"
                ),
                {"d": device_id, "n": rows - present},
            )
            connection.execute(sa.text("ANALYZE geolocation_points"))
    return str(email)


CHILD = """
import json, os, sys, time, zipfile
sys.path.insert(0, {src!r})
import sqlalchemy as sa
from registre.register.loader import load_register
from registre.requests import RequestDesk
from registre.state import open_state
register = load_register({register!r})
engine = sa.create_engine({url!r})
with open_state({state!r}) as state:
    desk = RequestDesk(register, state, {{"console": engine}}, out_dir={out!r})
    request = desk.open("access", {{"email": {email!r}}})
    desk.verify(request.id, method="benchmark")
    started = time.perf_counter()
    done = desk.execute(request.id)
    seconds = time.perf_counter() - started
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec
peak = next(int(line.split()[1]) for line in open("/proc/self/status")
            if line.startswith("VmHWM:"))
result = done.result
package = result["export"] if "export" in result else result["forward_data"][0]
with zipfile.ZipFile(package) as archive:
    # one CSV per table, a header line and one line per row (no value holds a line break)
    rows = sum(sum(1 for _ in archive.open(n)) - 1 for n in archive.namelist()
               if n.endswith(".csv"))
print(json.dumps({{"state": done.state.value, "rows": rows, "seconds": seconds,
                  "zip_bytes": os.path.getsize(package),
                  "peak_rss_mb": round(peak / 1024, 1)}}))
"""


def export_rss(url: str, state_url: str, email: str, out: Path) -> dict[str, Any]:
    code = CHILD.format(
        src=str(ROOT / "src"),
        register=str(DM / "register.yaml"),
        url=url,
        state=state_url,
        email=email,
        out=str(out),
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=24_000)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--url", help="an already loaded device-management database")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--big-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from registre.demo import load_app, load_demo_data
    from registre.register.loader import load_register
    from registre.requests import Finder
    from registre.stores.throwaway import scratch_database

    register = load_register(DM / "register.yaml")
    report: dict[str, Any] = {"subjects": None if args.url else args.subjects}
    with (
        scratch_database(args.server, "registre_bench") as scratch,
        scratch_database(args.server, "registre_bench_state") as state_url,
        tempfile.TemporaryDirectory() as folder,
    ):
        url = args.url or scratch
        engine = sa.create_engine(url)
        if not args.url:
            started = time.perf_counter()
            loaded = load_demo_data(load_app(DM), engine, subjects=args.subjects, seed=1)
            report["load_seconds"] = round(time.perf_counter() - started, 1)
            report["rows"] = loaded.total
            report["rows_per_table"] = loaded.rows
            with engine.begin() as connection:
                connection.execute(sa.text("ANALYZE"))
        else:
            with engine.connect() as connection:
                tables = sa.inspect(connection).get_table_names()
                report["rows"] = sum(
                    connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in tables
                )
        out = Path(folder)
        people = sample_people(engine, args.samples * 2, args.seed)
        access_people, erasure_people = people[::2], people[1::2]
        finder = Finder(register, {"console": engine})
        finder.find({"email": access_people[0]})  # reflection, warm pool
        finds = []
        for email in access_people:
            started = time.perf_counter()
            finder.find({"email": email})
            finds.append(time.perf_counter() - started)
        report["find"] = summary(finds)
        device_users = sample_device_users(engine, args.samples, args.seed)
        for kind, chosen in (
            ("access", access_people),
            ("erasure", erasure_people),
            ("forwarded", device_users),
        ):
            total, executes, commits = run_requests(register, engine, state_url, kind, chosen, out)
            report[f"{kind}_end_to_end"] = summary(total)
            report[f"{kind}_execute_only"] = summary(executes)
            report[f"{kind}_state_commits_per_request"] = round(commits, 2)
        small = access_people[1]
        report["export_small_person"] = export_rss(url, state_url, small, out)
        big = big_device(engine, args.big_rows)
        report["export_device_history"] = export_rss(url, state_url, big, out)
        report["bench_process_peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        engine.dispose()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
