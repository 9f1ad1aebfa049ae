"""ImprimSolidaire's database: the CRM and job files of a printing association, synthetic data.

The application side of ``register.yaml``: prospects and the files they send for a quote;
clients (the tenants) with their contacts, support exchanges, invoices, the datasets they
entrust for a print run and the users of the web apps set up for them; job applicants;
partners; suppliers (potential ones as leads, listed ones with contacts and invoices); and the
newsletter list. Each retention rule of the register has a timestamp to run on:
``last_activity_at`` (prospects, applicants, partners, supplier leads, subscribers),
``clients.contract_ended_at`` with a per-client ``retention_months`` (client contacts, client
datasets, web apps), ``suppliers.last_purchase_at`` and ``fiscal_year_closed_at`` on invoices.

Timestamps are naive UTC at whole seconds, none later than **2026-11-01 00:00 UTC**
(:data:`ANCHOR`). ``subjects`` is the number of people; per client (one per ~30 people, at
least 10):

* clients: ten slots cycle: four active (one with an agreed 24-month period), contracts ended
  ~1 year ago, ~4 years ago (not due), ~6 years ago with the 5-year default (due), ~6 years
  ago with an agreed 120 months (not due), ~2 years ago with an agreed 12 months (due), and
  ~11 years ago (due, old invoices too).
* per client: 1-3 contacts with 0-4 support exchanges each, one invoice a year of contract
  (the financial year closes on 31 December; this year's is still open), the rest of its share
  of people as dataset records, and web-app users for every other client.
* alongside each client: 2 prospects (0-2 files each), 1 applicant, 1 partner, 1 supplier
  lead, 3 newsletter subscribers, and every third client a listed supplier with 1-2 contacts
  and yearly invoices (last purchase alternately under 4 and 6-9 years ago); the others' last
  activity is spread over the last 5 to 8 years.

Generation is deterministic (``random.Random(seed)`` and Faker ``fr_FR``) and streams one batch
per group of clients, parents before children.
"""

from __future__ import annotations

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


def _person(*extra: Column[Any]) -> list[Column[Any]]:
    return [
        Column("first_name", String(100), nullable=False),
        Column("last_name", String(100), nullable=False),
        Column("email", String(200), nullable=True, index=True),
        Column("phone", String(40), nullable=True),
        Column("job_title", String(100), nullable=True),
        *extra,
    ]


def _timestamp(name: str, *, nullable: bool = False) -> Column[datetime]:
    return Column(name, DateTime, nullable=nullable, index=True)


