"""Keys of several columns, on the three databases: an online shop's order lines and visits.

A shop keys its order lines by their order and their number in it (``order_items (order_id,
item_no)``) and its website visits by who and when (``website_visits (email, visited_at)``).
Declared as ``primary_key: [order_id, item_no]``, such a table is searched, exported, erased
(a plan's keys are JSON lists, read back after a crash), held by a record hold on its key
(``--key '[3, 2]'``) and swept in keyset batches compared as row values. What each should do is
computed here with plain SQL on the people's own columns, never with the engine's keys.
"""

from __future__ import annotations

import contextlib
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ruamel.yaml import YAML

from _support import RunCli, combined
from registre.engine.record_keys import key_json, key_text, keys_from_json, keys_to_json
from registre.register.loader import load_register
from registre.register.model import Register
from registre.requests import RequestDesk
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_erasure import kill_midway
from test_requests_fixtures import ANCHOR, BACKENDS, server_url

HERE = Path(__file__).resolve().parent
SHOP = HERE.parent / "examples" / "online-shop" / "register.yaml"
CUSTOMERS = 6
ORDERS = 4
"""Orders per customer."""
ITEMS = 3
"""Lines per order."""
VISITS = 5
"""Website visits per customer."""
BOB = 1
AT = "2026-11-01"
"""The instant the sweep and the requests run at (the data is anchored on it)."""
NOW = ANCHOR.replace(tzinfo=None)


# -- the schema, as the shop wrote it -------------------------------------------------------------

STAMP = {"sqlite": "DATETIME", "postgresql": "TIMESTAMP", "mysql": "DATETIME"}


def schema(dialect: str) -> list[str]:
    stamp = STAMP[dialect]
    return [
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE,"
        f" name VARCHAR(100), last_active_at {stamp} NULL, deleted_at {stamp} NULL)",
        "CREATE TABLE products (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY,"
        " customer_id INTEGER NOT NULL REFERENCES customers (id),"
        f" placed_at {stamp} NOT NULL)",
        "CREATE TABLE order_items (order_id INTEGER NOT NULL REFERENCES orders (id),"
        " item_no INTEGER NOT NULL, product_id INTEGER NOT NULL REFERENCES products (id),"
        " quantity INTEGER NOT NULL, PRIMARY KEY (order_id, item_no))",
        f"CREATE TABLE website_visits (email VARCHAR(200) NOT NULL, visited_at {stamp} NOT NULL,"
        " page VARCHAR(200), PRIMARY KEY (email, visited_at))",
    ]


def email(n: int) -> str:
    return f"client{n}@boutique.example"


def order_id(n: int, o: int) -> int:
    return 100 + n * ORDERS + o


def rows() -> dict[str, list[dict[str, Any]]]:
    """Deterministic rows: every customer buys the same popular product (a catalogue hub).

    Orders alternate between 11 years old (past the 10 years the sweep keeps them) and 2
    months; visits between 2 years old (past 1 year) and 1 month.
    """
    out: dict[str, list[dict[str, Any]]] = {
        "customers": [],
        "products": [{"id": p, "name": f"produit {p}"} for p in range(1, 4)],
        "orders": [],
        "order_items": [],
        "website_visits": [],
    }
    for n in range(CUSTOMERS):
        out["customers"].append(
            {
                "id": n + 1,
                "email": email(n),
                "name": f"Client {n}",
                "last_active_at": NOW - timedelta(days=10),
                "deleted_at": None,
            }
        )
        for o in range(ORDERS):
            old = o % 2 == 0
            placed = NOW - (timedelta(days=11 * 366) if old else timedelta(days=60))
            placed += timedelta(minutes=n * 7 + o)
            out["orders"].append({"id": order_id(n, o), "customer_id": n + 1, "placed_at": placed})
            for i in range(1, ITEMS + 1):
                out["order_items"].append(
                    {
                        "order_id": order_id(n, o),
                        "item_no": i,
                        "product_id": 1 if i == 1 else 1 + (n + i) % 3,
                        "quantity": i + n,
                    }
                )
        for v in range(VISITS):
            old = v % 2 == 0
            at = NOW - (timedelta(days=730) if old else timedelta(days=30))
            out["website_visits"].append(
                {"email": email(n), "visited_at": at + timedelta(hours=v), "page": f"/page/{v}"}
            )
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
            for name in ("customers", "products", "orders", "order_items", "website_visits"):
                connection.execute(meta.tables[name].insert(), rows()[name])
    finally:
        engine.dispose()


