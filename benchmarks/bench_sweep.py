"""Sweep throughput against hand-written SQL, on PostgreSQL or MariaDB, device-management example.

Not a test. ``python benchmarks/bench_sweep.py --server postgresql+psycopg://postgres@127.0.0.1/test
--subjects 240000`` (or ``--server mysql+pymysql://root@127.0.0.1:3306/test``) loads the example
(about 41 rows per subject) into a scratch database, clones it twice (PostgreSQL: ``CREATE
DATABASE ... TEMPLATE``; MariaDB: each table's ``SHOW CREATE TABLE`` and ``INSERT ... SELECT``),
then, for each benchmarked rule, in a fresh process:

* sweeps the rule on the first clone with ``registre.sweep`` (audited batches, state database in
  a temporary SQLite file, as a default install), timing it and its longest batch;
* runs the best hand-written single statement for the same rule on the twin;
* checks that both databases end with the same rows, and reports rows/s, the ratio, the longest
  batch, the process's peak RSS and the session settings each side ran with.

Like with like (``--settings``): the engine sets up the connection it sweeps with
(:func:`registre.engine.sweep.session_settings`: ``work_mem`` on PostgreSQL). ``equal``, the
default, runs the same statements on the hand-written statement's connection; ``default`` runs
both sides at the server's defaults (the engine's settings skipped); ``unequal`` is the protocol
of the figures before 2026-12-04 (the engine's settings, the hand-written statement at the
server's defaults). The SET statements the engine actually ran are captured and printed.

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
    "postgresql": {
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
    },
    "mysql": {
        "web-history": """
            DELETE FROM web_history WHERE visited_at < :cutoff
              OR device_id IN (SELECT id FROM devices WHERE reset_at < :at)""",
        # a join on the materialized ranking: in spans of 1,000 devices it took 48 s where
        # ``id IN (ranking)`` took 59 s (benchmarks/RESULTS.md)
        "geolocation-points": """
            DELETE g FROM geolocation_points g JOIN (
              SELECT id FROM (
                SELECT id, recorded_at, device_id, row_number() OVER (
                  PARTITION BY device_id ORDER BY recorded_at DESC, id DESC) AS rn
                FROM geolocation_points) ranked
              WHERE rn > 50 OR recorded_at < :cutoff
                OR device_id IN (SELECT id FROM devices WHERE reset_at < :at)) due
            ON due.id = g.id""",
    },
}
RULES = list(HAND_WRITTEN["postgresql"])
SETTINGS = ("equal", "default", "unequal")

# the settings shown for each side: what a session may change, and the server's memory
SHOWN = {
    "postgresql": """
        SELECT name, current_setting(name) FROM pg_settings WHERE name IN (
          'work_mem', 'jit', 'max_parallel_workers_per_gather', 'hash_mem_multiplier',
          'shared_buffers', 'synchronous_commit', 'random_page_cost') ORDER BY name""",
    "mysql": """
        SELECT 'group_concat_max_len', @@session.group_concat_max_len
        UNION ALL SELECT 'sort_buffer_size', @@session.sort_buffer_size
        UNION ALL SELECT 'join_buffer_size', @@session.join_buffer_size
        UNION ALL SELECT 'tmp_table_size', @@session.tmp_table_size
        UNION ALL SELECT 'max_heap_table_size', @@session.max_heap_table_size
        UNION ALL SELECT 'innodb_buffer_pool_size', @@innodb_buffer_pool_size
        UNION ALL SELECT 'innodb_flush_log_at_trx_commit', @@innodb_flush_log_at_trx_commit""",
}


def _family(url: str) -> str:
    """``postgresql`` or ``mysql`` (MariaDB and MySQL alike)."""
    backend = sa.make_url(url).get_backend_name()
    return "mysql" if backend in ("mysql", "mariadb") else backend


def measure(
    url: str, twin: str, rule: str, batch_size: int, hand_first: bool, settings: str
) -> dict[str, object]:
    """Sweep ``rule`` on ``url`` with the engine, and by hand on ``twin``; one process.

    ``hand_first`` runs the hand-written statement first: the driver alternates the order, so
    that neither side always meets the server's caches and background writes as the other
    left them.
    """
    from registre import load_register
    from registre.engine import sweep as engine_sweep

    family = _family(url)
    engine_set = engine_sweep.session_settings(family)
    if settings == "default":
        engine_sweep.session_settings = lambda dialect: []  # type: ignore[assignment]
        engine_set = []
    hand_set = engine_set if settings != "unequal" else []
    ran = _capture_settings()
    register = load_register(EXAMPLE / "register.yaml")
    if hand_first:
        hand_rows, hand_seconds, shown = _by_hand(register, rule, twin, hand_set)
        swept, run_seconds = _by_engine(register, url, rule, batch_size)
    else:
        swept, run_seconds = _by_engine(register, url, rule, batch_size)
        hand_rows, hand_seconds, shown = _by_hand(register, rule, twin, hand_set)
    if ran != engine_set:
        raise SystemExit(f"the engine ran {ran}, not the settings announced: {engine_set}")
    table = swept.table
    same = _digest(url, table) == _digest(twin, table)
    return {
        "rule": rule,
        "table": table,
        "dialect": family,
        "settings": settings,
        "engine_set": ran,
        "hand_set": hand_set,
        "hand_settings": shown,
        "first": "hand" if hand_first else "engine",
        "rows": swept.changed,
        "hand_rows": hand_rows,
        "same_result": same,
        "batches": swept.batches,
        "batch_size": batch_size,
        "engine_seconds": round(swept.seconds, 3),
        "run_seconds": round(run_seconds, 3),
        "hand_seconds": round(hand_seconds, 3),
        "engine_rows_per_s": round(swept.changed / swept.seconds),
        "hand_rows_per_s": round(hand_rows / hand_seconds),
        "ratio": round(hand_seconds / swept.seconds, 2),
        "longest_batch_s": round(swept.longest_batch_seconds, 3),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _capture_settings() -> list[str]:
    """The session SET statements run on the organization's database from now on (the engine's).

    ``SET LOCAL`` is left out: it lasts the transaction that counts the due rows (see
    :meth:`registre.engine.store_plan.StorePlan.counts`), before the rule's timed batches.
    """
    ran: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if conn.engine.dialect.name == "sqlite" or conn.info.get("bench_hand"):
            return  # the state database, or the hand-written side
        # SET LOCAL: the counting transaction before the rule's batches, not timed with them
        words = statement.split()[:2]
        if words[:1] == ["SET"] and words[1:] != ["LOCAL"]:
            ran.append(statement.strip())

    sa.event.listen(sa.Engine, "before_cursor_execute", seen)
    return ran


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


def _by_hand(
    register: Any, rule: str, twin: str, settings: list[str]
) -> tuple[int, float, dict[str, str]]:
    """The hand-written statement in one transaction, its COMMIT included in the time.

    ``settings`` run first on the same connection; the settings it then runs with are
    returned as the server reports them.
    """
    from registre.durations import cutoff

    _, retention = register.rule(rule)
    moment = cutoff(AT, retention.after[0].period, ZoneInfo(register.policy.timezone))
    family = _family(twin)
    hand = sa.create_engine(twin)
    with hand.connect() as connection:
        connection.info["bench_hand"] = True
        for setting in settings:
            connection.execute(sa.text(setting))
        shown = {str(k): str(v) for k, v in connection.execute(sa.text(SHOWN[family])).all()}
        connection.commit()  # connected and set up before the clock starts
        _checkpoint(twin)
        started = time.perf_counter()
        rows = connection.execute(
            sa.text(HAND_WRITTEN[family][rule]),
            {
                "cutoff": moment.replace(tzinfo=None),
                "at": AT.astimezone(ZoneInfo("UTC")).replace(tzinfo=None),
            },
        ).rowcount
        connection.commit()
        seconds = time.perf_counter() - started
    hand.dispose()
    return rows, seconds, shown


def _checkpoint(url: str) -> None:
    """Flush the server's dirty pages, so neither run pays for the other's writes.

    PostgreSQL only: MariaDB has no statement for it short of changing a global setting.
    """
    if _family(url) != "postgresql":
        return
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
    """What identifies the rows left: md5 of the keys (PostgreSQL), or count, sum and xor."""
    query = {
        "postgresql": f"SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM {table}",
        "mysql": f"SELECT CONCAT_WS(':', COUNT(*), SUM(id), BIT_XOR(CRC32(id))) FROM {table}",
    }[_family(url)]
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(sa.text(query)).scalar()
    engine.dispose()
    return str(value)


def _machine() -> dict[str, object]:
    """Where and when: the load average says how much the figures can be trusted."""
    import os
    import platform

    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu": model,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server",
        "--url",
        required=True,
        help="PostgreSQL or MariaDB URL of a server to create databases on",
    )
    parser.add_argument("--subjects", type=int, default=24_000)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[5_000])
    parser.add_argument("--rules", nargs="+", default=RULES, choices=RULES)
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["equal"],
        choices=SETTINGS,
        help="equal: the engine's session settings on both sides; default: the server's on "
        "both; unequal: the engine's for the engine, the server's for the statement",
    )
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
        figures = measure(
            *args.measure,
            batch_size=args.batch_size[0],
            hand_first=args.hand_first,
            settings=args.settings[0],
        )
        print(json.dumps(figures))
        return

    from registre.stores.throwaway import scratch_database

    with ExitStack() as stack:
        if args.keep:
            url = _kept(args.server, args.keep, args.subjects)
        else:
            url = stack.enter_context(scratch_database(args.server, prefix="bench_sweep"))
            _load(url, args.subjects)
        total = _count_rows(url)
        if args.load_only:
            print(f"{url} holds {total:,} rows", file=sys.stderr)
            return
        print(json.dumps({"machine": _machine(), "total_rows": total}), flush=True)
        runs = [
            (r, b, s, n)
            for r in args.rules
            for b in args.batch_size
            for s in args.settings
            for n in range(args.repeat)
        ]
        for rule, batch_size, settings, n in runs:
            # both copies are fresh clones of the loaded database, so neither run warms the other
            with (
                scratch_database(args.server, prefix="bench_sweep_a") as a,
                scratch_database(args.server, prefix="bench_sweep_b") as b,
            ):
                for target in (a, b):
                    _clone(args.server, url, target)
                found = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--server",
                        args.server,
                        "--batch-size",
                        str(batch_size),
                        "--settings",
                        settings,
                        "--measure",
                        a,
                        b,
                        rule,
                        *(["--hand-first"] if n % 2 else []),
                    ],
                    check=True,
                    stdout=subprocess.PIPE,
                    text=True,
                ).stdout
                figures = json.loads(found)
                figures["total_rows"] = total
                figures["load_average"] = [round(x, 2) for x in __import__("os").getloadavg()]
                print(json.dumps(figures), flush=True)


def _clone(server: str, source: str, target: str) -> None:
    """Make the empty database ``target`` a copy of ``source``, indexes and statistics included."""
    source_name = sa.make_url(source).database
    target_name = sa.make_url(target).database
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if _family(server) == "postgresql":
            connection.execute(sa.text(f"DROP DATABASE {target_name}"))
            connection.execute(sa.text(f"CREATE DATABASE {target_name} TEMPLATE {source_name}"))
        else:
            names = connection.execute(
                sa.text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = :name AND table_type = 'BASE TABLE'"
                ),
                {"name": source_name},
            ).scalars()
            connection.execute(sa.text("SET SESSION foreign_key_checks = 0"))
            connection.execute(sa.text(f"USE `{target_name}`"))
            for name in list(names):
                ddl = connection.execute(sa.text(f"SHOW CREATE TABLE `{source_name}`.`{name}`"))
                connection.execute(sa.text(ddl.one()[1].replace("%", "%%")))
                connection.execute(
                    sa.text(f"INSERT INTO `{name}` SELECT * FROM `{source_name}`.`{name}`")
                )
                connection.execute(sa.text(f"ANALYZE TABLE `{name}`")).all()
    admin.dispose()


def _load(url: str, subjects: int) -> None:
    from registre.demo.loader import load_app, load_demo_data

    engine = sa.create_engine(url)
    started = time.perf_counter()
    report = load_demo_data(load_app(EXAMPLE), engine, subjects=subjects, seed=0)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if _family(url) == "postgresql":
            connection.execute(sa.text("VACUUM ANALYZE"))
        else:
            for name in report.rows:
                connection.execute(sa.text(f"ANALYZE TABLE `{name}`")).all()
    engine.dispose()
    print(
        f"loaded {sum(report.rows.values()):,} rows in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )


def _kept(server: str, name: str, subjects: int) -> str:
    """The database ``name``, loaded once and kept: the clones are made from it, never it."""
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    exists_query = {
        "postgresql": "SELECT 1 FROM pg_database WHERE datname = :name",
        "mysql": "SELECT 1 FROM information_schema.schemata WHERE schema_name = :name",
    }[_family(server)]
    with admin.connect() as connection:
        exists = connection.execute(sa.text(exists_query), {"name": name}).scalar()
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
