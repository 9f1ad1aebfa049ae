"""Parcmobile's database: the schema of a device-management SaaS, and synthetic data for it.

This is the application side of ``register.yaml``: the tables a real MDM console would have,
with real foreign keys and an index on every foreign key and every timestamp a retention
clock starts from. ``registre demo-data examples/device-management --url URL`` creates the
schema and loads :func:`generate`'s rows.

Timestamps are naive UTC (``DATETIME`` / ``timestamp without time zone``), at whole seconds so
that SQLite, PostgreSQL and MariaDB hold the same bytes.

The data is anchored on **2026-11-01 00:00 UTC** (:data:`ANCHOR`): nothing is later than the
anchor except future subscription ends, and at that date every retention rule of the register
has rows due and rows not due. ``subjects`` is the number of device users (the clients'
employees, ``directory_users``); the rest scales with it:

* accounts: one per ~30 users, at least 10; their state cycles through ten slots so that any
  10 consecutive accounts hold every case: active (4 of 10, subscription ending 1-24 months
  after the anchor), deleted ~1 month ago, ~7 months ago, ~6 years ago and ~11 years ago, and
  not deleted but subscription ended ~1 year and ~3 years ago. Half the accounts enable web
  filtering.
* per account: one account holder, 1-4 managers (15 % deleted by the client), 1-3 payment
  methods (all but the current one deleted), one invoice a month from creation to the end of
  the service, 0-6 shared contacts (20 % deleted), 0-10 dashboard actions per manager in the
  last year of service.
* users: 8 % deleted by the client (``deleted_at``); each has a device, 10 % a second one, and
  5 % of devices are not assigned to anyone. 10 % of devices were reset (``reset_at``); 80 %
  are company-owned, half of those with location on.
* geolocation: per located device, 5 to 150 points (about a third above 50) spread over the
  90 days before the service ended (or the device was reset), so some are older than 2 months.
* web history: with web filtering, 0-20 visits per device over the 30 days before the service
  ended, so active accounts have visits on both sides of the 15-day limit.

Generation is deterministic (``random.Random(seed)`` and Faker ``fr_FR`` seeded with it) and
streams: :func:`generate` yields one batch per group of accounts, parents before children, so
memory stays flat from a thousand rows to tens of millions. At ~41 rows per user, 1 million
rows is about 24,000 subjects.

``history`` is the share of devices that report any history (geolocation or web visits); the
devices that do keep the distribution above, so every retention case is still there. The
``lean`` profile (:data:`PROFILES`, ``registre demo-data --profile lean``) sets it to 0.17:
about 10 rows per user, so 1 million people make about 10 million rows.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    func,
)

ANCHOR = datetime(2026, 11, 1, 0, 0, 0)
"""The date at which every retention rule has rows due and rows not due."""

Row = tuple[Any, ...]
Batch = dict[str, list[Row]]

metadata = MetaData()


def _pk() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _fk(name: str, target: str, *, nullable: bool = False, ondelete: str | None = None) -> Column:
    return Column(
        name, Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True
    )


accounts = Table(
    "accounts",
    metadata,
    _pk(),
    Column("company_name", String(200), nullable=False),
    Column("siren", String(9), nullable=False),
    Column("billing_address", String(300), nullable=True),
    Column("accounting_email", String(200), nullable=True, index=True),
    Column("plan", String(20), nullable=False),
    Column("licences", Integer, nullable=False),
    Column("web_filtering", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("subscription_ends_at", DateTime, nullable=True, index=True),
    Column("deleted_at", DateTime, nullable=True, index=True),
)

account_holders = Table(
    "account_holders",
    metadata,
    _pk(),
    _fk("account_id", "accounts.id"),
    Column("email", String(200), nullable=False, index=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("phone", String(40), nullable=True, index=True),
    Column("created_at", DateTime, nullable=False),
)

managers = Table(
    "managers",
    metadata,
    _pk(),
    _fk("account_id", "accounts.id"),
    Column("email", String(200), nullable=False, index=True),
    Column("last_login_at", DateTime, nullable=True),
    Column("last_ip", String(45), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("deleted_at", DateTime, nullable=True, index=True),
)

payment_methods = Table(
    "payment_methods",
    metadata,
    _pk(),
    _fk("account_id", "accounts.id"),
    Column("kind", String(20), nullable=False),
    Column("brand", String(20), nullable=True),
    Column("last4", String(4), nullable=False),
    Column("stripe_id", String(40), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("deleted_at", DateTime, nullable=True, index=True),
)

invoices = Table(
    "invoices",
    metadata,
    _pk(),
    _fk("account_id", "accounts.id"),
    Column("number", String(20), nullable=False, unique=True),
    Column("issued_at", DateTime, nullable=False, index=True),
    Column("amount_cents", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("stripe_id", String(40), nullable=False),
    Column("billing_name", String(200), nullable=True),
    Column("billing_email", String(200), nullable=True),
    Column("billing_address", String(300), nullable=True),
)

dashboard_logs = Table(
    "dashboard_logs",
    metadata,
    _pk(),
    _fk("account_id", "accounts.id"),
    _fk("manager_id", "managers.id", nullable=True, ondelete="SET NULL"),
    Column("action", String(40), nullable=False),
    Column("target", String(200), nullable=True),
    Column("ip", String(45), nullable=True),
    Column("created_at", DateTime, nullable=False, index=True),
)

directory_users = Table(
    "directory_users",
    metadata,
    _pk(),
    _fk("account_id", "accounts.id"),
    Column("email", String(200), nullable=True, index=True),
    Column("name", String(200), nullable=True),
    Column("directory_name", String(100), nullable=True),
    Column("custom_fields", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("deleted_at", DateTime, nullable=True, index=True),
)

devices = Table(
    "devices",
    metadata,
    _pk(),
    _fk("account_id", "accounts.id"),
    _fk("user_id", "directory_users.id", nullable=True, ondelete="SET NULL"),
    Column("manufacturer", String(40), nullable=False),
    Column("model", String(60), nullable=False),
    Column("os_version", String(20), nullable=False),
    Column("battery_level", SmallInteger, nullable=True),
    Column("ownership", String(10), nullable=False),
    Column("location_enabled", Boolean, nullable=False),
    Column("imei", String(15), nullable=True, index=True),
    Column("iccid", String(22), nullable=True),
    Column("phone_number", String(40), nullable=True, index=True),
    Column("name", String(100), nullable=True),
    Column("ip", String(45), nullable=True),
    Column("enrolled_at", DateTime, nullable=False),
    Column("reset_at", DateTime, nullable=True),
    # web history and geolocation points are due when their device was reset: every batch of
    # their sweeps asks which devices were reset before the instant, answered from this index
    # alone (without ``id`` in it, each batch reads the devices' heap pages)
    Index("ix_devices_reset_at", "reset_at", "id"),
)

shared_contacts = Table(
    "shared_contacts",
    metadata,
    _pk(),
    _fk("account_id", "accounts.id"),
    Column("name", String(200), nullable=False),
    Column("email", String(200), nullable=True, index=True),
    Column("phone", String(40), nullable=True, index=True),
    Column("note", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("deleted_at", DateTime, nullable=True, index=True),
)

web_history = Table(
    "web_history",
    metadata,
    _pk(),
    _fk("device_id", "devices.id", ondelete="CASCADE"),
    Column("url", String(500), nullable=False),
    Column("visited_at", DateTime, nullable=False, index=True),
)

geolocation_points = Table(
    "geolocation_points",
    metadata,
    _pk(),
    Column("device_id", Integer, ForeignKey("devices.id", ondelete="CASCADE"), nullable=False),
    Column("lat", Double, nullable=False),
    Column("lon", Double, nullable=False),
    Column("accuracy_m", SmallInteger, nullable=True),
    Column("recorded_at", DateTime, nullable=False, index=True),
    # the count cap reads the newest points of one device: one index serves both
    Index("ix_geolocation_points_device_recorded", "device_id", "recorded_at"),
)

# Requests and legal holds match an email as lower(trim(email)), whatever its case and the
# spaces around it: on PostgreSQL and SQLite an index on that expression keeps the look-up off a
# full scan. MariaDB's _ci collations compare case-insensitively and use the column's own index.
for _table, _column in [
    (accounts, "accounting_email"),
    (account_holders, "email"),
    (managers, "email"),
    (directory_users, "email"),
    (shared_contacts, "email"),
]:
    Index(f"ix_{_table.name}_{_column}_match", func.lower(func.trim(_table.c[_column]))).ddl_if(
        dialect=("postgresql", "sqlite")
    )

SUBJECT_TABLE = "directory_users"

PROFILES: dict[str, tuple[str, dict[str, Any]]] = {
    "lean": (
        "17 % of devices report history: about 10 rows per user instead of 41",
        {"history": 0.17},
    ),
}
"""Named variants of :func:`generate`: a description and the keyword arguments they set."""

# -- generation ---------------------------------------------------------------------------------

_DAY = timedelta(days=1)
_MONTH = timedelta(days=30.44)
_YEAR = timedelta(days=365.25)
# (state, deleted this long before the anchor, subscription ended this long before the anchor)
_STATES: list[tuple[str, timedelta | None, timedelta | None]] = [
    ("active", None, None),
    ("deleted_1_month", 1 * _MONTH, None),
    ("active", None, None),
    ("deleted_7_months", 7 * _MONTH, None),
    ("ended_1_year", None, 1 * _YEAR),
    ("active", None, None),
    ("deleted_6_years", 6 * _YEAR, None),
    ("ended_3_years", None, 3 * _YEAR),
    ("active", None, None),
    ("deleted_11_years", 11 * _YEAR, None),
]
_DEVICES = [
    ("Samsung", ["Galaxy A54", "Galaxy S23", "Galaxy XCover 6 Pro", "Galaxy Tab Active4"]),
    ("Google", ["Pixel 7a", "Pixel 8"]),
    ("Xiaomi", ["Redmi Note 12", "Redmi 13C"]),
    ("Crosscall", ["Core-X5", "Core-Z5"]),
    ("Zebra", ["TC22", "TC53"]),
]
_SITES = [
    "www.lemonde.fr",
    "www.service-public.fr",
    "www.leboncoin.fr",
    "www.youtube.com",
    "fr.wikipedia.org",
    "www.sncf-connect.com",
    "www.meteofrance.com",
    "www.linkedin.com",
    "www.doctolib.fr",
    "www.impots.gouv.fr",
    "www.ouest-france.fr",
    "www.amazon.fr",
]
_ACTIONS = [
    "device.lock",
    "device.wipe",
    "policy.update",
    "app.install",
    "user.create",
    "user.update",
    "contact.share",
    "export.csv",
    "login",
]
_GEO_COUNTS = [5, 20, 35, 49, 50, 51, 70, 90, 120, 150]


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return _second(end)
    return _second(start + (end - start) * rng.random())


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch == "-").strip("-")


def _luhn(digits: str) -> str:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str((10 - total % 10) % 10)


class _Ids:
    """Explicit primary keys, so children can point at parents before anything is inserted."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def next(self, table: str) -> int:
        self._last[table] = self._last.get(table, 0) + 1
        return self._last[table]


