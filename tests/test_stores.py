"""The data-store adapter: connecting with errors people can act on, checking the mapping.

Mapping mismatches are specified on the device-management example: each case breaks one thing
in the mapping and names the problem ``check_mapping`` must report (store, table, column, rule
and words of the message), on a schema reflected from a real database.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from _support import server_url
from registre import StoreError
from registre.demo import load_app
from registre.register.loader import load_register, read_register_data
from registre.register.model import Register
from registre.stores import check_mapping, connect, mapping_problems, reflect_schema
from registre.stores.reflect import LiveSchema
from registre.stores.throwaway import scratch_database

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "device-management"
STORE = "console"


server = server_url


@pytest.fixture(scope="module")
def register() -> Register:
    return load_register(EXAMPLE / "register.yaml")


# -- connect ------------------------------------------------------------------------------------


def _server_variant(backend: str, **changes: Any) -> str:
    return make_url(server(backend)).set(**changes).render_as_string(hide_password=False)


CONNECT_FAILURES: list[tuple[str, Callable[[], str], str]] = [
    ("not a URL", lambda: "not a url", "is not a database URL"),
    ("unknown dialect", lambda: "nosuchdb://host/db", "no SQLAlchemy dialect"),
    (
        "SQLite folder missing",
        lambda: "sqlite:////no/such/folder/app.db",
        "the SQLite file /no/such/folder/app.db cannot be opened: it does not exist, nor does its "
        "folder /no/such/folder",
    ),
    (
        "PostgreSQL unreachable",
        lambda: _server_variant("postgresql", port=1, password="s3cret-pw"),
        "cannot be reached",
    ),
    (
        "PostgreSQL unknown user",
        lambda: _server_variant("postgresql", username="nobody_here", password="s3cret-pw"),
        "refused the user name or password",
    ),
    (
        "PostgreSQL unknown database",
        lambda: _server_variant("postgresql", database="registre_no_such_db", password="s3cret-pw"),
        "database does not exist",
    ),
    (
        "MariaDB unreachable",
        lambda: _server_variant("mariadb", port=1, password="s3cret-pw"),
        "cannot be reached",
    ),
    (
        "MariaDB unknown user",
        lambda: _server_variant("mariadb", username="nobody_here", password="s3cret-pw"),
        "refused the user name or password",
    ),
    (
        "MariaDB unknown database",
        lambda: _server_variant("mariadb", database="registre_no_such_db"),
        "database does not exist",
    ),
]


@pytest.mark.parametrize(
    ("url", "expected"),
    [pytest.param(url, expected, id=case) for case, url, expected in CONNECT_FAILURES],
)
def test_a_connection_failure_is_a_store_error_that_says_why_and_hides_the_password(
    register: Register, url: Callable[[], str], expected: str
) -> None:
    with pytest.raises(StoreError) as caught:
        connect(register, STORE, url())
    message = caught.value.message
    assert expected in message
    assert message.startswith(f"store '{STORE}': ")
    assert "s3cret-pw" not in message + caught.value.hint
    assert caught.value.hint


def test_the_url_comes_from_the_variable_the_register_names(
    register: Register, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    variable = register.stores[STORE].url_env
    monkeypatch.delenv(variable, raising=False)
    with pytest.raises(StoreError, match=f"\\${variable}, which is not set") as caught:
        connect(register, STORE)
    assert f"export {variable}=" in caught.value.hint

    (tmp_path / "app.db").touch()
    monkeypatch.setenv(variable, f"sqlite:///{tmp_path / 'app.db'}")
    engine = connect(register, STORE)
    try:
        assert engine.url.database == str(tmp_path / "app.db")
    finally:
        engine.dispose()


@pytest.mark.parametrize("path", ["app.db", "file:app.db?uri=true"], ids=["path", "URI filename"])
def test_a_sqlite_store_that_does_not_exist_is_an_error_not_a_new_file(
    register: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError) as caught:
        connect(register, STORE, f"sqlite:///{path}")
    assert caught.value.message == (
        f"store '{STORE}': the SQLite file {tmp_path / 'app.db'} cannot be opened: "
        "it does not exist"
    )
    assert "registre never creates a store's database" in caught.value.hint
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_store_lists_the_declared_ones(register: Register) -> None:
    with pytest.raises(StoreError, match="no store 'billing'") as caught:
        connect(register, "billing", "sqlite://")
    assert "console" in caught.value.hint


# -- check_mapping on the live schema -----------------------------------------------------------


@pytest.fixture(scope="module")
def live_schema() -> Iterator[LiveSchema]:
    """The example's schema, created in a SQLite database and reflected once."""
    app = load_app(EXAMPLE)
    with scratch_database("sqlite://") as url:
        engine = create_engine(url)
        app.metadata.create_all(engine)
        yield reflect_schema(engine)
        engine.dispose()


