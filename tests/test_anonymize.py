"""Anonymization methods: what each one writes, the same in SQL and in Python, and recognised.

SQLite always; PostgreSQL and MariaDB when REGISTRE_TEST_POSTGRES_URL /
REGISTRE_TEST_MARIADB_URL are set.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registre import RegistreError
from registre.engine.anonymize import hmac_key, python_value, recognizer, sql_value
from registre.stores.throwaway import scratch_database

KEY = b"a long secret"
SERVERS = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}

# (method, value, column length, expected)
PYTHON = [
    ("null", "ann@example.org", None, None),
    ("redact", "Ann Martin", None, "[redacted]"),
    ("redact", "Ann Martin", 5, "[reda"),
    ("month", datetime(2026, 5, 17, 13, 45, 12, 7), None, datetime(2026, 5, 1)),
    ("month", date(1990, 2, 28), None, date(1990, 2, 1)),
    ("year", datetime(2026, 5, 17, 13, 45), None, datetime(2026, 1, 1)),
    ("year", date(1990, 2, 28), None, date(1990, 1, 1)),
    ("coarse_location", 47.218371, None, 47.2),
    ("coarse_location", -1.553621, None, -1.6),
    ("coarse_location", 45.25, None, 45.3),
    # pinned: the same key must give the same pseudonyms in every release
    ("fake_email", "ann@example.org", None, "anon-738486533271@anonymized.invalid"),
    ("fake_phone", "+33612345678", None, "+33639986639"),
    ("fake_name", "Ann Martin", None, "Claude Bonnet"),
    (
        "hash",
        "ann@example.org",
        12,
        hmac.new(KEY, b"hash:ann@example.org", hashlib.sha256).hexdigest()[:12],
    ),
    (
        "hash",
        "ann@example.org",
        None,
        hmac.new(KEY, b"hash:ann@example.org", hashlib.sha256).hexdigest(),
    ),
]
# every method keeps a missing value missing
PYTHON += [
    (method, None, None, None)
    for method in (
        "null",
        "redact",
        "hash",
        "month",
        "year",
        "coarse_location",
        "fake_name",
        "fake_email",
        "fake_phone",
    )
]


@pytest.mark.parametrize(("method", "value", "length", "expected"), PYTHON)
def test_python_values(method: str, value: Any, length: int | None, expected: Any) -> None:
    assert python_value(method, value, key=KEY, length=length) == expected


@pytest.mark.parametrize("method", ["hash", "fake_name", "fake_email", "fake_phone"])
def test_keyed_methods_are_stable_for_a_key_and_change_with_it(method: str) -> None:
    first = python_value(method, "ann@example.org", key=KEY, length=None)
    assert first == python_value(method, "ann@example.org", key=KEY, length=None)
    assert first != python_value(method, "ann@example.org", key=b"another", length=None)
    assert first != python_value(method, "bob@example.org", key=KEY, length=None)


def test_a_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGISTRE_HMAC_KEY", raising=False)
    assert hmac_key(required=False) == b""
    with pytest.raises(RegistreError, match=r"REGISTRE_HMAC_KEY.* is not set") as raised:
        hmac_key(required=True)
    assert "export REGISTRE_HMAC_KEY" in raised.value.hint


metadata = sa.MetaData()
sample = sa.Table(
    "sample",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("text", sa.String(40)),
    sa.Column("short", sa.String(5)),
    sa.Column("moment", sa.DateTime),
    sa.Column("day", sa.Date),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float(precision=53)),
)
ROWS = [
    {
        "id": 1,
        "text": "Ann Martin",
        "short": "Ann",
        "moment": datetime(2026, 5, 17, 13, 45, 12),
        "day": date(1990, 2, 28),
        "lat": 47.218371,
        "lon": -1.553621,
    },
    {
        "id": 2,
        "text": "x",
        "short": "y",
        "moment": datetime(2024, 2, 29, 23, 59, 59),
        "day": date(2024, 12, 31),
        "lat": -33.8688,
        "lon": 151.2093,
    },
    {"id": 3, "text": None, "short": None, "moment": None, "day": None, "lat": None, "lon": None},
]
# (method, column): every method a dialect can run in SQL
IN_SQL = [
    ("null", "text"),
    ("redact", "text"),
    ("redact", "short"),
    ("month", "moment"),
    ("month", "day"),
    ("year", "moment"),
    ("year", "day"),
    ("coarse_location", "lat"),
    ("coarse_location", "lon"),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        server = f"sqlite:///{tmp_path_factory.mktemp('anon') / 'unused.sqlite'}"
    else:
        server = os.environ.get(SERVERS[request.param], "")
        if not server:
            pytest.skip(f"{SERVERS[request.param]} is not set")
    with scratch_database(server, prefix="registre_anon") as url:
        created = sa.create_engine(url)
        yield created
        created.dispose()


@pytest.mark.parametrize(("method", "column"), IN_SQL, ids=[f"{m}-{c}" for m, c in IN_SQL])
def test_sql_writes_what_python_computes_and_recognises_it(
    engine: sa.Engine, method: str, column: str
) -> None:
    metadata.drop_all(engine)
    metadata.create_all(engine)
    live = sa.Table("sample", sa.MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        connection.execute(sample.insert(), ROWS)
        before = dict(connection.execute(sa.select(live.c.id, live.c[column])).all())
        done = recognizer(method, live.c[column])
        assert done is not None
        recognised = set(connection.execute(sa.select(live.c.id).where(done)).scalars())
        assert recognised == {3}  # only the NULL row is anonymized already
        expression = sql_value(method, live.c[column], engine.dialect.name)
        assert expression is not None
        connection.execute(sa.update(live).values({column: expression}))
        after = dict(connection.execute(sa.select(live.c.id, live.c[column])).all())
        assert set(connection.execute(sa.select(live.c.id).where(done)).scalars()) == {1, 2, 3}
    length = getattr(live.c[column].type, "length", None)
    expected = {k: python_value(method, v, key=KEY, length=length) for k, v in before.items()}
    if method == "coarse_location":  # floats read back in the column's own precision
        assert {k: None if v is None else round(float(v), 6) for k, v in after.items()} == expected
    else:
        assert after == expected


def test_keyed_methods_have_no_sql_and_no_recogniser_where_they_cannot(tmp_path: Path) -> None:
    column = sample.c.text
    for method in ("hash", "fake_name", "fake_email", "fake_phone"):
        assert sql_value(method, column, "postgresql") is None
    assert recognizer("hash", column) is None and recognizer("fake_name", column) is None
