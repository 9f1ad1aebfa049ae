"""Finding a person's rows: equal to an independent computation, on SQLite, PostgreSQL, MariaDB.

The expected rows are computed here with plain SQL, one table at a time, from what the data
means (a user's devices are those assigned to them, a meeting is the person's when they
organise or attend it); the finder walks the mapping's graph instead.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from registre.requests.find import Finder
from test_requests_fixtures import (  # noqa: F401  (fixtures)
    crm_register,
    crm_url,
    dm_register,
    dm_url,
)


def _keys(connection: Any, sql: str, **params: Any) -> set[Any]:
    rows = connection.execute(sa.text(sql), params).all()
    return {row[0] for row in rows}


def _in(values: set[Any]) -> str:
    return "(" + ",".join(str(int(v)) for v in sorted(values)) + ")" if values else "(NULL)"


def expected_crm(connection: Any, person: int) -> tuple[dict[str, set[Any]], dict[str, set[Any]]]:
    """The person's rows and which of them are shared, per table, from the data's meaning."""
    rows: dict[str, set[Any]] = {"people": {person}}
    rows["orders"] = _keys(connection, "SELECT id FROM orders WHERE person_id = :p", p=person)
    rows["order_lines"] = _keys(
        connection, f"SELECT id FROM order_lines WHERE order_id IN {_in(rows['orders'])}"
    )
    rows["attendees"] = _keys(connection, "SELECT id FROM attendees WHERE person_id = :p", p=person)
    rows["meetings"] = _keys(
        connection, "SELECT id FROM meetings WHERE organizer_id = :p", p=person
    ) | _keys(connection, f"SELECT meeting_id FROM attendees WHERE id IN {_in(rows['attendees'])}")
    rows["notes"] = _keys(
        connection, f"SELECT id FROM notes WHERE meeting_id IN {_in(rows['meetings'])}"
    )
    rows["addresses"] = _keys(
        connection, "SELECT address_id FROM people WHERE id = :p", p=person
    ) | _keys(connection, f"SELECT address_id FROM orders WHERE id IN {_in(rows['orders'])}")
    shared: dict[str, set[Any]] = {}
    shared["addresses"] = _keys(
        connection,
        f"SELECT address_id FROM people WHERE id <> :p AND address_id IN {_in(rows['addresses'])}",
        p=person,
    ) | _keys(
        connection,
        f"SELECT address_id FROM orders WHERE person_id <> :p AND address_id IN "
        f"{_in(rows['addresses'])}",
        p=person,
    )
    shared["orders"] = _keys(
        connection,
        f"SELECT parent_id FROM orders WHERE person_id <> :p AND parent_id IN "
        f"{_in(rows['orders'])}",
        p=person,
    )
    shared["meetings"] = _keys(
        connection,
        f"SELECT meeting_id FROM attendees WHERE person_id <> :p AND meeting_id IN "
        f"{_in(rows['meetings'])}",
        p=person,
    ) | _keys(
        connection,
        f"SELECT id FROM meetings WHERE organizer_id <> :p AND id IN {_in(rows['meetings'])}",
        p=person,
    )
    shared["notes"] = _keys(
        connection, f"SELECT id FROM notes WHERE meeting_id IN {_in(shared['meetings'])}"
    )
    shared["order_lines"] = _keys(
        connection, f"SELECT id FROM order_lines WHERE order_id IN {_in(shared['orders'])}"
    )
    return rows, {t: k for t, k in shared.items() if k}


@pytest.mark.parametrize("person", [1, 2, 3, 7, 30])
def test_crm_rows_and_shared_rows_match_the_data(crm_url: str, person: int) -> None:  # noqa: F811
    engine = sa.create_engine(crm_url)
    try:
        found = Finder(crm_register(), {"crm": engine}).find(
            {"email": f"person{person}@example.fr"}
        )
        with engine.connect() as connection:
            rows, shared = expected_crm(connection, person)
    finally:
        engine.dispose()
    assert {t: set(r.rows) for (_, t), r in found.tables.items() if r.rows} == {
        t: k for t, k in rows.items() if k
    }
    assert {t: set(r.shared) for (_, t), r in found.tables.items() if r.shared} == shared
    # set-based: a bounded number of queries, whatever the number of rows
    assert found.queries <= 4 * len(crm_register().stores["crm"].tables)


def test_crm_phone_in_another_spelling_finds_the_same_person(crm_url: str) -> None:  # noqa: F811
    engine = sa.create_engine(crm_url)
    try:
        finder = Finder(crm_register(), {"crm": engine})
        by_email = finder.find({"email": "PERSON4@example.fr"}).summary()
        by_phone = finder.find({"phone": "+33 6 00 00 00 04"}).summary()
    finally:
        engine.dispose()
    assert by_email == by_phone and by_email["crm"]["people"] == 1


def expected_dm(connection: Any, email: str) -> dict[str, set[Any]]:
    """Rows about the person with this email in the device-management schema."""
    q = lambda sql, **p: _keys(connection, sql, **p)  # noqa: E731
    users = q("SELECT id FROM directory_users WHERE email = :e", e=email)
    devices = q(f"SELECT id FROM devices WHERE user_id IN {_in(users)}")
    managers = q("SELECT id FROM managers WHERE email = :e", e=email)
    holder_accounts = q("SELECT account_id FROM account_holders WHERE email = :e", e=email)
    billed_accounts = q("SELECT id FROM accounts WHERE accounting_email = :e", e=email)
    accounts = holder_accounts | billed_accounts
    return {
        k: v
        for k, v in {
            "directory_users": users,
            "devices": devices,
            "web_history": q(f"SELECT id FROM web_history WHERE device_id IN {_in(devices)}"),
            "geolocation_points": q(
                f"SELECT id FROM geolocation_points WHERE device_id IN {_in(devices)}"
            ),
            "managers": managers,
            "dashboard_logs": q(
                f"SELECT id FROM dashboard_logs WHERE manager_id IN {_in(managers)}"
            ),
            "account_holders": q("SELECT id FROM account_holders WHERE email = :e", e=email)
            | q(f"SELECT id FROM account_holders WHERE account_id IN {_in(billed_accounts)}"),
            "accounts": accounts,
            "payment_methods": q(
                f"SELECT id FROM payment_methods WHERE account_id IN {_in(accounts)}"
            ),
            "invoices": q(f"SELECT id FROM invoices WHERE account_id IN {_in(accounts)}"),
            "shared_contacts": q("SELECT id FROM shared_contacts WHERE email = :e", e=email),
        }.items()
        if v
    }


PEOPLE = [
    ("directory_users", 0),
    ("directory_users", 7),
    ("directory_users", 23),
    ("account_holders", 0),
    ("account_holders", 4),
    ("managers", 0),
    ("managers", 5),
    ("shared_contacts", 2),
]


@pytest.mark.parametrize(("table", "offset"), PEOPLE)
def test_device_management_rows_match_the_data(dm_url: str, table: str, offset: int) -> None:  # noqa: F811
    engine = sa.create_engine(dm_url)
    try:
        with engine.connect() as connection:
            email = connection.execute(
                sa.text(
                    f"SELECT email FROM {table} WHERE email IS NOT NULL ORDER BY id "
                    f"LIMIT 1 OFFSET {offset}"
                )
            ).scalar_one()
            expected = expected_dm(connection, email)
        found = Finder(dm_register(), {"console": engine}).find({"email": email})
    finally:
        engine.dispose()
    assert {t: set(r.rows) for (_, t), r in found.tables.items() if r.rows} == expected


def test_a_person_found_nowhere_has_no_rows(dm_url: str) -> None:  # noqa: F811
    engine = sa.create_engine(dm_url)
    try:
        found = Finder(dm_register(), {"console": engine}).find({"email": "nobody@nowhere.fr"})
    finally:
        engine.dispose()
    assert found.empty and found.summary() == {}


def test_a_client_id_narrows_a_user_id_to_that_client(dm_url: str) -> None:  # noqa: F811
    engine = sa.create_engine(dm_url)
    try:
        with engine.connect() as connection:
            user_id, account_id = connection.execute(
                sa.text("SELECT id, account_id FROM directory_users ORDER BY id LIMIT 1")
            ).one()
        register = dm_register()
        users = (
            register.stores["console"]
            .tables["directory_users"]
            .model_copy(update={"identity": {"email": "email", "user_id": "id"}})
        )
        tables = {**register.stores["console"].tables, "directory_users": users}
        store = register.stores["console"].model_copy(update={"tables": tables})
        register = register.model_copy(update={"stores": {"console": store}})
        finder = Finder(register, {"console": engine})
        mine = finder.find({"tenant": str(account_id), "user_id": str(user_id)})
        elsewhere = finder.find({"tenant": str(account_id + 1), "user_id": str(user_id)})
    finally:
        engine.dispose()
    assert set(mine.tables[("console", "directory_users")].rows) == {user_id}
    assert elsewhere.keys("console", "directory_users") == set()
