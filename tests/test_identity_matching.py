"""One identity matcher: requests, legal holds, restrictions and sweeps find the same people.

A club's members are stored as people type them: emails in mixed case with spaces around, a
second address in ``alt_email``, phone numbers in the demo generator's formats. Asked by a
lower-case email or by a phone number in any form, every part of registre must find exactly the
rows holding that identity, and nothing looser: no look-alike characters, no ``+`` tag, no dot
folding, never a number's suffix.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import test_state
from registre.register.loader import load_register
from registre.register.model import Register
from registre.requests import RequestDesk, is_restricted
from registre.requests.find import Finder
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import ANCHOR, BACKENDS, DM, server_url

state_url = test_state.state_url

Cli = Callable[..., tuple[int, str, str]]

club = sa.MetaData()
members = sa.Table(
    "members",
    club,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(200), nullable=False),
    sa.Column("alt_email", sa.String(200), nullable=True),
    sa.Column("phone", sa.String(40), nullable=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("deleted_at", sa.DateTime, nullable=True),
)

DELETED = datetime(2025, 1, 1)
"""Every member left long enough ago for the account-data rule (6 months) to be due."""

SUSAN = "susan.marin@gay.example"
ROWS: list[tuple[int, str, str | None, str | None]] = [
    (1, "  Susan.Marin@Gay.example ", None, "+33 (0)1 45 67 89 01"),
    (2, "other@example.org", "SUSAN.MARIN@gay.example", "+33 4 86 18 32 36"),
    # one number, 02 30 51 66 63, as four people wrote it
    (3, "carl@example.org", None, "+33 (0)2 30 51 66 63"),
    (4, "Dora@Example.org", None, "02 30 51 66 63"),
    (5, "erin@example.org", "  erin.alt@example.org", "06 38 45 42 23"),
    (6, "fred@example.org", None, "0230516663"),
    (7, "gus@example.org", None, "0033 2.30.51.66.63"),
    # near misses: an accent (MariaDB's _ci collations fold it), a dot less, the number's
    # suffix, the same digits in Germany
    (8, "susan.marín@gay.example", None, "30 51 66 63"),
    (9, "susanmarin@gay.example", None, "+49 230 5166 63"),
]

STORE = {
    "url_env": "CLUB_DATABASE_URL",
    "tables": {
        "members": {
            "subject": "account_holder",
            "identity": {"email": ["email", "alt_email"], "phone": "phone"},
            "columns": {
                "email": "account_details",
                "alt_email": "account_details",
                "phone": "account_details",
                "name": "account_details",
            },
            "events": {"account_deleted": "deleted_at"},
            "rules": ["account-data"],
        }
    },
}


def club_register(tmp_path: Path) -> Path:
    """The device-management register with the club as its only store, as a file."""
    text = (DM / "register.yaml").read_text(encoding="utf-8")
    head = text[: text.index("\nstores:")]
    path = tmp_path / "register.yaml"
    path.write_text(f"{head}\nstores: {json.dumps({'club': STORE})}\n", encoding="utf-8")
    return path


@pytest.fixture(params=BACKENDS)
def club_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The club's database of its own, on each backend."""
    with scratch_database(server_url(request.param), "registre_idm") as url:
        engine = sa.create_engine(url)
        try:
            club.create_all(engine)
            with engine.begin() as connection:
                connection.execute(
                    members.insert(),
                    [
                        {
                            "id": key,
                            "email": email,
                            "alt_email": alt,
                            "phone": phone,
                            "name": f"member {key}",
                            "deleted_at": DELETED,
                        }
                        for key, email, alt, phone in ROWS
                    ],
                )
        finally:
            engine.dispose()
        yield url


@pytest.fixture
def register(tmp_path: Path) -> Register:
    return load_register(club_register(tmp_path))


def found_keys(register: Register, url: str, identity: dict[str, str]) -> set[int]:
    engine = sa.create_engine(url)
    try:
        found = Finder(register, {"club": engine}).find(identity)
        rows = found.tables.get(("club", "members"))
        return set(rows.rows) if rows else set()
    finally:
        engine.dispose()


