"""Rows kept as a condition (:class:`registre.requests.search_results.Bulk`), on SQLite,
PostgreSQL and MariaDB: an access request finds and exports exactly what it does with rows kept
one by one, byte for byte, and its memory does not grow with the rows of a device's history.
"""

from __future__ import annotations

import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registre.register.model import Register
from registre.requests.controllers import controllers
from registre.requests.export import write_export
from registre.requests.find import Finder, Found
from registre.requests.forwarding import split
from test_requests_fixtures import (  # noqa: F401  (fixtures)
    booking_register,
    booking_url,
    crm,
    crm_register,
    crm_url,
    dm_database,
    dm_register,
    dm_url,
    email_of,
    first_value,
    fresh_server,
)

DM_PEOPLE = [
    ("geolocation_points", 0),  # a device user whose device reports its location
    ("directory_users", 0),
    ("directory_users", 7),
    ("directory_users", 23),
    ("account_holders", 0),
    ("managers", 5),
    ("shared_contacts", 2),
]


def _person(url: str, table: str, offset: int) -> str:
    """A person's email: ``geolocation_points`` means the first device user with points."""
    if table != "geolocation_points":
        return email_of(url, table, offset)
    return str(
        first_value(
            url,
            "SELECT min(u.email) FROM directory_users u JOIN devices d ON d.user_id = u.id "
            "JOIN geolocation_points p ON p.device_id = d.id GROUP BY u.id ORDER BY u.id",
        )
    )


def _selected(finder: Finder, engine: sa.Engine, found: Found, key: tuple[str, str]) -> set[Any]:
    """The keys the rows' conditions select in the database."""
    rows = found.tables[key]
    graph = finder.graphs_by_id[rows.store]
    table = finder.tables(graph)[rows.table]
    pk = table.c[graph.mapping(rows.table).primary_key]
    with engine.connect() as connection:
        return {
            k
            for where in finder.conditions(rows)
            for k in connection.execute(sa.select(pk).where(where)).scalars()
        }


def _same_search(
    finder: Finder, engine: sa.Engine, identity: dict[str, str]
) -> tuple[Found, Found]:
    """Find the person both ways and check they agree; (keyed, bulk)."""
    keyed = finder.find(identity)
    bulk = finder.find(identity, bulk=True)
    assert bulk.summary() == keyed.summary()
    for key, rows in bulk.tables.items():
        if not rows.count:
            continue
        other = keyed.tables[key]
        if rows.bulk is None:
            assert rows.rows == other.rows
            assert rows.shared == other.shared and rows.pinned == other.pinned
        else:
            # the condition selects exactly the rows found one by one, none shared or pinned
            assert _selected(finder, engine, bulk, key) == set(other.rows)
            assert rows.bulk.count == len(other.rows)
            assert not other.shared and not other.pinned
    return keyed, bulk


def _ends_kept(finder: Finder, found: Found) -> tuple[set[str], set[str]]:
    """(tables that end the references and hold rows, tables kept as a condition)."""
    ends = {
        rows.table
        for rows in found
        if rows.count and finder.graphs_by_id[rows.store].is_end(rows.table)
    }
    return ends, {rows.table for rows in found if rows.bulk is not None}


@pytest.mark.parametrize(("table", "offset"), DM_PEOPLE)
def test_device_management_search_keeps_end_tables_as_conditions_with_the_same_rows(
    dm_url: str,  # noqa: F811
    table: str,
    offset: int,
) -> None:
    engine = sa.create_engine(dm_url)
    try:
        finder = Finder(dm_register(), {"console": engine})
        _, bulk = _same_search(finder, engine, {"email": _person(dm_url, table, offset)})
    finally:
        engine.dispose()
    ends, kept = _ends_kept(finder, bulk)
    # nothing shared in these tables here: every one that holds rows is kept as a condition
    assert kept == ends
    if table == "geolocation_points":
        assert "geolocation_points" in kept  # the point of it, not an empty case


@pytest.mark.parametrize("person", [1, 2, 3, 7])
def test_crm_rows_under_a_shared_row_are_read_back_one_by_one(crm_url: str, person: int) -> None:  # noqa: F811
    engine = sa.create_engine(crm_url)
    try:
        finder = Finder(crm_register(), {"crm": engine})
        keyed, bulk = _same_search(finder, engine, {"email": f"person{person}@example.fr"})
    finally:
        engine.dispose()
    if person == 1:
        # alice's first order is bob's order's parent: its lines are shared, so they are rows
        lines = bulk.tables[("crm", "order_lines")]
        assert lines.bulk is None and lines.shared
        # and the notes of the meetings she shares are rows too
        assert bulk.tables[("crm", "notes")].shared == keyed.tables[("crm", "notes")].shared
    if person == 7:
        assert bulk.tables[("crm", "order_lines")].bulk is not None