def _users_per_account(subjects: int, rng: random.Random) -> list[int]:
    count = max(10, round(subjects / 30))
    weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
    scale = subjects / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[-1] = max(1, sizes[-1] + subjects - sum(sizes))
    return sizes


def generate(
    subjects: int, seed: int = 0, batch_rows: int = 20_000, *, history: float = 1.0
) -> Iterator[tuple[int, Batch]]:
    """Yield ``(users in this batch, {table: rows})``, tables in foreign-key order.

    Rows are tuples in the order of the table's columns. The same ``subjects``, ``seed`` and
    ``history`` give the same rows, whatever the database. ``history`` is the share of devices
    that report geolocation points and web visits (1.0: all that are located or filtered).
    """
    if not 0.0 <= history <= 1.0:
        raise ValueError(f"history is a share between 0 and 1, not {history}")
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    ids = _Ids()
    batch: Batch = {table.name: [] for table in metadata.sorted_tables}
    users_in_batch = 0
    for index, users in enumerate(_users_per_account(subjects, rng)):
        _account(index, users, rng, fake, ids, batch, history)
        users_in_batch += users
        if sum(len(rows) for rows in batch.values()) >= batch_rows:
            yield users_in_batch, batch
            batch = {table.name: [] for table in metadata.sorted_tables}
            users_in_batch = 0
    if users_in_batch:
        yield users_in_batch, batch


