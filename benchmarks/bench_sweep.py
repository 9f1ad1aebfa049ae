"""Sweep throughput against hand-written SQL, on PostgreSQL with the device-management example.

Not a test. ``python benchmarks/bench_sweep.py --server postgresql+psycopg://postgres@127.0.0.1/test
--subjects 240000`` loads the example (about 41 rows per subject) into a scratch database,
clones it with ``CREATE DATABASE ... TEMPLATE`` (the twin), then, for each benchmarked rule, in
a fresh process:

* sweeps the rule on the first database with ``registre.sweep`` (audited batches, state
  database in a temporary SQLite file, as a default install), timing it and its longest batch;
* runs the best hand-written single statement for the same rule on the twin;
* checks that both databases end with the same rows, and reports rows/s, the ratio, the
  longest batch and the process's peak RSS.

Rules: ``web-history`` (DELETE, 15 days after the visit or when the device was reset) and
``geolocation-points`` (keep the newest 50 per device, at most 2 months, none of a reset
device: the count cap against a window-function DELETE).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "device-management"
AT = datetime(2026, 11, 1, tzinfo=ZoneInfo("Europe/Paris"))

# both rules also delete the records of a device reset before the instant (``:at``)
HAND_WRITTEN = {
    "web-history": """
        DELETE FROM web_history WHERE visited_at < :cutoff
          OR device_id IN (SELECT id FROM devices WHERE reset_at < :at)""",
    "geolocation-points": """
        DELETE FROM geolocation_points WHERE id IN (
          SELECT id FROM (
            SELECT id, recorded_at, device_id, row_number() OVER (
              PARTITION BY device_id ORDER BY recorded_at DESC, id DESC) AS rn
            FROM geolocation_points) ranked
          WHERE rn > 50 OR recorded_at < :cutoff
            OR device_id IN (SELECT id FROM devices WHERE reset_at < :at))""",
}


def measure(url: str, twin: str, rule: str, batch_size: int, hand_first: bool) -> dict[str, object]:
    """Sweep ``rule`` on ``url`` with the engine, and by hand on ``twin``; one process.

    ``hand_first`` runs the hand-written statement first: the driver alternates the order, so
    that neither side always meets the server's caches and background writes as the other
    left them.
    """
    from registre import load_register

    register = load_register(EXAMPLE / "register.yaml")
    if hand_first:
        hand_rows, hand_seconds = _by_hand(register, rule, twin)
        swept, run_seconds = _by_engine(register, url, rule, batch_size)
    else:
        swept, run_seconds = _by_engine(register, url, rule, batch_size)
        hand_rows, hand_seconds = _by_hand(register, rule, twin)
    table = swept.table
    same = _digest(url, table) == _digest(twin, table)
    return {
        "rule": rule,
        "table": table,
        "first": "hand" if hand_first else "engine",
        "rows": swept.changed,
        "hand_rows": hand_rows,
        "same_result": same,
        "batches": swept.batches,
        "batch_size": batch_size,
        "engine_seconds": round(swept.seconds, 2),
        "run_seconds": round(run_seconds, 2),
        "hand_seconds": round(hand_seconds, 2),
        "engine_rows_per_s": round(swept.changed / swept.seconds),
        "hand_rows_per_s": round(hand_rows / hand_seconds),
        "ratio": round(hand_seconds / swept.seconds, 2),
        "longest_batch_s": round(swept.longest_batch_seconds, 3),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _by_engine(register: Any, url: str, rule: str, batch_size: int) -> tuple[Any, float]:
    """``registre.sweep`` narrowed to the rule, as `registre sweep` runs it: audited batches.

    The rule's own time (``engine_seconds``) is its batches, from its first to its last
    journal commit; the run's (``run_seconds``) adds connecting, checking the mapping, taking
    the lock and counting what is due, which a sweep does once for all its rules.
    """
    import registre

    with (
        tempfile.TemporaryDirectory() as folder,
        registre.open_state(f"sqlite:///{folder}/s.db") as state,
    ):
        _checkpoint(url)
        report = registre.sweep(
            register, state, at=AT, url=url, rules=[rule], batch_size=batch_size
        )
    (swept,) = report.rules
    if swept.status != "done":
        raise SystemExit(f"{rule}: {swept.error}")
    return swept, report.seconds


def _by_hand(register: Any, rule: str, twin: str) -> tuple[int, float]:
    """The hand-written statement in one transaction, its COMMIT included in the time."""
    from registre.durations import cutoff

    _, retention = register.rule(rule)
    moment = cutoff(AT, retention.after[0].period, ZoneInfo(register.policy.timezone))
    hand = sa.create_engine(twin)
    with hand.connect() as connection:
        connection.execute(sa.text("SELECT 1"))  # connected before the clock starts
        connection.commit()
        _checkpoint(twin)
        started = time.perf_counter()
        rows = connection.execute(
            sa.text(HAND_WRITTEN[rule]),
            {
                "cutoff": moment.replace(tzinfo=None),
                "at": AT.astimezone(ZoneInfo("UTC")).replace(tzinfo=None),
            },
        ).rowcount
        connection.commit()
        seconds = time.perf_counter() - started
    hand.dispose()
    return rows, seconds


def _checkpoint(url: str) -> None:
    """Flush the server's dirty pages, so neither run pays for the other's writes."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("CHECKPOINT"))
    engine.dispose()


