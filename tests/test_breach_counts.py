"""Who a breach affects, counted on the device-management example's live database (SQLite,
PostgreSQL, MariaDB), against counts written here in plain SQL from what the data means.

A location point is its device's user's when the device is assigned to an existing user, else
the device's own (its phone number identifies someone); the independent SQL says exactly that
with a CASE, where the counter walks the mapping's ownership graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from registre._exceptions import BreachError
from registre.breaches.counting import chosen_language, count, people_to_inform
from registre.breaches.scope import Scope, parse_targets
from registre.demo import load_app, load_demo_data
from registre.register.loader import load_register
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import BACKENDS, dm_register, load_dm, server_url

SINCE = datetime(2026, 10, 1, tzinfo=UTC)
UNTIL = datetime(2026, 10, 20, tzinfo=UTC)
WINDOW = "g.recorded_at >= :since AND g.recorded_at < :until"
BOUNDS = {"since": SINCE.replace(tzinfo=None), "until": UNTIL.replace(tzinfo=None)}
# who each point is about: the user of its device (negative ids: devices, never users)
WHO = "CASE WHEN u.id IS NOT NULL THEN u.id ELSE -d.id END"
POINTS = (
    "FROM geolocation_points g JOIN devices d ON d.id = g.device_id "
    "LEFT JOIN directory_users u ON u.id = d.user_id"
)


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    with scratch_database(server_url(request.param), "breach_counts") as url:
        load_dm(url)
        engine = sa.create_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def sql(engine: sa.Engine, text: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(text), {**BOUNDS, **params})]


def test_a_table_and_a_time_window(engine: sa.Engine) -> None:
    register = dm_register()
    scope = Scope(parse_targets(register, ["geolocation_points"]), since=SINCE, until=UNTIL)
    affected = count(register, scope, {"console": engine}).as_json(SINCE)
    ((people, points),) = sql(
        engine, f"SELECT COUNT(DISTINCT {WHO}), COUNT(*) {POINTS} WHERE {WINDOW}"
    )
    assert points and people  # the window holds data: the comparison can fail
    assert affected["people"] == {"end_user": people}
    ((located,),) = sql(
        engine,
        f"SELECT COUNT(*) {POINTS} WHERE {WINDOW} AND "
        "(g.lat IS NOT NULL OR g.lon IS NOT NULL OR g.accuracy_m IS NOT NULL)",
    )
    assert affected["records"] == {"location": located}
    assert affected["rows"] == {"console.geolocation_points": points}
    by_client = sql(
        engine,
        f"SELECT d.account_id, COUNT(DISTINCT {WHO}), COUNT(*) {POINTS} WHERE {WINDOW} "
        "GROUP BY d.account_id",
    )
    assert {str(client): (n, rows) for client, n, rows in by_client} == {
        client: (t["people"]["end_user"], t["records"]["location"])
        for client, t in affected["tenants"].items()
    }


def test_one_client_and_some_columns(engine: sa.Engine) -> None:
    register = dm_register()
    ((client,),) = sql(
        engine,
        f"SELECT d.account_id {POINTS} WHERE {WINDOW} GROUP BY d.account_id "
        "ORDER BY COUNT(*) DESC, d.account_id LIMIT 1",
    )
    targets = parse_targets(register, ["geolocation_points", "devices.imei", "devices.name"])
    scope = Scope(targets, since=SINCE, until=UNTIL, tenant=str(client))
    affected = count(register, scope, {"console": engine}).as_json(SINCE)
    assert list(affected["tenants"]) == [str(client)]
    # devices in the window: any of its own timestamps in it (enrolled, reset)
    device_window = (
        "((d.enrolled_at >= :since AND d.enrolled_at < :until) "
        "OR (d.reset_at >= :since AND d.reset_at < :until))"
    )
    ((imei, names),) = sql(
        engine,
        "SELECT COALESCE(SUM(CASE WHEN d.imei IS NOT NULL THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN d.name IS NOT NULL THEN 1 ELSE 0 END), 0) "
        f"FROM devices d WHERE d.account_id = :client AND {device_window}",
        client=client,
    )
    ((points,),) = sql(
        engine,
        f"SELECT COUNT(*) {POINTS} WHERE {WINDOW} AND d.account_id = :client",
        client=client,
    )
    expected = {"location": points}
    if imei:
        expected["device_inventory"] = int(imei)
    if names:
        expected["device_name"] = int(names)
    assert affected["records"] == expected
    ((people,),) = sql(
        engine,
        f"SELECT COUNT(*) FROM (SELECT {WHO} AS who {POINTS} WHERE {WINDOW} "
        "AND d.account_id = :client UNION "
        "SELECT CASE WHEN u.id IS NOT NULL THEN u.id ELSE -d.id END FROM devices d "
        f"LEFT JOIN directory_users u ON u.id = d.user_id WHERE d.account_id = :client "
        f"AND {device_window}) people",
        client=client,
    )
    assert sum(affected["people"].values()) == people


def test_the_people_to_inform_are_read_from_their_own_records(engine: sa.Engine) -> None:
    register = dm_register()
    scope = Scope(parse_targets(register, ["geolocation_points"]), since=SINCE, until=UNTIL)
    affected = count(register, scope, {"console": engine})
    people = people_to_inform(register, affected, {"console": engine})
    assert len(people) == len(affected.persons)
    emails = {p.identities.get("email") for p in people} - {None}
    expected = {
        row[0]
        for row in sql(engine, f"SELECT DISTINCT u.email {POINTS} WHERE {WINDOW}")
        if row[0] is not None
    }
    assert emails == expected
    assert all(p.lang == "fr" and p.categories == ("location",) for p in people)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (["points"], "names table 'points'"),
        (["devices.battery_level"], "not a mapped personal data column"),
        (["other.devices"], "names table 'other'"),
    ],
)
def test_a_scope_names_what_the_mapping_maps(written: list[str], message: str) -> None:
    with pytest.raises(BreachError, match=message):
        parse_targets(dm_register(), written)


def test_each_person_is_written_to_in_the_language_their_record_holds(tmp_path: Path) -> None:
    """meeting-assistant's subscribers chose fr or en (``language: lang`` in its mapping)."""
    example = Path(__file__).resolve().parent.parent / "examples" / "meeting-assistant"
    register = load_register(example / "register.yaml")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'plume.sqlite'}")
    try:
        load_demo_data(load_app(example), engine, subjects=40, seed=1)
        scope = Scope(parse_targets(register, ["newsletter_subscribers"]))
        affected = count(register, scope, {"plume": engine})
        people = people_to_inform(register, affected, {"plume": engine})
        chosen = dict(sql(engine, "SELECT email, lang FROM newsletter_subscribers"))
    finally:
        engine.dispose()
    assert {p.identities["email"]: p.lang for p in people} == chosen
    assert set(chosen.values()) == {"fr", "en"}  # both occur: the comparison can fail


@pytest.mark.parametrize(
    ("value", "lang"),
    [("fr", "fr"), ("EN", "en"), ("fr-FR", "fr"), ("en_GB", "en"), ("de", "fr"), (None, "fr")],
)
def test_a_chosen_language_is_read_as_the_register_offers_it(value: object, lang: str) -> None:
    assert chosen_language(value, ["fr", "en"]) == lang
