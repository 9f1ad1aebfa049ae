"""Legal holds on the online-shop example: planned and swept on every database alike.

A hold on a customer once made ``plan`` and ``sweep`` fail on SQLite with "parser stack
overflow": each held parent nested one more subquery inside every dependant's, past the
hundred levels SQLite's parser allows. On SQLite the held rows are now named expressions
(``WITH held_… AS``); the other databases keep the nested form. Both must keep exactly the
held customers' rows, and sweep everything else the same way: the test runs the three
databases on the same generated shop and compares what each one kept, row by row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import registre
from registre.state import open_state
from test_online_shop import customer_id, expected_rows, shop_database, shop_register
from test_requests_fixtures import server_url

AT = datetime(2026, 12, 1, tzinfo=UTC)
"""Late enough for every rule of the shop to have rows due, and not in the future."""


def _held_customers(engine: sa.Engine) -> list[str]:
    """Camille and the four customers longest inactive: the ones the sweep would change."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT email FROM customers WHERE email IS NOT NULL "
                "ORDER BY last_active_at, id LIMIT 4"
            )
        )
        emails = [row[0].strip().lower() for row in rows]
    return ["camille.martin@example.fr", *emails]


def _everything(engine: sa.Engine) -> dict[str, dict[Any, tuple[Any, ...]]]:
    """Every row of every table by its first key column, values as text."""
    meta = sa.MetaData()
    meta.reflect(engine)
    out: dict[str, dict[Any, tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in meta.sorted_tables:
            key = next(iter(table.primary_key.columns)).name
            out[table.name] = {
                row._mapping[key]: tuple("" if v is None else str(v) for v in row)
                for row in connection.execute(sa.select(table))
            }
    return out


def _swept(backend: str, tmp: Path) -> tuple[dict[str, Any], int, dict[str, set[Any]]]:
    """Sweep a fresh shop on ``backend`` with five customers held; (rows left, held, theirs).

    The held customers' rows must come out of the sweep exactly as they went in.
    """
    register = shop_register()
    with shop_database(server_url(backend)) as engine:
        held = _held_customers(engine)
        with engine.connect() as connection:
            theirs: dict[str, set[Any]] = {}
            for email in held:
                for table, keys in expected_rows(
                    connection, customer_id(connection, email)
                ).items():
                    theirs.setdefault(table, set()).update(keys)
        before = _everything(engine)
        url = engine.url.render_as_string(hide_password=False)
        with open_state(f"sqlite:///{tmp / f'{backend}-state.db'}") as state:
            for email in held:
                state.holds.place(reason="litigation", identity={"email": email})
            planned = registre.plan(register, state, at=AT, url=url)
            report = registre.sweep(register, state, at=AT, url=url, batch_size=7)
        assert report.ok, report.failed
        after = _everything(engine)
        for table, keys in theirs.items():
            for key in keys:
                assert after[table].get(key) == before[table][key], (backend, table, key)
        return after, sum(rule.held for rule in planned.rules), theirs


def test_held_customers_are_kept_and_every_database_sweeps_alike(tmp_path: Path) -> None:
    results = {
        backend: _swept(backend, tmp_path) for backend in ("sqlite", "postgresql", "mariadb")
    }
    rows, held, _ = results["sqlite"]
    assert held > 0, "the held customers have rows due: the hold must keep some"
    for backend in ("postgresql", "mariadb"):
        other_rows, other_held, _ = results[backend]
        assert other_held == held, backend
        for table in rows:
            assert rows[table].keys() == other_rows[table].keys(), (backend, table)