# -- the register: the online-shop example's, with this schema as its store -----------------------

STORE = {
    "url_env": "COMPOSITE_DATABASE_URL",
    "tables": {
        "customers": {
            "subject": "customer",
            "identity": {"email": "email"},
            "columns": {"email": "contact", "name": "identity"},
            "not_personal": ["last_active_at"],
            "events": {"last_activity": "last_active_at", "account_deleted": "deleted_at"},
            "rules": {"accounts": {"anonymize": {"email": "redact_unique", "name": "redact"}}},
        },
        "products": {"catalogue": True, "not_personal": ["name"]},
        "orders": {
            "subject": "customer",
            "references": {"customer": "customer_id -> customers"},
            "columns": {"placed_at": "orders"},
            "events": {"collected": "placed_at"},
            "rules": ["orders"],
        },
        "order_items": {
            "primary_key": ["order_id", "item_no"],
            "subject": "customer",
            "references": {"order": "order_id -> orders", "product": "product_id -> products"},
            "columns": {"quantity": "orders"},
            "events": {"collected": "order.placed_at"},
            "rules": ["orders"],
        },
        "website_visits": {
            "primary_key": ["email", "visited_at"],
            "subject": "customer",
            "identity": {"email": "email"},
            "columns": {"email": "connection_logs", "page": "connection_logs"},
            "events": {"collected": "visited_at"},
            "rules": ["logins"],
        },
    },
}


def write_register(tmp: Path, store: dict[str, Any] | None = None) -> Path:
    """The shop's register with ``store`` as its only store, its orders kept for a contract,
    and only the activities this schema's tables hold.

    The example keeps orders under a legal obligation, which an erasure respects: here they are
    kept for the contract, so that an erasure deletes the person's order lines.
    """
    data = YAML(typ="safe").load(SHOP.read_text(encoding="utf-8"))
    data["activities"]["orders"]["legal_basis"] = "contract"
    # only the activities whose tables this schema has: a rule bound to no table is refused
    for activity in ("payment", "support", "newsletter", "staff"):
        del data["activities"][activity]
    del data["activities"]["customer_accounts"]["retention"]["addresses"]
    data["stores"] = {"shop": store or STORE}
    path = tmp / "register.yaml"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")  # JSON is YAML
    return path


def shop_register(tmp: Path) -> Register:
    return load_register(write_register(tmp))


@pytest.fixture(params=BACKENDS)
def shop_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of its own per test (the tests change it)."""
    with scratch_database(server_url(request.param), "registre_keys_composite") as url:
        load(url)
        yield url


# -- what the tests compare -----------------------------------------------------------------------

KEYS = {
    "customers": ("id",),
    "products": ("id",),
    "orders": ("id",),
    "order_items": ("order_id", "item_no"),
    "website_visits": ("email", "visited_at"),
}


def _text(values: Any) -> str:
    """A row's key as text, the same for every driver (SQLite gives timestamps as text)."""
    return "|".join(_part(v) for v in values)


def _part(value: Any) -> str:
    if isinstance(value, str) and ":" in value:
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(value)
    return value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)


def snapshot(engine: sa.Engine) -> dict[str, dict[str, str]]:
    """Every row of every table, by the text of its key: the row's values as text."""
    meta = sa.MetaData()
    meta.reflect(engine)
    out: dict[str, dict[str, str]] = {}
    with engine.connect() as connection:
        for name, key in KEYS.items():
            table = meta.tables[name]
            out[name] = {
                _text(row._mapping[c] for c in key): repr(tuple(row))
                for row in connection.execute(sa.select(table))
            }
    return out


