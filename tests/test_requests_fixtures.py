"""Databases for the request tests: the device-management example, and a small CRM with shared rows.

The CRM is built for what the example lacks: an address two customers share, meetings with
several attendees and their notes, orders whose lines are reachable only through them, and
references that loop (a customer's manager, an order's parent order).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registre.demo import load_app, load_demo_data
from registre.register.loader import load_register
from registre.register.mapping import DataStore
from registre.register.model import Register
from registre.stores.scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
DM = ROOT / "examples" / "device-management"
BACKENDS = ["sqlite", "postgresql", "mariadb"]
VARIABLES = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}
DM_SUBJECTS = 60
DM_SEED = 3


def server_url(backend: str) -> str:
    if backend == "sqlite":
        return "sqlite://"
    url = os.environ.get(VARIABLES[backend])
    if not url:
        pytest.skip(f"{VARIABLES[backend]} is not set")
    return url


def dm_register() -> Register:
    return load_register(DM / "register.yaml")


def load_dm(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        load_demo_data(load_app(DM), engine, subjects=DM_SUBJECTS, seed=DM_SEED)
    finally:
        engine.dispose()


# -- the CRM ------------------------------------------------------------------------------------

crm = sa.MetaData()
sa.Table(
    "addresses",
    crm,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("street", sa.String(200)),
)
sa.Table(
    "people",
    crm,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(200), index=True),
    sa.Column("phone", sa.String(40)),
    sa.Column("name", sa.String(200)),
    sa.Column("address_id", sa.Integer, sa.ForeignKey("addresses.id"), index=True),
    sa.Column("manager_id", sa.Integer, sa.ForeignKey("people.id"), index=True),
)
sa.Table(
    "orders",
    crm,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), index=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("orders.id"), index=True),
    sa.Column("address_id", sa.Integer, sa.ForeignKey("addresses.id"), index=True),
    sa.Column("note", sa.String(200)),
)
sa.Table(
    "order_lines",
    crm,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), index=True),
    sa.Column("label", sa.String(200)),
)
sa.Table(
    "meetings",
    crm,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200)),
    sa.Column("organizer_id", sa.Integer, sa.ForeignKey("people.id"), index=True),
)
sa.Table(
    "attendees",
    crm,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("meeting_id", sa.Integer, sa.ForeignKey("meetings.id"), index=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), index=True),
)
sa.Table(
    "notes",
    crm,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("meeting_id", sa.Integer, sa.ForeignKey("meetings.id"), index=True),
    sa.Column("body", sa.String(400)),
)

CRM_STORE = {
    "url_env": "CRM_DATABASE_URL",
    "tables": {
        "people": {
            "subject": "account_holder",
            "identity": {"email": "email", "phone": "phone"},
            "references": {"address": "address_id -> addresses", "manager": "manager_id -> people"},
            "columns": {"email": "contact", "phone": "contact", "name": "identity"},
        },
        "addresses": {"columns": {"street": "contact"}},
        "orders": {
            "subject": "account_holder",
            "references": {
                "person": "person_id -> people",
                "parent": "parent_id -> orders",
                "address": "address_id -> addresses",
            },
            "columns": {"note": "content"},
        },
        "order_lines": {
            "references": {"order": "order_id -> orders"},
            "columns": {"label": "content"},
        },
        "meetings": {
            "references": {"organizer": "organizer_id -> people"},
            "columns": {"title": "calendar"},
        },
        "attendees": {
            "references": {"meeting": "meeting_id -> meetings", "person": "person_id -> people"}
        },
        "notes": {
            "references": {"meeting": "meeting_id -> meetings"},
            "columns": {"body": "content"},
        },
    },
}


def crm_register() -> Register:
    """The device-management register with the CRM as its only store (controller activities)."""
    base = dm_register()
    return base.model_copy(update={"stores": {"crm": DataStore.model_validate(CRM_STORE)}})


def crm_rows(people: int = 30, lines_for_alice: int = 40) -> dict[str, list[dict[str, Any]]]:
    """Deterministic CRM rows; person 1 (alice) shares address 1 with person 2 (bob)."""
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in crm.tables}
    for a in range(1, people + 1):
        rows["addresses"].append({"id": a, "street": f"{a} rue des Lilas"})
    for p in range(1, people + 1):
        rows["people"].append(
            {
                "id": p,
                "email": f"person{p}@example.fr",
                "phone": f"+336000000{p:02d}",
                "name": f"Prénom{p} Nom{p}",
                "address_id": 1 if p <= 2 else p,
                "manager_id": None if p == 1 else (p - 1 if p % 3 else 1),
            }
        )
    order_id = line_id = 0
    for p in range(1, people + 1):
        parent = None
        for _ in range(3):
            order_id += 1
            rows["orders"].append(
                {
                    "id": order_id,
                    "person_id": p,
                    "parent_id": parent,
                    "address_id": p,
                    "note": f"commande de person{p}@example.fr",
                }
            )
            parent = order_id
            count = lines_for_alice if p == 1 else 2
            for _ in range(count):
                line_id += 1
                rows["order_lines"].append(
                    {"id": line_id, "order_id": order_id, "label": f"ligne {line_id}"}
                )
    # bob's order placed as a child of alice's first order: a reference across people
    order_id += 1
    rows["orders"].append(
        {"id": order_id, "person_id": 2, "parent_id": 1, "address_id": 1, "note": "commande liée"}
    )
    meeting_plan = {1: (1, [1, 2, 3]), 2: (1, [1]), 3: (2, [2, 3]), 4: (3, [1, 3])}
    attendee_id = 0
    for note_id, (meeting, (organizer, attendees)) in enumerate(meeting_plan.items(), start=1):
        rows["meetings"].append(
            {"id": meeting, "title": f"Réunion {meeting}", "organizer_id": organizer}
        )
        for person in attendees:
            attendee_id += 1
            rows["attendees"].append(
                {"id": attendee_id, "meeting_id": meeting, "person_id": person}
            )
        rows["notes"].append({"id": note_id, "meeting_id": meeting, "body": f"notes {meeting}"})
    return rows


def load_crm(url: str, **kwargs: Any) -> None:
    engine = sa.create_engine(url)
    try:
        crm.create_all(engine)
        data = crm_rows(**kwargs)
        with engine.begin() as connection:
            for table in crm.sorted_tables:
                if data[table.name]:
                    connection.execute(table.insert(), data[table.name])
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def dm_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A device-management database per backend for the whole session (tests only read it)."""
    with scratch_database(server_url(request.param), "registre_rq") as url:
        load_dm(url)
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def crm_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with scratch_database(server_url(request.param), "registre_rq") as url:
        load_crm(url)
        yield url


