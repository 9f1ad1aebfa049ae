"""The example applications' databases: deterministic data, loadable everywhere, every rule due.

The distribution test is the specification of the generators: at each example's anchor date,
every retention rule bound to a table has rows due and rows not due, and every clock of the
rule makes some rows due by itself. It is computed here from the data, independently of the
sweeper, with :func:`registre.durations.is_due`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, insert, inspect, select

from _support import server_url
from registre.demo import DemoApp, load_app, load_demo_data
from registre.durations import Duration, is_due
from registre.register.loader import load_register
from registre.register.mapping import DataStore
from registre.register.model import Register
from registre.stores.throwaway import scratch_database

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "app.py").is_file())
SERVERS = {
    "sqlite": "sqlite://",
    "postgresql": "REGISTRE_TEST_POSTGRES_URL",
    "mariadb": "REGISTRE_TEST_MARIADB_URL",
}


@pytest.fixture(params=list(SERVERS))
def database(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh, empty database on each backend, dropped afterwards."""
    with scratch_database(server_url(request.param)) as url:
        yield url


def checksums(app: DemoApp, url: str) -> dict[str, str]:
    """A digest of every table's rows in primary-key order, as SQLAlchemy reads them back."""
    engine = create_engine(url)
    digests = {}
    try:
        with engine.connect() as conn:
            for table in app.metadata.sorted_tables:
                digest = hashlib.sha256()
                for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                    digest.update(repr(tuple(row)).encode())
                digests[table.name] = digest.hexdigest()
    finally:
        engine.dispose()
    return digests


def load(
    app: DemoApp, url: str, subjects: int, seed: int, profile: str | None = None
) -> dict[str, int]:
    engine = create_engine(url)
    try:
        return load_demo_data(app, engine, subjects=subjects, seed=seed, profile=profile).rows
    finally:
        engine.dispose()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows(
    example: Path, tmp_path: Path
) -> None:
    app = load_app(example)
    urls = {name: f"sqlite:///{tmp_path / name}.db" for name in ("first", "again", "other")}
    load(app, urls["first"], 150, seed=7)
    load(app, urls["again"], 150, seed=7)
    load(app, urls["other"], 150, seed=8)

    first = checksums(app, urls["first"])
    assert checksums(app, urls["again"]) == first
    other = checksums(app, urls["other"])
    assert [name for name in first if other[name] == first[name]] == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_backend_holds_the_same_rows_and_keeps_generating_ids(
    example: Path, database: str, tmp_path: Path
) -> None:
    app = load_app(example)
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    expected_rows = load(app, reference, 120, seed=3)

    assert load(app, database, 120, seed=3) == expected_rows
    assert checksums(app, database) == checksums(app, reference)
    engine = create_engine(database)
    try:
        with engine.begin() as conn:
            for name, count in expected_rows.items():
                table = app.metadata.tables[name]
                assert conn.execute(select(func.count()).select_from(table)).scalar() == count
            # explicit ids were loaded: the application's own inserts must still get new ones
            root = app.metadata.sorted_tables[0]
            (pk,) = root.primary_key.columns
            highest = conn.execute(select(func.max(pk))).scalar()
            values = _minimal_row(root)
            new_id = conn.execute(insert(root).values(values)).inserted_primary_key[0]
        assert new_id > highest
    finally:
        engine.dispose()


def _minimal_row(table: Any) -> dict[str, Any]:
    from datetime import datetime

    from sqlalchemy import Boolean, DateTime, Integer

    values: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key or column.nullable:
            continue
        kind = column.type
        if isinstance(kind, Boolean):
            values[column.name] = False
        elif isinstance(kind, DateTime):
            values[column.name] = datetime(2026, 1, 1)
        elif isinstance(kind, Integer):
            values[column.name] = 1
        else:
            values[column.name] = "x"
    return values


