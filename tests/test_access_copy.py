"""The access copy is complete and readable (Art. 15(3), Art. 12(1)), on SQLite, PostgreSQL and
MariaDB with the device-management example.

Every mapped column of the person's rows is in it, the dates of the table's own events included
(a geolocation point comes with the time it was recorded); CSV headers are in the request's
language with the raw column name in parentheses; timestamps carry their offset; a legend lists
every file with its rows. A portability package keeps the raw names, keys for programs.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from registre.documents.typography import typeset
from registre.register.model import Lang, Register
from registre.requests import RequestDesk
from registre.requests.legend import column_words, short_name
from registre.state import open_state
from test_requests_fixtures import (  # noqa: F401  (fixtures)
    ANCHOR,
    crm,
    crm_register,
    dm_register,
    dm_url,
    email_of,
    first_value,
)

HEADER = re.compile(r"^(?P<words>.+) \((?P<column>[A-Za-z_][A-Za-z0-9_]*)\)$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


@pytest.fixture
def desk(dm_url: str, tmp_path: Path) -> Iterator[RequestDesk]:  # noqa: F811
    engine = sa.create_engine(dm_url)
    try:
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            yield RequestDesk(
                dm_register(), state, {"console": engine}, out_dir=tmp_path, now=ANCHOR
            )
    finally:
        engine.dispose()


def device_user(url: str) -> str:
    """The email of the first device user whose device reports its location."""
    return str(
        first_value(
            url,
            "SELECT min(u.email) FROM directory_users u JOIN devices d ON d.user_id = u.id "
            "JOIN geolocation_points p ON p.device_id = d.id GROUP BY u.id ORDER BY u.id",
        )
    )


def packages(desk: RequestDesk, kind: str, email: str, lang: Lang = "fr") -> dict[str, Path]:
    """The packages an executed request wrote: the person's (``mine``: the data we control) and
    the client's (``client``: the data we hold for it, forwarded), whichever there are."""
    request = desk.open(kind, {"email": email}, lang=lang)
    desk.verify(request.id, method="reply from the account's address")
    done = desk.execute(request.id)
    result = done.result or {}
    out = {}
    if "export" in result:
        out["mine"] = Path(result["export"])
    forwarded = result.get("forwarded", result).get("forward_data")
    if forwarded:
        (path,) = forwarded  # the example's people are in one client's directory
        out["client"] = Path(path)
    assert out, result
    return out


def package(desk: RequestDesk, kind: str, email: str, lang: Lang = "fr") -> Path:
    """The person's package, or the client's when all the person's data is held for it."""
    written = packages(desk, kind, email, lang)
    return written.get("mine", written.get("client", Path()))


def client_package(desk: RequestDesk, kind: str, email: str, lang: Lang = "fr") -> Path:
    """The package forwarded to the client: the data we hold for it (a device user's directory
    entry, device names and geolocation points)."""
    return packages(desk, kind, email, lang)["client"]


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def raw_names(headers: list[str]) -> list[str]:
    """The raw column names of an access copy's headers, each "words (column)"."""
    names = []
    for header in headers:
        match = HEADER.match(header)
        assert match, header
        assert match["words"] != match["column"], header  # words, not the raw name again
        names.append(match["column"])
    return names


def mapped_columns(register: Register, table: str) -> set[str]:
    """What the register maps in ``table``: key, personal data, identities, references, the
    columns declared not personal and the columns of its own events."""
    mapping = register.stores["console"].tables[table]
    wanted = {mapping.primary_key, *mapping.columns, *mapping.not_personal}
    wanted |= {ref.column for ref in mapping.references.values()}
    for columns in mapping.identity.values():
        wanted |= {columns} if isinstance(columns, str) else set(columns)
    wanted |= {path for path in mapping.events.values() if "." not in path}
    return wanted


# -- the person's rows, every column ------------------------------------------------------------


def test_geolocation_points_come_with_their_time_and_its_offset(
    desk: RequestDesk,
    dm_url: str,  # noqa: F811
) -> None:
    email = device_user(dm_url)
    files = read_zip(client_package(desk, "access", email))
    rows = csv_rows(files["geolocation_points.csv"])
    headers, body = rows[0], rows[1:]
    assert "Date de la collecte (recorded_at)" in headers
    at = headers.index("Date de la collecte (recorded_at)")
    exported = {int(row[headers.index("Identifiant (id)")]): row[at] for row in body}
    engine = sa.create_engine(dm_url)
    try:
        with engine.connect() as connection:
            recorded = connection.execute(
                sa.text(
                    "SELECT p.id, p.recorded_at FROM geolocation_points p "
                    "JOIN devices d ON d.id = p.device_id "
                    "JOIN directory_users u ON u.id = d.user_id WHERE u.email = :e"
                ),
                {"e": email},
            ).all()
    finally:
        engine.dispose()
    assert recorded, "the device user has points"
    # the database stores UTC without a time zone (examples/device-management/app.py)
    # (SQLite gives the stored text back, the servers a datetime)
    assert exported == {
        key: f"{datetime.fromisoformat(str(at)):%Y-%m-%dT%H:%M:%S}+00:00" for key, at in recorded
    }
    points = json.loads(files["data.json"])["tables"]["geolocation_points"]["rows"]
    assert {p["id"]: p["recorded_at"] for p in points} == exported