clients = Table(
    "clients",
    metadata,
    _pk(),
    Column("name", String(200), nullable=False),
    Column("siret", String(14), nullable=False),
    Column("contract_started_at", DateTime, nullable=False),
    _timestamp("contract_ended_at", nullable=True),
    Column("retention_months", Integer, nullable=True),
)
prospects = Table(
    "prospects",
    metadata,
    _pk(),
    Column("company", String(200), nullable=True),
    *_person(Column("notes", Text, nullable=True)),
    Column("created_at", DateTime, nullable=False),
    _timestamp("last_activity_at"),
)
prospect_files = Table(
    "prospect_files",
    metadata,
    _pk(),
    _fk("prospect_id", "prospects.id"),
    Column("filename", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("uploaded_at", DateTime, nullable=False),
)
client_contacts = Table(
    "client_contacts",
    metadata,
    _pk(),
    _fk("client_id", "clients.id"),
    *_person(),
    Column("created_at", DateTime, nullable=False),
)
support_exchanges = Table(
    "support_exchanges",
    metadata,
    _pk(),
    _fk("contact_id", "client_contacts.id"),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=True),
    Column("asked_at", DateTime, nullable=False),
)
client_invoices = Table(
    "client_invoices",
    metadata,
    _pk(),
    _fk("client_id", "clients.id"),
    Column("number", String(20), nullable=False, unique=True),
    Column("billed_to", String(200), nullable=False),
    Column("amount_cents", Integer, nullable=False),
    Column("issued_at", DateTime, nullable=False),
    _timestamp("fiscal_year_closed_at", nullable=True),
)
dataset_records = Table(
    "dataset_records",
    metadata,
    _pk(),
    _fk("client_id", "clients.id"),
    Column("dataset", String(100), nullable=False),
    Column("full_name", String(200), nullable=False),
    Column("address", String(300), nullable=True),
    Column("email", String(200), nullable=True, index=True),
    Column("extra", Text, nullable=True),
    Column("imported_at", DateTime, nullable=False),
)
web_app_users = Table(
    "web_app_users",
    metadata,
    _pk(),
    _fk("client_id", "clients.id"),
    Column("email", String(200), nullable=False, index=True),
    Column("display_name", String(200), nullable=True),
    Column("form_answers", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime, nullable=True),
)
applicants = Table(
    "applicants",
    metadata,
    _pk(),
    *_person(
        Column("position", String(100), nullable=False),
        Column("cv_text", Text, nullable=False),
        Column("former_employer_notes", Text, nullable=True),
    ),
    Column("applied_at", DateTime, nullable=False),
    _timestamp("last_activity_at"),
)
partner_contacts = Table(
    "partner_contacts",
    metadata,
    _pk(),
    Column("organisation", String(200), nullable=False),
    *_person(),
    _timestamp("last_activity_at"),
)
suppliers = Table(
    "suppliers",
    metadata,
    _pk(),
    Column("name", String(200), nullable=False),
    Column("siret", String(14), nullable=False),
    _timestamp("last_purchase_at"),
)
supplier_contacts = Table(
    "supplier_contacts",
    metadata,
    _pk(),
    _fk("supplier_id", "suppliers.id"),
    *_person(Column("documents", Text, nullable=True)),
)
supplier_leads = Table(
    "supplier_leads",
    metadata,
    _pk(),
    Column("company", String(200), nullable=False),
    *_person(Column("documents", Text, nullable=True)),
    _timestamp("last_activity_at"),
)
supplier_invoices = Table(
    "supplier_invoices",
    metadata,
    _pk(),
    _fk("supplier_id", "suppliers.id"),
    Column("number", String(30), nullable=False),
    Column("signed_by", String(200), nullable=True),
    Column("amount_cents", Integer, nullable=False),
    Column("received_at", DateTime, nullable=False),
    _timestamp("fiscal_year_closed_at", nullable=True),
)
newsletter_subscribers = Table(
    "newsletter_subscribers",
    metadata,
    _pk(),
    Column("kind", String(12), nullable=False),
    *_person(Column("address", String(300), nullable=True)),
    Column("subscribed_at", DateTime, nullable=False),
    _timestamp("last_activity_at"),
)

# Requests and legal holds match an email as lower(trim(email)), whatever its case and the
# spaces around it: on PostgreSQL and SQLite an index on that expression keeps the look-up off a
# full scan. MariaDB's _ci collations compare case-insensitively and use the column's own index.
for _table, _column in [
    (prospects, "email"),
    (client_contacts, "email"),
    (dataset_records, "email"),
    (web_app_users, "email"),
    (applicants, "email"),
    (partner_contacts, "email"),
    (supplier_contacts, "email"),
    (supplier_leads, "email"),
    (newsletter_subscribers, "email"),
]:
    Index(f"ix_{_table.name}_{_column}_match", func.lower(func.trim(_table.c[_column]))).ddl_if(
        dialect=("postgresql", "sqlite")
    )

SUBJECT_TABLE = "dataset_records"

# -- generation ---------------------------------------------------------------------------------

_DAY = timedelta(days=1)
_MONTH = timedelta(days=30.44)
_YEAR = timedelta(days=365.25)
# (contract ended this long before the anchor, the period agreed with the client in months)
_CLIENTS: list[tuple[timedelta | None, int | None]] = [
    (None, None),
    (1 * _YEAR, None),
    (None, 24),
    (6 * _YEAR, None),
    (2 * _YEAR, 12),
    (None, None),
    (6 * _YEAR, 120),
    (4 * _YEAR, None),
    (None, None),
    (11 * _YEAR, None),
]
_DATASETS = ["fichier clients", "bulletins de paie", "relevés adhérents", "liste prospects"]
_QUESTIONS = [
    "Pouvez-vous décaler la livraison ?",
    "Le BAT est-il prêt ?",
    "Quel papier pour la plaquette ?",
    "La facture est-elle partie ?",
]
_POSITIONS = ["Opérateur PAO", "Conducteur offset", "Assistant paie", "Stage communication"]


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return _second(end)
    return _second(start + (end - start) * rng.random())


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch == "-").strip("-")


def _fiscal_close(moment: datetime) -> datetime | None:
    """The close of the financial year (31 December); None while it is still open."""
    closed = datetime(moment.year, 12, 31, 23, 59, 59)
    return closed if closed <= ANCHOR else None