@pytest.mark.parametrize("offset", [0, 5, 17])
def test_booking_platform_search_is_the_same_with_conditions(booking_url: str, offset: int) -> None:  # noqa: F811
    engine = sa.create_engine(booking_url)
    try:
        finder = Finder(booking_register(), {"platform": engine})
        _same_search(finder, engine, {"email": email_of(booking_url, "clients", offset)})
    finally:
        engine.dispose()


def _packages(register: Register, finder: Finder, found: Found, out: Path) -> dict[str, bytes]:
    """Every package an access request writes from ``found``: the person's (access and
    portability) and each controller's, by name."""
    mine, processed = split(register, finder, found)
    written = {}
    for name, part, portability in [("access", mine, False), ("portability", mine, True)]:
        path = out / f"{name}.zip"
        write_export(path, register, finder, part, portability=portability, header={"n": name})
        written[name] = path.read_bytes()
    for controller in controllers(finder, processed):
        assert controller.found is not None
        name = f"controller-{controller.key}"
        path = out / f"{name}.zip"
        write_export(path, register, finder, controller.found, portability=False, header={})
        written[name] = path.read_bytes()
    return written


def _same_packages(
    register: Register, finder: Finder, identity: dict[str, str], out: Path
) -> Found:
    keyed = _packages(register, finder, finder.find(identity), out / "keyed")
    found = finder.find(identity, bulk=True)
    assert _packages(register, finder, found, out / "bulk") == keyed
    return found


@pytest.mark.parametrize(("table", "offset"), DM_PEOPLE)
def test_device_management_packages_are_the_same_bytes_with_conditions(
    dm_url: str,  # noqa: F811
    table: str,
    offset: int,
    tmp_path: Path,
) -> None:
    register = dm_register()
    engine = sa.create_engine(dm_url)
    try:
        # batches of 3: a device's points outnumber them, so they are read by a streamed query
        finder = Finder(register, {"console": engine}, batch=3)
        found = _same_packages(
            register, finder, {"email": _person(dm_url, table, offset)}, tmp_path
        )
    finally:
        engine.dispose()
    if table == "geolocation_points":
        points = found.tables[("console", "geolocation_points")].bulk
        assert points is not None and points.count > finder.batch


@pytest.mark.parametrize("person", [1, 7])
def test_crm_packages_are_the_same_bytes_with_conditions(
    crm_url: str,  # noqa: F811
    person: int,
    tmp_path: Path,
) -> None:
    register = crm_register()
    engine = sa.create_engine(crm_url)
    try:
        finder = Finder(register, {"crm": engine})
        _same_packages(register, finder, {"email": f"person{person}@example.fr"}, tmp_path)
    finally:
        engine.dispose()


def _device_user(connection: Any) -> tuple[int, str, int]:
    """(user id, email, account) of the first device user whose device has points."""
    row = connection.execute(
        sa.text(
            "SELECT u.id, u.email, u.account_id FROM directory_users u "
            "JOIN devices d ON d.user_id = u.id WHERE u.email IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM geolocation_points p WHERE p.device_id = d.id) ORDER BY u.id LIMIT 1"
        )
    ).one()
    return int(row[0]), str(row[1]), int(row[2])


def _add_points(connection: Any, device: int, count: int, first_id: int) -> None:
    rows = [
        {
            "id": first_id + n,
            "device_id": device,
            "lat": 48.85 + n * 1e-6,
            "lon": 2.35,
            "accuracy_m": 10,
            "recorded_at": f"2026-08-{1 + n % 28:02d} 10:00:00",
        }
        for n in range(count)
    ]
    for start in range(0, len(rows), 5000):
        connection.execute(
            sa.text(
                "INSERT INTO geolocation_points (id, device_id, lat, lon, accuracy_m, recorded_at) "
                "VALUES (:id, :device_id, :lat, :lon, :accuracy_m, :recorded_at)"
            ),
            rows[start : start + 5000],
        )


