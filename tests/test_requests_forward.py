"""What a client receives when a request about the data we hold for it is forwarded, on SQLite,
PostgreSQL and MariaDB: exactly the person's rows in its tables, computed here with plain SQL
(:func:`test_requests_fixtures.expected_dm`), and nothing of ours."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from registre.requests import SubjectRequests
from registre.requests.scope import processor_only
from registre.state import open_state
from test_requests_fixtures import ANCHOR, dm_register, dm_url, expected_dm  # noqa: F401


@pytest.mark.parametrize("offset", [0, 7, 23])
def test_a_forwarded_access_sends_the_client_exactly_the_rows_held_for_it(
    dm_url: str,  # noqa: F811
    offset: int,
    tmp_path: Path,
) -> None:
    register = dm_register()
    mappings = register.stores["console"].tables
    held_for_clients = {t for t, m in mappings.items() if processor_only(register, m)}
    engine = sa.create_engine(dm_url)
    try:
        with engine.connect() as connection:
            email = connection.execute(
                sa.text(
                    "SELECT email FROM directory_users WHERE email IS NOT NULL ORDER BY id "
                    f"LIMIT 1 OFFSET {offset}"
                )
            ).scalar_one()
            expected = {
                table: keys
                for table, keys in expected_dm(connection, email).items()
                if table in held_for_clients
            }
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = SubjectRequests(
                register, state, {"console": engine}, out_dir=tmp_path, now=ANCHOR
            )
            request = desk.open("access", {"email": email})
            desk.verify(request.id, method="reply from the account's address")
            done = desk.execute(request.id)
    finally:
        engine.dispose()

    forwarded = done.result.get("forwarded", done.result)
    (package,) = forwarded["forward_data"]
    with zipfile.ZipFile(package) as archive:
        tables = json.loads(archive.read("data.json"))["tables"]
        csv_lines = {
            name.removesuffix(".csv"): len(archive.read(name).decode().splitlines()) - 1
            for name in archive.namelist()
            if name.endswith(".csv")
        }
    sent = {table: {row["id"] for row in data["rows"]} for table, data in tables.items()}
    assert sent == expected
    assert csv_lines == {table: len(keys) for table, keys in expected.items()}
    assert set(sent) <= held_for_clients  # nothing of the data we control
