"""Faults a user meets end in a message, never a traceback (issue 11 §3).

Each case is one of the probe's minimal reproducers, run through ``registre.cli.main`` in this
process as a user runs it: the exit code, a message that says what is wrong, and no
"Traceback". The databases are real (the online-shop example on SQLite; a SELECT-only user on
PostgreSQL and MariaDB).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from registre.demo import load_app, load_demo_data
from registre.stores.throwaway import scratch_database

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "online-shop"
PRINT = ROOT / "examples" / "print-association"
BOOKING = ROOT / "examples" / "booking-platform"
CAMILLE = "camille.martin@example.fr"
ANCHOR = "2026-11-01"
SERVERS = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}


SECRET = "S3cretPW"
"""The password of the malformed URLs below, and of every PostgreSQL URL (the test server
trusts local connections, whatever the password)."""


def with_password(url: str) -> str:
    """``url`` with the password ``SECRET`` when it is PostgreSQL's, which ignores it."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.set(password=SECRET).render_as_string(hide_password=False)


def passwords(args: tuple[str, ...]) -> set[str]:
    """Every password a run could print: of the URLs in its arguments and its environment."""
    found = {SECRET}
    for value in [*args, *os.environ.values()]:
        if "://" not in value:
            continue
        try:
            password = sa.make_url(value).password
        except Exception:  # a malformed URL: SECRET covers the ones the tests write
            continue
        if password:
            found.add(str(password))
    return found


def run_cli(*args: str) -> tuple[int, str]:
    """``registre ARGS`` in this process: its exit code and everything it printed, which
    never holds a password (issue 11 §3), whatever the run's outcome."""
    from registre.cli import main

    saved = sys.argv
    sys.argv = ["registre", *args]
    output = io.StringIO()
    code = 0
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # what a user would see: the test fails on it below
        code = -1
        output.write(traceback.format_exc())
    finally:
        sys.argv = saved
    printed = output.getvalue()
    assert not [secret for secret in passwords(args) if secret in printed], printed
    return code, printed


def refused(args: list[str], *fragments: str, code: int = 1) -> str:
    """Run ``args``, which must fail with ``code`` and print every fragment, no traceback."""
    exit_code, output = run_cli(*args)
    assert "Traceback" not in output, output
    assert exit_code == code, output
    for fragment in fragments:
        assert fragment in output, output
    return output


def succeeds(args: list[str]) -> str:
    exit_code, output = run_cli(*args)
    assert "Traceback" not in output, output
    assert exit_code == 0, output
    return output


@dataclass
class Shop:
    """The online shop on a database of its own, with a state and an output folder."""

    url: str
    state: str
    folder: Path
    register: Path = SHOP / "register.yaml"

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url)

    def write(self, *statements: str) -> None:
        engine = self.engine()
        try:
            with engine.begin() as connection:
                for statement in statements:
                    connection.execute(sa.text(statement))
        finally:
            engine.dispose()

    def count(self, table: str, what: str = "count(*)") -> int:
        engine = self.engine()
        try:
            with engine.connect() as connection:
                return int(connection.execute(sa.text(f"SELECT {what} FROM {table}")).scalar())
        finally:
            engine.dispose()

    def state_args(self) -> list[str]:
        return ["--state-url", self.state]

    def request(self, kind: str, *more: str) -> str:
        """Open and verify a request for Camille; its id."""
        opened = succeeds(["request", "open", kind, "--email", CAMILLE, *self.state_args()])
        request_id = opened.split()[-1]
        succeeds(["request", "verify", request_id, "--method", "test", *self.state_args()])
        return request_id

    def execute(self, request_id: str) -> list[str]:
        return [
            "request",
            "execute",
            request_id,
            "--yes",
            "--out",
            str(self.folder / "out"),
            *self.state_args(),
        ]

    def sweep(self, register: Path | None = None) -> list[str]:
        register = register or self.register
        return ["sweep", str(register), "--at", ANCHOR, "--yes", *self.state_args()]

    def plan(self, register: Path | None = None, at: str = ANCHOR) -> list[str]:
        return ["plan", str(register or self.register), "--at", at, *self.state_args()]


