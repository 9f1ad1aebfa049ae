"""Assistia's database for Plume (seed 001): client accounts and newsletter subscribers.

The application side of the ``stores`` section of ``register.yaml``, kept to what a withdrawal
of consent touches: the clients' accounts (signed in through a single sign-on service: email,
first and last name) and the subscribers of the newsletter (the seed's only activity on consent
with a withdrawal channel of its own, the unsubscribe link). The meetings, calendars and emails
are the clients' data (Assistia is their processor) and are not modelled here.
``registre demo-data examples/meeting-assistant --url URL`` creates the schema and loads
:func:`generate`'s rows.

About a third of the clients subscribe to the newsletter, and as many people subscribe without
an account (visitors of the website). Some subscribers have unsubscribed: their row is kept with
its ``unsubscribed_at``, since the seed states its retention only as "as long as necessary" (the
lint reports it, RET003); a withdrawal enforced by registre erases the row.

One client is always there, to try requests on: **Léa Dubois** (:data:`WELL_KNOWN_EMAIL`,
stored as ``Lea.Dubois@Example.fr``), who has an account and subscribes to the newsletter.

The data is anchored on **2026-11-01 00:00 UTC** (:data:`ANCHOR`): nothing is later.
Timestamps are naive UTC at whole seconds. Generation is deterministic for ``(subjects, seed)``.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

ANCHOR = datetime(2026, 11, 1, 0, 0, 0)
"""Nothing in the data is later than this date."""

WELL_KNOWN_EMAIL = "lea.dubois@example.fr"
"""The client to try requests on: she has an account and subscribes to the newsletter."""

STORE_ID = "plume"

Row = tuple[Any, ...]
Batch = dict[str, list[Row]]

metadata = MetaData()

clients = Table(
    "clients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("signed_up_at", DateTime, nullable=False),
)

newsletter_subscribers = Table(
    "newsletter_subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, index=True),
    Column("lang", String(2), nullable=False),
    Column("subscribed_at", DateTime, nullable=False),
    Column("unsubscribed_at", DateTime, nullable=True),
)

_DAY = timedelta(days=1)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randint(0, max(seconds, 0)))


def generate(subjects: int, seed: int = 0, batch_rows: int = 20_000) -> Iterator[tuple[int, Batch]]:
    """Yield ``(clients in this batch, {table: rows})``; Léa Dubois is the first client."""
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    used: set[str] = set()
    ids = {"clients": 0, "newsletter_subscribers": 0}
    batch: Batch = {"clients": [], "newsletter_subscribers": []}
    in_batch = 0

    def email(first: str, last: str) -> str:
        base = f"{_ascii(first)}.{_ascii(last)}"
        address, n = f"{base}@{fake.free_email_domain()}", 1
        while address in used:
            n += 1
            address = f"{base}{n}@{fake.free_email_domain()}"
        used.add(address)
        return address

    def subscribe(address: str, since: datetime, *, stay: bool = False) -> None:
        subscribed = _between(rng, since, ANCHOR - _DAY)
        gone = None if stay or rng.random() < 0.7 else _between(rng, subscribed, ANCHOR)
        ids["newsletter_subscribers"] += 1
        lang = "fr" if rng.random() < 0.8 else "en"
        batch["newsletter_subscribers"].append(
            (ids["newsletter_subscribers"], address, lang, subscribed, gone)
        )

    for number in range(subjects):
        signed_up = _between(rng, ANCHOR - 6 * 365 * _DAY, ANCHOR - _DAY)
        if number == 0:
            first, last, address = "Léa", "Dubois", "Lea.Dubois@Example.fr"
            used.add(address.lower())
        else:
            first, last = fake.first_name(), fake.last_name()
            address = email(first, last)
        ids["clients"] += 1
        batch["clients"].append((ids["clients"], address, first, last, signed_up))
        if number == 0:
            subscribe(address, signed_up, stay=True)
        elif rng.random() < 0.35:
            subscribe(address, signed_up)
        if rng.random() < 0.35:  # a visitor of the website, with no account
            subscribe(email(fake.first_name(), fake.last_name()), ANCHOR - 4 * 365 * _DAY)
        in_batch += 1
        if sum(len(rows) for rows in batch.values()) >= batch_rows:
            yield in_batch, batch
            batch, in_batch = {"clients": [], "newsletter_subscribers": []}, 0
    if in_batch:
        yield in_batch, batch
