"""A count cap swept by spans of its ``per`` column, on SQLite, PostgreSQL and MariaDB.

The device-management example's geolocation points (keep the newest 50 per device, none older
than two months, none of a device reset before the instant) are swept in small spans of
``device_id``, with one due point under a legal hold. The oracle is independent of the engine:
one hand-written window-function ``DELETE`` on a twin database. Both must keep the same rows,
the held point among them; the trail must announce disjoint, increasing spans of whole groups,
each followed by the count its write removed, and those counts must add up to the rows gone.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

import registre
from registre.demo.loader import load_app, load_demo_data
from registre.durations import cutoff
from registre.stores.throwaway import scratch_database

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "device-management"
AT = datetime(2026, 11, 1, tzinfo=ZoneInfo("Europe/Paris"))
SERVERS = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}
RULE = "geolocation-points"

# the oracle: what a person would write for the rule, the held point excepted
BY_HAND = """
    DELETE FROM geolocation_points WHERE id <> :held AND id IN (
      SELECT id FROM (
        SELECT id, recorded_at, device_id, row_number() OVER (
          PARTITION BY device_id ORDER BY recorded_at DESC, id DESC) AS rn
        FROM geolocation_points) ranked
      WHERE rn > 50 OR recorded_at < :cutoff
        OR device_id IN (SELECT id FROM devices WHERE reset_at < :at))"""
BY_HAND_MARIADB = """
    DELETE g FROM geolocation_points g JOIN (
      SELECT id FROM (
        SELECT id, recorded_at, device_id, row_number() OVER (
          PARTITION BY device_id ORDER BY recorded_at DESC, id DESC) AS rn
        FROM geolocation_points) ranked
      WHERE rn > 50 OR recorded_at < :cutoff
        OR device_id IN (SELECT id FROM devices WHERE reset_at < :at)) due
    ON due.id = g.id WHERE g.id <> :held"""


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def twins(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two databases holding the same generated rows."""
    app = load_app(EXAMPLE)
    if request.param == "sqlite":
        first = tmp_path / "swept.sqlite"
        engine = sa.create_engine(f"sqlite:///{first}")
        load_demo_data(app, engine, subjects=60, seed=5)
        engine.dispose()
        shutil.copy(first, tmp_path / "twin.sqlite")
        yield f"sqlite:///{first}", f"sqlite:///{tmp_path / 'twin.sqlite'}"
        return
    server = os.environ.get(SERVERS[request.param], "")
    if not server:
        pytest.skip(f"{SERVERS[request.param]} is not set")
    with (
        scratch_database(server, prefix="bench_cap_a") as first,
        scratch_database(server, prefix="bench_cap_b") as second,
    ):
        for url in (first, second):
            engine = sa.create_engine(url)
            load_demo_data(app, engine, subjects=60, seed=5)
            engine.dispose()
        yield first, second


def _points(url: str) -> dict[int, int | None]:
    """Each point's device, by the point's key."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, device_id FROM geolocation_points"))
        found = {int(key): device for key, device in rows}
    engine.dispose()
    return found


def _due_beyond_cap(url: str) -> int:
    """A point due only because its device has more than 50 newer ones: the one to hold."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        key = connection.execute(
            sa.text(
                "SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY device_id "
                "ORDER BY recorded_at DESC, id DESC) AS rn FROM geolocation_points "
                "WHERE device_id IS NOT NULL) ranked WHERE rn = 51 ORDER BY id"
            )
        ).scalar()
    engine.dispose()
    assert key is not None, "the example's data has a device with more than 50 points"
    return int(key)


def _by_hand(url: str, held: int) -> int:
    register = registre.load_register(EXAMPLE / "register.yaml")
    _, retention = register.rule(RULE)
    moment = cutoff(AT, retention.after[0].period, ZoneInfo(register.policy.timezone))
    engine = sa.create_engine(url)
    statement = BY_HAND_MARIADB if engine.dialect.name in ("mysql", "mariadb") else BY_HAND
    with engine.begin() as connection:
        gone = connection.execute(
            sa.text(statement),
            {
                "held": held,
                "cutoff": moment.replace(tzinfo=None),
                "at": AT.astimezone(ZoneInfo("UTC")).replace(tzinfo=None),
            },
        ).rowcount
    engine.dispose()
    return int(gone)


def test_a_count_cap_swept_by_spans_keeps_what_one_statement_keeps(
    twins: tuple[str, str], tmp_path: Path
) -> None:
    swept, twin = twins
    before = _points(swept)
    held = _due_beyond_cap(swept)
    register = registre.load_register(EXAMPLE / "register.yaml")
    (store,) = register.stores
    with registre.open_state(f"sqlite:///{tmp_path / 'state.sqlite'}") as state:
        state.holds.place(
            reason="litigation", store=store, table="geolocation_points", key=str(held)
        )
        report = registre.sweep(register, state, at=AT, url=swept, rules=[RULE], batch_size=40)
        entries = [
            e.details
            for e in state.audit.entries(action_prefix="sweep.")
            if e.details.get("table") == "geolocation_points"
        ]
        # nothing is left due: spans announced again, each removing nothing
        again = registre.sweep(register, state, at=AT, url=swept, rules=[RULE], batch_size=40)
    (rule,) = report.rules
    assert rule.status == "done"
    assert sum(r.changed for r in again.rules) == 0
    expected_gone = _by_hand(twin, held)
    after = _points(swept)
    assert held in after
    assert set(after) == set(_points(twin))
    assert rule.changed == expected_gone == len(before) - len(after) > 0

    spans = [d for d in entries if "statement" in d and d["range"]["column"] == "device_id"]
    counts = [d for d in entries if "count" in d and d["range"]["column"] == "device_id"]
    assert len(spans) > 3, "small batches: several spans"
    assert [d["range"] for d in spans] == [d["range"] for d in counts]
    bounds = [(int(d["range"]["after"]), int(d["range"]["to"])) for d in spans]
    assert all(low < high for low, high in bounds)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    assert bounds[0][0] < min(d for d in before.values() if d is not None)
    assert bounds[-1][1] >= max(d for d in before.values() if d is not None)
    # each span's count is the points of its devices gone, whole groups only
    for (low, high), entry in zip(bounds, counts, strict=True):
        gone = [
            k for k, d in before.items() if k not in after and d is not None and low < d <= high
        ]
        assert entry["count"] == len(gone), entry
    assert sum(d["count"] for d in counts) == rule.changed - _ungrouped_gone(before, after)


def _ungrouped_gone(before: dict[int, Any], after: dict[int, Any]) -> int:
    return sum(1 for k, d in before.items() if d is None and k not in after)
