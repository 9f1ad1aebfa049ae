"""Rendivo's database: an appointment booking platform for professionals, with synthetic data.

The application side of ``register.yaml``: each professional (a tenant) has clients who book
appointments from the professional's booking site or are entered in the diary; confirmation and
reminder messages go out by SMS or email; the booking sites log their visits. Every table hangs
off the professional, whose ``terminated_at`` starts every retention clock of the register
("3 months after the professional terminates the service").

Timestamps are naive UTC at whole seconds. The data is anchored on **2026-11-01 00:00 UTC**
(:data:`ANCHOR`); only appointments booked for the coming weeks are later than the anchor.
``subjects`` is the number of clients (the professionals' users):

* professionals: one per ~40 clients, at least 10; ten slots cycle: six still using the
  service, and service terminated ~1 month ago (not due), ~4 months, ~2 years and ~5 years ago
  (due at the anchor).
* clients: 60 % with an account (username and hashed password), 25 % with a company, 30 % with
  fields the professional asked for; each books 1-6 appointments, and active professionals'
  clients have some in the 2 months after the anchor.
* notifications: a confirmation when booked and a reminder the day before, by SMS or email.
* access logs: 0-4 visits of the booking site per client in the last year of service.

Generation is deterministic (``random.Random(seed)`` and Faker ``fr_FR`` seeded with it) and
streams one batch per group of professionals, parents before children. About 13 rows per client.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import (
    Column,
    DateTime,
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


def _fk(name: str, target: str, *, nullable: bool = False) -> Column[int]:
    return Column(name, Integer, ForeignKey(target), nullable=nullable, index=True)


professionals = Table(
    "professionals",
    metadata,
    _pk(),
    Column("company_name", String(200), nullable=False),
    Column("siret", String(14), nullable=False),
    Column("profession", String(60), nullable=False),
    Column("contact_first_name", String(100), nullable=False),
    Column("contact_last_name", String(100), nullable=False),
    Column("email", String(200), nullable=False, index=True),
    Column("phone", String(40), nullable=True),
    Column("address", String(300), nullable=True),
    Column("username", String(100), nullable=False),
    Column("password_hash", String(100), nullable=False),
    Column("plan", String(20), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("terminated_at", DateTime, nullable=True, index=True),
)

clients = Table(
    "clients",
    metadata,
    _pk(),
    _fk("professional_id", "professionals.id"),
    Column("civility", String(10), nullable=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(200), nullable=True, index=True),
    Column("phone", String(40), nullable=True, index=True),
    Column("address", String(200), nullable=True),
    Column("postal_code", String(10), nullable=True),
    Column("city", String(100), nullable=True),
    Column("company", String(200), nullable=True),
    Column("username", String(100), nullable=True),
    Column("password_hash", String(100), nullable=True),
    Column("custom_fields", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
)

appointments = Table(
    "appointments",
    metadata,
    _pk(),
    _fk("professional_id", "professionals.id"),
    _fk("client_id", "clients.id"),
    Column("starts_at", DateTime, nullable=False, index=True),
    Column("duration_min", SmallInteger, nullable=False),
    Column("reason", Text, nullable=True),
    Column("status", String(20), nullable=False),
    Column("booked_via", String(10), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    _pk(),
    _fk("appointment_id", "appointments.id"),
    Column("channel", String(5), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("message", Text, nullable=False),
    Column("provider", String(20), nullable=False),
    Column("sent_at", DateTime, nullable=False, index=True),
)

access_logs = Table(
    "access_logs",
    metadata,
    _pk(),
    _fk("professional_id", "professionals.id"),
    _fk("client_id", "clients.id", nullable=True),
    Column("ip", String(45), nullable=False),
    Column("user_agent", String(300), nullable=False),
    Column("path", String(300), nullable=False),
    Column("accessed_at", DateTime, nullable=False, index=True),
)

# Requests and legal holds match an email as lower(trim(email)), whatever its case and the
# spaces around it: on PostgreSQL and SQLite an index on that expression keeps the look-up off a
# full scan. MariaDB's _ci collations compare case-insensitively and use the column's own index.
for _table, _column in [(professionals, "email"), (clients, "email")]:
    Index(f"ix_{_table.name}_{_column}_match", func.lower(func.trim(_table.c[_column]))).ddl_if(
        dialect=("postgresql", "sqlite")
    )

SUBJECT_TABLE = "clients"

# -- generation ---------------------------------------------------------------------------------

_DAY = timedelta(days=1)
_MONTH = timedelta(days=30.44)
_YEAR = timedelta(days=365.25)
_TERMINATED_AGO: list[timedelta | None] = [
    None,
    1 * _MONTH,
    None,
    4 * _MONTH,
    None,
    2 * _YEAR,
    None,
    None,
    5 * _YEAR,
    None,
]
_PROFESSIONS = {
    "Cabinet de kinésithérapie": ["Séance de rééducation", "Bilan initial", "Massage"],
    "Salon de coiffure": ["Coupe", "Couleur", "Brushing"],
    "École de langues": ["Cours d'anglais", "Test de niveau", "Cours d'espagnol"],
    "Garage": ["Vidange", "Révision", "Pneus"],
    "Cabinet d'ostéopathie": ["Consultation", "Suivi", "Douleurs lombaires"],
    "Auto-école": ["Leçon de conduite", "Code", "Examen blanc"],
}
_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/131.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15",
]


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return _second(end)
    return _second(start + (end - start) * rng.random())


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch == "-").strip("-")


def _password_hash(rng: random.Random) -> str:
    salt = f"{rng.getrandbits(64):016x}"
    return f"pbkdf2_sha256$600000${salt}${hashlib.sha256(salt.encode()).hexdigest()[:43]}"


class _Ids:
    """Explicit primary keys, so children can point at parents before anything is inserted."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def next(self, table: str) -> int:
        self._last[table] = self._last.get(table, 0) + 1
        return self._last[table]