def test_the_example_mapping_matches_its_schema(register: Register, live_schema: Any) -> None:
    assert mapping_problems(register, STORE, live_schema) == []


def _edit_register(change: Callable[[dict[str, Any]], None]) -> Register:
    data, _, _ = read_register_data(EXAMPLE / "register.yaml")
    data = copy.deepcopy(data)
    change(data)
    return Register.model_validate(data)


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    table: dict[str, Any] = data["stores"][STORE]["tables"][name]
    return table


def _set(table: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        _table(data, table)[key] = value

    return change


def _binding(table: str, rule: str, **values: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        rules = _table(data, table)["rules"]
        if isinstance(rules, list):
            rules = _table(data, table)["rules"] = {rule_id: {} for rule_id in rules}
        rules[rule] = {**(rules[rule] or {}), **values}
        rules[rule] = {k: v for k, v in rules[rule].items() if v is not None}

    return change


def _drop(table: str, key: str, item: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del _table(data, table)[key][item]

    return change


def _without_devices_anonymize(column: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del _table(data, "devices")["rules"]["devices"]["anonymize"][column]

    return change


def _rule(rule_id: str, **values: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for activity in data["activities"].values():
            if rule_id in activity.get("retention", {}):
                activity["retention"][rule_id].update(values)

    return change


def _sequence(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for one in changes:
            one(data)

    return change


MAPPING_CASES: list[tuple[str, Callable[[dict[str, Any]], None], tuple[str, Any, Any], str]] = [
    # (case, change to the mapping, (table, column, rule) of the problem, words of its message)
    (
        "misspelt column",
        _set("managers", "identity", {"email": "e_mail"}),
        ("managers", "e_mail", None),
        "names a column the table does not have",
    ),
    (
        "column left out",
        _sequence(_drop("devices", "columns", "iccid"), _without_devices_anonymize("iccid")),
        ("devices", "iccid", None),
        "is not mapped",
    ),
    (
        "table that does not exist",
        lambda d: d["stores"][STORE]["tables"].__setitem__("web_visits", {"not_personal": ["id"]}),
        ("web_visits", None, None),
        "table does not exist",
    ),
    (
        "reference through a missing column",
        _set("invoices", "references", {"account": "acct_id -> accounts"}),
        ("invoices", "acct_id", None),
        "names a column the table does not have",
    ),
    (
        "reference to a missing target",
        _set("invoices", "references", {"account": "account_id -> accounts.uuid"}),
        ("invoices", "account_id", None),
        "'accounts.uuid', which does not exist",
    ),
    (
        "event on a text column",
        _set(
            "devices",
            "events",
            {
                "device_reset": "name",
                "account_deleted": "account.deleted_at",
                "subscription_ended": "account.subscription_ends_at",
            },
        ),
        ("devices", "name", None),
        "not a date or timestamp",
    ),
    (
        "event through an unknown reference",
        _set("account_holders", "events", {"account_deleted": "acct.deleted_at"}),
        ("account_holders", "acct.deleted_at", None),
        "'acct' is not a reference",
    ),
    (
        "rule that can never fire",
        _set("shared_contacts", "events", {}),
        ("shared_contacts", None, "shared-contacts"),
        "can never fire",
    ),
    (
        "one clock without a timestamp",
        _drop("shared_contacts", "events", "contact_deleted"),
        ("shared_contacts", None, "shared-contacts"),
        "starts a clock at 'contact_deleted'",
    ),
    (
        "count cap without per",
        _binding("geolocation_points", "geolocation-points", per=None),
        ("geolocation_points", None, "geolocation-points"),
        "does not say per what",
    ),
    (
        "count cap per a remote column",
        _binding("geolocation_points", "geolocation-points", per="device.account_id"),
        ("geolocation_points", "device.account_id", "geolocation-points"),
        "table itself",
    ),
    (
        "anonymize without a method for a column",
        _without_devices_anonymize("imei"),
        ("devices", "imei", "devices"),
        "gives no method for this column",
    ),
    (
        "reference anonymized otherwise than unlinked",
        _binding(
            "devices",
            "devices",
            anonymize={
                "imei": "null",
                "iccid": "null",
                "phone_number": "null",
                "ip": "null",
                "name": "redact",
                "user_id": "redact",
            },
        ),
        ("devices", "user_id", "devices"),
        "only be unlinked",
    ),
    (
        "hashing without an anonymized_at mark",
        _binding(
            "accounts",
            "billing-contact",
            anonymize={"billing_address": "redact", "accounting_email": "hash"},
        ),
        ("accounts", "accounting_email", "billing-contact"),
        "cannot be told from real data",
    ),
    (
        "per-client period without tenants",
        _sequence(
            _rule("web-history", client_agreed=True),
            lambda d: d["stores"][STORE].__setitem__("tenants", {"table": "accounts"}),
        ),
        ("web_history", None, "web-history"),
        "agree its own period",
    ),
    (
        "tenants column that does not exist",
        lambda d: d["stores"][STORE].__setitem__(
            "tenants", {"table": "accounts", "contract_ended": "ended_at"}
        ),
        ("accounts", "ended_at", None),
        "'tenants: contract_ended:'",
    ),
]


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [pytest.param(change, where, words, id=case) for case, change, where, words in MAPPING_CASES],
)
def test_a_broken_mapping_is_reported_with_its_table_column_and_rule(
    live_schema: LiveSchema,
    change: Callable[[dict[str, Any]], None],
    where: tuple[str, Any, Any],
    words: str,
) -> None:
    problems = mapping_problems(_edit_register(change), STORE, live_schema)

    found = [p for p in problems if (p.table, p.column, p.rule) == where and words in p.message]
    assert found, "\n".join(map(str, problems)) or "no problem reported"
    assert all(p.store == STORE and p.hint for p in problems)
    # the problem points at the mapping, for the CLI to print its line in the register
    loc = found[0].loc
    assert loc[:4] == ("stores", STORE, "tables", where[0]) or loc[:3] == (
        "stores",
        STORE,
        "tenants",
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_reflection_tells_timestamps_from_text_on_every_backend(
    register: Register, backend: str
) -> None:
    app = load_app(EXAMPLE)
    with scratch_database(server(backend)) as url:
        engine = create_engine(url)
        try:
            app.metadata.create_all(engine)
            assert check_mapping(register, STORE, engine) == []
            with engine.begin() as conn:
                for statement in _to_text("shared_contacts", "deleted_at", backend):
                    conn.execute(text(statement))
            problems = check_mapping(register, STORE, engine)
        finally:
            engine.dispose()
    assert [(p.table, p.column, "not a date or timestamp" in p.message) for p in problems] == [
        ("shared_contacts", "deleted_at", True)
    ]


def _to_text(table: str, column: str, backend: str) -> list[str]:
    if backend == "postgresql":
        return [f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT"]
    if backend == "mariadb":
        return [f"ALTER TABLE {table} MODIFY {column} TEXT"]
    return [
        f"DROP INDEX ix_{table}_{column}",
        f"ALTER TABLE {table} DROP COLUMN {column}",
        f"ALTER TABLE {table} ADD COLUMN {column} TEXT",
    ]


# -- foreign keys and coverage ------------------------------------------------------------------


def _without_reference(table: str, name: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del _table(data, table)["references"][name]

    return change


def _add_not_personal(table: str, column: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        _table(data, table)["not_personal"].append(column)

    return change


LINK_CASES: list[tuple[str, Callable[[dict[str, Any]], None], tuple[str, Any, Any], str, Any]] = [
    # (case, change to the mapping, (table, column, rule), words, where the CLI points)
    (
        "foreign key left out of the references",
        _without_reference("devices", "user"),
        ("devices", "user_id", None),
        "foreign key devices.user_id -> directory_users.id that the mapping does not declare",
        ("stores", STORE, "tables", "devices", "references"),
    ),
    (
        "foreign key column called not personal instead",
        _sequence(_without_reference("devices", "user"), _add_not_personal("devices", "user_id")),
        ("devices", "user_id", None),
        "does not declare",
        ("stores", STORE, "tables", "devices", "references"),
    ),
    (
        "reference naming another table than the foreign key",
        _set("devices", "references", {"account": "account_id -> managers"}),
        ("devices", "account_id", None),
        "reference 'account' says account_id -> managers.id, but the database's foreign key is "
        "devices.account_id -> accounts.id",
        ("stores", STORE, "tables", "devices", "references", "account"),
    ),
    (
        "rule bound to no table",
        _set("shared_contacts", "rules", []),
        ("shared_contacts", None, "shared-contacts"),
        "bound to no table",
        ("activities", "device_management", "retention", "shared-contacts"),
    ),
    (
        "rule bound to the wrong table",
        _sequence(
            _set("web_history", "rules", []),
            _set("geolocation_points", "rules", {
                "geolocation-points": {"per": "device_id", "order_by": "recorded_at"},
                "web-history": {}}),
        ),
        ("web_history", "url", None),
        "nothing deletes or anonymizes the personal data in column url, which is kept forever",
        ("stores", STORE, "tables", "web_history", "columns", "url"),
    ),
    (
        "delete rule left out next to an anonymize rule",
        _set("invoices", "rules", {"invoice-personal-data": {
            "anonymize": {"billing_name": "redact", "billing_email": "null",
                          "billing_address": "redact"}}}),
        ("invoices", None, "invoices"),
        "bound to no table",
        ("activities", "invoicing", "retention", "invoices"),
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "where", "words", "loc"),
    [pytest.param(*case[1:], id=case[0]) for case in LINK_CASES],
)
def test_a_link_or_a_rule_the_mapping_misses_is_reported_once(
    live_schema: LiveSchema,
    change: Callable[[dict[str, Any]], None],
    where: tuple[str, Any, Any],
    words: str,
    loc: Any,
) -> None:
    problems = mapping_problems(_edit_register(change), STORE, live_schema, coverage=True)

    found = [p for p in problems if (p.table, p.column, p.rule) == where and words in p.message]
    assert len(found) == 1, "\n".join(map(str, problems)) or "no problem reported"
    assert found[0].loc == loc
    assert found[0].hint
    # nothing else about the same column or rule: one gap, one report
    table, column, rule = where
    others = [p for p in problems if p is not found[0] and p.table == table]
    assert not [p for p in others if (column and p.column == column) or (rule and p.rule == rule)]
    assert not [p for p in others if "kept forever" in p.message]


def test_the_hint_for_an_undeclared_foreign_key_is_the_line_to_add(
    live_schema: LiveSchema,
) -> None:
    [problem] = mapping_problems(
        _edit_register(_without_reference("devices", "user")), STORE, live_schema
    )
    assert "'user: user_id -> directory_users'" in problem.hint
    # user_id is nullable, so unlinking is offered too
    assert "{column: user_id, table: directory_users, on_delete: unlink}" in problem.hint


def test_an_unbound_rule_is_reported_by_the_store_holding_its_data_only(
    live_schema: LiveSchema,
) -> None:
    def second_store(data: dict[str, Any]) -> None:
        data["stores"] = {
            "billing": {"url_env": "BILLING_URL", "tables": {}},
            **data["stores"],
        }
        _table(data, "web_history")["rules"] = []

    register = _edit_register(second_store)
    here = mapping_problems(register, STORE, live_schema, coverage=True)
    assert [(p.table, p.rule) for p in here if "bound to no table" in p.message] == [
        ("web_history", "web-history")
    ]
    billing = mapping_problems(register, "billing", LiveSchema(frozenset()), coverage=True)
    assert [p for p in billing if "bound to no table" in p.message] == []


@pytest.mark.parametrize(
    "change",
    [pytest.param(case[1], id=case[0]) for case in LINK_CASES if case[4][0] == "activities"]
    + [pytest.param(_set("web_history", "rules", []), id="table without rules")],
)
def test_coverage_gaps_fail_the_check_but_do_not_refuse_a_sweep(
    live_schema: LiveSchema, change: Callable[[dict[str, Any]], None]
) -> None:
    # the sweep's gate is check_mapping without coverage: refusing the sweep would keep the
    # data of every bound rule past its date too
    register = _edit_register(change)
    assert mapping_problems(register, STORE, live_schema, coverage=True)
    assert mapping_problems(register, STORE, live_schema) == []


SUPPORT_TICKETS = (
    "CREATE TABLE support_tickets (id INTEGER PRIMARY KEY, email VARCHAR(200), "
    "device_id INTEGER, FOREIGN KEY (device_id) REFERENCES devices (id))"
)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_foreign_keys_are_read_on_every_backend(register: Register, backend: str) -> None:
    app = load_app(EXAMPLE)
    undeclared = _edit_register(
        _sequence(_without_reference("devices", "user"), _add_not_personal("devices", "user_id"))
    )
    with scratch_database(server(backend)) as url:
        engine = create_engine(url)
        try:
            app.metadata.create_all(engine)
            assert check_mapping(register, STORE, engine) == []
            assert [(p.table, p.column) for p in check_mapping(undeclared, STORE, engine)] == [
                ("devices", "user_id")
            ]
            with engine.begin() as conn:
                conn.execute(text(SUPPORT_TICKETS))
            problems = check_mapping(register, STORE, engine)
        finally:
            engine.dispose()
    assert [(p.table, p.column, p.loc) for p in problems] == [
        ("support_tickets", None, ("stores", STORE, "tables"))
    ]
    assert "support_tickets.device_id -> devices.id points at mapped tables" in problems[0].message
    assert "'support_tickets: {references: {device: device_id -> devices}, columns: {email: " in (
        problems[0].hint
    )


def test_an_unmapped_table_that_points_at_no_mapped_table_is_left_alone(
    register: Register,
) -> None:
    app = load_app(EXAMPLE)
    with scratch_database("sqlite://") as url:
        engine = create_engine(url)
        try:
            app.metadata.create_all(engine)
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE app_settings (id INTEGER PRIMARY KEY, v TEXT)"))
                conn.execute(
                    text(
                        "CREATE TABLE setting_history (id INTEGER PRIMARY KEY, "
                        "setting_id INTEGER REFERENCES app_settings (id))"
                    )
                )
            assert check_mapping(register, STORE, engine) == []
        finally:
            engine.dispose()
