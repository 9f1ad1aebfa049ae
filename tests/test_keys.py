"""Any key type: UUID, text, timestamp, numeric and date primary keys, on the three databases.

A schema nobody here designed keys its tables by what it has at hand: a person by a UUID, their
handles by text, their logins by the instant (aware on PostgreSQL), their payments by a decimal
number and their daily summaries by the day. Each request, hold, sweep and audit entry carries
such keys through the engine's state and back into a ``WHERE``: what comes back must still equal
the database's value. The expected rows are computed here with plain SQL on ``person_id``, never
with the engine's keys.
"""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from _support import RunCli, combined
from registre.engine.record_keys import key_json, keys_from_json, keys_to_json, typed_value
from registre.register.mapping import DataStore
from registre.register.model import Register
from registre.requests import RequestDesk
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_erasure import kill_midway
from test_requests_fixtures import ANCHOR, BACKENDS, DM, dm_register, server_url

HERE = Path(__file__).resolve().parent
PEOPLE = 6
EACH = 4
"""Rows of each person in each child table."""
ALICE, BOB = 0, 1
"""Alice (deleted long ago: a sweep would delete her) and Bob (active) among the people."""


def person_id(n: int) -> uuid.UUID:
    return uuid.UUID(int=(0xA11CE << 100) + n * 7919)


# -- the schema, as another team wrote it ---------------------------------------------------------

TYPES = {
    # (uuid, naive timestamp, the logins' timestamp)
    "sqlite": ("CHAR(36)", "DATETIME", "DATETIME"),
    "postgresql": ("UUID", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"),
    "mysql": ("UUID", "DATETIME(6)", "DATETIME(6)"),  # MariaDB
}


def schema(dialect: str) -> list[str]:
    uid, stamp, login = TYPES[dialect]
    owner = f"person_id {uid} NOT NULL REFERENCES people (id)"
    return [
        f"CREATE TABLE people (id {uid} PRIMARY KEY, email VARCHAR(200) NOT NULL,"
        f" name VARCHAR(100), deleted_at {stamp} NULL)",
        f"CREATE TABLE handles (handle VARCHAR(40) PRIMARY KEY, {owner}, body VARCHAR(200))",
        f"CREATE TABLE logins (at {login} PRIMARY KEY, {owner}, ip VARCHAR(45))",
        f"CREATE TABLE payments (number NUMERIC(12, 2) PRIMARY KEY, {owner}, label VARCHAR(100))",
        f"CREATE TABLE days (day DATE PRIMARY KEY, {owner}, summary VARCHAR(200))",
    ]


CHILDREN = {"handles": "handle", "logins": "at", "payments": "number", "days": "day"}
"""Each child table and its key column."""


def rows(dialect: str) -> dict[str, list[dict[str, Any]]]:
    """Deterministic rows: every person has two rows in each child table."""
    # SQLite keeps a UUID as the text the application wrote (here the canonical form)
    uid = str if dialect == "sqlite" else (lambda u: u)
    aware = dialect == "postgresql"
    out: dict[str, list[dict[str, Any]]] = {"people": [], **{t: [] for t in CHILDREN}}
    for n in range(PEOPLE):
        deleted = ANCHOR - timedelta(days=400) if n in (ALICE, 3) else None
        out["people"].append(
            {
                "id": uid(person_id(n)),
                "email": f"person{n}@example.fr",
                "name": f"Personne {n}",
                "deleted_at": None if deleted is None else deleted.replace(tzinfo=None),
            }
        )
        for i in range(EACH):
            owner = uid(person_id(n))
            at = datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=UTC) + timedelta(hours=n * 10 + i)
            out["handles"].append({"handle": f"h-{n}-{i} é", "person_id": owner, "body": f"b{n}"})
            out["logins"].append(
                {"at": at if aware else at.replace(tzinfo=None), "person_id": owner, "ip": f"{n}"}
            )
            number = Decimal(f"{1000 + n * 10 + i}.{i * 5}0")
            out["payments"].append({"number": number, "person_id": owner, "label": f"pay {n}"})
            day = date(2025, 1, 1) + timedelta(days=n * EACH + i)
            out["days"].append({"day": day, "person_id": owner, "summary": f"jour de {n}"})
    return out