def _clients_per_professional(subjects: int, rng: random.Random) -> list[int]:
    count = max(10, round(subjects / 40))
    weights = [rng.uniform(0.3, 1.7) for _ in range(count)]
    scale = subjects / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[-1] = max(1, sizes[-1] + subjects - sum(sizes))
    return sizes


def generate(subjects: int, seed: int = 0, batch_rows: int = 20_000) -> Iterator[tuple[int, Batch]]:
    """Yield ``(clients in this batch, {table: rows})``, tables in foreign-key order."""
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    ids = _Ids()
    batch: Batch = {table.name: [] for table in metadata.sorted_tables}
    in_batch = 0
    for index, count in enumerate(_clients_per_professional(subjects, rng)):
        _professional(index, count, rng, fake, ids, batch)
        in_batch += count
        if sum(len(rows) for rows in batch.values()) >= batch_rows:
            yield in_batch, batch
            batch = {table.name: [] for table in metadata.sorted_tables}
            in_batch = 0
    if in_batch:
        yield in_batch, batch


def _professional(
    index: int, count: int, rng: random.Random, fake: Faker, ids: _Ids, out: Batch
) -> None:
    ago = _TERMINATED_AGO[index % len(_TERMINATED_AGO)]
    terminated = _second(ANCHOR - ago + timedelta(days=rng.uniform(-10, 10))) if ago else None
    end = terminated or ANCHOR
    created = _second(end - rng.uniform(6, 96) * _MONTH)
    profession = rng.choice(sorted(_PROFESSIONS))
    first, last = fake.first_name(), fake.last_name()
    company = f"{profession} {last}"
    domain = _ascii(last) + "-" + _ascii(profession.split()[-1]) + ".example"
    professional_id = ids.next("professionals")
    out["professionals"].append(
        (
            professional_id,
            company,
            fake.siret().replace(" ", ""),
            profession,
            first,
            last,
            f"contact@{domain}",
            fake.phone_number(),
            fake.address().replace("\n", ", "),
            f"{_ascii(first)}.{_ascii(last)}",
            _password_hash(rng),
            rng.choice(["solo", "cabinet", "reseau"]),
            created,
            terminated,
        )
    )
    reasons = _PROFESSIONS[profession]
    for _ in range(count):
        _client(professional_id, created, end, terminated is None, reasons, rng, fake, ids, out)


def _client(
    professional_id: int,
    created: datetime,
    end: datetime,
    active: bool,
    reasons: list[str],
    rng: random.Random,
    fake: Faker,
    ids: _Ids,
    out: Batch,
) -> None:
    first, last = fake.first_name(), fake.last_name()
    email = f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@{fake.free_email_domain()}"
    phone = fake.phone_number()
    since = _between(rng, created, end)
    has_account = rng.random() < 0.6
    client_id = ids.next("clients")
    out["clients"].append(
        (
            client_id,
            professional_id,
            rng.choice(["M.", "Mme", None]),
            first,
            last,
            email,
            phone,
            fake.street_address(),
            fake.postcode(),
            fake.city(),
            fake.company() if rng.random() < 0.25 else None,
            f"{_ascii(first)}{rng.randint(1, 999)}" if has_account else None,
            _password_hash(rng) if has_account else None,
            f'{{"niveau": "{rng.choice(["A2", "B1", "B2", "C1"])}"}}'
            if rng.random() < 0.3
            else None,
            since,
        )
    )
    # active professionals' diaries run into the weeks after the anchor
    horizon = end + 2 * _MONTH if active else end
    for _ in range(rng.randint(1, 6)):
        starts = _between(rng, since + _DAY, horizon).replace(minute=rng.choice([0, 30]), second=0)
        booked = _between(rng, max(since, starts - 30 * _DAY), min(starts, end))
        appointment_id = ids.next("appointments")
        status = "booked" if starts > ANCHOR else rng.choice(["done", "done", "done", "cancelled"])
        reason = rng.choice(reasons)
        out["appointments"].append(
            (
                appointment_id,
                professional_id,
                client_id,
                starts,
                rng.choice([30, 45, 60]),
                reason,
                status,
                rng.choice(["site", "diary"]),
                booked,
            )
        )
        channel = rng.choice(["sms", "email"])
        recipient = phone if channel == "sms" else email
        provider = "ovh_sms" if channel == "sms" else "brevo"
        when = f"{starts:%d/%m/%Y à %H:%M}"
        out["notifications"].append(
            (
                ids.next("notifications"),
                appointment_id,
                channel,
                "confirmation",
                recipient,
                f"Rendez-vous confirmé le {when} : {reason}",
                provider,
                booked,
            )
        )
        reminder = _second(starts - _DAY)
        if booked < reminder <= end:
            out["notifications"].append(
                (
                    ids.next("notifications"),
                    appointment_id,
                    channel,
                    "reminder",
                    recipient,
                    f"Rappel : rendez-vous demain, le {when}",
                    provider,
                    reminder,
                )
            )
    for _ in range(rng.randint(0, 4)):
        out["access_logs"].append(
            (
                ids.next("access_logs"),
                professional_id,
                client_id if rng.random() < 0.7 else None,
                fake.ipv4_public(),
                rng.choice(_AGENTS),
                rng.choice(["/", "/rendez-vous", "/creneaux", "/compte"]),
                _between(rng, max(since, end - _YEAR), end),
            )
        )