def theirs(engine: sa.Engine, n: int) -> dict[str, set[str]]:
    """Customer ``n``'s order lines, orders and visits, by plain SQL on their own columns."""
    with engine.connect() as connection:
        items = connection.exec_driver_sql(
            "SELECT i.order_id, i.item_no FROM order_items i JOIN orders o ON o.id = i.order_id"
            f" WHERE o.customer_id = {n + 1}"
        ).all()
        orders = connection.exec_driver_sql(
            f"SELECT id FROM orders WHERE customer_id = {n + 1}"
        ).all()
        visits = connection.exec_driver_sql(
            f"SELECT email, visited_at FROM website_visits WHERE email = '{email(n)}'"
        ).all()
    return {
        "order_items": {_text(r) for r in items},
        "orders": {_text(r) for r in orders},
        "website_visits": {_text(r) for r in visits},
    }


def desk(register: Register, engine: sa.Engine, state: Any, tmp: Path) -> RequestDesk:
    return RequestDesk(register, state, {"shop": engine}, out_dir=tmp / "out", now=ANCHOR)


def request(register: Register, engine: sa.Engine, state_url: str, tmp: Path, kind: str) -> Any:
    with open_state(state_url) as state:
        requests = desk(register, engine, state, tmp)
        opened = requests.open(kind, {"email": email(BOB)})
        requests.verify(opened.id, method="signed letter with an identity document")
        return requests.execute(opened.id)


# -- keys as JSON ---------------------------------------------------------------------------------


def test_a_key_of_several_columns_is_a_json_list_read_back_as_a_tuple() -> None:
    columns = [sa.Column("order_id", sa.Integer()), sa.Column("at", sa.DateTime())]
    key = (1001, datetime(2025, 3, 1, 8, 30))
    assert key_json(key) == [1001, "2025-03-01T08:30:00"]
    assert key_text(key) == '[1001, "2025-03-01T08:30:00"]'
    assert json.loads(keys_to_json([key])) == [[1001, "2025-03-01T08:30:00"]]
    assert keys_from_json(columns, keys_to_json([key])) == [key]
    # a key that no longer fits its columns names no row
    assert keys_from_json(columns, '[[1001], ["x", "2025-03-01"], 7]') == []


# -- check --connect ------------------------------------------------------------------------------

CHECKS = [
    # (case, the visits table, the declared key, what check --connect says; None: accepted)
    (
        "the primary key",
        "email VARCHAR(200) NOT NULL, at INTEGER NOT NULL, page VARCHAR(40),"
        " PRIMARY KEY (email, at)",
        ["email", "at"],
        None,
    ),
    (
        "the primary key in another order",
        "email VARCHAR(200) NOT NULL, at INTEGER NOT NULL, page VARCHAR(40),"
        " PRIMARY KEY (email, at)",
        ["at", "email"],
        None,
    ),
    (
        "a UNIQUE constraint",
        "id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, at INTEGER NOT NULL,"
        " page VARCHAR(40), UNIQUE (email, at)",
        ["email", "at"],
        None,
    ),
    (
        "not unique together",
        "id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, at INTEGER NOT NULL,"
        " page VARCHAR(40)",
        ["email", "at"],
        "store 'shop', table 'visits': the declared primary_key (email, at) is neither the "
        "table's primary key nor UNIQUE together: rows that share these values would be erased, "
        "held and swept together (declare the table's real key: 'primary_key: id')",
    ),
    (
        "a column that may be NULL",
        "id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, at INTEGER,"
        " page VARCHAR(40), UNIQUE (email, at)",
        ["email", "at"],
        "store 'shop', table 'visits', column 'at': the declared primary_key (email, at) has a "
        "column that may be NULL ('at'): a row whose key has no value there cannot be named "
        "(make 'at' NOT NULL, or declare the table's real key)",
    ),
    (
        "one column of the primary key",
        "email VARCHAR(200) NOT NULL, at INTEGER NOT NULL, page VARCHAR(40),"
        " PRIMARY KEY (email, at)",
        "email",
        "store 'shop', table 'visits', column 'email': the declared primary_key 'email' is one "
        "column of the table's primary key (email, at): several rows share each of its values "
        "(declare the table's real key: 'primary_key: [email, at]')",
    ),
]


