"""Finding a person's rows: equal to an independent computation, on SQLite, PostgreSQL, MariaDB.

The expected rows are computed in :mod:`test_requests_fixtures` with plain SQL from what the
data means; the finder walks the mapping's graph instead.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from registre.requests.find import Finder, Found
from test_requests_fixtures import (  # noqa: F401  (fixtures)
    booking_register,
    booking_url,
    crm_register,
    crm_url,
    dm_register,
    dm_url,
    expected_booking,
    expected_crm,
    expected_dm,
    expected_pinned,
)

# the tables whose rows are a person's or a client's own record: used by others, such a row is
# pinned (it cannot be deleted) but is not content shared with them
RECORDS = {
    "console": {
        "accounts",
        "account_holders",
        "managers",
        "directory_users",
        "devices",
        "shared_contacts",
    },
    "platform": {"professionals", "clients"},
}


def _found(found: Found, what: str) -> dict[str, set[object]]:
    return {t: set(getattr(r, what)) for (_, t), r in found.tables.items() if getattr(r, what)}


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
    assert _found(found, "rows") == rows
    assert _found(found, "shared") == shared
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


def _search(
    url: str, store: str, register: Any, expected_for: Any, table: str, offset: int
) -> tuple[Any, Any, Any]:
    """Find the person at ``offset`` in ``table`` by email: (found, expected rows, pinned)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            email = connection.execute(
                sa.text(
                    f"SELECT email FROM {table} WHERE email IS NOT NULL ORDER BY id "
                    f"LIMIT 1 OFFSET {offset}"
                )
            ).scalar_one()
            expected = expected_for(connection, email)
        found = Finder(register, {store: engine}).find({"email": email})
        return found, expected, expected_pinned(engine, expected)
    finally:
        engine.dispose()


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
    found, expected, pinned = _search(dm_url, "console", dm_register(), expected_dm, table, offset)
    assert _found(found, "rows") == expected
    # rows other people's data uses: pinned; shared content only outside the records
    assert _found(found, "pinned") == pinned
    assert _found(found, "shared") == {
        t: k for t, k in pinned.items() if t not in RECORDS["console"]
    }


BOOKING_PEOPLE = [
    ("clients", 0),
    ("clients", 5),
    ("clients", 17),
    ("clients", 42),
    ("professionals", 0),
    ("professionals", 3),
]


@pytest.mark.parametrize(("table", "offset"), BOOKING_PEOPLE)
def test_booking_platform_rows_match_the_data(booking_url: str, table: str, offset: int) -> None:  # noqa: F811
    found, expected, pinned = _search(
        booking_url, "platform", booking_register(), expected_booking, table, offset
    )
    assert _found(found, "rows") == expected
    if table == "professionals":
        # their clients' records and appointments point at the professional's record
        assert pinned == {"professionals": {*expected["professionals"]}}
    assert _found(found, "pinned") == pinned
    assert _found(found, "shared") == {
        t: k for t, k in pinned.items() if t not in RECORDS["platform"]
    }


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
