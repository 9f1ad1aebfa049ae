"""Databases for the request tests: the device-management and booking-platform examples, and a
small CRM with shared rows; and, for each, a person's rows computed independently of the finder.

The CRM is built for what the examples lack: an address two customers share, meetings with
several attendees and their notes, orders whose lines are reachable only through them, and
references that loop (a customer's manager, an order's parent order).

The expected rows are computed with plain SQL, one table at a time, from what the data means (a
user's devices are those assigned to them, a meeting is the person's when they organise or
attend it); the finder walks the mapping's graph instead. The tests compare the two, and the
erasure tests check every row outside the expected set byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from _support import BACKENDS, server_url
from registre.demo import load_app, load_demo_data
from registre.register.loader import load_register
from registre.register.mapping import DataStore
from registre.register.model import Register
from registre.stores.throwaway import scratch_database

ROOT = Path(__file__).resolve().parent.parent
DM = ROOT / "examples" / "device-management"
BOOKING = ROOT / "examples" / "booking-platform"
DM_SUBJECTS = 60
DM_SEED = 3
BOOKING_SUBJECTS = 60
ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)
"""The examples' data is anchored on this instant: erasures run at it, whatever today is."""


def dm_register() -> Register:
    return load_register(DM / "register.yaml")


def load_dm(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        load_demo_data(load_app(DM), engine, subjects=DM_SUBJECTS, seed=DM_SEED)
    finally:
        engine.dispose()


@contextmanager
def dm_database(server: str, prefix: str = "registre_rq") -> Iterator[sa.Engine]:
    """A device-management database of its own on ``server``, for a test that changes it."""
    with scratch_database(server, prefix) as url:
        load_dm(url)
        engine = sa.create_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def first_value(url: str, sql: str) -> Any:
    """The first column of the first row ``sql`` reads from the database at ``url``."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql)).first()[0]  # type: ignore[index]
    finally:
        engine.dispose()


def email_of(url: str, table: str, offset: int = 0) -> str:
    """The email of the row at ``offset`` (by id) of ``table``, among those with an email."""
    return str(
        first_value(
            url,
            f"SELECT email FROM {table} WHERE email IS NOT NULL ORDER BY id "
            f"LIMIT 1 OFFSET {offset}",
        )
    )


def booking_register() -> Register:
    return load_register(BOOKING / "register.yaml")


def load_booking(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        load_demo_data(load_app(BOOKING), engine, subjects=BOOKING_SUBJECTS, seed=DM_SEED)
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
    sa.Column("written_at", sa.DateTime),
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
            "not_personal": ["written_at"],
        },
    },
}


def crm_register(*, forwarded_notes: bool = False) -> Register:
    """The device-management register with the CRM as its only store (controller activities).

    ``forwarded_notes``: the meetings' notes are held for a client, bound to a rule of a
    processor activity (device management's), so that an erasure forwards them.
    """
    tables: dict[str, Any] = dict(CRM_STORE["tables"])  # type: ignore[call-overload]
    if forwarded_notes:
        # the rule's clocks start at the note, so that its mapping is one a sweep enforces
        clocks = ("contact_deleted", "account_deleted", "subscription_ended")
        tables["notes"] = {
            **tables["notes"],
            "rules": ["shared-contacts"],
            "events": dict.fromkeys(clocks, "written_at"),
        }
    store = DataStore.model_validate({**CRM_STORE, "tables": tables})
    return dm_register().model_copy(update={"stores": {"crm": store}})


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


@pytest.fixture(scope="session", params=BACKENDS)
def booking_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A booking-platform database per backend for the whole session (tests only read it)."""
    with scratch_database(server_url(request.param), "registre_rq") as url:
        load_booking(url)
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


# -- a person's rows, computed from what the data means -----------------------------------------

Rows = dict[str, set[Any]]


def _keys(connection: Any, sql: str, **params: Any) -> set[Any]:
    rows = connection.execute(sa.text(sql), params).all()
    return {row[0] for row in rows}


def _in(values: set[Any]) -> str:
    return "(" + ",".join(str(int(v)) for v in sorted(values)) + ")" if values else "(NULL)"


def _nonempty(rows: Rows) -> Rows:
    return {table: keys for table, keys in rows.items() if keys}


def expected_crm(connection: Any, person: int) -> tuple[Rows, Rows]:
    """The person's rows and which of them are shared, per table."""
    rows: Rows = {"people": {person}}
    rows["orders"] = _keys(connection, "SELECT id FROM orders WHERE person_id = :p", p=person)
    rows["order_lines"] = _keys(
        connection, f"SELECT id FROM order_lines WHERE order_id IN {_in(rows['orders'])}"
    )
    rows["attendees"] = _keys(connection, "SELECT id FROM attendees WHERE person_id = :p", p=person)
    # a meeting someone else organised is theirs, even one the person attends; the notes of
    # a meeting are owned with it, and a meeting without organiser is only referenced (its
    # notes are nobody's through it)
    organised = _keys(connection, "SELECT id FROM meetings WHERE organizer_id = :p", p=person)
    attended = _keys(
        connection,
        f"SELECT meeting_id FROM attendees WHERE id IN {_in(rows['attendees'])}",
    )
    unorganised = _keys(connection, "SELECT id FROM meetings WHERE organizer_id IS NULL")
    rows["meetings"] = organised | (attended & unorganised)
    rows["notes"] = _keys(connection, f"SELECT id FROM notes WHERE meeting_id IN {_in(organised)}")
    rows["addresses"] = _keys(
        connection, "SELECT address_id FROM people WHERE id = :p", p=person
    ) | _keys(connection, f"SELECT address_id FROM orders WHERE id IN {_in(rows['orders'])}")
    shared: Rows = {}
    shared["addresses"] = _keys(
        connection,
        f"SELECT address_id FROM people WHERE id <> :p AND address_id IN {_in(rows['addresses'])}",
        p=person,
    ) | _keys(
        connection,
        f"SELECT address_id FROM orders WHERE person_id <> :p AND address_id IN "
        f"{_in(rows['addresses'])}",
        p=person,
    )
    shared["orders"] = _keys(
        connection,
        f"SELECT parent_id FROM orders WHERE person_id <> :p AND parent_id IN "
        f"{_in(rows['orders'])}",
        p=person,
    )
    shared["meetings"] = _keys(
        connection,
        f"SELECT meeting_id FROM attendees WHERE person_id <> :p AND meeting_id IN "
        f"{_in(rows['meetings'])}",
        p=person,
    ) | _keys(
        connection,
        f"SELECT id FROM meetings WHERE organizer_id <> :p AND id IN {_in(rows['meetings'])}",
        p=person,
    )
    shared["notes"] = _keys(
        connection, f"SELECT id FROM notes WHERE meeting_id IN {_in(shared['meetings'])}"
    )
    shared["order_lines"] = _keys(
        connection, f"SELECT id FROM order_lines WHERE order_id IN {_in(shared['orders'])}"
    )
    return _nonempty(rows), _nonempty(shared)


def expected_dm(connection: Any, email: str) -> Rows:
    """Rows about the person with this email in the device-management schema."""
    q = lambda sql, **p: _keys(connection, sql, **p)  # noqa: E731
    users = q("SELECT id FROM directory_users WHERE email = :e", e=email)
    devices = q(f"SELECT id FROM devices WHERE user_id IN {_in(users)}")
    managers = q("SELECT id FROM managers WHERE email = :e", e=email)
    holder_accounts = q("SELECT account_id FROM account_holders WHERE email = :e", e=email)
    billed_accounts = q("SELECT id FROM accounts WHERE accounting_email = :e", e=email)
    accounts = holder_accounts | billed_accounts
    return _nonempty(
        {
            "directory_users": users,
            "devices": devices,
            "web_history": q(f"SELECT id FROM web_history WHERE device_id IN {_in(devices)}"),
            "geolocation_points": q(
                f"SELECT id FROM geolocation_points WHERE device_id IN {_in(devices)}"
            ),
            "managers": managers,
            "dashboard_logs": q(
                f"SELECT id FROM dashboard_logs WHERE manager_id IN {_in(managers)}"
            ),
            # the account is the client company's record: the holder reaches the account's
            # records about account holders (payment methods, invoices), never other people
            # in it; its accounting address reaches the account's row alone
            "account_holders": q("SELECT id FROM account_holders WHERE email = :e", e=email),
            "accounts": accounts,
            "payment_methods": q(
                f"SELECT id FROM payment_methods WHERE account_id IN {_in(holder_accounts)}"
            ),
            "invoices": q(f"SELECT id FROM invoices WHERE account_id IN {_in(holder_accounts)}"),
            "shared_contacts": q("SELECT id FROM shared_contacts WHERE email = :e", e=email),
        }
    )


def expected_booking(connection: Any, email: str) -> Rows:
    """Rows about the person with this email on the booking platform.

    A professional's record is theirs, not their clients' nor the visits of their booking
    site (those are the clients'); a client's record is theirs with their appointments, the
    messages about them and their visits.
    """
    q = lambda sql, **p: _keys(connection, sql, **p)  # noqa: E731
    clients = q("SELECT id FROM clients WHERE email = :e", e=email)
    appointments = q(f"SELECT id FROM appointments WHERE client_id IN {_in(clients)}")
    return _nonempty(
        {
            "professionals": q("SELECT id FROM professionals WHERE email = :e", e=email),
            "clients": clients,
            "appointments": appointments,
            "notifications": q(
                f"SELECT id FROM notifications WHERE appointment_id IN {_in(appointments)}"
            ),
            "access_logs": q(f"SELECT id FROM access_logs WHERE client_id IN {_in(clients)}"),
        }
    )


def expected_pinned(engine: sa.Engine, rows: Rows) -> Rows:
    """The person's rows that rows outside their set reference, by the schema's foreign keys."""
    meta = sa.MetaData()
    meta.reflect(engine)
    out: Rows = {}
    with engine.connect() as connection:
        for child in meta.sorted_tables:
            for key in child.foreign_keys:
                parent = key.column.table.name
                if not rows.get(parent):
                    continue
                column = key.parent
                query = sa.select(column).distinct().where(column.in_(sorted(rows[parent])))
                pk = next(iter(child.primary_key.columns))
                theirs = sorted(rows.get(child.name, set()))
                if theirs:
                    query = query.where(pk.not_in(theirs))
                out.setdefault(parent, set()).update(connection.execute(query).scalars())
    return _nonempty(out)