@pytest.mark.parametrize("who", ["account_holders", "directory_users", "managers"])
def test_every_mapped_column_of_the_persons_rows_is_exported(
    desk: RequestDesk,
    dm_url: str,  # noqa: F811
    who: str,
) -> None:
    email = device_user(dm_url) if who == "directory_users" else email_of(dm_url, who, 3)
    written = packages(desk, "access", email)
    register = dm_register()
    # a device user's technical data and web history are ours, their directory entry and
    # geolocation the client's: each package is checked, the person's and the client's
    tables: dict[str, dict[str, list[str]]] = {}
    for path in written.values():
        files = read_zip(path)
        theirs = json.loads(files["data.json"])["tables"]
        csvs = {name.removesuffix(".csv") for name in files if name.endswith(".csv")}
        assert csvs == set(theirs) and not csvs & set(tables)
        tables.update(theirs)
        for table in csvs:
            rows = csv_rows(files[f"{table}.csv"])
            names = raw_names(rows[0])
            assert names == theirs[table]["columns"]
            assert set(names) == mapped_columns(register, table), table
            for row in rows[1:]:
                for value in row:  # every timestamp, whatever its column, has its offset
                    if re.match(r"^\d{4}-\d\d-\d\dT", value):
                        assert TIMESTAMP.match(value), (table, value)
    assert who in tables
    if who == "account_holders":
        assert {"deleted_at", "subscription_ends_at"} <= set(tables["accounts"]["columns"])
    if who == "directory_users":
        assert set(written) == {"mine", "client"}
        assert "reset_at" in tables["devices"]["columns"]
        assert "recorded_at" in tables["geolocation_points"]["columns"]


# -- words for people ---------------------------------------------------------------------------

HEADERS = {
    "fr": {
        "account_holders.csv": [
            "Identifiant (id)",
            "Lien vers accounts.csv (account_id)",
            "Informations sur le compte (email)",
            "Informations sur le compte (first_name)",
            "Informations sur le compte (last_name)",
            "Informations sur le compte (phone)",
            "Date (created_at)",
        ],
        "accounts.csv": [
            "Coordonnées de facturation du contact principal (billing_address)",
            "Date de la fin de l’abonnement (subscription_ends_at)",
            "Date de la suppression du compte (deleted_at)",
        ],
    },
    "en": {
        "account_holders.csv": [
            "Identifier (id)",
            "Link to accounts.csv (account_id)",
            "Account information (email)",
            "Account information (first_name)",
            "Account information (last_name)",
            "Account information (phone)",
            "Date (created_at)",
        ],
        "accounts.csv": [
            "Billing details of the main contact (billing_address)",
            "Date of the end of the subscription (subscription_ends_at)",
            "Date of the deletion of the account (deleted_at)",
        ],
    },
}
LEGENDS = {"fr": "LISEZMOI.txt", "en": "README.txt"}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_headers_are_in_the_language_of_the_request(
    desk: RequestDesk,
    dm_url: str,  # noqa: F811
    lang: Lang,
) -> None:
    files = read_zip(package(desk, "access", email_of(dm_url, "account_holders", 2), lang))
    holders = csv_rows(files["account_holders.csv"])[0]
    assert holders == HEADERS[lang]["account_holders.csv"]
    accounts = csv_rows(files["accounts.csv"])[0]
    assert set(HEADERS[lang]["accounts.csv"]) <= set(accounts)
    assert LEGENDS[lang] in files and LEGENDS["en" if lang == "fr" else "fr"] not in files
    # a spreadsheet reads the accents: the CSV starts with a byte order mark
    assert files["accounts.csv"].startswith("\ufeff".encode())


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Identité (nom, prénom, civilité)", "Identité"),
        ("Appareils (fabricant, IMEI (15 chiffres))", "Appareils"),
        ("Données de localisation", "Données de localisation"),
        ("(rien avant)", "(rien avant)"),
        ("Données de santé (donnée sensible)", "Données de santé"),
    ],
)
def test_a_header_keeps_a_category_name_without_its_list_of_fields(name: str, short: str) -> None:
    assert short_name(name) == short


