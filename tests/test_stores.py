"""The data-store adapter: connecting with errors people can act on, checking the mapping.

Mapping mismatches are specified on the device-management example: each case breaks one thing
in the mapping and names the problem ``check_mapping`` must report (store, table, column, rule
and words of the message), on a schema reflected from a real database.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from registre import StoreError
from registre.demo import load_app
from registre.register.loader import load_register, read_register_data
from registre.register.model import Register
from registre.stores import check_mapping, connect, mapping_problems, reflect_schema
from registre.stores.reflect import LiveSchema
from registre.stores.scratch import scratch_database

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "device-management"
STORE = "console"
SERVER_VARIABLES = {
    "postgresql": "REGISTRE_TEST_POSTGRES_URL",
    "mariadb": "REGISTRE_TEST_MARIADB_URL",
}


def server(backend: str) -> str:
    if backend == "sqlite":
        return "sqlite://"
    url = os.environ.get(SERVER_VARIABLES[backend])
    if not url:
        pytest.skip(f"{SERVER_VARIABLES[backend]} is not set")
    return url


@pytest.fixture(scope="module")
def register() -> Register:
    return load_register(EXAMPLE / "register.yaml")


# -- connect ------------------------------------------------------------------------------------


def _server_variant(backend: str, **changes: Any) -> str:
    return make_url(server(backend)).set(**changes).render_as_string(hide_password=False)


CONNECT_FAILURES: list[tuple[str, Callable[[], str], str]] = [
    ("not a URL", lambda: "not a url", "is not a database URL"),
    ("unknown dialect", lambda: "nosuchdb://host/db", "no SQLAlchemy dialect"),
    ("SQLite folder missing", lambda: "sqlite:////no/such/folder/app.db", "cannot be opened"),
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

    monkeypatch.setenv(variable, f"sqlite:///{tmp_path / 'app.db'}")
    engine = connect(register, STORE)
    try:
        assert engine.url.database == str(tmp_path / "app.db")
    finally:
        engine.dispose()


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
        "delete rule with anonymize methods",
        _binding("invoices", "invoices", anonymize={"number": "redact"}),
        ("invoices", None, "invoices"),
        "deletes whole rows",
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
