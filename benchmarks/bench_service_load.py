"""Load benchmark of ``registre serve``: complete access requests through the API (issue 14 §6).

The service runs as a separate process (``registre serve`` on a free loopback port) with its
state on PostgreSQL and the device-management example's database of one million people on
PostgreSQL. This process is the client: asyncio with httpx, plus a real SMTP server (aiosmtpd)
on the same event loop that receives the service's mail. Each *complete access request* is, as a
person and an operator would do it:

1. ``POST /api/v1/public/requests`` (the person files an access request with their email);
2. the one-time code is read from the mail the SMTP server received;
3. ``POST /api/v1/public/requests/{id}/verify`` with the code;
4. ``POST /api/v1/requests/{id}/execute`` with an operator's token (202 and a job);
5. ``GET /api/v1/jobs/{job}`` until the job is ``done`` (every 20 ms, doubling to 160 ms).

Its latency runs from 1 to 5. The letter's mail (with the download link) is counted too, as it
arrives. Levels of 10 and 50 concurrent clients are measured for ``--level-seconds`` each, then
a soak of ``--soak-minutes`` at ``--soak-clients`` records the service's RSS every
``--rss-every`` seconds. Everything is bounded in time and stays on 127.0.0.1.

The people are account holders and managers (the data we control; a device user's request is
forwarded to the client instead). Loopback is a single source address, so the service's limits
on filings per source and per address are raised for the run (``REGISTRE_FILINGS_PER_*``).

The data is generated once if its database does not exist (``demo-data --profile lean``, 10 M
rows, 4 to 20 minutes) and dropped at the end unless ``--keep``; a database that already existed
is never dropped. The state database is a scratch database, dropped at the end. Usage::

    .venv/bin/python benchmarks/bench_service_load.py --keep
    .venv/bin/python benchmarks/bench_service_load.py --levels 10,50 --level-seconds 30 \\
        --soak-minutes 10 --json results.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DM = ROOT / "examples" / "device-management"
PYTHON = sys.executable
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
_CODE = re.compile(r"(\d{6})\s*$")
_REQUEST_ID = re.compile(r"\b(r-[0-9a-f]{8})\b")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the databases ----------------------------------------------------------------------------


def database_exists(server: str, name: str) -> bool:
    engine = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return bool(
                connection.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).first()
            )
    finally:
        engine.dispose()


def admin(server: str, statement: str) -> None:
    engine = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def ensure_data(server: str, name: str, subjects: int) -> tuple[str, bool]:
    """The data's URL, and whether this run created it (then it may drop it)."""
    url = f"{server}/{name}"
    if database_exists(server, name):
        return url, False
    admin(server, f'CREATE DATABASE "{name}"')
    print(f"generating {subjects:,} people into {name} (once; --keep keeps it)", file=sys.stderr)
    began = time.perf_counter()
    subprocess.run(
        [
            PYTHON,
            "-m",
            "registre",
            "demo-data",
            str(DM),
            "--profile",
            "lean",
            "--subjects",
            str(subjects),
            "--seed",
            "1",
            "--url",
            url,
        ],
        check=True,
    )
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    print(f"generated in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return url, True


def sample_people(url: str, count: int, seed: int) -> list[str]:
    """Account holders and managers (the data we control), shuffled."""
    import random

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            holders = list(
                connection.execute(sa.text("SELECT email FROM account_holders")).scalars()
            )
            managers = list(
                connection.execute(
                    sa.text("SELECT email FROM managers WHERE deleted_at IS NULL")
                ).scalars()
            )
            people = connection.execute(
                sa.text("SELECT count(*) FROM directory_users")
            ).scalar_one()
    finally:
        engine.dispose()
    rng = random.Random(seed)
    chosen = [e for e in holders + managers if e]
    rng.shuffle(chosen)
    print(
        f"{people:,} device users in the data; {len(chosen):,} people sampled from", file=sys.stderr
    )
    return chosen[:count]


# -- the mail ---------------------------------------------------------------------------------


class Mailbox:
    """The SMTP server's handler: codes and letters, by request id, as futures of the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.codes: dict[str, asyncio.Future[str]] = {}
        self.letters: dict[str, asyncio.Future[float]] = {}
        self.received = 0

    def _future(
        self, table: dict[str, asyncio.Future[Any]], request_id: str
    ) -> asyncio.Future[Any]:
        if request_id not in table:
            table[request_id] = self.loop.create_future()
        return table[request_id]

    def code(self, request_id: str) -> asyncio.Future[str]:
        return self._future(self.codes, request_id)

    def letter(self, request_id: str) -> asyncio.Future[float]:
        return self._future(self.letters, request_id)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += 1
        message = message_from_bytes(envelope.content, policy=policy.default)
        subject = str(message["Subject"])
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        found = _REQUEST_ID.search(text) or _REQUEST_ID.search(subject)
        if found is None:
            return "250 OK"
        request_id = found.group(1)
        code = _CODE.search(subject)
        if code is not None and ("code" in subject.lower()):
            future = self.code(request_id)
            if not future.done():
                future.set_result(code.group(1))
        else:
            letter = self.letter(request_id)
            if not letter.done():
                letter.set_result(time.perf_counter())
        return "250 Message accepted for delivery"


# -- the client -------------------------------------------------------------------------------


@dataclass
class Level:
    clients: int
    latencies: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=dict)
    to_letter: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    calls: int = 0
    wall: float = 0.0
    load_before: str = ""
    load_after: str = ""
    service_cpu: float = 0.0

    def step(self, name: str, seconds: float) -> None:
        self.steps.setdefault(name, []).append(seconds)

    def summary(self) -> dict[str, Any]:
        done = self.latencies
        out: dict[str, Any] = {
            "clients": self.clients,
            "complete": len(done),
            "errors": len(self.errors),
            "error_samples": self.errors[:5],
            "seconds": round(self.wall, 1),
            "per_second": round(len(done) / self.wall, 2) if self.wall else 0.0,
            "api_calls_per_second": round(self.calls / self.wall, 1) if self.wall else 0.0,
            "load_before": self.load_before,
            "load_after": self.load_after,
            "service_cpu_ms_per_request": (
                round(self.service_cpu / len(done) * 1000, 1) if done else None
            ),
        }
        if done:
            out |= {
                "p50_ms": round(percentile(done, 0.5) * 1000, 1),
                "p95_ms": round(percentile(done, 0.95) * 1000, 1),
                "max_ms": round(max(done) * 1000, 1),
                "mean_ms": round(statistics.fmean(done) * 1000, 1),
            }
        out["steps_p50_p95_ms"] = {
            name: [round(percentile(v, 0.5) * 1000, 1), round(percentile(v, 0.95) * 1000, 1)]
            for name, v in self.steps.items()
        }
        if self.to_letter:
            out["letter_mail_p50_p95_ms"] = [
                round(percentile(self.to_letter, 0.5) * 1000, 1),
                round(percentile(self.to_letter, 0.95) * 1000, 1),
            ]
        return out


class Client:
    def __init__(self, base: str, token: str, mailbox: Mailbox, people: list[str]) -> None:
        import httpx2 as httpx

        self.http = httpx.AsyncClient(
            base_url=base,
            timeout=60,
            # closed by the client before uvicorn's keep-alive of 5 s closes it under a request
            limits=httpx.Limits(
                max_connections=200, max_keepalive_connections=200, keepalive_expiry=2
            ),
        )
        self.operator = {"Authorization": f"Bearer {token}"}
        self.mailbox = mailbox
        self.people = people
        self.next = 0
        self.pending_letters: list[asyncio.Task[None]] = []

    def person(self) -> str:
        email = self.people[self.next % len(self.people)]
        self.next += 1
        return email

    async def call(self, level: Level, method: str, path: str, **kwargs: Any) -> Any:
        level.calls += 1
        answer = await self.http.request(method, path, **kwargs)
        if answer.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()

    async def one(self, level: Level) -> None:
        """One complete access request; its latency and steps, or its error, in ``level``."""
        email = self.person()
        began = time.perf_counter()
        try:
            filed = await self.call(
                level,
                "POST",
                "/api/v1/public/requests",
                json={"kind": "access", "email": email, "lang": "fr"},
            )
            request_id = filed["request_id"]
            t1 = time.perf_counter()
            code = await asyncio.wait_for(self.mailbox.code(request_id), 60)
            t2 = time.perf_counter()
            await self.call(
                level, "POST", f"/api/v1/public/requests/{request_id}/verify", json={"code": code}
            )
            t3 = time.perf_counter()
            executing = await self.call(
                level, "POST", f"/api/v1/requests/{request_id}/execute", headers=self.operator
            )
            t4 = time.perf_counter()
            job_id = executing["job"]["id"]
            wait = 0.02
            while True:
                job = await self.call(level, "GET", f"/api/v1/jobs/{job_id}", headers=self.operator)
                if job["state"] == "done":
                    break
                if job["state"] == "failed" or time.perf_counter() - began > 120:
                    raise RuntimeError(f"job {job_id} {job['state']}: {job.get('error')}")
                await asyncio.sleep(wait)
                wait = min(wait * 2, 0.16)
            if job["result"].get("state") != "done":
                raise RuntimeError(f"request {request_id} ended {job['result']}")
            ended = time.perf_counter()
        except Exception as error:  # counted, never hidden
            level.errors.append(f"{type(error).__name__}: {error}"[:400])
            return
        level.latencies.append(ended - began)
        level.step("file", t1 - began)
        level.step("code_mail", t2 - t1)
        level.step("verify", t3 - t2)
        level.step("execute_call", t4 - t3)
        level.step("job_wait", ended - t4)
        self.pending_letters.append(asyncio.ensure_future(self._letter(level, request_id, began)))

    async def _letter(self, level: Level, request_id: str, began: float) -> None:
        try:
            arrived = await asyncio.wait_for(self.mailbox.letter(request_id), 60)
        except TimeoutError:
            level.errors.append(f"no letter mailed for {request_id} within 60 s")
            return
        level.to_letter.append(arrived - began)
        self.mailbox.letters.pop(request_id, None)
        self.mailbox.codes.pop(request_id, None)

    async def run(self, level: Level, seconds: float, most: int, pid: int) -> Level:
        """``level.clients`` loops of complete requests for ``seconds`` (or ``most`` started)."""
        started = [0]
        stop_at = time.perf_counter() + seconds

        async def loop() -> None:
            while time.perf_counter() < stop_at and started[0] < most:
                started[0] += 1
                await self.one(level)

        level.load_before = loadavg()
        cpu = cpu_seconds(pid)
        began = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(level.clients)))
        level.wall = time.perf_counter() - began
        level.service_cpu = cpu_seconds(pid) - cpu
        level.load_after = loadavg()
        return level


async def soak(
    client: Client, clients: int, minutes: float, every: float, pid: int
) -> dict[str, Any]:
    level = Level(clients)
    samples: list[tuple[float, float]] = []
    began = time.perf_counter()

    async def sample() -> None:
        while True:
            samples.append((round(time.perf_counter() - began, 1), rss_mb(pid)))
            await asyncio.sleep(every)

    sampler = asyncio.ensure_future(sample())
    await client.run(level, minutes * 60, 10**9, pid)
    sampler.cancel()
    samples.append((round(time.perf_counter() - began, 1), rss_mb(pid)))
    rss = [mb for _, mb in samples]
    half = samples[len(samples) // 2 :]
    slope = 0.0
    if len(half) > 2:
        xs = [t for t, _ in half]
        ys = [mb for _, mb in half]
        slope = statistics.linear_regression(xs, ys).slope * 60
    return {
        **level.summary(),
        "rss_mb_first_last_min_max": [rss[0], rss[-1], min(rss), max(rss)],
        "rss_mb_per_minute_second_half": round(slope, 2),
        "rss_samples": samples,
    }


# -- the service ------------------------------------------------------------------------------


def start_service(
    data_url: str, state_url: str, smtp_port: int, out: Path, threads: int, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REGISTRE_")},
        "PARCMOBILE_DATABASE_URL": data_url,
        "REGISTRE_SECRET_KEY": "a-benchmark-secret-that-is-long-enough-0123456789",
        "REGISTRE_SMTP_HOST": "127.0.0.1",
        "REGISTRE_SMTP_PORT": str(smtp_port),
        "REGISTRE_MAIL_FROM": "rgpd@parcmobile.example",
        "REGISTRE_OUT_DIR": str(out),
        "REGISTRE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "REGISTRE_JOBS_THREADS": str(threads),
        # loopback is one source: the limits meant for the public would stop the benchmark
        "REGISTRE_FILINGS_PER_SOURCE": "100000",
        "REGISTRE_FILINGS_PER_ADDRESS": "10000",
    }
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "registre",
            "serve",
            "--register",
            str(DM / "register.yaml"),
            "--port",
            str(port),
            "--state-url",
            state_url,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    import httpx2 as httpx

    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"registre serve stopped:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("registre serve was not ready within 120 s")


def operator_token(state_url: str) -> str:
    done = subprocess.run(
        [
            PYTHON,
            "-m",
            "registre",
            "token",
            "create",
            "bench",
            "--role",
            "operator",
            "--state-url",
            state_url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


async def bench(
    args: argparse.Namespace, data_url: str, state_url: str, out: Path
) -> dict[str, Any]:
    from aiosmtpd.smtp import SMTP

    loop = asyncio.get_running_loop()
    mailbox = Mailbox(loop)
    smtp_port = free_port()
    smtp = await loop.create_server(
        lambda: SMTP(mailbox, hostname="127.0.0.1"), "127.0.0.1", smtp_port
    )
    log = args.log or out / "serve.log"
    token = operator_token(state_url)
    server, base = start_service(data_url, state_url, smtp_port, out, args.jobs_threads, log)
    report: dict[str, Any] = {"service_rss_mb_ready": rss_mb(server.pid)}
    people = sample_people(data_url, 200_000, args.seed)
    client = Client(base, token, mailbox, people)
    try:
        warm = await client.run(Level(5), 60, args.warmup, server.pid)
        report["warmup"] = warm.summary()
        spy = None
        if args.py_spy:
            spy = subprocess.Popen(
                [
                    str(Path(PYTHON).parent / "py-spy"),
                    "record",
                    "--pid",
                    str(server.pid),
                    "--format",
                    "raw",
                    "--rate",
                    "50",
                    "--gil",
                    "--output",
                    str(args.py_spy),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        for clients in args.levels:
            level = await client.run(Level(clients), args.level_seconds, 10**9, server.pid)
            report[f"clients_{clients}"] = level.summary()
            print(json.dumps(report[f"clients_{clients}"]), file=sys.stderr)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        if args.soak_minutes > 0:
            report["soak"] = await soak(
                client, args.soak_clients, args.soak_minutes, args.rss_every, server.pid
            )
        await asyncio.gather(*client.pending_letters)
        report["mails_received"] = mailbox.received
    finally:
        await client.http.aclose()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        smtp.close()
    tail = log.read_text(errors="replace")
    report["service_tracebacks"] = tail.count("Traceback")
    # each traceback's last lines (the error) and the log line before it (what failed)
    blocks = tail.split("Traceback (most recent call last):")
    report["service_traceback_samples"] = [
        {"before": blocks[i].strip().splitlines()[-1:], "error": blocks[i + 1].splitlines()[-3:]}
        for i in range(min(len(blocks) - 1, 5))
    ]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server (no database)")
    parser.add_argument("--data-db", default="registre_bench_service_1m")
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the data generated by this run")
    parser.add_argument("--levels", default="10,50")
    parser.add_argument("--level-seconds", type=float, default=30)
    parser.add_argument("--warmup", type=int, default=20, help="complete requests before")
    parser.add_argument("--soak-minutes", type=float, default=10)
    parser.add_argument("--soak-clients", type=int, default=10)
    parser.add_argument("--rss-every", type=float, default=5)
    parser.add_argument("--jobs-threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--log", type=Path, help="keep the service's log here")
    parser.add_argument(
        "--py-spy",
        type=Path,
        help="profile the service with py-spy during the levels (collapsed stacks to this file)",
    )
    args = parser.parse_args()
    args.levels = [int(n) for n in args.levels.split(",") if n]

    sys.path.insert(0, str(ROOT / "src"))
    from registre.stores.throwaway import scratch_database

    data_url, created = ensure_data(args.server, args.data_db, args.subjects)
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_at_start": loadavg(),
        "data": args.data_db,
        "jobs_threads": args.jobs_threads,
    }
    try:
        with (
            scratch_database(f"{args.server}/postgres", "registre_bench_service_state") as state,
            tempfile.TemporaryDirectory() as folder,
        ):
            report |= asyncio.run(bench(args, data_url, state, Path(folder)))
    finally:
        if created and not args.keep:
            admin(args.server, f'DROP DATABASE "{args.data_db}"')
    report["load_at_end"] = loadavg()
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.write_text(text)
    shown = {k: v for k, v in report.items() if k != "soak"}
    if "soak" in report:
        shown["soak"] = {k: v for k, v in report["soak"].items() if k != "rss_samples"}
    print(json.dumps(shown, indent=2))


if __name__ == "__main__":
    main()