def _account(
    index: int,
    users: int,
    rng: random.Random,
    fake: Faker,
    ids: _Ids,
    out: Batch,
    history: float = 1.0,
) -> None:
    _state, deleted_ago, ended_ago = _STATES[index % len(_STATES)]
    jitter = timedelta(days=rng.uniform(-10, 10))
    deleted_at = _second(ANCHOR - deleted_ago + jitter) if deleted_ago else None
    if deleted_at is not None:
        sub_end = _second(deleted_at - rng.randint(0, 20) * _DAY)
    elif ended_ago is not None:
        sub_end = _second(ANCHOR - ended_ago + jitter)
    else:
        sub_end = _second(ANCHOR + rng.uniform(1, 24) * _MONTH)
    end = min(ANCHOR, sub_end, deleted_at or ANCHOR)  # when the service stopped being used
    created = _second(end - rng.uniform(6, 60) * _MONTH)

    company = fake.company()
    domain = (_ascii(company.split(" ")[0]) or "societe") + ".example"
    address = fake.address().replace("\n", ", ")
    account_id = ids.next("accounts")
    licences = users + rng.randint(0, 10)
    web_filtering = rng.random() < 0.5
    out["accounts"].append(
        (
            account_id,
            company,
            fake.siren().replace(" ", ""),
            address,
            f"compta@{domain}",
            rng.choice(["essentiel", "pro", "entreprise"]),
            licences,
            web_filtering,
            created,
            sub_end,
            deleted_at,
        )
    )

    def person() -> tuple[str, str, str]:
        first, last = fake.first_name(), fake.last_name()
        return first, last, f"{_ascii(first)}.{_ascii(last)}@{domain}"

    first, last, email = person()
    out["account_holders"].append(
        (ids.next("account_holders"), account_id, email, first, last, fake.phone_number(), created)
    )

    manager_ids = []
    for _ in range(rng.randint(1, 4)):
        _, _, email = person()
        since = _between(rng, created, end - _MONTH)
        gone = _between(rng, since, end) if rng.random() < 0.15 else None
        manager_id = ids.next("managers")
        manager_ids.append((manager_id, since, gone or end))
        out["managers"].append(
            (
                manager_id,
                account_id,
                email,
                _between(rng, since, gone or end),
                fake.ipv4_public(),
                since,
                gone,
            )
        )

    for number in range(rng.randint(1, 3)):
        since = _between(rng, created, end)
        kind = rng.choice(["card", "card", "sepa_debit"])
        out["payment_methods"].append(
            (
                ids.next("payment_methods"),
                account_id,
                kind,
                rng.choice(["visa", "mastercard", "cb"]) if kind == "card" else None,
                f"{rng.randint(0, 9999):04d}",
                f"pm_{rng.getrandbits(64):016x}",
                since,
                None if number == 0 else _between(rng, since, end),
            )
        )

    issued = created
    holder_name = f"{first} {last}"
    while issued <= end:
        invoice_id = ids.next("invoices")
        out["invoices"].append(
            (
                invoice_id,
                account_id,
                f"F{issued.year}-{invoice_id:07d}",
                issued,
                licences * 300,
                "EUR",
                f"in_{rng.getrandbits(64):016x}",
                holder_name,
                f"compta@{domain}",
                address,
            )
        )
        issued = _second(issued + _MONTH)

    for manager_id, since, until in manager_ids:
        for _ in range(rng.randint(0, 10)):
            out["dashboard_logs"].append(
                (
                    ids.next("dashboard_logs"),
                    account_id,
                    manager_id,
                    rng.choice(_ACTIONS),
                    f"device/{rng.randint(1, 9999)}",
                    fake.ipv4_public(),
                    _between(rng, max(since, until - _YEAR), until),
                )
            )

    for _ in range(rng.randint(0, 6)):
        name = fake.name()
        since = _between(rng, created, end)
        out["shared_contacts"].append(
            (
                ids.next("shared_contacts"),
                account_id,
                name,
                f"{_ascii(name.split()[-1])}@{fake.free_email_domain()}",
                fake.phone_number(),
                rng.choice([None, "Astreinte", "Dépannage", "Standard"]),
                since,
                _between(rng, since, end) if rng.random() < 0.2 else None,
            )
        )

    owners: list[int | None] = []
    for _ in range(users):
        first, last, email = person()
        since = _between(rng, created, end)
        user_id = ids.next("directory_users")
        out["directory_users"].append(
            (
                user_id,
                account_id,
                email,
                f"{first} {last}",
                rng.choice(["Terrain", "Siège", "Commercial", "Logistique"]),
                None if rng.random() < 0.7 else f'{{"matricule": "{rng.randint(1000, 99999)}"}}',
                since,
                _between(rng, since, end) if rng.random() < 0.08 else None,
            )
        )
        owners.append(user_id)
        if rng.random() < 0.10:
            owners.append(user_id)
    owners.extend(None for _ in range(round(len(owners) * 0.05)))

    for user_id in owners:
        _device(account_id, user_id, created, end, web_filtering, rng, fake, ids, out, history)


