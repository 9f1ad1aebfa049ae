"""The retention forms of real policies are enforced (issue 12 §4): one table, every dialect.

A minimum period keeps rows another clock makes due; a hedged period ("up to") is swept at the
period; a status-dependent event starts its clock only for rows whose column holds the status;
a derived inactivity event is the latest of several timestamps; a deletion in stages deletes at
the end of the live stage. Each case gives a rule, how the table binds it, the rows and the keys
due on 2026-11-01 at 00:00 in Paris, written by hand from the calendar; the engine must find
exactly those, the sweep must delete exactly those, and a second look must find nothing. SQLite
always; PostgreSQL and MariaDB when REGISTRE_TEST_POSTGRES_URL / REGISTRE_TEST_MARIADB_URL are
set, each in a database of its own.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from registre import MappingError, Register
from registre import cli as cli_module
from registre.cli import main
from registre.engine.plan import plan_store
from registre.engine.store_plan import StorePlan, prepare
from registre.engine.sweep import sweep_item
from registre.stores.throwaway import scratch_database

AT = datetime.fromisoformat("2026-11-01T00:00:00+01:00")
SERVERS = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}

metadata = sa.MetaData()
owners = sa.Table(
    "owners",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(20)),
    sa.Column("seen_at", sa.DateTime),
)
files = sa.Table(
    "files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id")),
    sa.Column("status", sa.String(20)),
    sa.Column("email", sa.String(100)),
    sa.Column("created_at", sa.DateTime),
    sa.Column("closed_at", sa.DateTime),
    sa.Column("login_at", sa.DateTime),
    sa.Column("deleted_at", sa.DateTime),
    sa.Column("held", sa.Boolean),
    sa.Column("stage", sa.Integer),
)
OWNERS = [
    {"id": 1, "status": "closed", "seen_at": datetime(2020, 1, 1)},
    {"id": 2, "status": "open", "seen_at": datetime(2026, 10, 1)},
    {"id": 3, "status": None, "seen_at": None},
]
OLD = datetime(2020, 1, 1)
RECENT = datetime(2026, 10, 1)


def t(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


def _rows(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in rows]


# (case, rule, binding of the files table, rows, keys due)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[dict[str, Any]], set[int]]] = [
    (
        "a minimum period keeps rows that another clock makes due",
        {"after": "immediately after account_deleted", "at_least": "2 years after collected"},
        {"events": {"account_deleted": "deleted_at", "collected": "created_at"}},
        _rows(
            {"id": 1, "deleted_at": RECENT, "created_at": OLD},
            {"id": 2, "deleted_at": RECENT, "created_at": datetime(2025, 1, 1)},
            {"id": 3, "deleted_at": RECENT, "created_at": datetime(2024, 10, 31, 10)},  # 2 y
            {"id": 4, "deleted_at": RECENT, "created_at": datetime(2024, 11, 1, 10)},
            {"id": 5, "deleted_at": RECENT, "created_at": None},  # not started: kept
            {"id": 6, "deleted_at": None, "created_at": OLD},
        ),
        {1, 3},
    ),
    (
        "a minimum period also holds back a count cap",
        {
            "after": "10 years after collected",
            "keep_last": {"count": 1, "per": {"fr": "par compte", "en": "per account"}},
            "at_least": "1 year after collected",
        },
        {
            "events": {"collected": "created_at"},
            "rules": {"r": {"per": "owner_id", "order_by": "created_at"}},
        },
        _rows(
            {"id": 1, "owner_id": 1, "created_at": datetime(2026, 10, 1)},
            {"id": 2, "owner_id": 1, "created_at": datetime(2026, 9, 1)},  # beyond, too young
            {"id": 3, "owner_id": 1, "created_at": datetime(2024, 9, 1)},  # beyond, old enough
        ),
        {3},
    ),
    (
        "a hedged period is swept at the period",
        {"after": "up to 6 months after account_deleted"},
        {"events": {"account_deleted": "deleted_at"}},
        _rows(
            {"id": 1, "deleted_at": datetime(2026, 4, 30, 12)},
            {"id": 2, "deleted_at": datetime(2026, 5, 1, 12)},
        ),
        {1},
    ),
    (
        "a status-dependent event: the clock runs only while the status holds",
        {"after": "1 year after file_closed"},
        {
            "events": {"file_closed": "closed_at"},
            "when": {"file_closed": {"column": "status", "in": ["closed", "archived"]}},
        },
        _rows(
            {"id": 1, "status": "closed", "closed_at": OLD},
            {"id": 2, "status": "archived", "closed_at": OLD},
            {"id": 3, "status": "reopened", "closed_at": OLD},  # reopened: no longer closed
            {"id": 4, "status": None, "closed_at": OLD},
            {"id": 5, "status": "closed", "closed_at": RECENT},
            {"id": 6, "status": "closed", "closed_at": None},
        ),
        {1, 2},
    ),
    (
        "status values typed to the column: 3 and '3' alike for an integer column",
        {"after": "1 year after file_closed"},
        {
            "events": {"file_closed": "closed_at"},
            "when": {"file_closed": {"column": "stage", "in": ["3", 4]}},
        },
        _rows(
            {"id": 1, "stage": 3, "closed_at": OLD},
            {"id": 2, "stage": 4, "closed_at": OLD},
            {"id": 3, "stage": 5, "closed_at": OLD},
            {"id": 4, "stage": None, "closed_at": OLD},
        ),
        {1, 2},
    ),
    (
        "status values typed to the column: a number for a text column is its text",
        {"after": "1 year after file_closed"},
        {
            "events": {"file_closed": "closed_at"},
            "when": {"file_closed": {"column": "status", "in": [3, "closed"]}},
        },
        _rows(
            {"id": 1, "status": "3", "closed_at": OLD},
            {"id": 2, "status": "closed", "closed_at": OLD},
            {"id": 3, "status": "30", "closed_at": OLD},
        ),
        {1, 2},
    ),
    (
        "a status read through a reference",
        {"after": "1 year after file_closed"},
        {
            "events": {"file_closed": "owner.seen_at"},
            "when": {"file_closed": {"column": "owner.status", "in": ["closed"]}},
        },
        _rows(
            {"id": 1, "owner_id": 1},
            {"id": 2, "owner_id": 2},
            {"id": 3, "owner_id": 3},
            {"id": 4, "owner_id": None},
        ),
        {1},
    ),
    (
        "a derived inactivity event: six consecutive months without a login or a creation",
        {"after": "6 months after last_activity"},
        {
            "events": {"last_activity": "login_at"},
            "latest_of": {"last_activity": ["created_at", "owner.seen_at"]},
        },
        _rows(
            {"id": 1, "login_at": None, "created_at": OLD},  # never logged in, created long ago
            {"id": 2, "login_at": OLD, "created_at": OLD},
            {"id": 3, "login_at": RECENT, "created_at": OLD},
            {"id": 4, "login_at": OLD, "created_at": RECENT},
            {"id": 5, "login_at": None, "created_at": None},  # no activity at all: not started
            {"id": 6, "login_at": OLD, "created_at": OLD, "owner_id": 2},  # the owner was seen
            {"id": 7, "login_at": OLD, "created_at": OLD, "owner_id": 1},
        ),
        {1, 2, 7},
    ),
    (
        "an open-ended hold carved out of the rule: kept while a flag is set",
        {
            "after": "1 year after account_deleted",
            "kept_while": t("une enquête est en cours", "an investigation is ongoing"),
        },
        {"events": {"account_deleted": "deleted_at"}, "rules": {"r": {"kept_while": "held"}}},
        _rows(
            {"id": 1, "deleted_at": OLD, "held": True},
            {"id": 2, "deleted_at": OLD, "held": False},
            {"id": 3, "deleted_at": OLD, "held": None},
            {"id": 4, "deleted_at": RECENT, "held": False},
        ),
        {2, 3},
    ),
    (
        "an open-ended hold read as any value of a column, through a reference",
        {
            "after": "1 year after account_deleted",
            "kept_while": t("une enquête est en cours", "an investigation is ongoing"),
        },
        {
            "events": {"account_deleted": "deleted_at"},
            "rules": {"r": {"kept_while": "owner.status"}},
        },
        _rows(
            {"id": 1, "deleted_at": OLD, "owner_id": 1},  # status 'closed': held
            {"id": 2, "deleted_at": OLD, "owner_id": 3},  # status NULL
            {"id": 3, "deleted_at": OLD},
        ),
        {2, 3},
    ),
    (
        "a deletion in stages: deleted from the live systems after trash and live delays",
        {
            "after": "immediately after account_deleted",
            "stages": [
                {"stage": "trash", "after": "30 days"},
                {"stage": "live", "after": "1 month"},
                {"stage": "backups", "after": "90 days"},
            ],
        },
        {"events": {"account_deleted": "deleted_at"}},
        _rows(
            # 2026-08-01 + 30 days = 31 August, + 1 month = 30 September: due
            {"id": 1, "deleted_at": datetime(2026, 8, 1, 10)},
            # 2026-09-01 + 30 days = 1 October, + 1 month = 1 November: not before the day
            {"id": 2, "deleted_at": datetime(2026, 9, 1, 10)},
            {"id": 3, "deleted_at": datetime(2026, 8, 31, 10)},  # 30 Sept + 1 month = 30 Oct
            {"id": 4, "deleted_at": None},
        ),
        {1, 3},
    ),
]


def register_for(rule: dict[str, Any], binding: dict[str, Any]) -> Register:
    return Register.model_validate(register_dict(rule, binding))


def register_dict(rule: dict[str, Any], binding: dict[str, Any]) -> dict[str, Any]:
    """The register of one rule on the files table, as its YAML would read."""
    binding = dict(binding)
    table: dict[str, Any] = {
        "primary_key": "id",
        "identity": {"email": "email"},
        "references": {"owner": "owner_id -> owners"},
        "columns": {"email": "contact"},
        "not_personal": [
            "owner_id",
            "status",
            "created_at",
            "closed_at",
            "login_at",
            "deleted_at",
            "held",
            "stage",
        ],
        "rules": binding.pop("rules", {"r": {}}),
        **binding,
    }
    return dict(
        {
            "organization": {
                "name": "Test SAS",
                "contact": {"email": "dpo@example.org"},
                "address": {"street": "1 rue de la Paix", "postal_code": "75001", "city": "Paris"},
            },
            "policy": {"version": "1", "date": "2026-01-01", "timezone": "Europe/Paris"},
            "subjects": {"customer": {"name": {"fr": "Clients", "en": "Customers"}}},
            "events": {"file_closed": {"name": {"fr": "la clôture du dossier", "en": "closure"}}},
            "activities": {
                "service": {
                    "name": {"fr": "Service", "en": "Service"},
                    "purpose": {"fr": "Fournir le service.", "en": "Provide the service."},
                    "legal_basis": "contract",
                    "subjects": ["customer"],
                    "data": ["contact"],
                    "retention": {"r": rule},
                }
            },
            "stores": {
                "app": {
                    "url_env": "REGISTRE_TEST_APP_URL",
                    "tables": {
                        "owners": {"primary_key": "id", "not_personal": ["status", "seen_at"]},
                        "files": table,
                    },
                }
            },
        }
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def server_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('forms') / 'app.sqlite'}"
        return
    variable = SERVERS[request.param]
    if not os.environ.get(variable):
        pytest.skip(f"{variable} is not set")
    with scratch_database(os.environ[variable], prefix="format_forms") as url:
        yield url


@pytest.fixture
def db(server_url: str) -> Iterator[tuple[str, sa.Engine]]:
    engine = sa.create_engine(server_url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(owners.insert(), OWNERS)
    yield server_url, engine
    engine.dispose()


def _due_keys(sp: StorePlan) -> set[int]:
    with sp.engine.connect() as connection:
        (item,) = sp.plan.items
        return set(connection.execute(sp.sql.select_keys(item)).scalars())


def _keys(engine: sa.Engine) -> set[int]:
    with engine.connect() as connection:
        return set(connection.execute(sa.select(files.c.id)).scalars())


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
) -> None:
    url, engine = db
    full = [{c.name: row.get(c.name) for c in files.columns} for row in rows]
    with engine.begin() as connection:
        connection.execute(files.insert(), full)
    register = register_for(rule, binding)
    sp = prepare(register, "app", AT, url=url)
    try:
        assert _due_keys(sp) == due
        assert [c.due for c in sp.counts()] == [len(due)]
        before = _keys(engine)
        sweep_item(
            sp, sp.plan.items[0], batch_size=2, audit=lambda *a: None, progress=lambda n: None
        )
        assert _keys(engine) == before - due
        again = prepare(register, "app", AT, url=url)
        assert _due_keys(again) == set()
        again.engine.dispose()
    finally:
        sp.engine.dispose()


def test_indefinite_retention_plans_nothing() -> None:
    register = register_for({"indefinite": True}, {})
    assert plan_store(register, "app", AT).items == ()


@pytest.mark.parametrize(
    ("rule", "binding", "problem"),
    [
        (
            {"after": "1 year after file_closed", "at_least": "2 years after collected"},
            {"events": {"file_closed": "closed_at"}},
            "minimum period '2 years after collected'",
        ),
        (
            {"after": "1 year after file_closed"},
            {
                "events": {"file_closed": "closed_at"},
                "when": {"file_closed": {"column": "case.status", "in": ["closed"]}},
            },
            "'when' of the event 'file_closed' reads 'case.status'",
        ),
        (
            {
                "after": "1 year after file_closed",
                "kept_while": t("une enquête est en cours", "an investigation is ongoing"),
            },
            {"events": {"file_closed": "closed_at"}},
            "give the column that says so under the binding's 'kept_while'",
        ),
    ],
)
def test_unenforceable_forms_are_refused(
    rule: dict[str, Any], binding: dict[str, Any], problem: str
) -> None:
    with pytest.raises(MappingError) as raised:
        plan_store(register_for(rule, binding), "app", AT)
    assert any(problem in p for p in raised.value.problems)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"indefinite": True, "after": "1 year after collected"}, "kept with no end"),
        ({"at_least": "1 year after collected", "statement": {"fr": "x", "en": "x"}}, "at_least"),
        (
            {"after": "1 day after collected", "stages": [{"stage": "trash", "after": "1 day"}]},
            "'live' stage",
        ),
        (
            {
                "after": "1 day after collected",
                "stages": [
                    {"stage": "live", "after": "1 day"},
                    {"stage": "trash", "after": "1 day"},
                ],
            },
            "in the order trash, live, backups",
        ),
    ],
)
def test_malformed_forms_are_refused(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        register_for(rule, {})


@pytest.mark.parametrize(
    ("binding", "problem"),
    [
        (
            {
                "events": {"file_closed": "closed_at"},
                "when": {"file_closed": {"column": "state", "in": ["closed"]}},
            },
            "the status of event 'file_closed' is at 'state'",
        ),
        (
            {"events": {"last_activity": "login_at"}, "latest_of": {"last_activity": ["email"]}},
            "event 'last_activity' is at 'email'",
        ),
        (
            {"events": {"account_deleted": "deleted_at"}},
            "the rule keeps rows at least '2 years after collected'",
        ),
    ],
)
def test_the_live_schema_is_checked_before_any_write(
    db: tuple[str, sa.Engine], binding: dict[str, Any], problem: str
) -> None:
    url, _ = db
    event = next(iter(binding["events"]))
    rule: dict[str, Any] = {"after": f"1 year after {event}"}
    if event == "account_deleted":
        rule["at_least"] = "2 years after collected"
    register = register_for(rule, binding)
    with pytest.raises(MappingError) as raised:
        prepare(register, "app", AT, url=url)
    assert any(problem in p for p in raised.value.problems), raised.value.problems


DATED: list[tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], dict[int, date]]] = [
    (
        {"after": "immediately after account_deleted", "stages": CASES[-1][1]["stages"]},
        {"events": {"account_deleted": "deleted_at"}},
        _rows({"id": 1, "deleted_at": datetime(2026, 8, 1, 10)}, {"id": 2}),
        {1: date(2026, 9, 30)},  # 1 Aug + 30 days + 1 month
    ),
    (
        {"after": "immediately after account_deleted", "at_least": "2 years after collected"},
        {"events": {"account_deleted": "deleted_at", "collected": "created_at"}},
        _rows(
            {"id": 1, "deleted_at": RECENT, "created_at": OLD},
            {"id": 2, "deleted_at": RECENT, "created_at": datetime(2025, 3, 1, 10)},
            {"id": 3, "deleted_at": RECENT},  # the minimum has not started: unknown
        ),
        {1: date(2026, 10, 1), 2: date(2027, 3, 1)},
    ),
    (
        {"after": "1 year after file_closed"},
        {
            "events": {"file_closed": "closed_at"},
            "when": {"file_closed": {"column": "status", "in": ["closed"]}},
        },
        _rows(
            {"id": 1, "status": "closed", "closed_at": datetime(2026, 3, 1, 10)},
            {"id": 2, "status": "reopened", "closed_at": datetime(2026, 3, 1, 10)},
        ),
        {1: date(2027, 3, 1)},
    ),
    (
        {"after": "6 months after last_activity"},
        {
            "events": {"last_activity": "login_at"},
            "latest_of": {"last_activity": ["created_at"]},
        },
        _rows(
            {"id": 1, "login_at": datetime(2026, 3, 1, 10), "created_at": OLD},
            {"id": 2, "login_at": None, "created_at": datetime(2026, 4, 1, 10)},
        ),
        {1: date(2026, 9, 1), 2: date(2026, 10, 1)},
    ),
    (
        {
            "after": "1 year after account_deleted",
            "kept_while": t("une enquête est en cours", "an investigation is ongoing"),
        },
        {"events": {"account_deleted": "deleted_at"}, "rules": {"r": {"kept_while": "held"}}},
        _rows(
            {"id": 1, "deleted_at": datetime(2026, 3, 1, 10), "held": True},  # open-ended
            {"id": 2, "deleted_at": datetime(2026, 3, 1, 10), "held": False},
        ),
        {2: date(2027, 3, 1)},
    ),
]
"""Per form: the rule, its binding, the rows, and the last day each kept row is kept."""
DATED_IDS = ["stages", "minimum", "status", "inactivity", "hold"]


@pytest.mark.parametrize(("rule", "binding", "rows", "last_days"), DATED, ids=DATED_IDS)
def test_an_erasure_dates_what_it_keeps_by_the_same_forms(
    db: tuple[str, sa.Engine],
    rule: dict[str, Any],
    binding: dict[str, Any],
    rows: list[dict[str, Any]],
    last_days: dict[int, date],
) -> None:
    """The last day a kept row is kept (the erasure letter's « until »), for each form."""
    from zoneinfo import ZoneInfo

    from registre.requests.legal_obligation import _last_days

    url, engine = db
    full = [{c.name: row.get(c.name) for c in files.columns} for row in rows]
    with engine.begin() as connection:
        connection.execute(files.insert(), full)
    sp = prepare(register_for(rule, binding), "app", AT, url=url)
    try:
        (item,) = sp.plan.items
        t = sp.tables["files"]
        with sp.engine.connect() as connection:
            found = _last_days(
                sp.sql,
                connection,
                t,
                [t.c.id],
                [row["id"] for row in rows],
                item,
                ZoneInfo("Europe/Paris"),
            )
        assert found == last_days
    finally:
        sp.engine.dispose()


def test_plan_prints_one_line_per_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`registre plan` on the stages case: the rule's row (rows 1 and 3 due at the end of the
    live stage), then each stage with the day before which an account deletion has gone
    through it, worked out by hand: 2026-11-01 less 30 days is 2 October (trash), less one
    month more is 1 September (live: the row deleted on 1 September is not due), less 90 days
    more is 3 June (backups)."""
    _, rule, binding, rows, _ = CASES[-1]
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(owners.insert(), OWNERS)
        connection.execute(
            files.insert(), [{c.name: row.get(c.name) for c in files.columns} for row in rows]
        )
    engine.dispose()
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump(register_dict(rule, binding), allow_unicode=True), "utf-8")
    # the console's width is fixed when it is made (COLUMNS under pytest-xdist)
    monkeypatch.setattr(cli_module.out, "width", 240)
    monkeypatch.setenv("REGISTRE_STATE_URL", f"sqlite:///{tmp_path / 'state.sqlite'}")
    monkeypatch.setattr(
        sys, "argv", ["registre", "plan", str(path), "--url", url, "--at", "2026-11-01"]
    )
    capsys.readouterr()
    try:
        main()
    except SystemExit as exit_info:
        assert exit_info.code in (0, None)
    rows: list[list[str]] = []  # the table's rows, a cell folded over lines joined again
    for line in capsys.readouterr().out.splitlines():
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        if cells[1] or not rows:  # a row's first line names its table
            rows.append(cells)
        else:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
    assert [row[0] for row in rows] == [
        "r",
        "stage 1: trash",
        "stage 2: live",
        "stage 3: backups",
    ]
    assert rows[0][4] == "2"  # due at the end of the live stage: rows 1 and 3
    trash, live, backups = rows[1:]
    assert trash[2].startswith("in the trash") and trash[3] == (
        "30 days after the clock; over for rows with account_deleted before 2026-10-02"
    )
    assert live[2] == "deleted (swept)" and live[3] == (
        "then 1 month; over for rows with account_deleted before 2026-09-01"
    )
    assert "not swept" in backups[2] and backups[3] == (
        "then 90 days; over for rows with account_deleted before 2026-06-03"
    )


def test_check_connect_refuses_a_status_the_column_cannot_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text for an integer column: `check --connect` names the value at its place in the file
    (file:line:col) and says what the column holds; the values it can hold pass."""
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    binding = {
        "events": {"file_closed": "closed_at"},
        "when": {"file_closed": {"column": "stage", "in": [3, "closed"]}},
    }
    path = tmp_path / "register.yaml"
    text = yaml.safe_dump(
        register_dict({"after": "1 year after file_closed"}, binding), allow_unicode=True
    )
    path.write_text(text, "utf-8")
    line = text.splitlines().index(next(x for x in text.splitlines() if x.strip() == "- closed"))
    monkeypatch.setenv("REGISTRE_STATE_URL", f"sqlite:///{tmp_path / 'state.sqlite'}")
    monkeypatch.setattr(
        sys, "argv", ["registre", "check", str(path), "--connect", "--url", url, "--json"]
    )
    capsys.readouterr()
    try:
        main()
    except SystemExit as exit_info:
        assert exit_info.code == 1
    report = json.loads(capsys.readouterr().out)
    (problem,) = [p for p in report["problems"] if "status of event" in p["message"]]
    assert "'closed'" in problem["message"] and "files.stage" in problem["message"]
    assert "3" not in problem["message"].split("compared with")[1].split(",")[0]
    assert "whole numbers" in problem["message"]  # the hint, with the problem
    assert (problem["file"], problem["line"]) == (str(path), line + 1)
    assert isinstance(problem["column"], int) and problem["column"] > 1


