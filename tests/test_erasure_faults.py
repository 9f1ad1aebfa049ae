"""An erasure on a schema nobody here designed: refused before the first write, or stopped at a
step it resumes from; never half done, never a traceback.

A small app (``users`` with ``email UNIQUE NOT NULL``, their ``orders``) on SQLite, PostgreSQL
and MariaDB, driven through the real command line (``registre.cli.main``). Each case names what
the person running the command reads, and checks the data byte for byte: a refused erasure
leaves every row as it was, a resumed one ends exactly as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registre.cli import main
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import BACKENDS, server_url

REGISTER = """\
registre: 1
organization:
  name: Exemple SAS
  registration: {kind: siren, number: "842619371"}
  address: {street: 1 rue de la Paix, postal_code: "75002", city: Paris}
  contact: {email: rgpd@exemple.fr}
policy:
  version: "1"
  date: 2026-01-01
  timezone: Europe/Paris
subjects:
  user:
    name: {fr: Utilisateurs, en: Users}
events:
  closed:
    name: {fr: la clôture du compte, en: the closing of the account}
processors:
  host:
    name: Hébergeur SAS
    service: {fr: Hébergement, en: Hosting}
    country: FR
activities:
  service:
    name: {fr: Service, en: Service}
    purpose: {fr: Fournir le service., en: Provide the service.}
    legal_basis: contract
    subjects: [user]
    data: [identity, contact]
    recipients: [host]
    retention:
      accounts:
        data: [identity, contact]
        after: 6 months after closed
        action: anonymize
      orders:
        after: 6 months after closed
rights:
  offered: [access, rectification, erasure]
  response_deadline: 1 month
stores:
  app:
    url_env: APP_DATABASE_URL
    tables:
      users:
        subject: user
        identity: {email: email}
        columns: {email: contact, name: identity, phone: contact}
        events: {closed: closed_at}
        rules:
          accounts:
            anonymize: {email: EMAIL, name: NAME, phone: "null"}
      orders:
        subject: user
        references: {user: user_id -> users}
        not_personal: [amount]
        events: {closed: user.closed_at}
        rules: [orders]
"""
"""The small app's register; EMAIL and NAME are the methods a case gives those columns."""

app = sa.MetaData()
sa.Table(
    "users",
    app,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(200), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("phone", sa.String(40)),
    sa.Column("closed_at", sa.DateTime),
)
sa.Table(
    "orders",
    app,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("amount", sa.Integer, nullable=False),
)
PEOPLE = 4


def email(person: int) -> str:
    return f"person{person}@app.example"