def test_loading_refuses_existing_tables_unless_asked_to_drop_them(tmp_path: Path) -> None:
    from registre import StoreError

    app = load_app(ROOT / "examples" / "device-management")
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    first = load(app, url, 40, seed=1)
    engine = create_engine(url)
    try:
        with pytest.raises(StoreError, match="already has the tables"):
            load_demo_data(app, engine, subjects=40, seed=1)
        assert load_demo_data(app, engine, subjects=40, seed=1, drop=True).rows == first
    finally:
        engine.dispose()


def test_the_lean_profile_makes_about_ten_rows_a_person_with_less_history(tmp_path: Path) -> None:
    app = load_app(ROOT / "examples" / "device-management")
    full = load(app, f"sqlite:///{tmp_path / 'full.db'}", 3000, seed=5)
    lean = load(app, f"sqlite:///{tmp_path / 'lean.db'}", 3000, seed=5, profile="lean")

    history = {"geolocation_points", "web_history"}
    assert lean["directory_users"] == full["directory_users"] == 3000
    for table in set(full) - history:  # the same shape of accounts, people and devices
        assert 0.85 * full[table] <= lean[table] <= 1.15 * full[table], (table, lean, full)
    assert 9.0 <= sum(lean.values()) / 3000 <= 11.0, lean
    assert sum(full.values()) / 3000 > 30
    for table in history:
        assert 0.1 * full[table] < lean[table] < 0.25 * full[table], (table, lean, full)


def test_an_unknown_profile_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    from registre import StoreError

    app = load_app(ROOT / "examples" / "device-management")
    url = f"sqlite:///{tmp_path / 'none.db'}"
    engine = create_engine(url)
    try:
        with pytest.raises(StoreError, match="no data profile 'thin' \\(its profiles: lean\\)"):
            load_demo_data(app, engine, subjects=10, profile="thin")
        assert not (tmp_path / "none.db").exists() or not inspect(engine).get_table_names()
    finally:
        engine.dispose()


# -- the distribution: every rule has rows due and rows not due at the anchor --------------------


class Rows:
    """Every row of a small example database, indexed to follow references in Python."""

    def __init__(self, app: DemoApp, url: str) -> None:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                self.tables = {
                    table.name: [dict(row._mapping) for row in conn.execute(select(table))]
                    for table in app.metadata.sorted_tables
                }
        finally:
            engine.dispose()
        self._index: dict[tuple[str, str], dict[Any, dict[str, Any]]] = {}

    def by(self, table: str, column: str, value: Any) -> dict[str, Any] | None:
        key = (table, column)
        if key not in self._index:
            self._index[key] = {row[column]: row for row in self.tables[table]}
        return self._index[key].get(value)


def _follow(store: DataStore, rows: Rows, table: str, row: dict[str, Any], path: str) -> Any:
    *hops, column = path.split(".")
    current: dict[str, Any] | None = row
    for hop in hops:
        ref = store.tables[table].references[hop]
        target = ref.target or store.tables[ref.table].primary_key
        current = rows.by(ref.table, target, current[ref.column]) if current else None
        table = ref.table
    return current[column] if current else None


def _tenant(store: DataStore, rows: Rows, table: str, row: dict[str, Any]) -> Any:
    tenants = store.tenants
    if tenants is None:
        return None
    if table == tenants.table:
        return row
    mapping = store.tables[table]
    if mapping.tenant is None:
        return None
    return rows.by(tenants.table, tenants.key, _follow(store, rows, table, row, mapping.tenant))


