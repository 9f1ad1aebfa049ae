"""Which rows each retention rule makes due: one specification table, run on every dialect.

Every case is a rule, how a small table binds it, the rows, and the keys due on
2026-11-01 at 00:00 in Paris (2026-10-31 23:00 UTC). The same case is then swept: exactly the
due rows change, and a second look finds nothing due. SQLite always; PostgreSQL and MariaDB
when REGISTRE_TEST_POSTGRES_URL / REGISTRE_TEST_MARIADB_URL are set, each in a database of its
own created and dropped here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registre import MappingError, Register
from registre.durations import cutoff, is_due
from registre.engine.plan import plan_store
from registre.engine.store_plan import StorePlan, prepare
from registre.engine.sweep import sweep_item
from registre.engine.work_items import PersonHold, RecordHold
from registre.stores.throwaway import scratch_database

AT = datetime.fromisoformat("2026-11-01T00:00:00+01:00")
SERVERS = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}

metadata = sa.MetaData()
tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("contract_ended_at", sa.DateTime),
    sa.Column("retention_months", sa.Integer),
)
parents = sa.Table(
    "parents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("deleted_at", sa.DateTime),
    sa.Column("email", sa.String(100)),
)
items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parents.id")),
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id")),
    sa.Column("grp", sa.Integer),
    sa.Column("email", sa.String(100)),
    sa.Column("name", sa.String(100)),
    sa.Column("born_on", sa.Date),
    sa.Column("lat", sa.Float),
    sa.Column("created_at", sa.DateTime),
    sa.Column("deleted_at", sa.DateTime),
    sa.Column("seen_at", sa.DateTime),
    sa.Column("anonymized_at", sa.DateTime),
)
TENANTS = [
    {"id": 1, "contract_ended_at": datetime(2026, 10, 1), "retention_months": 1},
    {"id": 2, "contract_ended_at": None, "retention_months": None},
    {"id": 3, "contract_ended_at": datetime(2026, 12, 1), "retention_months": 24},
]
PARENTS = [
    {"id": 1, "deleted_at": datetime(2026, 1, 1), "email": "Ann@Example.org"},
    {"id": 2, "deleted_at": datetime(2026, 10, 1), "email": "bob@example.org"},
    {"id": 3, "deleted_at": None, "email": "cy@example.org"},
]
OLD = datetime(2025, 1, 1)


def _rows(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in rows]


# (case, rule, binding of the items table, item rows, keys due)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[dict[str, Any]], set[int]]] = [
    (
        "a clock on the table's own column, counted in local days",
        {"after": "6 months after account_deleted"},
        {"events": {"account_deleted": "deleted_at"}},
        _rows(
            {"id": 1, "deleted_at": datetime(2026, 4, 30, 21, 59)},  # 23:59 in Paris
            {"id": 2, "deleted_at": datetime(2026, 4, 30, 22, 30)},  # 1 May 00:30 in Paris
            {"id": 3, "deleted_at": None},
        ),
        {1},
    ),
    (
        "a clock reached through a reference",
        {"after": "6 months after account_deleted"},
        {"events": {"account_deleted": "parent.deleted_at"}},
        _rows(
            {"id": 1, "parent_id": 1},
            {"id": 2, "parent_id": 2},
            {"id": 3, "parent_id": 3},
            {"id": 4, "parent_id": None},
        ),
        {1},
    ),
    (
        "the earliest of several clocks",
        {"after": ["6 months after account_deleted", "2 years after last_activity"]},
        {"events": {"account_deleted": "deleted_at", "last_activity": "seen_at"}},
        _rows(
            {"id": 1, "deleted_at": datetime(2026, 1, 1), "seen_at": datetime(2026, 10, 1)},
            {"id": 2, "deleted_at": None, "seen_at": datetime(2024, 10, 1)},
            {"id": 3, "deleted_at": datetime(2026, 10, 1), "seen_at": datetime(2026, 10, 1)},
            {"id": 4},
        ),
        {1, 2},
    ),
    (
        "a rolling window of 15 days",
        {"after": "15 days after collected"},
        {"events": {"collected": "created_at"}},
        _rows(
            {"id": 1, "created_at": datetime(2026, 10, 16, 21, 0)},  # 16 Oct in Paris
            {"id": 2, "created_at": datetime(2026, 10, 16, 22, 0)},  # 17 Oct in Paris
            {"id": 3, "created_at": datetime(2026, 10, 31)},
        ),
        {1},
    ),
    (
        "immediately: due from the instant of the event",
        {"after": "immediately after account_deleted"},
        {"events": {"account_deleted": "deleted_at"}},
        _rows(
            {"id": 1, "deleted_at": datetime(2026, 10, 31, 22, 59, 59)},
            {"id": 2, "deleted_at": datetime(2026, 10, 31, 23, 0, 0)},
            {"id": 3, "deleted_at": datetime(2026, 10, 31, 23, 0, 1)},
        ),
        {1, 2},
    ),
    (
        "keep the newest 2 per group (ties: higher key newer, NULL a group), at most 2 months",
        {
            "after": "2 months after collected",
            "keep_last": {"count": 2, "per": {"fr": "par groupe", "en": "per group"}},
        },
        {
            "events": {"collected": "created_at"},
            "rules": {"r": {"per": "grp", "order_by": "created_at"}},
        },
        _rows(
            *({"id": i, "grp": 1, "created_at": datetime(2026, 10, i)} for i in (1, 2, 3, 4)),
            {"id": 5, "grp": 2, "created_at": datetime(2026, 8, 1)},
            {"id": 6, "grp": 2, "created_at": datetime(2026, 10, 20)},
            *({"id": i, "grp": 3, "created_at": datetime(2026, 10, 10)} for i in (7, 8, 9)),
            *({"id": i, "grp": None, "created_at": datetime(2026, 10, 10)} for i in (10, 11, 12)),
        ),
        {1, 2, 5, 7, 10},
    ),
    (
        "contract_ended read on the tenants table",
        {"after": "immediately after contract_ended"},
        {"tenant": "tenant_id"},
        _rows(
            {"id": 1, "tenant_id": 1},
            {"id": 2, "tenant_id": 2},
            {"id": 3, "tenant_id": 3},
            {"id": 4, "tenant_id": None},
        ),
        {1},
    ),
    (
        "a period agreed per client, the register's by default",
        {"after": "6 months after account_deleted", "client_agreed": True},
        {"events": {"account_deleted": "deleted_at"}, "tenant": "tenant_id"},
        _rows(
            *({"id": t, "tenant_id": t, "deleted_at": datetime(2026, 8, 15)} for t in (1, 2, 3)),
            *({"id": 3 + t, "tenant_id": t, "deleted_at": OLD} for t in (1, 2, 3)),
            {"id": 7, "tenant_id": None, "deleted_at": OLD},
        ),
        {1, 4, 5, 7},
    ),
    (
        "anonymize: rows already anonymized are not due again",
        {"after": "1 year after account_deleted", "action": "anonymize"},
        {
            "events": {"account_deleted": "deleted_at"},
            "rules": {
                "r": {
                    "anonymize": {
                        "email": "null",
                        "name": "redact",
                        "born_on": "year",
                        "lat": "coarse_location",
                    }
                }
            },
        },
        _rows(
            {
                "id": 1,
                "deleted_at": OLD,
                "email": "a@x.org",
                "name": "Ann",
                "born_on": date(1990, 5, 17),
                "lat": 47.2184,
            },
            {
                "id": 2,
                "deleted_at": OLD,
                "name": "[redacted]",
                "born_on": date(1990, 1, 1),
                "lat": 47.2,
            },
            {
                "id": 3,
                "deleted_at": OLD,
                "name": "[redacted]",
                "born_on": date(1990, 1, 1),
                "lat": 47.25,
            },
            {"id": 4, "deleted_at": datetime(2026, 10, 1), "name": "Dan"},
        ),
        {1, 3},
    ),
    (
        "anonymize with a marker column: keyed methods cannot be recognised otherwise",
        {"after": "1 year after account_deleted", "action": "anonymize"},
        {
            "events": {"account_deleted": "deleted_at"},
            "rules": {
                "r": {
                    "anonymize": {
                        "email": "fake_email",
                        "name": "fake_name",
                        "born_on": "month",
                        "lat": "coarse_location",
                    },
                    "anonymized_at": "anonymized_at",
                }
            },
        },
        _rows(
            {"id": 1, "deleted_at": OLD, "email": "a@x.org", "name": "Ann"},
            {"id": 2, "deleted_at": OLD, "email": "b@x.org", "name": "Bo", "anonymized_at": OLD},
        ),
        {1},
    ),
]


def register_for(
    rule: dict[str, Any], binding: dict[str, Any], extra_rules: dict[str, Any] | None = None
) -> Register:
    """A small register whose store maps tenants, parents and items."""
    binding = dict(binding)
    table: dict[str, Any] = {
        "primary_key": "id",
        "identity": {"email": "email"},
        "references": {"parent": "parent_id -> parents", "tenant": "tenant_id -> tenants"},
        "columns": {
            "email": "contact",
            "name": "identity",
            "born_on": "identity",
            "lat": "location",
        },
        "not_personal": [
            "parent_id",
            "tenant_id",
            "grp",
            "created_at",
            "deleted_at",
            "seen_at",
            "anonymized_at",
        ],
        "rules": binding.pop("rules", {"r": {}}),
        **binding,
    }
    if extra_rules:
        table["rules"] = {
            **table["rules"],
            **{k: v.pop("binding", {}) for k, v in extra_rules.items()},
        }
    return Register.model_validate(
        {
            "organization": {
                "name": "Test SAS",
                "contact": {"email": "dpo@example.org"},
                "address": {"street": "1 rue de la Paix", "postal_code": "75001", "city": "Paris"},
            },
            "policy": {"version": "1", "date": "2026-01-01", "timezone": "Europe/Paris"},
            "subjects": {"customer": {"name": {"fr": "Clients", "en": "Customers"}}},
            "activities": {
                "service": {
                    "name": {"fr": "Service", "en": "Service"},
                    "purpose": {"fr": "Fournir le service.", "en": "Provide the service."},
                    "legal_basis": "contract",
                    "subjects": ["customer"],
                    "data": ["identity", "contact", "location"],
                    "retention": {"r": rule, **(extra_rules or {})},
                }
            },
            "stores": {
                "app": {
                    "url_env": "REGISTRE_TEST_APP_URL",
                    "tenants": {
                        "table": "tenants",
                        "key": "id",
                        "contract_ended": "contract_ended_at",
                        "retention_months": "retention_months",
                    },
                    "tables": {
                        "tenants": {
                            "primary_key": "id",
                            "not_personal": ["contract_ended_at", "retention_months"],
                        },
                        "parents": {
                            "primary_key": "id",
                            "identity": {"email": "email"},
                            "columns": {"email": "contact"},
                            "not_personal": ["deleted_at"],
                        },
                        "items": table,
                    },
                }
            },
        }
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def server_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of this module's own on each dialect, dropped at the end."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('plan') / 'app.sqlite'}"
        return
    variable = SERVERS[request.param]
    if not os.environ.get(variable):
        pytest.skip(f"{variable} is not set")
    with scratch_database(os.environ[variable], prefix="registre_sweep") as url:
        yield url


@pytest.fixture
def db(server_url: str) -> Iterator[tuple[str, sa.Engine]]:
    """The module's database with fresh tenants, parents and (empty) items tables."""
    engine = sa.create_engine(server_url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(tenants.insert(), TENANTS)
        connection.execute(parents.insert(), PARENTS)
    yield server_url, engine
    engine.dispose()


def _insert(engine: sa.Engine, rows: list[dict[str, Any]]) -> None:
    full = [{c.name: row.get(c.name) for c in items.columns} for row in rows]
    with engine.begin() as connection:
        connection.execute(items.insert(), full)


def _snapshot(engine: sa.Engine) -> dict[int, tuple[Any, ...]]:
    with engine.connect() as connection:
        return {row.id: tuple(row) for row in connection.execute(sa.select(items))}


def _due_keys(sp: StorePlan) -> dict[str, set[int]]:
    with sp.engine.connect() as connection:
        return {
            item.rule: set(connection.execute(sp.sql.select_keys(item)).scalars())
            for item in sp.plan.items
        }


@pytest.mark.parametrize(
    ("case", "rule", "binding", "rows", "due"), CASES, ids=[c[0] for c in CASES]
)
def test_due_rows_then_swept(
    db: tuple[str, sa.Engine],
    case: str,
    rule: dict[str, Any],
    binding: dict[str, Any],
    rows: list[dict[str, Any]],
    due: set[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, engine = db
    monkeypatch.setenv("REGISTRE_HMAC_KEY", "test-key")
    _insert(engine, rows)
    register = register_for(rule, binding)
    sp = prepare(register, "app", AT, url=url)
    try:
        assert _due_keys(sp) == {"r": due}
        assert [c.due for c in sp.counts()] == [len(due)]
        before = _snapshot(engine)
        sweep_item(
            sp, sp.plan.items[0], batch_size=2, audit=lambda *a: None, progress=lambda n: None
        )
        after = _snapshot(engine)
        untouched = set(before) - due
        assert {k: after.get(k) for k in untouched} == {k: before[k] for k in untouched}
        if sp.plan.items[0].action.value == "delete":
            assert set(after) == untouched
        else:
            assert all(after[k] != before[k] for k in due)
        again = prepare(register, "app", AT, url=url)
        assert _due_keys(again) == {"r": set()}
        again.engine.dispose()
    finally:
        sp.engine.dispose()


PARIS = ZoneInfo("Europe/Paris")
# instants around month ends, leap days and both daylight-saving changes, in Paris
INSTANTS = st.sampled_from(
    [
        datetime(2024, 2, 29, 0, 0),
        datetime(2024, 3, 1, 0, 30),
        datetime(2025, 3, 30, 3, 0),
        datetime(2025, 10, 26, 2, 30),
        datetime(2026, 1, 31, 23, 59),
        datetime(2026, 11, 1, 0, 0),
    ]
).map(lambda moment: moment.replace(tzinfo=PARIS))


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    period=st.sampled_from(["1 day", "15 days", "1 month", "6 months", "1 year", "2 years"]),
    at=INSTANTS,
    # events stored as naive UTC, as the example applications store them, within three days
    # either side of the first instant that is not due yet, by the minute
    minutes=st.lists(st.integers(-3 * 24 * 60, 3 * 24 * 60), min_size=1, max_size=12, unique=True),
)
def test_the_database_makes_due_what_the_calendar_says(
    db: tuple[str, sa.Engine], period: str, at: datetime, minutes: list[int]
) -> None:
    """The rule's SQL on each dialect agrees with :func:`registre.durations.is_due`."""
    url, engine = db
    with engine.begin() as connection:
        connection.execute(items.delete())
    register = register_for(
        {"after": f"{period} after account_deleted"}, {"events": {"account_deleted": "deleted_at"}}
    )
    _, retention = register.rule("r")
    boundary = cutoff(at, retention.after[0].period, PARIS).replace(tzinfo=None)
    events = {n + 1: boundary + timedelta(minutes=m) for n, m in enumerate(minutes)}
    _insert(engine, [{"id": key, "deleted_at": event} for key, event in events.items()])
    expected = {
        key
        for key, event in events.items()
        if is_due(event.replace(tzinfo=UTC), retention.after[0].period, at, PARIS)
    }
    sp = prepare(register, "app", at, url=url)
    try:
        assert _due_keys(sp) == {"r": expected}
    finally:
        sp.engine.dispose()


def test_a_row_due_for_deletion_is_not_anonymized_first(db: tuple[str, sa.Engine]) -> None:
    """Invoices: deleted after 10 years, personal fields anonymized after 5."""
    url, engine = db
    _insert(
        engine,
        _rows(
            {"id": 1, "created_at": datetime(2015, 1, 1), "name": "Ann"},  # 10 years: deleted
            {"id": 2, "created_at": datetime(2020, 1, 1), "name": "Bob"},  # 5 years: anonymized
            {"id": 3, "created_at": datetime(2024, 1, 1), "name": "Cy"},  # kept as is
        ),
    )
    register = register_for(
        {"after": "10 years after collected"},
        {"events": {"collected": "created_at"}},
        extra_rules={
            "personal": {
                "after": "5 years after collected",
                "action": "anonymize",
                "data": ["identity"],
                "binding": {"anonymize": {"name": "redact", "born_on": "year"}},
            }
        },
    )
    sp = prepare(register, "app", AT, url=url)
    try:
        assert [(i.rule, i.action.value) for i in sp.plan.items] == [
            ("r", "delete"),
            ("personal", "anonymize"),
        ]
        assert _due_keys(sp) == {"r": {1}, "personal": {2}}
        for item in sp.plan.items:
            sweep_item(sp, item, batch_size=10, audit=lambda *a: None, progress=lambda n: None)
        assert {k: v[5] for k, v in _snapshot(engine).items()} == {2: "[redacted]", 3: "Cy"}
    finally:
        sp.engine.dispose()


HOLD_CASES = [
    ("a record hold", [RecordHold("app", "items", "1")], {1}),
    (
        "a person hold on the row's identity, case-insensitive email",
        [PersonHold((("email", "ann@example.org"),))],
        {2},
    ),
    ("a hold on another store holds nothing", [RecordHold("other", "items", "1")], set()),
]


@pytest.mark.parametrize(("case", "holds", "held"), HOLD_CASES, ids=[c[0] for c in HOLD_CASES])
def test_held_rows_are_reported_and_survive(
    db: tuple[str, sa.Engine], case: str, holds: list[Any], held: set[int]
) -> None:
    url, engine = db
    _insert(
        engine,
        _rows(
            {"id": 1, "deleted_at": OLD, "email": "x@example.org"},
            {"id": 2, "deleted_at": OLD, "email": "ANN@example.org"},
            {"id": 3, "deleted_at": OLD},
        ),
    )
    register = register_for(
        {"after": "1 month after account_deleted"}, {"events": {"account_deleted": "deleted_at"}}
    )
    sp = prepare(register, "app", AT, url=url, holds=holds)
    try:
        (count,) = sp.counts()
        assert (count.due, count.held) == (3 - len(held), len(held))
        sweep_item(
            sp, sp.plan.items[0], batch_size=10, audit=lambda *a: None, progress=lambda n: None
        )
        assert set(_snapshot(engine)) == held
    finally:
        sp.engine.dispose()


def test_a_person_hold_reaches_rows_through_their_parent(db: tuple[str, sa.Engine]) -> None:
    url, engine = db
    _insert(
        engine,
        _rows(
            {"id": 1, "parent_id": 1, "deleted_at": OLD},
            {"id": 2, "parent_id": 2, "deleted_at": OLD},
        ),
    )
    register = register_for(
        {"after": "1 month after account_deleted"}, {"events": {"account_deleted": "deleted_at"}}
    )
    sp = prepare(register, "app", AT, url=url, holds=[PersonHold((("email", "ann@example.org"),))])
    try:
        (count,) = sp.counts()
        assert (count.due, count.held) == (1, 1)
    finally:
        sp.engine.dispose()


def test_a_parent_still_referenced_is_blocked_not_deleted(db: tuple[str, sa.Engine]) -> None:
    """Parents are due 1 week after deletion; items that are not due keep their parent."""
    url, engine = db
    _insert(
        engine,
        _rows(
            {"id": 1, "parent_id": 1, "created_at": datetime(2026, 10, 30)},
            {"id": 2, "parent_id": 2, "created_at": datetime(2020, 1, 1)},
        ),
    )
    register = register_for(
        {"after": "1 year after collected"},
        {"events": {"collected": "created_at"}},
        extra_rules=None,
    )
    data = register.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["activities"]["service"]["retention"]["parents"] = {
        "after": "1 week after account_deleted"
    }
    data["stores"]["app"]["tables"]["parents"].update(
        events={"account_deleted": "deleted_at"}, rules={"parents": {}}
    )
    register = Register.model_validate(data)
    sp = prepare(register, "app", AT, url=url)
    try:
        assert [i.table for i in sp.plan.items] == ["items", "parents"]  # children first
        counts = {c.item.rule: (c.due, c.blocked) for c in sp.counts()}
        # parent 2's only item goes first in the same sweep: it is due, not blocked
        assert counts == {"r": (1, 0), "parents": (1, 1)}
        for item in sp.plan.items:
            sweep_item(sp, item, batch_size=10, audit=lambda *a: None, progress=lambda n: None)
        with engine.connect() as connection:
            left = set(connection.execute(sa.select(parents.c.id)).scalars())
        assert left == {1, 3}  # parent 2 lost its last item in the same sweep; 3 is not due
    finally:
        sp.engine.dispose()


UNLINK_CASES = [
    ("kept items are unlinked, their parents deleted", [], {3}, {1: None, 2: None}),
    (
        "a held item is never unlinked: it keeps its parent",
        [RecordHold("app", "items", "2")],
        {2, 3},
        {1: None, 2: 2},
    ),
]


@pytest.mark.parametrize(
    ("case", "holds", "parents_left", "links"), UNLINK_CASES, ids=[c[0] for c in UNLINK_CASES]
)
def test_a_parent_referenced_through_unlink_is_deleted_and_its_dependants_kept(
    db: tuple[str, sa.Engine],
    case: str,
    holds: list[Any],
    parents_left: set[int],
    links: dict[int, int | None],
) -> None:
    """Parents are due 1 week after deletion; their items are not due, and are kept."""
    url, engine = db
    _insert(engine, _rows({"id": 1, "parent_id": 1}, {"id": 2, "parent_id": 2}))
    register = register_for(
        {"after": "1 year after collected"}, {"events": {"collected": "created_at"}}
    )
    data = register.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["activities"]["service"]["retention"]["parents"] = {
        "after": "1 week after account_deleted"
    }
    data["stores"]["app"]["tables"]["parents"].update(
        events={"account_deleted": "deleted_at"}, rules={"parents": {}}
    )
    data["stores"]["app"]["tables"]["items"]["references"]["parent"] = {
        "column": "parent_id",
        "table": "parents",
        "on_delete": "unlink",
    }
    register = Register.model_validate(data)
    sp = prepare(register, "app", AT, url=url, holds=holds)
    try:
        counts = {c.item.rule: (c.due, c.blocked) for c in sp.counts()}
        assert counts["parents"] == (2 - len(holds), len(holds))
        for item in sp.plan.items:
            sweep_item(sp, item, batch_size=10, audit=lambda *a: None, progress=lambda n: None)
        with engine.connect() as connection:
            left = set(connection.execute(sa.select(parents.c.id)).scalars())
            kept = dict(connection.execute(sa.select(items.c.id, items.c.parent_id)).all())
        assert (left, kept) == (parents_left, links)
    finally:
        sp.engine.dispose()


def test_unlink_on_a_not_null_column_is_refused_by_the_check(tmp_path: Path) -> None:
    from registre.stores import check_mapping

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.sqlite'}")
    strict = sa.MetaData()
    for table in (tenants, parents):
        table.to_metadata(strict)
    sa.Table(
        "items",
        strict,
        *(
            sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.name != "parent_id")
            for c in items.columns
        ),
    )
    strict.create_all(engine)
    data = register_for(
        {"after": "1 year after collected"}, {"events": {"collected": "created_at"}}
    ).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["stores"]["app"]["tables"]["items"]["references"]["parent"] = {
        "column": "parent_id",
        "table": "parents",
        "on_delete": "unlink",
    }
    problems = [str(p) for p in check_mapping(Register.model_validate(data), "app", engine)]
    engine.dispose()
    assert any("parent_id" in p and "NOT NULL" in p for p in problems), problems


MAPPING_PROBLEMS = [
    (
        "an event the table does not time",
        {"after": "6 months after account_deleted"},
        {},
        "gives no timestamp for the event",
    ),
    (
        "keep_last without per/order_by",
        {
            "after": "2 months after collected",
            "keep_last": {"count": 5, "per": {"fr": "x", "en": "x"}},
        },
        {"events": {"collected": "created_at"}},
        "needs 'per' and 'order_by'",
    ),
    (
        "anonymize without methods",
        {"after": "1 year after collected", "action": "anonymize"},
        {"events": {"collected": "created_at"}},
        "needs the method of each column",
    ),
    (
        "a keyed method without a marker",
        {"after": "1 year after collected", "action": "anonymize"},
        {"events": {"collected": "created_at"}, "rules": {"r": {"anonymize": {"name": "hash"}}}},
        "declare 'anonymized_at",
    ),
    (
        "anonymizing the primary key",
        {"after": "1 year after collected", "action": "anonymize"},
        {"events": {"collected": "created_at"}, "rules": {"r": {"anonymize": {"id": "null"}}}},
        "a key cannot be anonymized",
    ),
]


@pytest.mark.parametrize(
    ("case", "rule", "binding", "message"), MAPPING_PROBLEMS, ids=[c[0] for c in MAPPING_PROBLEMS]
)
def test_a_mapping_that_cannot_be_enforced_is_refused(
    case: str, rule: dict[str, Any], binding: dict[str, Any], message: str
) -> None:
    with pytest.raises(MappingError) as raised:
        plan_store(register_for(rule, binding), "app", AT)
    assert any(message in problem for problem in raised.value.problems), raised.value.problems


def test_plan_json_and_sql_on_the_command_line(
    db: tuple[str, sa.Engine], tmp_path: Path, run_cli: Any
) -> None:
    url, engine = db
    _insert(engine, CASES[0][3])
    register = register_for(CASES[0][1], CASES[0][2])
    path = tmp_path / "register.yaml"
    import json

    path.write_text(json.dumps(register.model_dump(mode="json", exclude_defaults=True)))
    code, out, err = run_cli(
        "plan",
        str(path),
        "--url",
        url,
        "--at",
        "2026-11-01",
        "--json",
        "--sql",
        "--state-url",
        f"sqlite:///{tmp_path / 's.sqlite'}",
    )
    assert code == 0, err
    document = json.loads(out)
    (entry,) = document["stores"][0]["items"]
    assert document["at"] == "2026-10-31T23:00:00+00:00"
    assert (entry["rule"], entry["table"], entry["action"], entry["due"], entry["held"]) == (
        "r",
        "items",
        "delete",
        1,
        0,
    )
    select, delete = entry["sql"]
    assert "2026-04-30 22:00:00" in select and delete.startswith("DELETE FROM items")
    with engine.begin() as connection:  # the statement shown is the statement that runs
        assert connection.execute(sa.text(delete)).rowcount == 1


# run_cli: tests/conftest.py


RESTRICTIONS = [
    ("in force, by email in another case", "ANN@example.org", None, {1}),
    ("lifted", "ann@example.org", datetime(2026, 10, 1, tzinfo=UTC), set()),
    ("on a person of another table's identity", "nobody@example.org", None, set()),
]


@pytest.mark.parametrize(
    ("case", "email", "lifted_at", "kept"), RESTRICTIONS, ids=[c[0] for c in RESTRICTIONS]
)
def test_a_restricted_persons_rows_are_held_by_the_sweep(
    db: tuple[str, sa.Engine],
    tmp_path: Path,
    run_cli: Any,
    case: str,
    email: str,
    lifted_at: datetime | None,
    kept: set[int],
) -> None:
    """Art. 18(1)(b)/(c): a person who restricted processing keeps their data past its term."""
    import json

    from registre.requests.identity import normalize
    from registre.state import open_state
    from registre.state.db import write_transaction
    from registre.state.protections import DIGESTS, pair_digests, restriction

    url, engine = db
    _insert(
        engine,
        _rows(
            {"id": 1, "deleted_at": OLD, "email": "ann@example.org"},
            {"id": 2, "deleted_at": OLD, "email": "bob@example.org"},
        ),
    )
    register = register_for(
        {"after": "1 month after account_deleted"}, {"events": {"account_deleted": "deleted_at"}}
    )
    path = tmp_path / "register.yaml"
    path.write_text(json.dumps(register.model_dump(mode="json", exclude_defaults=True)))
    state_url = f"sqlite:///{tmp_path / 's.sqlite'}"
    value = normalize("email", email)
    with open_state(state_url) as state, write_transaction(state.engine) as connection:
        connection.execute(
            restriction.insert().values(
                request_id="r1",
                kind="email",
                value=value,
                placed_at=datetime(2026, 9, 1, tzinfo=UTC),
                lifted_at=lifted_at,
            )
        )
        # as a restriction request records it: its rows match the audit trail's entries
        entries = [("request.restriction.recorded", {DIGESTS: pair_digests([("email", value)])})]
        if lifted_at is not None:
            entries.append(("request.restriction.lifted", {}))
        state.audit.append_many_in(connection, entries, request_id="r1")
    common = ("--url", url, "--at", "2026-11-01", "--state-url", state_url)
    code, out, err = run_cli("plan", str(path), *common, "--json")
    assert code == 0, err
    (entry,) = json.loads(out)["stores"][0]["items"]
    assert (entry["due"], entry["held"], entry["held_reasons"]) == (
        2 - len(kept),
        len(kept),
        {"legal_hold": 0, "restriction": len(kept)},
    )
    code, out, err = run_cli("sweep", str(path), *common, "--yes")
    assert code == 0, err
    assert set(_snapshot(engine)) == kept


def test_a_keyed_method_without_its_key_is_refused_before_any_write(
    db: tuple[str, sa.Engine], tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    url, engine = db
    case = CASES[-1]
    _insert(engine, case[3])
    before = _snapshot(engine)
    path = tmp_path / "register.yaml"
    register = register_for(case[1], case[2])
    path.write_text(json.dumps(register.model_dump(mode="json", exclude_defaults=True)))
    monkeypatch.delenv("REGISTRE_HMAC_KEY", raising=False)
    code, _out, err = run_cli(
        "sweep",
        str(path),
        "--url",
        url,
        "--at",
        "2026-11-01",
        "--yes",
        "--state-url",
        f"sqlite:///{tmp_path / 's.sqlite'}",
    )
    assert code == 1 and "REGISTRE_HMAC_KEY" in err and "Traceback" not in err
    assert _snapshot(engine) == before