def load(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        app.create_all(engine)
        with engine.begin() as connection:
            connection.execute(
                app.tables["users"].insert(),
                [
                    {"id": n, "email": email(n), "name": f"Name {n}", "phone": f"+3360000000{n}"}
                    for n in range(1, PEOPLE + 1)
                ],
            )
            connection.execute(
                app.tables["orders"].insert(),
                [
                    {"id": 10 * n + i, "user_id": n, "amount": 100 * i}
                    for n in range(1, PEOPLE + 1)
                    for i in range(2)
                ],
            )
    finally:
        engine.dispose()


def execute_sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def digests(url: str) -> dict[str, str]:
    """Each table's rows, read in key order, as one digest: equal means byte-identical data."""
    engine = sa.create_engine(url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as connection:
            return {
                name: hashlib.sha256(
                    repr(
                        connection.execute(sa.select(table).order_by(*table.primary_key)).all()
                    ).encode()
                ).hexdigest()
                for name, table in sorted(meta.tables.items())
            }
    finally:
        engine.dispose()


class Cli:
    """The command line on one database: the register, the data URL and the state of a test."""

    def __init__(
        self, folder: Path, url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
    ) -> None:
        self.folder = folder
        self.url = url
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.register = folder / "register.yaml"
        self.methods(EMAIL="redact_unique", NAME="redact")
        monkeypatch.setenv("APP_DATABASE_URL", url)
        monkeypatch.setenv("REGISTRE_REGISTER", str(self.register))
        monkeypatch.setenv("REGISTRE_STATE_URL", f"sqlite:///{folder / 'state.db'}")

    def methods(self, **methods: str) -> None:
        text = REGISTER
        for placeholder, method in methods.items():
            text = text.replace(f": {placeholder},", f": {method},")
        self.register.write_text(text, encoding="utf-8")

    def __call__(self, *args: str) -> tuple[int, str, str]:
        """Run ``registre ARGS`` in this process: (exit code, stdout, stderr)."""
        if args[0] == "request" and args[1] in ("execute", "open", "verify"):
            args = (*args, "--out", str(self.folder / "out"))
        self.monkeypatch.setattr(sys, "argv", ["registre", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = self.capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return code, captured.out, captured.err

    def opened(self, person: int) -> str:
        code, text, err = self("request", "open", "erasure", "--email", email(person), "--json")
        assert code == 0, err
        request_id = str(json.loads(text)["id"])
        code, _, err = self("request", "verify", request_id, "--method", "reply from the address")
        assert code == 0, err
        return request_id

    def state(self, request_id: str) -> dict[str, Any]:
        code, text, err = self("request", "show", request_id, "--json")
        assert code == 0, err
        return dict(json.loads(text))

    def audit(self, request_id: str) -> list[tuple[str, dict[str, Any]]]:
        engine = sa.create_engine(f"sqlite:///{self.folder / 'state.db'}")
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.text(
                        "SELECT action, details FROM registre_audit_entry "
                        "WHERE request_id = :r ORDER BY seq"
                    ),
                    {"r": request_id},
                ).all()
        finally:
            engine.dispose()
        return [(action, json.loads(details) if details else {}) for action, details in rows]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database(backend: str) -> Iterator[str]:
    with scratch_database(server_url(backend), "registre_ef") as url:
        load(url)
        yield url


@pytest.fixture
def cli(database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Cli:
    # tables are read as one line per row, whatever width the worker's environment gave the
    # console when it was made (COLUMNS under pytest-xdist)
    from registre import cli as cli_module

    monkeypatch.setattr(cli_module.out, "width", 200)
    return Cli(tmp_path, database, monkeypatch, capsys)


def error_lines(err: str) -> list[str]:
    """What the person reads, one line per message, problem and hint (rich wraps long lines)."""
    lines: list[str] = []
    for raw in err.splitlines():
        line = raw.strip()
        if not line:
            continue
        starts = line.startswith(("error:", "- ", "hint:")) or not lines
        if starts:
            lines.append(line)
        else:
            lines[-1] += " " + line
    return lines


UNIQUE_REDACT = (
    "- store 'app', table 'users', column 'email', rule 'accounts': 'redact' writes the same "
    "value into many rows, and the column is UNIQUE: the database refuses the second row "
    "anonymized (use a method that keeps values unique: 'redact_unique' (writes "
    "redacted-<key>), 'fake_email' or 'hash' (keyed))"
)
NULL_NOT_NULL = (
    "- store 'app', table 'users', column 'name', rule 'accounts': 'null' on a NOT NULL column: "
    "the database refuses the write (use a method that writes a value ('redact'), or make the "
    "column nullable)"
)
MISMATCH = "error: store 'app': the mapping does not match the database; nothing was written"
MISMATCH_HINT = "hint: fix the 'stores:' section of the register or the database, then run again"


CHECK_REFUSALS = [
    # (case, methods, SQL run on the live schema, the line check --connect prints after
    # "register.yaml:LINE:COL: store 'app', ")
    (
        "a constant redaction on a UNIQUE column",
        {"EMAIL": "redact"},
        [],
        UNIQUE_REDACT.removeprefix("- store 'app', "),
    ),
    (
        "fake phone numbers on a UNIQUE column",
        {"EMAIL": "fake_phone"},
        [],
        "table 'users', column 'email', rule 'accounts': 'fake_phone' writes the same value into "
        "many rows, and the column is UNIQUE: the database refuses the second row anonymized "
        "(use a method that keeps values unique: 'redact_unique' (writes redacted-<key>), "
        "'fake_email' or 'hash' (keyed))",
    ),
    (
        "null on a NOT NULL column",
        {"NAME": '"null"'},
        [],
        NULL_NOT_NULL.removeprefix("- store 'app', "),
    ),
    (
        "the primary key anonymized",
        {"NAME": 'redact, id: "null"'},
        [],
        "table 'users', column 'id', rule 'accounts': the primary key cannot be anonymized "
        "(remove it from 'anonymize:')",
    ),
    (
        "an unmapped table referencing a mapped one, without a cascade",
        {},
        [
            "CREATE TABLE tickets (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL "
            "REFERENCES users (id), body VARCHAR(200))"
        ],
        "table 'tickets': the table is not mapped, but its foreign key tickets.user_id -> "
        "users.id points at mapped tables: a sweep deleting 'users' rows does not see these "
        "rows, so the database refuses the delete, cascades it unaudited, or (SQLite) leaves "
        "them pointing at nothing (map it under 'tables:', such as 'tickets: {references: "
        "{user: user_id -> users}, columns: {body: <data category>}, rules: [<rule id>]}'; "
        "columns that hold no personal data go under 'not_personal:')",
    ),
]


@pytest.mark.parametrize(
    ("case", "methods", "sql", "line"), CHECK_REFUSALS, ids=[c[0] for c in CHECK_REFUSALS]
)
def test_check_connect_refuses_what_the_database_would_reject(
    cli: Cli, case: str, methods: dict[str, str], sql: list[str], line: str
) -> None:
    cli.methods(**{"EMAIL": "redact_unique", "NAME": "redact", **methods})
    execute_sql(cli.url, *sql)
    code, _, err = cli("check", str(cli.register), "--connect")
    assert code == 1
    problems = [p for p in error_lines(err) if p.startswith("- ")]
    assert len(problems) == 1, problems
    assert problems[0].endswith(f": store 'app', {line}")


# -- (a) a constant on a UNIQUE column, (b) null on NOT NULL: refused before any write ---------


@pytest.mark.parametrize(
    ("methods", "problem"),
    [
        ({"EMAIL": "redact", "NAME": "redact"}, UNIQUE_REDACT),
        ({"EMAIL": "redact_unique", "NAME": '"null"'}, NULL_NOT_NULL),
    ],
    ids=["redact on UNIQUE", "null on NOT NULL"],
)
def test_a_method_the_schema_rejects_is_refused_before_any_write(
    cli: Cli, methods: dict[str, str], problem: str
) -> None:
    cli.methods(**methods)
    code, _, err = cli("check", str(cli.register), "--connect")
    assert code == 1
    assert problem.removeprefix("- ") in " ".join(error_lines(err))
    request_id = cli.opened(1)
    before = digests(cli.url)
    code, _, err = cli("request", "execute", request_id, "--yes")
    assert code == 1
    assert error_lines(err) == [MISMATCH, problem, MISMATCH_HINT]
    assert digests(cli.url) == before
    assert cli.state(request_id)["state"] == "in_progress"
    assert "request.erasure.planned" not in [a for a, _ in cli.audit(request_id)]


def test_with_a_unique_method_every_person_s_erasure_finishes(cli: Cli) -> None:
    code, _, err = cli("check", str(cli.register), "--connect")
    assert code == 0, err
    for person in (1, 2, 3):
        request_id = cli.opened(person)
        code, _, err = cli("request", "execute", request_id, "--yes")
        assert code == 0, err
        assert cli.state(request_id)["state"] == "done"
    engine = sa.create_engine(cli.url)
    try:
        with engine.connect() as connection:
            users = connection.execute(sa.text("SELECT * FROM users ORDER BY id")).all()
            orders = connection.execute(sa.text("SELECT user_id FROM orders")).scalars().all()
    finally:
        engine.dispose()
    assert [tuple(u[:4]) for u in users] == [
        (1, "redacted-1", "[redacted]", None),
        (2, "redacted-2", "[redacted]", None),
        (3, "redacted-3", "[redacted]", None),
        (4, email(4), "Name 4", "+33600000004"),
    ]
    assert sorted(orders) == [4, 4]


def test_the_erasure_s_own_check_refuses_what_the_sweep_check_does_not_see(cli: Cli) -> None:
    """An erasure writes into a row it keeps with the rule's methods; the plan is checked."""
    cli.methods(EMAIL="redact_unique", NAME="redact")
    # a NOT NULL column the erasure must empty: the plan writes NULL into 'phone' once the
    # database forbids it, and the mapping check sees the method refused
    execute_sql(cli.url, *_not_null_phone(cli.url))
    request_id = cli.opened(2)
    before = digests(cli.url)
    code, _, err = cli("request", "execute", request_id, "--yes")
    assert code == 1
    lines = error_lines(err)
    assert lines[0] == MISMATCH
    assert (
        "- store 'app', table 'users', column 'phone', rule 'accounts': 'null' on a NOT NULL "
        "column: the database refuses the write (use a method that writes a value ('redact'), "
        "or make the column nullable)"
    ) in lines
    assert digests(cli.url) == before


def _not_null_phone(url: str) -> list[str]:
    dialect = sa.make_url(url).get_backend_name()
    if dialect == "postgresql":
        return ["ALTER TABLE users ALTER COLUMN phone SET NOT NULL"]
    if dialect in ("mysql", "mariadb"):
        return ["ALTER TABLE users MODIFY phone VARCHAR(40) NOT NULL"]
    return [
        "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE, "
        "name VARCHAR(100) NOT NULL, phone VARCHAR(40) NOT NULL, closed_at DATETIME)",
        "INSERT INTO users_new SELECT * FROM users",
        "PRAGMA foreign_keys = OFF",
        "DROP TABLE users",
        "ALTER TABLE users_new RENAME TO users",
    ]


def test_a_kept_row_with_a_column_the_erasure_cannot_empty_is_refused(cli: Cli) -> None:
    """A user row an order under a legal hold still references is kept and anonymized with the
    delete rule's methods; a NOT NULL date with no method would keep the person's birth date."""
    kept_by_reference = REGISTER.replace(
        "        action: anonymize\n      orders:", "      orders:"
    )
    kept_by_reference = kept_by_reference.replace(
        "phone: contact}", "phone: contact, born_on: identity}"
    )
    assert kept_by_reference.count("born_on") == 1 and "action: anonymize" not in kept_by_reference

    def methods(born_on: str = "") -> None:
        text = kept_by_reference.replace(": EMAIL,", ": redact_unique,")
        cli.register.write_text(text.replace(": NAME,", f": redact,{born_on}"), encoding="utf-8")

    methods()
    execute_sql(cli.url, "ALTER TABLE users ADD COLUMN born_on DATE NOT NULL DEFAULT '1990-05-17'")
    code, _, err = cli("check", str(cli.register), "--connect")
    assert code == 0, err
    code, _, err = cli(
        "hold",
        "add",
        "--reason",
        "litigation",
        "--store",
        "app",
        "--table",
        "orders",
        "--key",
        "10",
    )
    assert code == 0, err
    request_id = cli.opened(1)
    before = digests(cli.url)
    code, _, err = cli("request", "execute", request_id, "--yes")
    assert code == 1
    assert error_lines(err) == [
        f"error: request {request_id}: the database would refuse the erasure; nothing was written",
        "- store 'app', table 'users', column 'born_on', rule 'accounts': the erasure keeps "
        "these rows (a row that stays references them) and has no way to empty this column "
        "(DATE NOT NULL): the person's data would stay (give it a method under the "
        "'anonymize:' of a rule bound to table 'users' (such as 'born_on: redact', or 'year' "
        "for a date))",
        "hint: give the columns a method the database accepts under the rule's 'anonymize:' in "
        f"the mapping, or fix the database; then `registre request execute {request_id}` again",
    ]
    assert digests(cli.url) == before

    methods(born_on=" born_on: year,")
    code, _, err = cli("request", "execute", request_id, "--yes")
    assert code == 0, err
    engine = sa.create_engine(cli.url)
    try:
        with engine.connect() as connection:
            user = connection.execute(
                sa.text("SELECT email, name, phone, born_on FROM users WHERE id = 1")
            ).one()
            orders = connection.execute(sa.text("SELECT id FROM orders WHERE user_id = 1"))
            assert sorted(orders.scalars()) == [10]
    finally:
        engine.dispose()
    assert tuple(user[:3]) == ("redacted-1", "[redacted]", None)
    assert str(user[3])[:10] == "1990-01-01"


# -- (c) the live schema changed: the erasure refuses as the sweep does -----------------------

CLOCK_TO_TEXT = {
    "sqlite": [
        "ALTER TABLE users DROP COLUMN closed_at",
        "ALTER TABLE users ADD COLUMN closed_at TEXT",
    ],
    "postgresql": ["ALTER TABLE users ALTER COLUMN closed_at TYPE TEXT"],
    "mariadb": ["ALTER TABLE users MODIFY closed_at TEXT"],
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            "ALTER TABLE users ADD COLUMN mobile VARCHAR(40)",
            "- store 'app', table 'users', column 'mobile': the column is not mapped: it may "
            "hold personal data that no rule covers (add it under 'columns:' with its data "
            "category, or to 'not_personal:' if it holds none)",
        ),
        (
            "ALTER TABLE users DROP COLUMN phone",
            "- store 'app', table 'users', column 'phone': the mapping names a column the table "
            "does not have (fix the column name in the mapping, or add the column to the table)",
        ),
        (
            "clock",
            "- store 'app', table 'users', column 'closed_at': event 'closed' is at "
            "'closed_at', a TEXT column, not a date or timestamp: a retention clock cannot "
            "start from it (convert 'users.closed_at' to a timestamp, or map the event to a "
            "timestamp column)",
        ),
    ],
    ids=["personal column added", "mapped column dropped", "clock turned to text"],
)
def test_an_erasure_refuses_a_schema_the_sweep_refuses_with_its_message(
    cli: Cli, backend: str, change: str, problem: str
) -> None:
    execute_sql(cli.url, *(CLOCK_TO_TEXT[backend] if change == "clock" else [change]))
    request_id = cli.opened(1)
    before = digests(cli.url)
    code, _, sweep_err = cli("sweep", str(cli.register), "--at", "2026-11-01", "--yes")
    assert code == 1
    code, _, err = cli("request", "execute", request_id, "--yes")
    assert code == 1
    assert error_lines(err) == error_lines(sweep_err)
    assert problem in error_lines(err)
    assert error_lines(err)[0] == MISMATCH
    assert digests(cli.url) == before
    assert cli.state(request_id)["state"] == "in_progress"


# -- (d) a failure while writing: a message, a resumable request, the audit trail says ----------


LOCK = {
    "sqlite": [
        "CREATE TRIGGER orders_locked BEFORE DELETE ON orders "
        "BEGIN SELECT RAISE(ABORT, 'orders are frozen for the audit'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION orders_locked() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'orders are frozen for the audit'; END $$",
        "CREATE TRIGGER orders_locked BEFORE DELETE ON orders "
        "FOR EACH ROW EXECUTE FUNCTION orders_locked()",
    ],
    "mariadb": [
        "CREATE TRIGGER orders_locked BEFORE DELETE ON orders FOR EACH ROW "
        "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'orders are frozen for the audit'"
    ],
}
UNLOCK = {
    "sqlite": ["DROP TRIGGER orders_locked"],
    "postgresql": ["DROP TRIGGER orders_locked ON orders", "DROP FUNCTION orders_locked()"],
    "mariadb": ["DROP TRIGGER orders_locked"],
}


def test_a_step_that_fails_stops_the_erasure_where_it_resumes(
    cli: Cli, backend: str, tmp_path: Path
) -> None:
    execute_sql(cli.url, *LOCK[backend])
    request_id = cli.opened(1)
    code, _, err = cli("request", "execute", request_id, "--yes")
    assert code == 1
    message = " ".join(error_lines(err))
    assert message.startswith(
        f"error: request {request_id}: the erasure stopped at step 1, deleting rows from table "
        "'orders' (store 'app'): "
    )
    assert "orders are frozen for the audit" in message
    assert "the steps before it are done, this one and the rest are not" in message
    assert "hint: fix what the database refuses" in message
    assert message.endswith(
        f"then run `registre request execute {request_id}` again: it resumes at this step"
    )
    assert cli.state(request_id)["state"] == "in_progress"
    actions = cli.audit(request_id)
    failed = [details for action, details in actions if action == "request.erasure.failed"]
    assert len(failed) == 1
    assert {k: failed[0][k] for k in ("step", "table", "action", "steps_done", "steps_left")} == {
        "step": 1,
        "table": "orders",
        "action": "delete",
        "steps_done": 1,
        "steps_left": 1,
    }
    # the users row was anonymized (step 0), the orders are still there
    engine = sa.create_engine(cli.url)
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT email FROM users WHERE id = 1")).scalar() == (
                "redacted-1"
            )
            count = connection.execute(sa.text("SELECT COUNT(*) FROM orders WHERE user_id = 1"))
            assert count.scalar() == 2
    finally:
        engine.dispose()

    # what is left to do is what --dry-run shows: the step that failed
    stopped = digests(cli.url)
    code, out, err = cli("request", "execute", request_id, "--dry-run")
    assert code == 0, err
    assert f"Erasure of request {request_id}: 1 step to run" in " ".join(out.split())
    assert digests(cli.url) == stopped

    execute_sql(cli.url, *UNLOCK[backend])
    code, _, err = cli("request", "execute", request_id, "--yes")
    assert code == 0, err
    assert cli.state(request_id)["state"] == "done"
    with scratch_database(server_url(backend), "registre_ef") as fresh:
        load(fresh)
        (tmp_path / "uninterrupted").mkdir()
        other = Cli(tmp_path / "uninterrupted", fresh, cli.monkeypatch, cli.capsys)
        uninterrupted = other.opened(1)
        code, _, err = other("request", "execute", uninterrupted, "--yes")
        assert code == 0, err
        assert digests(fresh) == digests(cli.url)
    cli.monkeypatch.setenv("APP_DATABASE_URL", cli.url)


def test_a_privilege_revoked_midway_stops_the_erasure_where_it_resumes(
    database: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """PostgreSQL: the store's user loses DELETE on orders once the users row is anonymized.

    The check before the first write sees every privilege in place; the revocation comes with
    the first step, as a DBA's would in the middle of a run.
    """
    if backend != "postgresql":
        pytest.skip("a trigger that revokes a privilege: PostgreSQL only")
    name = f"rg_{uuid.uuid4().hex[:10]}"
    execute_sql(
        database,
        f"CREATE ROLE {name} LOGIN PASSWORD 'pw'",
        f"GRANT SELECT, UPDATE, DELETE ON users, orders TO {name}",
        "CREATE FUNCTION revoke_orders() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS "
        f"$$ BEGIN EXECUTE 'REVOKE DELETE ON orders FROM {name}'; RETURN NEW; END $$",
        "CREATE TRIGGER revoke_orders AFTER UPDATE ON users "
        "FOR EACH ROW EXECUTE FUNCTION revoke_orders()",
    )
    try:
        as_role = sa.make_url(database).set(username=name, password="pw")
        cli = Cli(tmp_path, as_role.render_as_string(hide_password=False), monkeypatch, capsys)
        request_id = cli.opened(1)
        code, _, err = cli("request", "execute", request_id, "--yes")
        assert code == 1
        message = " ".join(error_lines(err))
        assert message.startswith(
            f"error: request {request_id}: the erasure stopped at step 1, deleting rows from "
            "table 'orders' (store 'app'): permission denied for table orders; the steps before "
            "it are done, this one and the rest are not (the audit trail says which)"
        )
        assert message.endswith(
            "hint: give the store's user the privilege it lacks (or open the database "
            f"read-write), then run `registre request execute {request_id}` again: it resumes "
            "at this step"
        )
        assert cli.state(request_id)["state"] == "in_progress"
        failed = [d for a, d in cli.audit(request_id) if a == "request.erasure.failed"]
        assert [(d["step"], d["steps_done"], d["steps_left"]) for d in failed] == [(1, 1, 1)]
        # the database it touched, named without the role's password
        assert failed[0]["database"].endswith(sa.make_url(database).database)
        assert "pw" not in failed[0]["database"]

        execute_sql(
            database, "DROP TRIGGER revoke_orders ON users", f"GRANT DELETE ON orders TO {name}"
        )
        code, _, err = cli("request", "execute", request_id, "--yes")
        assert code == 0, err
        assert cli.state(request_id)["state"] == "done"
        with scratch_database(server_url(backend), "registre_ef") as fresh:
            load(fresh)
            (tmp_path / "uninterrupted").mkdir()
            other = Cli(tmp_path / "uninterrupted", fresh, monkeypatch, capsys)
            code, _, err = other("request", "execute", other.opened(1), "--yes")
            assert code == 0, err
            assert digests(fresh) == digests(database)
    finally:
        execute_sql(database, f"DROP OWNED BY {name}", f"DROP ROLE {name}")


def test_a_connection_lost_midway_stops_the_erasure_where_it_resumes(
    cli: Cli, backend: str
) -> None:
    """PostgreSQL: the server ends the session that deletes the orders."""
    if backend != "postgresql":
        pytest.skip("a trigger that ends its own session: PostgreSQL only")
    execute_sql(
        cli.url,
        "CREATE FUNCTION end_session() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN OLD; END $$",
        "CREATE TRIGGER end_session BEFORE DELETE ON orders "
        "FOR EACH ROW EXECUTE FUNCTION end_session()",
    )
    request_id = cli.opened(3)
    code, _, err = cli("request", "execute", request_id, "--yes")
    assert code == 1
    message = " ".join(error_lines(err))
    assert message.startswith(
        f"error: request {request_id}: the erasure stopped at step 1, deleting rows from table "
        "'orders' (store 'app'): "
    )
    assert "hint: check that the database is reachable, then run" in message
    assert cli.state(request_id)["state"] == "in_progress"
    execute_sql(cli.url, "DROP TRIGGER end_session ON orders")
    code, _, err = cli("request", "execute", request_id, "--yes")
    assert code == 0, err
    engine = sa.create_engine(cli.url)
    try:
        with engine.connect() as connection:
            left = connection.execute(sa.text("SELECT COUNT(*) FROM orders WHERE user_id = 3"))
            assert left.scalar() == 0
    finally:
        engine.dispose()


# -- (d) a privilege the database says is missing: refused in advance --------------------------


@contextmanager
def _without_delete(backend: str, url: str) -> Iterator[str]:
    """The database's URL for a user that may read and update but not delete orders."""
    if backend == "sqlite":
        path = sa.make_url(url).database
        yield f"sqlite:///file:{path}?mode=ro&uri=true"
        return
    name = f"rg_{uuid.uuid4().hex[:10]}"
    parsed = sa.make_url(url)
    database = parsed.database
    if backend == "postgresql":
        execute_sql(
            url,
            f"CREATE ROLE {name} LOGIN PASSWORD 'pw'",
            f"GRANT SELECT, UPDATE ON users, orders TO {name}",
            f"GRANT DELETE ON users TO {name}",
        )
        try:
            yield parsed.set(username=name, password="pw").render_as_string(hide_password=False)
        finally:
            execute_sql(url, f"DROP OWNED BY {name}", f"DROP ROLE {name}")
        return
    execute_sql(
        url,
        f"CREATE USER '{name}'@'%' IDENTIFIED BY 'pw'",
        f"GRANT SELECT, UPDATE ON {database}.users TO '{name}'@'%'",
        f"GRANT SELECT, UPDATE ON {database}.orders TO '{name}'@'%'",
        f"GRANT DELETE ON {database}.users TO '{name}'@'%'",
    )
    try:
        yield parsed.set(username=name, password="pw").render_as_string(hide_password=False)
    finally:
        execute_sql(url, f"DROP USER '{name}'@'%'")


def test_a_missing_privilege_is_refused_before_any_write(cli: Cli, backend: str) -> None:
    request_id = cli.opened(1)
    before = digests(cli.url)
    with _without_delete(backend, cli.url) as limited:
        cli.monkeypatch.setenv("APP_DATABASE_URL", limited)
        code, _, check_err = cli("check", str(cli.register), "--connect")
        code_execute, _, err = cli("request", "execute", request_id, "--yes")
    assert code == 1
    assert code_execute == 1
    lines = error_lines(err)
    assert lines[0] == MISMATCH
    problem = (
        "- store 'app', table 'orders', rule 'orders': the database does not let registre "
        "delete rows from this table (DELETE privilege), and the write is planned ("
        + (
            "open the database read-write (a writable file, no 'mode=ro' in its URL))"
            if backend == "sqlite"
            else "GRANT DELETE ON orders TO <the store's user>)"
        )
    )
    assert problem in lines
    # check --connect puts the register's file, line and column first
    assert any(line.endswith(problem.removeprefix("- store")) for line in error_lines(check_err))
    assert digests(cli.url) == before
    assert cli.state(request_id)["state"] == "in_progress"


def test_a_privilege_held_through_a_mariadb_role_is_not_refused(cli: Cli, backend: str) -> None:
    """MariaDB does not show a role's privileges in information_schema: not known, not refused."""
    if backend != "mariadb":
        pytest.skip("MariaDB roles")
    name = f"rg_{uuid.uuid4().hex[:10]}"
    database = sa.make_url(cli.url).database
    execute_sql(
        cli.url,
        f"CREATE ROLE {name}_role",
        f"GRANT SELECT, UPDATE, DELETE ON {database}.* TO {name}_role",
        f"CREATE USER '{name}'@'%' IDENTIFIED BY 'pw'",
        f"GRANT {name}_role TO '{name}'@'%'",
        f"SET DEFAULT ROLE {name}_role FOR '{name}'@'%'",
    )
    try:
        as_user = sa.make_url(cli.url).set(username=name, password="pw")
        cli.monkeypatch.setenv("APP_DATABASE_URL", as_user.render_as_string(hide_password=False))
        code, _, err = cli("check", str(cli.register), "--connect")
        assert code == 0, err
    finally:
        execute_sql(cli.url, f"DROP USER '{name}'@'%'", f"DROP ROLE {name}_role")


# -- (e) the plan before asking, and --dry-run ---------------------------------------------------


def test_execute_shows_the_plan_and_dry_run_writes_nothing(cli: Cli) -> None:
    request_id = cli.opened(2)
    before = digests(cli.url)
    code, out, err = cli("request", "execute", request_id, "--dry-run")
    assert code == 0, err
    text = " ".join(out.split())
    for words in (
        f"Erasure of request {request_id}: 2 steps to run",
        "app.users │ 1 │ anonymized │ email (redact_unique), name (redact), phone (null)",
        "the register anonymizes this table (service/accounts)",
        "app.orders │ 2 │ deleted │ whole rows",
        "dry run: nothing was written",
    ):
        assert words in text
    code, out, err = cli("request", "execute", request_id, "--dry-run", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert [(s["table"], s["action"], s["rows"]) for s in plan["steps"]] == [
        ("users", "anonymize", 1),
        ("orders", "delete", 2),
    ]
    assert plan["outcomes"][0]["methods"] == {
        "email": "redact_unique",
        "name": "redact",
        "phone": "null",
    }
    assert digests(cli.url) == before
    assert cli.state(request_id)["state"] == "in_progress"
    assert [a for a, _ in cli.audit(request_id)] == ["request.opened", "request.identity.verified"]


def test_dry_run_is_for_erasures(cli: Cli) -> None:
    code, text, _ = cli("request", "open", "access", "--email", email(1), "--json")
    request_id = json.loads(text)["id"]
    code, _, err = cli("request", "execute", request_id, "--dry-run")
    assert code == 1
    assert error_lines(err) == [
        f"error: --dry-run shows an erasure's plan, and request {request_id} is access",
        "hint: run it without --dry-run",
    ]