@pytest.mark.parametrize(("case", "columns", "key", "expected"), CHECKS, ids=[c[0] for c in CHECKS])
@pytest.mark.parametrize("backend", BACKENDS)
def test_check_connect_accepts_a_key_of_several_columns_only_when_it_names_one_row(
    backend: str,
    case: str,
    columns: str,
    key: Any,
    expected: str | None,
    tmp_path: Path,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    visits = {
        "primary_key": key,
        "subject": "customer",
        "identity": {"email": "email"},
        "columns": {"email": "contact", "page": "connection_logs"},
        "not_personal": ["id", "at"] if "id INTEGER" in columns else ["at"],
    }
    store = {"url_env": "COMPOSITE_DATABASE_URL", "tables": {"visits": visits}}
    register_path = write_register(tmp_path, store)
    with scratch_database(server_url(backend), "registre_keys_check") as url:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(f"CREATE TABLE visits ({columns})")
        finally:
            engine.dispose()
        monkeypatch.setenv("COMPOSITE_DATABASE_URL", url)
        code, output = cli("check", str(register_path), "--connect")
    problems = [p for p in _problems(output) if "primary_key" in p]
    assert problems == ([] if expected is None else [expected]), output
    assert code == 1 or expected is None, output


def _problems(output: str) -> list[str]:
    """The report's problems, each on one line however the terminal wrapped it."""
    found = re.findall(r"- (?:\S+:\d+:\d+: )?(store .*?)(?=\n\s*(?:- |hint:)|\Z)", output, re.S)
    return [" ".join(problem.split()) for problem in found]


def test_check_connect_accepts_the_shop(
    shop_url: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSITE_DATABASE_URL", shop_url)
    code, output = cli("check", str(write_register(tmp_path)), "--connect")
    assert "mismatches between the mapping" not in output, output
    assert code == 0, output


def test_check_connect_says_a_foreign_key_of_several_columns_cannot_be_declared_yet(
    shop_url: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A return names the order line it returns by both columns of its key: no reference can
    say so yet, and a sweep deleting order lines would not see it, so check --connect says it."""
    engine = sa.create_engine(shop_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "CREATE TABLE item_returns (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,"
                " item_no INTEGER NOT NULL, FOREIGN KEY (order_id, item_no)"
                " REFERENCES order_items (order_id, item_no))"
            )
    finally:
        engine.dispose()
    store = json.loads(json.dumps(STORE))
    store["tables"]["item_returns"] = {
        "subject": "customer",
        "references": {"order": "order_id -> orders"},
        "not_personal": ["id", "item_no"],
    }
    monkeypatch.setenv("COMPOSITE_DATABASE_URL", shop_url)
    code, output = cli("check", str(write_register(tmp_path, store)), "--connect")
    problems = [p for p in _problems(output) if "several columns" in p]
    assert code == 1 and len(problems) == 1, output
    assert problems[0].startswith(
        "store 'shop', table 'item_returns': the database links item_returns(order_id, "
        "item_no) -> order_items(order_id, item_no) by a foreign key on several columns, "
        "which a mapping reference cannot express yet"
    ), problems


# -- access and erasure ---------------------------------------------------------------------------


def test_an_access_holds_the_persons_order_lines_and_visits(shop_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(shop_url)
    try:
        expected = theirs(engine, BOB)
        done = request(
            shop_register(tmp_path), engine, f"sqlite:///{tmp_path / 's.db'}", tmp_path, "access"
        )
    finally:
        engine.dispose()
    with zipfile.ZipFile(done.result["export"]) as archive:
        data = json.loads(archive.read("data.json"))["tables"]
    items = {_text((r["order_id"], r["item_no"])) for r in data["order_items"]["rows"]}
    assert items == expected["order_items"] and len(items) == ORDERS * ITEMS
    visits = {
        _text((r["email"], datetime.fromisoformat(r["visited_at"]).replace(tzinfo=None)))
        for r in data["website_visits"]["rows"]
    }
    assert visits == expected["website_visits"] and len(visits) == VISITS
    assert {r["id"] for r in data["orders"]["rows"]} == {int(k) for k in expected["orders"]}
    assert [r["email"] for r in data["customers"]["rows"]] == [email(BOB)]


def _erased_as_expected(
    before: dict[str, dict[str, str]], after: dict[str, dict[str, str]], gone: dict[str, set[str]]
) -> None:
    for table, by_key in before.items():
        if table in gone:
            assert gone[table], table
            left = {k: v for k, v in by_key.items() if k not in gone[table]}
            assert after[table] == left, table  # Bob's rows gone, the others' byte-identical
    bob = _text([BOB + 1])
    others = {k: v for k, v in before["customers"].items() if k != bob}
    assert {k: v for k, v in after["customers"].items() if k != bob} == others
    assert after["products"] == before["products"]
    assert email(BOB) not in after["customers"].get(bob, "")  # anonymized, or deleted


def test_an_erasure_removes_the_persons_order_lines_and_visits_and_nobody_elses(
    shop_url: str, tmp_path: Path
) -> None:
    engine = sa.create_engine(shop_url)
    try:
        gone = theirs(engine, BOB)
        before = snapshot(engine)
        done = request(
            shop_register(tmp_path), engine, f"sqlite:///{tmp_path / 's.db'}", tmp_path, "erasure"
        )
        after = snapshot(engine)
    finally:
        engine.dispose()
    assert done.state.value == "done"
    _erased_as_expected(before, after, gone)


CHILD = """
import sys
from datetime import datetime
from pathlib import Path
sys.path.insert(0, {tests!r})
import sqlalchemy as sa
from registre.register.loader import load_register
from registre.requests import RequestDesk
from registre.state import open_state
engine = sa.create_engine({url!r})
with open_state({state!r}) as state:
    RequestDesk(
        load_register(Path({register!r})), state, {{"shop": engine}}, out_dir={out!r},
        now=datetime.fromisoformat({now!r}),
    ).execute({request!r}, step_size=1)
"""


@pytest.mark.slow
def test_an_erasure_killed_between_steps_resumes_on_the_same_keys(
    shop_url: str, tmp_path: Path
) -> None:
    """The stored plan's keys (JSON lists), read back from the state, find the rows they name."""
    register_path = write_register(tmp_path)
    register = load_register(register_path)
    state_url = f"sqlite:///{tmp_path / 's.db'}"
    engine = sa.create_engine(shop_url)
    try:
        gone = theirs(engine, BOB)
        before = snapshot(engine)
        with open_state(state_url) as state:
            requests = desk(register, engine, state, tmp_path)
            opened = requests.open("erasure", {"email": email(BOB)})
            requests.verify(opened.id, method="signed letter with an identity document")
        code = CHILD.format(
            tests=str(HERE),
            url=shop_url,
            state=state_url,
            register=str(register_path),
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
    _erased_as_expected(before, after, gone)


# -- holds and a sweep, through the command line, against an oracle in plain SQL ------------------


@pytest.fixture
def cli(run_cli: RunCli) -> Any:
    """``registre ARGS`` in this process: (exit code, stdout and stderr); no traceback."""
    return lambda *args: combined(run_cli(*args))


def due_by_sql(engine: sa.Engine, held_items: set[str], held_visits: set[str]) -> dict[str, set]:
    """What the sweep must delete, in plain SQL: order lines and orders placed more than 10
    years ago, visits more than a year ago; minus the held rows, and an order whose line is held
    (the line keeps its order)."""
    ten_years, one_year = NOW - timedelta(days=3653), NOW - timedelta(days=365)
    with engine.connect() as connection:
        items = connection.execute(
            sa.text(
                "SELECT i.order_id, i.item_no FROM order_items i JOIN orders o"
                " ON o.id = i.order_id WHERE o.placed_at < :cutoff"
            ),
            {"cutoff": ten_years},
        ).all()
        orders = connection.execute(
            sa.text("SELECT id FROM orders WHERE placed_at < :cutoff"), {"cutoff": ten_years}
        ).all()
        visits = connection.execute(
            sa.text("SELECT email, visited_at FROM website_visits WHERE visited_at < :cutoff"),
            {"cutoff": one_year},
        ).all()
    kept_orders = {k.split("|")[0] for k in held_items}
    return {
        "order_items": {_text(r) for r in items} - held_items,
        "orders": {_text(r) for r in orders} - kept_orders,
        "website_visits": {_text(r) for r in visits} - held_visits,
    }


def test_a_sweep_in_small_batches_deletes_what_plain_sql_says_and_keeps_the_held_rows(
    shop_url: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record holds on an order line (``[order_id, item_no]``) and on a visit (``[email, at]``)
    keep those rows (and the held line's order); everything else due goes, in batches of 4
    that page through the keys as row values."""
    register_path = write_register(tmp_path)
    state_url = f"sqlite:///{tmp_path / 's.db'}"
    monkeypatch.setenv("COMPOSITE_DATABASE_URL", shop_url)
    engine = sa.create_engine(shop_url)
    common = ("--register", str(register_path), "--state-url", state_url, "--store", "shop")
    held_order = order_id(2, 0)  # an old order: due
    held_visit = (email(3), rows()["website_visits"][3 * VISITS]["visited_at"])  # an old visit
    try:
        before = snapshot(engine)
        for table, key in (
            ("order_items", f"[{held_order}, 2]"),
            # the instant as a person writes it, in another offset: the same row in UTC
            ("website_visits", json.dumps([held_visit[0], held_visit[1].isoformat() + "+00:00"])),
        ):
            code, output = cli(
                "hold", "add", "--reason", "litige", "--table", table, "--key", key, *common
            )
            assert code == 0, output
        for table, key, message in (
            ("order_items", "[1, 2]", "has no row of 'order_items' with order_id, item_no [1, 2]"),
            ("order_items", "1, 2", "is not a list of one value for each"),
            ("order_items", '["x", 2]', "is not a list of one value for each"),
        ):
            code, output = cli(
                "hold", "add", "--reason", "litige", "--table", table, "--key", key, *common
            )
            assert code == 1 and message in " ".join(output.split()), output
        held_items = {_text((held_order, 2))}
        held_visits = {_text(held_visit)}
        expected = due_by_sql(engine, held_items, held_visits)
        code, output = cli(
            "sweep",
            str(register_path),
            "--at",
            AT,
            "--yes",
            "--state-url",
            state_url,
            "--batch-size",
            "4",
        )
        assert code == 0, output
        after = snapshot(engine)
        code, verified = cli("audit", "verify", "--state-url", state_url)
        with open_state(state_url) as state:
            batches = [
                e.details
                for e in state.audit.entries(action_prefix="sweep.delete")
                if e.details.get("table") in ("order_items", "website_visits")
            ]
    finally:
        engine.dispose()
    assert code == 0, verified
    for table in ("order_items", "orders", "website_visits"):
        assert expected[table], table
        deleted = set(before[table]) - set(after[table])
        assert deleted == expected[table], table
        unchanged = {k: v for k, v in before[table].items() if k not in deleted}
        assert after[table] == unchanged, table
    assert after["customers"] == before["customers"]
    # several batches per table, each naming its first and last keys as JSON lists
    for table in ("order_items", "website_visits"):
        mine = [b for b in batches if b["table"] == table]
        assert len(mine) >= 2, table  # the second one starts after the first one's last key
        assert sum(b["count"] for b in mine) == len(expected[table])
        assert all(json.loads(b["first_key"]) and json.loads(b["last_key"]) for b in mine)
        assert mine[0]["range"]["column"] == ", ".join(KEYS[table])


def test_a_count_cap_on_a_key_of_several_columns_keeps_each_persons_last_visit(
    shop_url: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``keep_last: 1`` per email: the ranking's ties are broken by the key, here two columns;
    what is left is each person's latest visit, computed here with plain SQL."""
    path = write_register(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["activities"]["security"]["retention"]["logins"]["keep_last"] = {
        "count": 1,
        "per": {"fr": "par client", "en": "per customer"},
        "items": {"fr": "visites", "en": "visits"},
    }
    visits = data["stores"]["shop"]["tables"]["website_visits"]
    visits["rules"] = {"logins": {"per": "email", "order_by": "visited_at"}}
    path.write_text(json.dumps(data), encoding="utf-8")
    engine = sa.create_engine(shop_url)
    try:
        with engine.connect() as connection:
            latest = connection.exec_driver_sql(
                "SELECT email, MAX(visited_at) FROM website_visits GROUP BY email"
            ).all()
        monkeypatch.setenv("COMPOSITE_DATABASE_URL", shop_url)
        state_url = f"sqlite:///{tmp_path / 's.db'}"
        code, output = cli(
            "sweep", str(path), "--at", AT, "--yes", "--state-url", state_url, "--batch-size", "2"
        )
        assert code == 0, output
        left = set(snapshot(engine)["website_visits"])
    finally:
        engine.dispose()
    assert left == {_text(row) for row in latest} and len(left) == CUSTOMERS