def remaining(url: str) -> set[int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(sa.select(members.c.id)).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        # mixed case and spaces in email, and the second address in alt_email
        ({"email": SUSAN}, {1, 2}),
        ({"email": "SUSAN.Marin@gay.EXAMPLE"}, {1, 2}),
        ({"email": "dora@example.org"}, {4}),
        ({"email": "erin.alt@example.org"}, {5}),
        # nothing looser: a Cyrillic 'а', a '+' tag, dots moved or added
        ({"email": "susаn.marin@gay.example"}, set()),
        ({"email": "susan.marin+x@gay.example"}, set()),
        ({"email": "s.usan.marin@gay.example"}, set()),
        ({"email": "susan.marin@gay.examp"}, set()),
        # every written form of the number, none of its suffixes nor another country's
        ({"phone": "02 30 51 66 63"}, {3, 4, 6, 7}),
        ({"phone": "+33230516663"}, {3, 4, 6, 7}),
        ({"phone": "01 45 67 89 01"}, {1}),
        ({"phone": "06 38 45 42 23"}, {5}),
        ({"phone": "+33 4 86 18 32 36"}, {2}),
        ({"phone": "+49 230 5166 63"}, {9}),
    ],
)
def test_a_request_finds_exactly_the_rows_holding_the_identity(
    register: Register, club_url: str, identity: dict[str, str], expected: set[int]
) -> None:
    from registre.requests.identity import as_identity

    assert found_keys(register, club_url, as_identity(identity)) == expected


def test_an_access_request_by_a_lower_case_email_exports_both_rows(
    register: Register, club_url: str, state_url: str, tmp_path: Path
) -> None:
    engine = sa.create_engine(club_url)
    try:
        with open_state(state_url) as state:
            desk = RequestDesk(register, state, {"club": engine}, out_dir=tmp_path, now=ANCHOR)
            request = desk.open("access", {"email": SUSAN})
            desk.verify(request.id, method="reply from the address")
            done = desk.execute(request.id)
    finally:
        engine.dispose()
    assert done.state.value == "done"
    assert done.result["rows"] == 2


def _sweep(run_cli: Cli, register: Path, url: str, state_url: str) -> None:
    code, out, err = run_cli(
        "sweep", str(register), "--url", url, "--at", "2026-11-01", "--yes",
        "--state-url", state_url,
    )  # fmt: skip
    assert code == 0, out + err


def test_a_hold_by_phone_keeps_every_stored_form_from_a_sweep(
    run_cli: Cli, club_url: str, state_url: str, tmp_path: Path
) -> None:
    register = club_register(tmp_path)
    code, out, err = run_cli(
        "hold", "add", "--reason", "litige", "--phone", "02 30 51 66 63",
        "--register", str(register), "--url", club_url, "--state-url", state_url,
    )  # fmt: skip
    assert (code, out, err) == (0, "legal hold 1 placed on phone +33230516663\n", "")
    _sweep(run_cli, register, club_url, state_url)
    # +33 (0)2 30 51 66 63, 02 30 51 66 63, 0230516663 and 0033 2.30.51.66.63 are held
    assert remaining(club_url) == {3, 4, 6, 7}


def test_a_hold_by_phone_keeps_the_person_asking_by_email_from_an_erasure(
    register: Register, club_url: str, state_url: str, tmp_path: Path
) -> None:
    engine = sa.create_engine(club_url)
    try:
        with open_state(state_url) as state:
            # the hold names the phone only; the person asks by their email
            state.holds.place(reason="litige", identity={"phone": "02 30 51 66 63"})
            desk = RequestDesk(register, state, {"club": engine}, out_dir=tmp_path, now=ANCHOR)
            for email in ("dora@example.org", "erin@example.org"):
                request = desk.open("erasure", {"email": email})
                desk.verify(request.id, method="signed letter")
                desk.execute(request.id)
    finally:
        engine.dispose()
    # Dora's row holds the held number (as 02 30 51 66 63): kept; Erin's is erased
    assert remaining(club_url) == {1, 2, 3, 4, 6, 7, 8, 9}


