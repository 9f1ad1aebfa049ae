"""Where a person's identities are left after their requests,
on a MariaDB store (its state a SQLite file).

The scan and the places documented are in _leakage.py, which says what is scanned and how.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from _leakage import (
    Run,
    a_forwarded_erasure_leaves_the_person_only_where_documented,
    after_access_erasure_and_purge_the_person_is_only_where_documented,
    person_run,
    setup_ids,
)

SETUPS = [("mariadb", "sqlite")]
"""(the store's database, the state's)"""


@pytest.fixture(params=SETUPS, ids=setup_ids(SETUPS))
def run(
    request: pytest.FixtureRequest,
    registre_cli: str,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> Iterator[Run]:
    with person_run(request.param, registre_cli, tmp_path, capfd) as run:
        yield run


def test_after_access_erasure_and_purge_the_person_is_only_where_documented(run: Run) -> None:
    after_access_erasure_and_purge_the_person_is_only_where_documented(run)


def test_a_forwarded_erasure_leaves_the_person_only_where_documented(run: Run) -> None:
    a_forwarded_erasure_leaves_the_person_only_where_documented(run)