class _Ids:
    """Explicit primary keys, so children can point at parents before anything is inserted."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def next(self, table: str) -> int:
        self._last[table] = self._last.get(table, 0) + 1
        return self._last[table]


class _People:
    """Fake professionals with a consistent name and email."""

    def __init__(self, rng: random.Random, fake: Faker) -> None:
        self.rng, self.fake = rng, fake

    def __call__(self, domain: str | None = None) -> tuple[str, str, str, str, str]:
        first, last = self.fake.first_name(), self.fake.last_name()
        domain = domain or self.fake.free_email_domain()
        email = f"{_ascii(first)}.{_ascii(last)}@{domain}"
        return first, last, email, self.fake.phone_number(), self.fake.job()[:100]


def _shares(subjects: int, rng: random.Random) -> list[int]:
    count = max(10, round(subjects / 30))
    weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
    scale = subjects / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[-1] = max(1, sizes[-1] + subjects - sum(sizes))
    return sizes


def generate(subjects: int, seed: int = 0, batch_rows: int = 20_000) -> Iterator[tuple[int, Batch]]:
    """Yield ``(people in this batch, {table: rows})``, tables in foreign-key order."""
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    ids = _Ids()
    people = _People(rng, fake)
    batch: Batch = {table.name: [] for table in metadata.sorted_tables}
    in_batch = 0
    for index, share in enumerate(_shares(subjects, rng)):
        used = _others(index, rng, fake, people, ids, batch)
        _client(index, max(1, share - used), rng, fake, people, ids, batch)
        in_batch += share
        if sum(len(rows) for rows in batch.values()) >= batch_rows:
            yield in_batch, batch
            batch = {table.name: [] for table in metadata.sorted_tables}
            in_batch = 0
    if in_batch:
        yield in_batch, batch


def _client(
    index: int,
    people_left: int,
    rng: random.Random,
    fake: Faker,
    people: _People,
    ids: _Ids,
    out: Batch,
) -> None:
    ended_ago, months = _CLIENTS[index % len(_CLIENTS)]
    ended = _second(ANCHOR - ended_ago + rng.uniform(-20, 20) * _DAY) if ended_ago else None
    end = ended or ANCHOR
    started = _second(end - rng.uniform(1, 15) * _YEAR)
    name = fake.company()
    domain = (_ascii(name.split(" ")[0]) or "client") + ".example"
    client_id = ids.next("clients")
    out["clients"].append((client_id, name, fake.siret().replace(" ", ""), started, ended, months))
    contacts = rng.randint(1, 3)
    for _ in range(contacts):
        first, last, email, phone, job = people(domain)
        contact_id = ids.next("client_contacts")
        since = _between(rng, started, end)
        out["client_contacts"].append(
            (contact_id, client_id, first, last, email, phone, job, since)
        )
        for _ in range(rng.randint(0, 4)):
            asked = _between(rng, since, end)
            out["support_exchanges"].append(
                (
                    ids.next("support_exchanges"),
                    contact_id,
                    rng.choice(_QUESTIONS),
                    "C'est noté, nous revenons vers vous." if rng.random() < 0.8 else None,
                    asked,
                )
            )
    issued = _second(started + rng.uniform(0, 11) * _MONTH)
    while issued <= end:
        invoice_id = ids.next("client_invoices")
        out["client_invoices"].append(
            (
                invoice_id,
                client_id,
                f"FA{issued.year}-{invoice_id:06d}",
                f"{name}, à l'attention de {fake.name()}",
                rng.randint(20_000, 900_000),
                issued,
                _fiscal_close(issued),
            )
        )
        issued = _second(issued + _YEAR)
    dataset = rng.choice(_DATASETS)
    web_app = index % 2 == 1  # every other client, so each contract state has one
    web_users = max(1, people_left // 4) if web_app else 0
    for _ in range(people_left - web_users):
        out["dataset_records"].append(
            (
                ids.next("dataset_records"),
                client_id,
                dataset,
                fake.name(),
                fake.address().replace("\n", ", "),
                fake.email() if rng.random() < 0.6 else None,
                f'{{"matricule": "{rng.randint(1000, 99999)}"}}' if rng.random() < 0.4 else None,
                _between(rng, started, end),
            )
        )
    for _ in range(web_users):
        first, last, email, _, _ = people()
        since = _between(rng, started, end)
        out["web_app_users"].append(
            (
                ids.next("web_app_users"),
                client_id,
                email,
                f"{first} {last[0]}.",
                '{"format": "A5", "quantite": 500}' if rng.random() < 0.5 else None,
                since,
                _between(rng, since, end) if rng.random() < 0.8 else None,
            )
        )


def _recent(rng: random.Random, years: float = 8) -> datetime:
    return _between(rng, ANCHOR - years * _YEAR, ANCHOR - _DAY)


def _others(
    index: int, rng: random.Random, fake: Faker, people: _People, ids: _Ids, out: Batch
) -> int:
    """The people who are not a client's: return how many were added."""
    count = 0
    for _ in range(2):
        first, last, email, phone, job = people()
        last_activity = _recent(rng)
        prospect_id = ids.next("prospects")
        out["prospects"].append(
            (
                prospect_id,
                fake.company() if rng.random() < 0.8 else None,
                first,
                last,
                email,
                phone,
                job,
                "Demande de devis" if rng.random() < 0.5 else None,
                _between(rng, last_activity - _YEAR, last_activity),
                last_activity,
            )
        )
        count += 1
        for number in range(rng.randint(0, 2)):
            out["prospect_files"].append(
                (
                    ids.next("prospect_files"),
                    prospect_id,
                    f"liste-{number + 1}.csv",
                    "nom;adresse\n" + fake.name() + ";" + fake.city(),
                    _between(rng, last_activity - 3 * _MONTH, last_activity),
                )
            )
    first, last, email, phone, _ = people()
    last_activity = _recent(rng, 5)
    out["applicants"].append(
        (
            ids.next("applicants"),
            first,
            last,
            email,
            phone,
            None,
            rng.choice(_POSITIONS),
            f"CV de {first} {last}",
            "Bonnes références" if rng.random() < 0.3 else None,
            _between(rng, last_activity - _YEAR, last_activity),
            last_activity,
        )
    )
    first, last, email, phone, job = people()
    out["partner_contacts"].append(
        (ids.next("partner_contacts"), fake.company(), first, last, email, phone, job, _recent(rng))
    )
    first, last, email, phone, job = people()
    out["supplier_leads"].append(
        (
            ids.next("supplier_leads"),
            fake.company(),
            first,
            last,
            email,
            phone,
            job,
            "Catalogue 2024" if rng.random() < 0.5 else None,
            _recent(rng, 6),
        )
    )
    count += 3
    for _ in range(3):
        first, last, email, phone, job = people()
        last_activity = _recent(rng, 6)
        out["newsletter_subscribers"].append(
            (
                ids.next("newsletter_subscribers"),
                rng.choice(["member", "professional"]),
                first,
                last,
                email,
                phone if rng.random() < 0.3 else None,
                job,
                fake.address().replace("\n", ", ") if rng.random() < 0.5 else None,
                _between(rng, last_activity - 2 * _YEAR, last_activity),
                last_activity,
            )
        )
        count += 1
    if index % 3 == 0:
        # alternately bought from recently and not for years, so both sides of 5 years exist
        recent = (index // 3) % 2 == 0
        count += _supplier(recent, rng, fake, people, ids, out)
    return count


def _supplier(
    recent: bool, rng: random.Random, fake: Faker, people: _People, ids: _Ids, out: Batch
) -> int:
    name = fake.company()
    last_purchase = (
        _recent(rng, 4) if recent else _between(rng, ANCHOR - 9 * _YEAR, ANCHOR - 6 * _YEAR)
    )
    supplier_id = ids.next("suppliers")
    out["suppliers"].append((supplier_id, name, fake.siret().replace(" ", ""), last_purchase))
    contacts = rng.randint(1, 2)
    for _ in range(contacts):
        first, last, email, phone, job = people()
        out["supplier_contacts"].append(
            (
                ids.next("supplier_contacts"),
                supplier_id,
                first,
                last,
                email,
                phone,
                job,
                "Kbis, attestation URSSAF" if rng.random() < 0.5 else None,
            )
        )
    received = _second(last_purchase - rng.uniform(2, 14) * _YEAR)
    while received <= last_purchase:
        out["supplier_invoices"].append(
            (
                ids.next("supplier_invoices"),
                supplier_id,
                f"{rng.randint(10_000, 99_999)}",
                fake.name() if rng.random() < 0.5 else None,
                rng.randint(5_000, 300_000),
                received,
                _fiscal_close(received),
            )
        )
        received = _second(received + _YEAR)
    return contacts