def test_points_of_devices_at_two_clients_go_each_to_its_own_client(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The same person has a device at each of two clients: the points are one condition,
    split by client, and each client's package holds its own device's points only."""
    register = dm_register()
    with dm_database(fresh_server, "registre_bulk") as engine:
        with engine.begin() as connection:
            _, email, first = _device_user(connection)
            second = connection.execute(
                sa.text("SELECT min(id) FROM accounts WHERE id <> :a"), {"a": first}
            ).scalar_one()
            connection.execute(
                sa.text(
                    "INSERT INTO directory_users (id, account_id, email, name, created_at) "
                    "VALUES (99901, :a, :e, 'Même Personne', '2026-01-05 00:00:00')"
                ),
                {"a": second, "e": email},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO devices (id, account_id, user_id, manufacturer, model, "
                    "os_version, ownership, location_enabled, enrolled_at) VALUES (99901, "
                    ":a, 99901, 'Google', 'Pixel 9', '15', 'company', :t, "
                    "'2026-01-05 00:00:00')"
                ),
                {"a": second, "t": True},
            )
            _add_points(connection, 99901, 40, 990_000)
        finder = Finder(register, {"console": engine}, batch=5)
        found = _same_packages(register, finder, {"email": email}, tmp_path)
        points = found.tables[("console", "geolocation_points")].bulk
        assert points is not None and 99901 in points.values
        _, processed = split(register, finder, found)
        shares = {
            c.key: c.found.tables[("console", "geolocation_points")].bulk
            for c in controllers(finder, processed)
            if c.found and ("console", "geolocation_points") in c.found.tables
        }
    assert set(shares) == {first, second}
    assert all(b is not None and b.tenant == (key,) for key, b in shares.items())
    assert sum(b.count for b in shares.values() if b) == points.count
    assert shares[second] is not None and shares[second].count == 40


def _peak(finder: Finder, register: Register, email: str, out: Path) -> tuple[int, int]:
    """(peak bytes traced, rows exported) for finding the person and writing their packages."""
    tracemalloc.start()
    try:
        found = finder.find({"email": email}, bulk=True)
        rows = sum(
            write_export(
                out / f"{n}.zip", register, finder, c.found, portability=False, header={}
            ).rows
            for n, c in enumerate(controllers(finder, split(register, finder, found)[1]))
            if c.found
        )
        return tracemalloc.get_traced_memory()[1], rows
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_the_export_of_a_device_history_does_not_grow_with_its_points(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    register = dm_register()
    with dm_database(fresh_server, "registre_bulk") as engine:
        with engine.begin() as connection:
            user, email, _ = _device_user(connection)
            device = connection.execute(
                sa.text("SELECT min(id) FROM devices WHERE user_id = :u"), {"u": user}
            ).scalar_one()
            _add_points(connection, device, 2_000, 900_000)
        finder = Finder(register, {"console": engine})
        finder.find({"email": email}, bulk=True)  # reflection and statements, once
        small, small_rows = _peak(finder, register, email, tmp_path / "small")
        with engine.begin() as connection:
            _add_points(connection, device, 38_000, 902_000)
        large, large_rows = _peak(finder, register, email, tmp_path / "large")
    assert large_rows == small_rows + 38_000
    # twenty times the points: the same peak, give or take a batch of rows being written
    assert large < small * 1.2 + 512 * 1024, (small, large)


# -- any data: random CRMs ----------------------------------------------------------------------


@st.composite
def crm_data(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    """A small CRM with addresses shared at random, managers, orders filed under other people's
    orders, lines and meeting notes under anything: the cases where rows are shared."""
    people = draw(st.integers(2, 5))
    addresses = draw(st.integers(1, people))
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in crm.tables}
    rows["addresses"] = [{"id": a, "street": f"{a} rue des Lilas"} for a in range(1, addresses + 1)]
    for p in range(1, people + 1):
        rows["people"].append(
            {
                "id": p,
                "email": f"person{p}@example.fr",
                "phone": None,
                "name": f"Nom{p}",
                "address_id": draw(st.integers(1, addresses)),
                "manager_id": draw(st.none() | st.integers(1, people)),
            }
        )
    for o in range(1, draw(st.integers(0, 6)) + 1):
        rows["orders"].append(
            {
                "id": o,
                "person_id": draw(st.integers(1, people)),
                "parent_id": draw(st.none() | st.integers(1, o)) if o > 1 else None,
                "address_id": draw(st.integers(1, addresses)),
                "note": f"commande {o}",
            }
        )
        for _ in range(draw(st.integers(0, 4))):
            rows["order_lines"].append(
                {"id": len(rows["order_lines"]) + 1, "order_id": o, "label": f"ligne {o}"}
            )
    for m in range(1, draw(st.integers(0, 3)) + 1):
        rows["meetings"].append(
            {"id": m, "title": f"Réunion {m}", "organizer_id": draw(st.integers(1, people))}
        )
        for person in draw(st.sets(st.integers(1, people), max_size=3)):
            rows["attendees"].append(
                {"id": len(rows["attendees"]) + 1, "meeting_id": m, "person_id": person}
            )
        for _ in range(draw(st.integers(0, 2))):
            rows["notes"].append({"id": len(rows["notes"]) + 1, "meeting_id": m, "body": "notes"})
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=crm_data(), batch=st.sampled_from([1, 2, 1000]))
def test_any_crm_gives_the_same_rows_and_packages_with_conditions(
    data: dict[str, list[dict[str, Any]]], batch: int
) -> None:
    register = crm_register()
    with tempfile.TemporaryDirectory() as folder:
        engine = sa.create_engine(f"sqlite:///{folder}/crm.db")
        try:
            crm.create_all(engine)
            with engine.begin() as connection:
                for table in crm.sorted_tables:
                    if data[table.name]:
                        connection.execute(table.insert(), data[table.name])
            finder = Finder(register, {"crm": engine}, batch=batch)
            for person in data["people"]:
                identity = {"email": person["email"]}
                _same_search(finder, engine, identity)
                out = Path(folder) / str(person["id"])
                _same_packages(register, finder, identity, out)
        finally:
            engine.dispose()