@pytest.mark.parametrize(("rule", "binding", "rows", "last_days"), DATED, ids=DATED_IDS)
def test_an_access_letter_dates_each_record_by_the_same_forms(
    db: tuple[str, sa.Engine],
    rule: dict[str, Any],
    binding: dict[str, Any],
    rows: list[dict[str, Any]],
    last_days: dict[int, date],
) -> None:
    """Where retention stands, as an access letter tells it, agrees with the erasure's dates:
    each record's last day, or past (the next purge), or none (held, or not started)."""
    from zoneinfo import ZoneInfo

    from registre.requests.letters.clocks import RuleStatus, _read

    url, engine = db
    full = [{c.name: row.get(c.name) for c in files.columns} for row in rows]
    with engine.begin() as connection:
        connection.execute(files.insert(), full)
    register = register_for(rule, binding)
    sp = prepare(register, "app", AT, url=url)
    today = AT.date()
    try:
        (item,) = sp.plan.items
        t = sp.tables["files"]
        with sp.engine.connect() as connection:
            for row in rows:
                status = RuleStatus(
                    "service", "r", register.activities["service"].retention["r"].action
                )
                _read(
                    status,
                    item,
                    sp.tables,
                    connection,
                    t.c.id == row["id"],
                    today,
                    ZoneInfo("Europe/Paris"),
                )
                last = last_days.get(row["id"])
                if last is None:
                    assert (status.dated, status.overdue) == (0, 0), row
                elif last < today:
                    assert (status.dated, status.overdue) == (0, 1), row
                else:
                    assert (status.dated, status.kept_from) == (1, last), row
    finally:
        sp.engine.dispose()