@pytest.fixture(params=BACKENDS)
def fresh_server(request: pytest.FixtureRequest) -> str:
    """The server URL of a backend, for tests that create their own databases."""
    return server_url(request.param)


def digest_rows(engine: sa.Engine, exclude: dict[str, set[Any]]) -> dict[str, str]:
    """Per table, a digest of every row whose key is not excluded, in key order."""
    meta = sa.MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as connection:
        for table in meta.sorted_tables:
            pk = next(iter(table.primary_key.columns))
            digest = hashlib.sha256()
            for row in connection.execute(sa.select(table).order_by(pk)):
                if row._mapping[pk] not in exclude.get(table.name, set()):
                    digest.update(repr(tuple(row)).encode())
            out[table.name] = digest.hexdigest()
    return out


def text_hits(engine: sa.Engine, register: Register, store: str, needles: list[str]) -> set[str]:
    """``table.column`` of every mapped text column holding one of the needles (any case)."""
    meta = sa.MetaData()
    meta.reflect(engine, only=list(register.stores[store].tables))
    hits = set()
    lowered = [n.lower() for n in needles if n]
    with engine.connect() as connection:
        for table in meta.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, sa.String):
                    continue
                for (value,) in connection.execute(sa.select(column).where(column.is_not(None))):
                    if any(n in str(value).lower() for n in lowered):
                        hits.add(f"{table.name}.{column.name}")
    return hits