@contextlib.contextmanager
def shop_on(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    with scratch_database(server, "faults_shop") as created:
        url = with_password(created)
        engine = sa.create_engine(url)
        try:
            load_demo_data(load_app(SHOP), engine, subjects=30, seed=0)
        finally:
            engine.dispose()
        monkeypatch.setenv("SHOP_DATABASE_URL", url)
        monkeypatch.setenv("REGISTRE_REGISTER", str(SHOP / "register.yaml"))
        yield Shop(url, f"sqlite:///{tmp_path / 'state.sqlite'}", tmp_path)


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    with shop_on("sqlite://", tmp_path, monkeypatch) as made:
        yield made


def edited(source: Path, folder: Path, old: str, new: str) -> Path:
    """A copy of the register ``source`` with ``old`` replaced by ``new`` (which must occur)."""
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    path = folder / f"edited-{source.parent.name}.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


# -- periods beyond the calendar -----------------------------------------------------------------

HUGE = "10000000000000000000000000000000000000000 months"

LONG_PERIODS = {
    "a retention of 10^40 months": (
        SHOP,
        "after: 3 years after collected",
        f"after: {HUGE} after collected",
    ),
    "3000 years after account_deleted": (
        SHOP,
        "after: 3 years after collected",
        "after: 3000 years after account_deleted",
    ),
    "a cookie lifetime of 10^40 months": (BOOKING, "lifetime: 1 day", f"lifetime: {HUGE}"),
}


@pytest.mark.parametrize("command", ["check", "policy", "ropa", "plan", "sweep"])
@pytest.mark.parametrize("case", list(LONG_PERIODS))
def test_a_period_past_200_years_is_refused_where_it_is_written(
    case: str, command: str, tmp_path: Path
) -> None:
    example, old, new = LONG_PERIODS[case]
    register = str(edited(example / "register.yaml", tmp_path, old, new))
    state = f"sqlite:///{tmp_path / 'state.sqlite'}"
    args = {
        "check": ["check", register],
        "policy": ["policy", register],
        "ropa": ["ropa", register, "-o", str(tmp_path / "ropa")],
        "plan": ["plan", register, "--at", ANCHOR, "--state-url", state],
        "sweep": ["sweep", register, "--at", ANCHOR, "--yes", "--state-url", state],
    }[command]
    refused(args, "is longer than 200 years", f"{register}:")


def test_dates_at_the_ends_of_the_calendar_in_the_data(shop: Shop) -> None:
    """Rows dated in year 9995, 9999 and 1 (a placeholder, an import's default): planned,
    swept and erased like any other, dated past the calendar or never due."""
    camille = shop.count(f"customers WHERE lower(email) = '{CAMILLE}'", "max(id)")
    shop.write(
        f"UPDATE orders SET placed_at = '9995-01-01 00:00:00.000000' WHERE customer_id = {camille}",
        "UPDATE logins SET at = '9999-12-31 23:59:59.000000' WHERE id IN "
        "(SELECT id FROM logins ORDER BY id LIMIT 3)",
        "UPDATE logins SET at = '0001-01-01 00:00:00.000000' WHERE id IN "
        "(SELECT id FROM logins ORDER BY id DESC LIMIT 3)",
    )
    for at in (ANCHOR, "9999-12-31", "0001-01-02"):
        succeeds(shop.plan(at=at))
    erasure = shop.request("erasure")
    output = succeeds(shop.execute(erasure))
    assert erasure in output
    # her orders are kept for the Commercial Code, to the end of the calendar
    assert shop.count(f"orders WHERE customer_id = {camille}") > 0
    succeeds(shop.sweep())


def test_a_request_received_at_the_end_of_the_calendar(shop: Shop) -> None:
    """Its deadline (one month on) and its package's expiry fall past year 9999: the last day
    of the calendar stands for them."""
    received = ["--received", "9999-12-20", "--at", "9999-12-20"]
    opened = succeeds(
        ["request", "open", "access", "--email", CAMILLE, *received, *shop.state_args()]
    )
    request_id = opened.split()[-1]
    at = ["--at", "9999-12-21", *shop.state_args()]
    succeeds(["request", "verify", request_id, "--method", "test", *at])
    succeeds([*shop.execute(request_id)[:-2], *at])  # without its --state-url
    assert "9999-12-31" in succeeds(["request", "list", *shop.state_args()])


def test_a_negative_period_agreed_with_a_client_is_never_due_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with scratch_database("sqlite://", "faults_print") as url:
        engine = sa.create_engine(url)
        try:
            load_demo_data(load_app(PRINT), engine, subjects=30, seed=0)
            with engine.begin() as connection:
                connection.execute(sa.text("UPDATE clients SET retention_months = -3"))
        finally:
            engine.dispose()
        monkeypatch.setenv("IMPRIMSOLIDAIRE_DATABASE_URL", url)
        state = f"sqlite:///{tmp_path / 'state.sqlite'}"
        register = str(PRINT / "register.yaml")
        output = succeeds(["plan", register, "--at", ANCHOR, "--state-url", state, "--json"])
        items = json.loads(output)["stores"][0]["items"]
        agreed = {i["rule"] for i in items if i["rule"] in ("client-contacts", "client-datasets")}
        assert agreed  # the rules are planned ...
        for item in items:
            if item["rule"] == "client-datasets":
                assert item["due"] == 0, item  # ... and no client's data is due early


# -- URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["store", "state"])
def test_a_port_that_is_not_a_number(where: str, shop: Shop) -> None:
    bad = f"postgresql+psycopg://app:{SECRET}@db.example:abc/shop"
    if where == "store":
        args = ["plan", str(shop.register), "--at", ANCHOR, "--url", bad, *shop.state_args()]
    else:
        args = ["plan", str(shop.register), "--at", ANCHOR, "--state-url", bad]
    output = refused(args, "its port 'abc' is not a number", "app:***@db.example")
    assert SECRET not in output
    if where == "state":
        output = refused(["request", "list", "--state-url", bad], "its port 'abc' is not a number")
        assert SECRET not in output


@pytest.mark.parametrize("where", ["store", "state"])
def test_a_secret_in_any_query_parameter_is_masked(where: str, shop: Shop) -> None:
    """A client key's password (libpq's sslpassword) was shown where password was hidden."""
    url = f"postgresql+psycopg://app@127.0.0.1:1/shop?sslpassword=K3y{SECRET}&sslmode=require"
    if where == "store":
        args = ["plan", str(shop.register), "--at", ANCHOR, "--url", url, *shop.state_args()]
    else:
        args = ["request", "list", "--state-url", url]
    output = refused(args, "sslpassword=***", "sslmode=require")
    assert f"K3y{SECRET}" not in output


# -- the database refuses ------------------------------------------------------------------------


@pytest.fixture(params=list(SERVERS))
def server(request: pytest.FixtureRequest) -> str:
    url = os.environ.get(SERVERS[request.param])
    if not url:
        pytest.skip(f"{SERVERS[request.param]} is not set")
    return url


def _reader(url: str) -> str:
    """The URL of a user who may only read the database at ``url`` (created if missing)."""
    parsed = sa.make_url(url)
    name = "faults_reader"
    engine = sa.create_engine(parsed)
    try:
        with engine.begin() as connection:
            if parsed.get_backend_name() == "postgresql":
                connection.execute(
                    sa.text(
                        "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                        f"'{name}') THEN CREATE ROLE {name} LOGIN; END IF; END$$"
                    )
                )
                connection.execute(
                    sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}")
                )
            else:
                for host in ("%", "localhost"):
                    connection.execute(sa.text(f"CREATE USER IF NOT EXISTS '{name}'@'{host}'"))
                    connection.execute(
                        sa.text(f"GRANT SELECT ON `{parsed.database}`.* TO '{name}'@'{host}'")
                    )
    finally:
        engine.dispose()
    reader = parsed.set(username=name, password=None).render_as_string(hide_password=False)
    return with_password(reader)