def due_by_clock(register: Register, store_id: str, rows: Rows, at: Any) -> dict[Any, list[set]]:
    """{(table, rule): [rows due by clock 1, by clock 2, ..., by the count cap], plus all rows}."""
    store = register.stores[store_id]
    tz = ZoneInfo(register.policy.timezone)
    out: dict[Any, list[set]] = {}
    for table, mapping in store.tables.items():
        pk = mapping.primary_key
        for rule_id, binding in mapping.rules.items():
            _, rule = register.rule(rule_id)
            if not rule.after and rule.keep_last is None:
                continue  # a 'statement' (meeting-assistant, seed 001): never due, never swept
            groups: list[set] = []
            for clock in rule.after:
                due = set()
                for row in rows.tables[table]:
                    if clock.event in mapping.events:
                        moment = _follow(store, rows, table, row, mapping.events[clock.event])
                    else:  # contract_ended, read on the tenants table
                        tenant = _tenant(store, rows, table, row)
                        moment = tenant[store.tenants.contract_ended] if tenant else None
                    period = clock.period
                    if rule.client_agreed:
                        tenant = _tenant(store, rows, table, row)
                        months = tenant[store.tenants.retention_months] if tenant else None
                        period = Duration(months, "months") if months is not None else period
                    if moment is not None and is_due(moment, period, at, tz):
                        due.add(row[pk])
                groups.append(due)
            if rule.keep_last is not None:
                newest: dict[Any, list[dict[str, Any]]] = defaultdict(list)
                for row in rows.tables[table]:
                    newest[row[binding.per]].append(row)
                capped = set()
                for group in newest.values():
                    group.sort(key=lambda r: (r[binding.order_by], r[pk]), reverse=True)
                    capped |= {r[pk] for r in group[rule.keep_last.count :]}
                groups.append(capped)
            groups.append({row[pk] for row in rows.tables[table]})
            out[(table, rule_id)] = groups
    return out


PROFILES = [(example, None) for example in EXAMPLES] + [
    (example, name) for example in EXAMPLES for name in sorted(load_app(example).profiles)
]


@pytest.mark.parametrize(
    ("example", "profile"),
    PROFILES,
    ids=lambda value: value.name if isinstance(value, Path) else (value or "default"),
)
def test_at_the_anchor_every_rule_has_rows_due_and_rows_not_due(
    example: Path, profile: str | None, tmp_path: Path
) -> None:
    app = load_app(example)
    register = load_register(example / "register.yaml")
    url = f"sqlite:///{tmp_path / 'spread.db'}"
    load(app, url, 600 if profile is None else 4000, seed=0, profile=profile)
    rows = Rows(app, url)
    at = app.anchor.replace(tzinfo=UTC)

    for store_id in register.stores:
        checked = due_by_clock(register, store_id, rows, at)
        stated_only = all(
            not register.rule(rule_id)[1].after
            for mapping in register.stores[store_id].tables.values()
            for rule_id in mapping.rules
        )
        assert checked or stated_only, f"store '{store_id}' binds no rule"
        for (table, rule_id), (*by_clock, everything) in checked.items():
            due = set().union(*by_clock)
            label = f"{example.name}: rule '{rule_id}' on table '{table}'"
            assert due, f"{label}: no row is due at {at:%Y-%m-%d}"
            assert everything - due, f"{label}: every row is due at {at:%Y-%m-%d}"
            for number, clock_due in enumerate(by_clock, 1):
                # each clock (and the count cap) must be exercised on its own
                others = set().union(*(d for i, d in enumerate(by_clock, 1) if i != number))
                assert clock_due, f"{label}: clock {number} makes no row due"
                assert clock_due - others, (
                    f"{label}: clock {number} makes no row due that another does not"
                )


def test_no_timestamp_is_after_the_anchor_except_future_ends(tmp_path: Path) -> None:
    app = load_app(ROOT / "examples" / "device-management")
    url = f"sqlite:///{tmp_path / 'anchor.db'}"
    load(app, url, 300, seed=0)
    rows = Rows(app, url)
    future_ok = {"subscription_ends_at", "contract_ends_at"}
    late = [
        (table, column)
        for table, table_rows in rows.tables.items()
        for row in table_rows
        for column, value in row.items()
        if hasattr(value, "year") and value > app.anchor and column not in future_ok
    ]
    assert late == []