def _device(
    account_id: int,
    user_id: int | None,
    created: datetime,
    end: datetime,
    web_filtering: bool,
    rng: random.Random,
    fake: Faker,
    ids: _Ids,
    out: Batch,
    history: float = 1.0,
) -> datetime | None:
    """Add one device and its history; return when it was reset, if it was."""
    maker, models = rng.choice(_DEVICES)
    model = rng.choice(models)
    enrolled = _between(rng, created, end)
    reset_at = _between(rng, enrolled, end) if rng.random() < 0.10 else None
    company_owned = rng.random() < 0.8
    located = company_owned and rng.random() < 0.5
    device_id = ids.next("devices")
    out["devices"].append(
        (
            device_id,
            account_id,
            user_id,
            maker,
            model,
            f"{rng.randint(11, 15)}.{rng.randint(0, 3)}",
            rng.randint(3, 100),
            "company" if company_owned else "byod",
            located,
            _luhn("35" + "".join(str(rng.randint(0, 9)) for _ in range(12))),
            "8933" + "".join(str(rng.randint(0, 9)) for _ in range(15)),
            fake.phone_number() if rng.random() < 0.7 else None,
            f"{model} {rng.randint(1, 999):03d}",
            f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            enrolled,
            reset_at,
        )
    )
    last_seen = reset_at or end
    # drawn only for a partial history, so the default profile's rows stay what they were
    if history < 1.0 and rng.random() >= history:
        return reset_at
    if located:
        base_lat, base_lon = rng.uniform(43.3, 49.5), rng.uniform(-1.5, 7.5)
        start = max(enrolled, last_seen - 90 * _DAY)
        for _ in range(rng.choice(_GEO_COUNTS)):
            out["geolocation_points"].append(
                (
                    ids.next("geolocation_points"),
                    device_id,
                    round(base_lat + rng.uniform(-0.05, 0.05), 6),
                    round(base_lon + rng.uniform(-0.05, 0.05), 6),
                    rng.randint(5, 80),
                    _between(rng, start, last_seen),
                )
            )
    if web_filtering:
        start = max(enrolled, last_seen - 30 * _DAY)
        for _ in range(rng.randint(0, 20)):
            out["web_history"].append(
                (
                    ids.next("web_history"),
                    device_id,
                    f"https://{rng.choice(_SITES)}/{rng.getrandbits(32):08x}",
                    _between(rng, start, last_seen),
                )
            )
    return reset_at