def test_a_user_who_may_only_read(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with shop_on(server, tmp_path, monkeypatch) as shop:
        reader = _reader(shop.url)
        before = shop.count("orders")
        monkeypatch.setenv("SHOP_DATABASE_URL", reader)
        erasure = shop.request("erasure")
        refused(shop.execute(erasure), "DELETE privilege", "nothing was written")
        refused(shop.sweep(), "DELETE privilege", "nothing was written")
        assert shop.count("orders") == before
        succeeds(shop.execute(shop.request("access")))  # reading is all an access needs


def test_a_not_null_column_anonymized_to_null(shop: Shop) -> None:
    register = edited(shop.register, shop.folder, "name: redact}", 'name: "null"}')
    refused(["check", str(register), "--connect"], "'null' on a NOT NULL column")
    refused(shop.sweep(register), "'null' on a NOT NULL column", "nothing was written")
    erasure = shop.request("erasure", "--register", str(register))
    refused(
        [*shop.execute(erasure), "--register", str(register)],
        "NOT NULL",
        "nothing was written",
    )


DROPPED = {
    "an identity column": (
        [
            "DROP INDEX IF EXISTS ix_customers_alt_email",
            "DROP INDEX IF EXISTS ix_customers_alt_email_match",
            "ALTER TABLE customers DROP COLUMN alt_email",
        ],
        "column 'alt_email': the mapping names a column the table does not have",
    ),
    "a mapped table": (
        ["DROP TABLE support_requests"],
        "table 'support_requests': the table does not exist in the database",
    ),
}


@pytest.mark.parametrize("what", list(DROPPED))
def test_dropped_from_the_database(what: str, shop: Shop) -> None:
    statements, message = DROPPED[what]
    access, erasure = shop.request("access"), shop.request("erasure")
    shop.write(*statements)
    refused(["check", str(shop.register), "--connect"], message)
    refused(shop.plan(), message, "nothing was written")
    refused(shop.sweep(), message, "nothing was written")
    refused(shop.execute(access), message)
    refused(shop.execute(erasure), message, "nothing was written")
    assert not (shop.folder / "out").exists() or not any((shop.folder / "out").rglob("*.zip"))


# -- two executions of one request at once -------------------------------------------------------


def test_of_two_executions_at_once_on_a_postgresql_state_the_loser_writes_nothing(
    registre_cli: str, shop: Shop
) -> None:
    """Both wait at the request's row, their packages written under temporary names; the one
    that commits second is refused and leaves no file (issue 11 §4; tests/test_export_files.py
    does the same on a SQLite state)."""
    server = os.environ.get(SERVERS["postgresql"])
    if not server:
        pytest.skip("REGISTRE_TEST_POSTGRES_URL is not set")
    with scratch_database(server, "faults_state") as created:
        state = shop.state = with_password(created)
        request_id = shop.request("access")
        folder = shop.folder / "out" / request_id
        env = {**os.environ, "REGISTRE_STATE_URL": state}
        engine = sa.create_engine(state)
        try:
            with engine.connect() as lock:
                transaction = lock.begin()
                lock.execute(
                    sa.text("SELECT id FROM registre_request WHERE id = :id FOR UPDATE"),
                    {"id": request_id},
                )
                args = [registre_cli, *shop.execute(request_id)[:-2], "--json"]
                children = [
                    subprocess.Popen(
                        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                    )
                    for _ in range(2)
                ]
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline and all(c.poll() is None for c in children):
                    if len(list(folder.glob(".access-*.zip.*.part"))) == 2:
                        break
                    time.sleep(0.02)
                time.sleep(0.5)  # both at the closing transaction's update
                transaction.rollback()
            outputs = [c.communicate(timeout=120) for c in children]
        finally:
            engine.dispose()
        codes = sorted(c.returncode for c in children)
        assert codes[0] == 0 and codes[1] != 0, outputs
        loser = next(e for c, (_, e) in zip(children, outputs, strict=True) if c.returncode)
        assert "Traceback" not in loser and "changed while this command ran" in loser, loser
        assert SECRET not in "".join(out + err for out, err in outputs)
        package = folder / f"access-{request_id}.zip"
        assert sorted(p.name for p in folder.iterdir()) == sorted([package.name, "access-fr.html"])
        shown = json.loads(
            succeeds(["request", "show", request_id, "--json", "--state-url", state])
        )
        assert shown["result"]["sha256"] == hashlib.sha256(package.read_bytes()).hexdigest()