def load(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in schema(engine.dialect.name):
                connection.exec_driver_sql(statement)
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.begin() as connection:
            for name, values in rows(engine.dialect.name).items():
                connection.execute(meta.tables[name].insert(), values)
    finally:
        engine.dispose()


def child(key: str) -> dict[str, Any]:
    return {
        "primary_key": key,
        "subject": "account_holder",
        "references": {"person": "person_id -> people"},
        "events": {"account_deleted": "person.deleted_at"},
        "rules": ["account-data"],
    }


KEYS_STORE = {
    "url_env": "KEYS_DATABASE_URL",
    "tables": {
        "people": {
            "subject": "account_holder",
            "identity": {"email": "email"},
            "columns": {"email": "account_details", "name": "account_details"},
            "events": {"account_deleted": "deleted_at"},
            "rules": ["account-data"],
        },
        "handles": {**child("handle"), "columns": {"body": "account_details"}},
        "logins": {**child("at"), "columns": {"ip": "account_details"}},
        "payments": {**child("number"), "columns": {"label": "account_details"}},
        "days": {**child("day"), "columns": {"summary": "account_details"}},
    },
}


def keys_register() -> Register:
    """The device-management register with this schema as its only store."""
    store = DataStore.model_validate(KEYS_STORE)
    return dm_register().model_copy(update={"stores": {"keys": store}})


@pytest.fixture(params=BACKENDS)
def keys_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of its own per test (the tests change it)."""
    with scratch_database(server_url(request.param), "registre_keys") as url:
        load(url)
        yield url


# -- what the tests compare -----------------------------------------------------------------------


def theirs(engine: sa.Engine, n: int) -> dict[str, set[str]]:
    """The person's rows per table, as text of their key, by plain SQL on ``person_id``."""
    meta = sa.MetaData()
    meta.reflect(engine)
    owner = rows(engine.dialect.name)["people"][n]["id"]
    out: dict[str, set[str]] = {}
    with engine.connect() as connection:
        people = meta.tables["people"]
        found = connection.execute(sa.select(people.c.id).where(people.c.id == owner)).scalars()
        out["people"] = {_text(k) for k in found}
        for name, key in CHILDREN.items():
            t = meta.tables[name]
            keys = connection.execute(sa.select(t.c[key]).where(t.c.person_id == owner)).scalars()
            out[name] = {_text(k) for k in keys}
    return out


def snapshot(engine: sa.Engine) -> dict[str, dict[str, str]]:
    """Every row of every table, by the text of its key: the row's values as text."""
    meta = sa.MetaData()
    meta.reflect(engine)
    out: dict[str, dict[str, str]] = {}
    with engine.connect() as connection:
        for table in meta.sorted_tables:
            pk = next(iter(table.primary_key.columns))
            out[table.name] = {
                _text(row._mapping[pk]): repr(tuple(row))
                for row in connection.execute(sa.select(table))
            }
    return out


def _text(value: Any) -> str:
    """A key as text, the same for every driver's type of it (aware instants in UTC)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def desk(register: Register, engine: sa.Engine, state: Any, tmp: Path) -> RequestDesk:
    return RequestDesk(register, state, {"keys": engine}, out_dir=tmp / "out", now=ANCHOR)


def request(
    register: Register, engine: sa.Engine, state_url: str, tmp: Path, kind: str, n: int
) -> Any:
    with open_state(state_url) as state:
        requests = desk(register, engine, state, tmp)
        opened = requests.open(kind, {"email": f"person{n}@example.fr"})
        requests.verify(opened.id, method="signed letter with an identity document")
        return requests.execute(opened.id)


# -- a key written to the state and read back -----------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")
ROUND_TRIPS = [
    # (column type, the database's value, its JSON)
    (sa.Integer(), 42, 42),
    (sa.Uuid(), person_id(1), str(person_id(1))),
    (sa.Numeric(12, 2), Decimal("1011.50"), "1011.5"),
    (sa.Numeric(12, 2), Decimal("1000.00"), "1000"),
    (sa.Date(), date(2025, 1, 5), "2025-01-05"),
    (sa.DateTime(), datetime(2025, 3, 1, 18, 30, 15, 123456), "2025-03-01T18:30:15.123456"),
    (
        sa.DateTime(timezone=True),
        datetime(2025, 3, 1, 19, 30, 15, 123456, tzinfo=PARIS),
        "2025-03-01T18:30:15.123456+00:00",
    ),
    (sa.String(40), "h-1-0 é", "h-1-0 é"),
]


@pytest.mark.parametrize(("kind", "value", "text"), ROUND_TRIPS)
def test_a_key_read_back_equals_the_databases_value(kind: Any, value: Any, text: Any) -> None:
    column = sa.Column("k", kind)
    assert key_json(value) == text
    assert json.loads(keys_to_json([value])) == [text]
    assert keys_from_json(column, keys_to_json([value])) == [value]


TYPED = [
    # (column type, text given, the value bound in a WHERE; None: names no row)
    (sa.DateTime(), "2025-03-01T19:30:15+01:00", datetime(2025, 3, 1, 18, 30, 15)),
    (
        sa.DateTime(timezone=True),
        "2025-03-01 18:30:15",
        datetime(2025, 3, 1, 18, 30, 15, tzinfo=UTC),
    ),
    (sa.Uuid(), str(person_id(1)).upper(), person_id(1)),
    (sa.Uuid(), "not-a-uuid", None),
    (sa.Numeric(12, 2), "NaN", None),
    (sa.Integer(), " 42 ", 42),
    (sa.Integer(), "4_2", None),
    (sa.Date(), "2025-1-5", None),
    (sa.CHAR(36), str(person_id(1)).upper(), str(person_id(1)).upper()),  # text stays text
]


@pytest.mark.parametrize(("kind", "text", "expected"), TYPED)
def test_a_key_given_as_text_takes_the_columns_type(kind: Any, text: str, expected: Any) -> None:
    typed = typed_value(sa.Column("k", kind), text)
    assert typed == expected and type(typed) is type(expected)
    if isinstance(expected, datetime):
        assert (typed.tzinfo is None) == (expected.tzinfo is None)


# -- access, portability, erasure ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["access", "portability"])
def test_an_export_holds_the_persons_rows_whatever_their_keys(
    keys_url: str, tmp_path: Path, kind: str
) -> None:
    register = keys_register()
    engine = sa.create_engine(keys_url)
    try:
        expected = theirs(engine, BOB)
        done = request(register, engine, f"sqlite:///{tmp_path / 'state.db'}", tmp_path, kind, BOB)
    finally:
        engine.dispose()
    with zipfile.ZipFile(done.result["export"]) as archive:
        data = json.loads(archive.read("data.json"))
    exported = data["tables"]
    assert [row["email"] for row in exported["people"]["rows"]] == ["person1@example.fr"]
    for name, column in {"handles": "body", "logins": "ip", "payments": "label"}.items():
        assert len(exported[name]["rows"]) == len(expected[name]) == EACH, name
        assert all(row[column] is not None for row in exported[name]["rows"])
    assert [row["summary"] for row in exported["days"]["rows"]] == ["jour de 1"] * EACH


def test_an_erasure_removes_the_persons_rows_and_nobody_elses(
    keys_url: str, tmp_path: Path
) -> None:
    register = keys_register()
    engine = sa.create_engine(keys_url)
    try:
        gone = theirs(engine, BOB)
        before = snapshot(engine)
        done = request(
            register, engine, f"sqlite:///{tmp_path / 'state.db'}", tmp_path, "erasure", BOB
        )
        after = snapshot(engine)
    finally:
        engine.dispose()
    assert done.state.value == "done"
    for table, by_key in before.items():
        left = {k: v for k, v in by_key.items() if k not in gone[table]}
        assert after[table] == left, table  # Bob's rows gone, the others' byte-identical
        assert gone[table], table


CHILD = """
import sys
from datetime import datetime
sys.path.insert(0, {tests!r})
import sqlalchemy as sa
from test_keys import keys_register
from registre.requests import RequestDesk
from registre.state import open_state
engine = sa.create_engine({url!r})
with open_state({state!r}) as state:
    RequestDesk(
        keys_register(), state, {{"keys": engine}}, out_dir={out!r},
        now=datetime.fromisoformat({now!r}),
    ).execute({request!r}, step_size=1)
"""


@pytest.mark.slow
def test_an_erasure_killed_between_steps_resumes_on_the_same_keys(
    keys_url: str, tmp_path: Path
) -> None:
    """The stored plan's keys, read back from the state, still find the rows they name."""
    register = keys_register()
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    engine = sa.create_engine(keys_url)
    try:
        gone = theirs(engine, BOB)
        before = snapshot(engine)
        with open_state(state_url) as state:
            requests = desk(register, engine, state, tmp_path)
            opened = requests.open("erasure", {"email": "person1@example.fr"})
            requests.verify(opened.id, method="signed letter with an identity document")
        # one key per step, and a slow first write: enough steps to stop between two
        code = CHILD.format(
            tests=str(HERE),
            url=keys_url,
            state=state_url,
            out=str(tmp_path / "out"),
            request=opened.id,
            now=ANCHOR.isoformat(),
        )
        kill_midway(code, state_url, opened.id)
        with open_state(state_url) as state:
            resumed = desk(register, engine, state, tmp_path).execute(opened.id, step_size=1)
        after = snapshot(engine)
    finally:
        engine.dispose()
    assert resumed.state.value == "done"
    for table, by_key in before.items():
        assert after[table] == {k: v for k, v in by_key.items() if k not in gone[table]}, table


# -- holds, a sweep and the audit trail, through the command line --------------------------------


def write_register(tmp: Path, store: dict[str, Any]) -> Path:
    """The device-management register file with ``store`` as its only store."""
    text = (DM / "register.yaml").read_text(encoding="utf-8")
    head = text[: text.index("\nstores:")]
    path = tmp / "register.yaml"
    # JSON is YAML: the store as the test declares it
    path.write_text(f"{head}\nstores: {json.dumps({'keys': store})}\n", encoding="utf-8")
    return path


@pytest.fixture
def cli(run_cli: RunCli) -> Any:
    """``registre ARGS`` in this process: (exit code, stdout and stderr); no traceback."""
    return lambda *args: combined(run_cli(*args))


def held_keys(dialect: str) -> dict[str, tuple[str, str]]:
    """A row of Bob's per child table, and its key as a person would type it (not as stored)."""
    logins = {
        # the instant in another offset: it names the same row in UTC
        "postgresql": "2025-03-01T19:30:15.123456+01:00",
        "mysql": "2025-03-01T19:30:15.123456+01:00",
        "sqlite": "2025-03-01T19:30:15.123456+01:00",
    }
    return {
        "handles": ("h-1-0 é", "h-1-0 é"),
        "logins": (logins[dialect], "2025-03-01 18:30:15.123456"),
        "payments": ("1011.5", "1011.5"),  # 1011.50 in the database
        "days": ("2025-01-05", "2025-01-05"),
    }


def test_record_holds_on_any_key_are_kept_by_a_sweep_and_an_erasure(
    keys_url: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Holds placed by the command line on a UUID, a text, an instant, a decimal and a day.

    The sweep deletes the other person due (3) and keeps Alice, held by her UUID, with every
    row that hangs from her; Bob's erasure keeps the rows held by their key and nothing else.
    """
    register_path = write_register(tmp_path, KEYS_STORE)
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    if keys_url.startswith("postgresql"):
        # aware instants come back in the session's zone (+01:00): keys must still match
        keys_url += "?options=-c%20TimeZone%3DEurope%2FParis"
    monkeypatch.setenv("KEYS_DATABASE_URL", keys_url)
    engine = sa.create_engine(keys_url)
    dialect = engine.dialect.name
    common = ("--register", str(register_path), "--state-url", state_url, "--store", "keys")
    alice = str(person_id(ALICE))
    try:
        before = snapshot(engine)
        alices, thirds, bobs = theirs(engine, ALICE), theirs(engine, 3), theirs(engine, BOB)
        code, output = cli(
            "hold", "add", "--reason", "litige", "--table", "people", "--key", alice, *common
        )
        assert code == 0, output
        holds = {}
        for table, (typed, stored) in held_keys(dialect).items():
            code, output = cli(
                "hold", "add", "--reason", "litige", "--table", table, "--key", typed, *common
            )
            assert code == 0, output
            holds[table] = stored
        code, output = cli(
            "sweep", str(register_path), "--at", "2026-11-01", "--yes", "--state-url", state_url
        )
        assert code == 0, output
        swept = snapshot(engine)
        done = request(keys_register(), engine, state_url, tmp_path, "erasure", BOB)
        erased = snapshot(engine)
        code, output = cli("audit", "verify", "--state-url", state_url)
        with open_state(state_url) as state:
            batches = [e.details for e in state.audit.entries(action_prefix="sweep.")]
    finally:
        engine.dispose()
    assert code == 0, output
    for table, by_key in before.items():
        # the sweep: person 3's rows gone, Alice's (held) and everyone else's as they were
        assert swept[table] == {k: v for k, v in by_key.items() if k not in thirds[table]}, table
        assert alices[table] <= set(swept[table]), table
        # the erasure: Bob's rows gone but the held ones, which are byte-identical
        kept = {_text(_typed_back(table, key)) for key in [holds.get(table)] if key}
        if table == "people":  # the held rows still reference Bob's record: kept, anonymized
            kept = set(bobs["people"])
            assert "person1" not in erased["people"][str(person_id(BOB))]
            assert "Personne 1" not in erased["people"][str(person_id(BOB))]
            erased["people"][str(person_id(BOB))] = swept["people"][str(person_id(BOB))]
        assert len(kept) == 1 and kept <= bobs[table], (table, kept, bobs[table])
        expected = {k: v for k, v in swept[table].items() if k not in bobs[table] - kept}
        assert erased[table] == expected, table
    assert done.state.value == "done"
    assert any(o["reason"] == "hold" for o in done.result["outcomes"])
    # the sweep's entries name its batches by keys as the state writes them: in UTC
    logins = [b for b in batches if b.get("table") == "logins" and "first_key" in b]
    # (on PostgreSQL a plain delete goes by ranges of pages: no keys)
    assert (logins or dialect == "postgresql") and all(
        {b["first_key"], b["last_key"]} <= {_utc(k, dialect) for k in thirds["logins"]}
        for b in logins
    ), (logins, thirds["logins"])


def _utc(text: str, dialect: str) -> str:
    """A login's key as :func:`_text` gives it, as the engine writes it (ISO 8601 in UTC)."""
    moment = datetime.fromisoformat(text)
    return (moment.replace(tzinfo=UTC) if dialect == "postgresql" else moment).isoformat()


def _typed_back(table: str, stored: str) -> Any:
    """A held key's stored text as the test's own rows hold it, for :func:`_text`."""
    if table == "logins":
        return datetime.fromisoformat(stored)
    if table == "payments":
        return Decimal(stored).quantize(Decimal("0.01"))
    if table == "days":
        return date.fromisoformat(stored)
    return stored


# -- check --connect: a declared key that does not name one row ----------------------------------

KEY_CASES = [
    # (case, the visits table, the declared key, what check --connect says; None: accepted)
    (
        "not unique",
        "id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, code VARCHAR(40) NOT NULL",
        "email",
        "store 'keys', table 'visits', column 'email': the declared primary_key 'email' is "
        "neither the table's primary key nor UNIQUE: rows that share a value would be erased, "
        "held and swept together (declare the table's real key: 'primary_key: id')",
    ),
    (
        "unique but nullable",
        "id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, code VARCHAR(40) UNIQUE",
        "code",
        "store 'keys', table 'visits', column 'code': the declared primary_key 'code' is "
        "UNIQUE but may be NULL: the rows without a value cannot be told apart (declare the "
        "table's real key: 'primary_key: id')",
    ),
    (
        "one column of a composite key",
        "id INTEGER NOT NULL, email VARCHAR(200) NOT NULL, code VARCHAR(40) NOT NULL, "
        "PRIMARY KEY (id, email)",
        "id",
        "store 'keys', table 'visits', column 'id': the declared primary_key 'id' is one "
        "column of the table's primary key (id, email): several rows share each of its values "
        "(declare the table's real key: 'primary_key: [id, email]')",
    ),
    (
        "no key at all",
        "id INTEGER, email VARCHAR(200) NOT NULL, code VARCHAR(40) NOT NULL",
        "email",
        "store 'keys', table 'visits', column 'email': the declared primary_key 'email' is "
        "neither the table's primary key nor UNIQUE: rows that share a value would be erased, "
        "held and swept together (give the table a primary key, or make 'email' UNIQUE and NOT "
        "NULL, then declare that column as primary_key)",
    ),
    (
        "a unique index on a NOT NULL column names a row",
        "id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, code VARCHAR(40) NOT NULL",
        "code",
        None,
    ),
    (
        "the primary key",
        "id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, code VARCHAR(40) NOT NULL",
        "id",
        None,
    ),
]

VISITS = {
    "subject": "account_holder",
    "identity": {"email": "email"},
    "columns": {"email": "account_details"},
    "not_personal": ["id", "code"],
}


@pytest.mark.parametrize(
    ("case", "columns", "key", "expected"), KEY_CASES, ids=[c[0] for c in KEY_CASES]
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_check_connect_refuses_a_declared_key_that_is_not_unique(
    backend: str,
    case: str,
    columns: str,
    key: str,
    expected: str | None,
    tmp_path: Path,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = {"url_env": "KEYS_DATABASE_URL", "tables": {"visits": {**VISITS, "primary_key": key}}}
    register_path = write_register(tmp_path, store)
    with scratch_database(server_url(backend), "registre_keys") as url:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(f"CREATE TABLE visits ({columns})")
                if case.startswith("a unique index"):
                    connection.exec_driver_sql("CREATE UNIQUE INDEX visits_code ON visits (code)")
        finally:
            engine.dispose()
        monkeypatch.setenv("KEYS_DATABASE_URL", url)
        code, output = cli("check", str(register_path), "--connect")
    problems = [p for p in _problems(output) if "primary_key '" in p]
    if expected is None:  # the register's other rules, bound to no table, still make it exit 1
        assert problems == [] and "mismatches between the mapping" in output, output
    else:
        assert code == 1 and problems == [expected], output


def _problems(output: str) -> list[str]:
    """The report's problems, each on one line however the terminal wrapped it."""
    # check --connect prefixes each with where the register says it; sweep does not
    found = re.findall(r"- (?:\S+:\d+:\d+: )?(store .*?)(?=\n\s*(?:- |hint:)|\Z)", output, re.S)
    return [" ".join(problem.split()) for problem in found]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_sweep_refuses_a_declared_key_that_is_not_unique_before_any_write(
    backend: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, columns, key, expected = KEY_CASES[0]
    tables = {"visits": {**VISITS, "primary_key": key, "rules": ["account-data"]}}
    tables["visits"]["events"] = {"account_deleted": "deleted_at"}
    register_path = write_register(tmp_path, {"url_env": "KEYS_DATABASE_URL", "tables": tables})
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    with scratch_database(server_url(backend), "registre_keys") as url:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(f"CREATE TABLE visits ({columns}, deleted_at DATE)")
                connection.exec_driver_sql(
                    "INSERT INTO visits VALUES (1, 'a@example.fr', 'x', '2020-01-01'), "
                    "(2, 'a@example.fr', 'y', NULL)"
                )
            monkeypatch.setenv("KEYS_DATABASE_URL", url)
            code, output = cli(
                "sweep", str(register_path), "--at", "2026-11-01", "--yes", "--state-url", state_url
            )
            with engine.connect() as connection:
                left = connection.exec_driver_sql("SELECT count(*) FROM visits").scalar_one()
        finally:
            engine.dispose()
    assert code == 1 and "the mapping does not match the database" in output, output
    assert [p for p in _problems(output) if "primary_key '" in p] == [expected]
    assert left == 2  # the row due (1) shares its email with a row that is not (2): both kept


BAD_KEYS = [
    # (table, key, what hold add says on PostgreSQL and MariaDB; SQLite keeps UUIDs as text)
    ("people", "not-a-uuid", "the key of 'people' (id) is a UUID, and 'not-a-uuid' is not one"),
    ("payments", "12,50", "the key of 'payments' (number) is a decimal number, and '12,50' is"),
    ("days", "05/01/2025", "the key of 'days' (day) is a date, and '05/01/2025' is not one"),
    ("logins", "yesterday", "the key of 'logins' (at) is a timestamp, and 'yesterday' is not"),
    ("days", "2031-01-01", "store 'keys' has no row of 'days' with day 2031-01-01"),
]


@pytest.mark.parametrize(("table", "key", "expected"), BAD_KEYS)
def test_a_record_hold_on_a_key_of_the_wrong_type_is_refused(
    keys_url: str,
    tmp_path: Path,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    key: str,
    expected: str,
) -> None:
    register_path = write_register(tmp_path, KEYS_STORE)
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("KEYS_DATABASE_URL", keys_url)
    code, output = cli(
        "hold", "add", "--reason", "litige", "--store", "keys", "--table", table, "--key", key,
        "--register", str(register_path), "--state-url", state_url,
    )  # fmt: skip
    if keys_url.startswith("sqlite") and table == "people":
        expected = "store 'keys' has no row of 'people' with id not-a-uuid"
    assert code != 0 and expected in " ".join(output.split()), output