@pytest.mark.parametrize(
    ("table", "column", "lang", "header"),
    [  # the CRM uses the built-in taxonomy's categories
        ("people", "email", "en", "Contact details (email)"),
        ("people", "name", "fr", "Identité (name)"),
        ("people", "manager_id", "en", "Link to people.csv (manager_id)"),
        ("orders", "address_id", "fr", "Lien vers une autre table (address_id)"),
        ("notes", "body", "fr", "Contenus (body)"),
        ("attendees", "id", "en", "Identifier (id)"),
    ],
)
def test_headers_of_built_in_categories_and_references(
    table: str, column: str, lang: Lang, header: str
) -> None:
    register = crm_register()
    mapping = register.stores["crm"].tables[table]
    files = {"people": "people.csv", "orders": "orders.csv", "notes": "notes.csv"}
    words = column_words(register, mapping, crm.tables[table], column, lang, files)
    assert words.header == header


# -- the legend ---------------------------------------------------------------------------------

ROWS_LINE = re.compile(r"^(?P<file>\S+)\s*: (?P<rows>\d+) (lignes?|rows?)\.", re.MULTILINE)


@pytest.mark.parametrize(("who", "lang"), [("account_holders", "fr"), ("managers", "en")])
def test_the_legend_lists_every_file_and_its_rows(
    desk: RequestDesk,
    dm_url: str,  # noqa: F811
    who: str,
    lang: Lang,
) -> None:
    files = read_zip(package(desk, "access", email_of(dm_url, who, 4), lang))
    text = files[LEGENDS[lang]].decode("utf-8")
    for name in files:
        assert re.search(rf"^{re.escape(name)}\s*:", text, re.MULTILINE), name
    said = {m["file"]: int(m["rows"]) for m in ROWS_LINE.finditer(text)}
    counted = {
        name: len(csv_rows(data)) - 1 for name, data in files.items() if name.endswith(".csv")
    }
    tables = json.loads(files["data.json"])["tables"]
    counted["data.json"] = sum(len(t["rows"]) for t in tables.values())
    assert said == counted
    assert "+00:00" in text and "UTC" in text
    register = dm_register()
    for table in tables:
        mapping = register.stores["console"].tables[table]
        for column in tables[table]["columns"]:
            assert re.search(rf"\b{column}\b", text), column  # each column is explained
        # the register's ids stay out of it: data categories and events in words
        words = re.sub(r"\S+\.csv", "", text)
        for category in mapping.columns.values():
            assert not re.search(rf"\b{category}\b", words), category
            assert typeset(register.data_category(category).name.get(lang), lang) in text
        for event in mapping.events:
            assert not re.search(rf"\b{event}\b", words), event


# -- portability --------------------------------------------------------------------------------


def test_portability_keeps_the_raw_column_names(
    desk: RequestDesk,
    dm_url: str,  # noqa: F811
) -> None:
    mine = read_zip(package(desk, "portability", email_of(dm_url, "account_holders", 2)))
    device = packages(desk, "portability", device_user(dm_url))
    own, theirs = read_zip(device["mine"]), read_zip(device["client"])
    # what we control of a device user rests on our legitimate interests: not portable
    # (Art. 20(1)(a)); what the client controls is, in the package forwarded to it
    assert json.loads(own["data.json"])["tables"] == {}
    for files in (mine, theirs):
        tables = json.loads(files["data.json"])["tables"]
        assert tables
        for table, data in tables.items():
            raw = files[f"{table}.csv"]
            assert not raw.startswith("\ufeff".encode())
            assert csv_rows(raw)[0] == data["columns"]
        # the legend explains the raw names, and promises no words in the headers
        legend = files["LISEZMOI.txt"].decode("utf-8")
        assert all(f"{table}.csv" in legend for table in tables)
        assert "nom technique de chaque colonne" in legend and "entre parenthèses" not in legend
    points = json.loads(theirs["data.json"])["tables"]["geolocation_points"]
    # when a point was recorded is part of it, with its offset
    assert "recorded_at" in points["columns"]
    assert all(TIMESTAMP.match(row["recorded_at"]) for row in points["rows"])
    assert json.loads(mine["data.json"])["tables"]["accounts"]["columns"] == [
        "id",
        "billing_address",
        "accounting_email",
    ]


def test_the_same_request_gives_the_same_files(
    desk: RequestDesk,
    dm_url: str,  # noqa: F811
) -> None:
    email = email_of(dm_url, "account_holders", 2)
    first = read_zip(package(desk, "access", email, "en"))
    second = read_zip(package(desk, "access", email, "en"))
    # data.json names each request; the CSVs and the legend are the same bytes
    del first["data.json"], second["data.json"], first["letter.html"], second["letter.html"]
    assert first == second
    assert "README.txt" in first and any(name.endswith(".csv") for name in first)