def _peak_rss_mb() -> float:
    """VmHWM: this process's peak resident memory (ru_maxrss carries the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _digest(url: str, table: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(
            sa.text(f"SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM {table}")
        ).scalar()
    engine.dispose()
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="PostgreSQL URL to create databases on")
    parser.add_argument("--subjects", type=int, default=24_000)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[5_000])
    parser.add_argument("--rules", nargs="+", default=list(HAND_WRITTEN), choices=HAND_WRITTEN)
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="load into database NAME once and keep it; later runs clone it without loading",
    )
    parser.add_argument("--load-only", action="store_true", help="load (with --keep) and stop")
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="runs of each rule and batch size; the order engine/hand alternates between runs",
    )
    parser.add_argument(
        "--measure", nargs=3, metavar=("URL", "TWIN", "RULE"), help=argparse.SUPPRESS
    )
    parser.add_argument("--hand-first", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        figures = measure(*args.measure, batch_size=args.batch_size[0], hand_first=args.hand_first)
        print(json.dumps(figures))
        return

    from registre.stores.scratch import scratch_database

    with ExitStack() as stack:
        if args.keep:
            url = _kept(args.server, args.keep, args.subjects)
        else:
            url = stack.enter_context(scratch_database(args.server, prefix="registre_bench"))
            _load(url, args.subjects)
        total = _count_rows(url)
        if args.load_only:
            print(f"{url} holds {total:,} rows", file=sys.stderr)
            return
        source = sa.make_url(url)
        runs = [(r, b, n) for r in args.rules for b in args.batch_size for n in range(args.repeat)]
        for rule, batch_size, n in runs:
            # both copies are fresh clones of the loaded database, so neither run warms the other
            with (
                scratch_database(args.server, prefix="registre_bench_a") as a,
                scratch_database(args.server, prefix="registre_bench_b") as b,
            ):
                admin = sa.create_engine(args.server, isolation_level="AUTOCOMMIT")
                with admin.connect() as connection:
                    for target in (a, b):
                        name = sa.make_url(target).database
                        connection.execute(sa.text(f"DROP DATABASE {name}"))
                        connection.execute(
                            sa.text(f"CREATE DATABASE {name} TEMPLATE {source.database}")
                        )
                admin.dispose()
                found = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--server",
                        args.server,
                        "--batch-size",
                        str(batch_size),
                        "--measure",
                        a,
                        b,
                        rule,
                        *(["--hand-first"] if n % 2 else []),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                figures = json.loads(found)
                figures["total_rows"] = total
                print(json.dumps(figures))


def _load(url: str, subjects: int) -> None:
    from registre.demo.loader import load_app, load_demo_data

    engine = sa.create_engine(url)
    started = time.perf_counter()
    report = load_demo_data(load_app(EXAMPLE), engine, subjects=subjects, seed=0)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    print(
        f"loaded {sum(report.rows.values()):,} rows in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )


def _kept(server: str, name: str, subjects: int) -> str:
    """The database ``name``, loaded once and kept: the clones are made from it, never it."""
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    if not exists:
        _load(url, subjects)
    return url


def _count_rows(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        names = sa.inspect(connection).get_table_names()
        total = sum(
            int(connection.execute(sa.text(f"SELECT count(*) FROM {n}")).scalar() or 0)
            for n in names
        )
    engine.dispose()
    return total


if __name__ == "__main__":
    main()