def test_a_hold_that_matches_no_row_is_refused(
    run_cli: Cli, club_url: str, state_url: str, tmp_path: Path
) -> None:
    register = str(club_register(tmp_path))
    for option, value in [
        ("--email", "susan.marin+x@gay.example"),
        ("--phone", "06 38 45 42 24"),
    ]:
        code, out, err = run_cli(
            "hold", "add", "--reason", "litige", option, value,
            "--register", register, "--url", club_url, "--state-url", state_url,
        )  # fmt: skip
        assert code == 1 and out == ""
        assert "no row of the mapped tables holds" in err
        assert "the hold would protect nothing" in err
        assert "Traceback" not in err
    # nothing was placed nor audited
    with open_state(state_url) as state:
        assert state.holds.all() == []
        assert list(state.audit.entries(action_prefix="hold.")) == []


def test_a_restriction_is_found_whatever_the_case_and_by_the_rows_phone(
    register: Register, club_url: str, state_url: str, tmp_path: Path, run_cli: Cli
) -> None:
    engine = sa.create_engine(club_url)
    try:
        with open_state(state_url) as state:
            desk = RequestDesk(register, state, {"club": engine}, out_dir=tmp_path, now=ANCHOR)
            request = desk.open("restriction", {"email": "Susan.Marin@GAY.example"})
            desk.verify(request.id, method="reply from the address")
            desk.execute(request.id)
            asked: dict[str, Any] = {
                "lower case": is_restricted(state, SUSAN),
                "row's phone": is_restricted(state, {"phone": "+33 1 45 67 89 01"}),
                "alt_email row's phone": is_restricted(state, {"phone": "04 86 18 32 36"}),
                "someone else": is_restricted(state, "carl@example.org"),
            }
    finally:
        engine.dispose()
    assert asked == {
        "lower case": True,
        "row's phone": True,
        "alt_email row's phone": True,
        "someone else": False,
    }
    code, _, err = run_cli(
        "request", "is-restricted", "--email", "  SUSAN.marin@gay.example",
        "--register", str(club_register(tmp_path)), "--state-url", state_url,
    )  # fmt: skip
    assert code == 0, err
    # a sweep leaves the restricted person's rows alone
    _sweep(run_cli, club_register(tmp_path), club_url, state_url)
    assert remaining(club_url) == {1, 2}


@pytest.mark.parametrize(
    ("declaration", "folded"),
    [
        ("VARCHAR(200)", True),  # the table's default collation, utf8mb4_general_ci
        ("VARCHAR(200) COLLATE utf8mb4_bin", False),
        ("VARCHAR(200) CHARACTER SET latin1 COLLATE latin1_general_cs", False),
        ("VARBINARY(200)", False),
    ],
)
def test_mariadb_compares_an_email_as_requests_do_whatever_the_collation(
    declaration: str, folded: bool
) -> None:
    """A case-insensitive collation keeps the column's index; any other is compared as
    lower(trim()); both find exactly the same rows (an accent is never folded)."""
    from registre.engine import identities

    with scratch_database(server_url("mariadb"), "registre_idm") as url:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    f"CREATE TABLE people (id INT PRIMARY KEY, email {declaration}, "
                    "INDEX ix_people_email (email)) DEFAULT CHARSET utf8mb4 "
                    "COLLATE utf8mb4_general_ci"
                )
                connection.exec_driver_sql(
                    "INSERT INTO people VALUES (1, '  Susan.Marin@Gay.example '), "
                    "(2, 'SUSAN.MARIN@GAY.EXAMPLE'), (3, 'susanmarin@gay.example'), (4, NULL), "
                    "(5, 'susan.marín@gay.example')"
                )
            people = sa.Table("people", sa.MetaData(), autoload_with=engine)
            column = people.c.email
            dialect = engine.dialect.name
            assert identities.folds_case(column, dialect) is folded
            where = identities.condition(column, "email", SUSAN, dialect, case_folded=folded)
            assert where is not None
            with engine.connect() as connection:
                found = set(connection.execute(sa.select(people.c.id).where(where)).scalars())
        finally:
            engine.dispose()
    assert found == {1, 2}
