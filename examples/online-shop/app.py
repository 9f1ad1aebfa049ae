"""Boutique Lumen's database: a small B2C online shop, and synthetic data for it.

The application side of ``register.yaml``: customers, their addresses, payment cards, orders
and order items, a product catalogue, logins, customer-service requests, a newsletter and the
shop's employees, with real foreign keys. ``registre demo-data examples/online-shop --url URL``
creates the schema and loads :func:`generate`'s rows.

The shapes a privacy tool gets wrong are here on purpose, each a *hub* that links people who
have nothing to do with each other:

* a few popular products (:data:`POPULAR`) are in most customers' orders;
* about one order in ten ships to another customer's address (a gift);
* about one order in twenty is paid with another customer's card (a family member's);
* customers' and employees' home addresses share the ``addresses`` table;
* ``customers.email`` is UNIQUE NOT NULL, stored in the case people typed it, and phone numbers
  are stored in the forms people write them (``06 38 45 42 23``, ``+33 6 38 45 42 23``, ...).

One customer is always there, to try requests on: **Camille Martin**
(:data:`WELL_KNOWN_EMAIL`, stored as ``Camille.Martin@Example.fr``, and
:data:`WELL_KNOWN_PHONE`). She bought a popular product, had an order shipped to another
customer's address and paid one order with another customer's card.

The data is anchored on **2026-11-01 00:00 UTC** (:data:`ANCHOR`): nothing is later, and at
that date every retention rule of the register has rows due and rows not due. Timestamps are
naive UTC at whole seconds, so SQLite, PostgreSQL and MariaDB hold the same bytes. Generation is
deterministic for ``(subjects, seed)`` (``random.Random(seed)``, Faker ``fr_FR`` seeded with it)
and streams batches of customers, parents before children.
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

WELL_KNOWN_EMAIL = "camille.martin@example.fr"
"""The customer to try requests on; stored in mixed case, found whatever the case."""

WELL_KNOWN_PHONE = "+33 (0)6 38 45 42 23"
"""Her phone, stored in one of the forms people write; ``06 38 45 42 23`` finds her."""

STORE_ID = "shop"

Row = tuple[Any, ...]
Batch = dict[str, list[Row]]

metadata = MetaData()


def _pk() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _fk(name: str, target: str, *, nullable: bool = False) -> Column[int]:
    return Column(name, Integer, ForeignKey(target), nullable=nullable, index=True)


customers = Table(
    "customers",
    metadata,
    _pk(),
    Column("email", String(200), nullable=False, unique=True),
    Column("alt_email", String(200), nullable=True, index=True),
    Column("phone", String(40), nullable=True, index=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_active_at", DateTime, nullable=False, index=True),
    Column("deleted_at", DateTime, nullable=True, index=True),
    Column("anonymized_at", DateTime, nullable=True),
)

employees = Table(
    "employees",
    metadata,
    _pk(),
    Column("email", String(200), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("hired_at", DateTime, nullable=False),
    Column("left_at", DateTime, nullable=True, index=True),
)

addresses = Table(
    "addresses",
    metadata,
    _pk(),
    # one of the two is set: a customer's delivery address or an employee's home
    _fk("customer_id", "customers.id", nullable=True),
    _fk("employee_id", "employees.id", nullable=True),
    Column("street", String(200), nullable=False),
    Column("postal_code", String(10), nullable=False),
    Column("city", String(100), nullable=False),
)

products = Table(
    "products",
    metadata,
    _pk(),
    Column("name", String(200), nullable=False),
    Column("price", Integer, nullable=False),
)

payment_cards = Table(
    "payment_cards",
    metadata,
    _pk(),
    _fk("customer_id", "customers.id"),
    Column("brand", String(20), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("expires_at", DateTime, nullable=False, index=True),
)

orders = Table(
    "orders",
    metadata,
    _pk(),
    _fk("customer_id", "customers.id", nullable=True),
    _fk("address_id", "addresses.id", nullable=True),
    _fk("card_id", "payment_cards.id", nullable=True),
    Column("placed_at", DateTime, nullable=False, index=True),
)

order_items = Table(
    "order_items",
    metadata,
    _pk(),
    _fk("order_id", "orders.id"),
    _fk("product_id", "products.id"),
    Column("quantity", Integer, nullable=False),
    Column("price", Integer, nullable=False),
)

logins = Table(
    "logins",
    metadata,
    _pk(),
    _fk("customer_id", "customers.id"),
    Column("ip", String(45), nullable=False),
    Column("at", DateTime, nullable=False, index=True),
)

support_requests = Table(
    "support_requests",
    metadata,
    _pk(),
    _fk("customer_id", "customers.id"),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime, nullable=False, index=True),
)

newsletter = Table(
    "newsletter",
    metadata,
    _pk(),
    Column("email", String(200), nullable=False, unique=True),
    Column("subscribed_at", DateTime, nullable=False),
    Column("unsubscribed_at", DateTime, nullable=True, index=True),
)

# Requests and legal holds match an email as lower(trim(email)), whatever its case and the
# spaces around it: on PostgreSQL and SQLite an index on that expression keeps the look-up off a
# full scan. MariaDB's _ci collations compare case-insensitively and use the column's own index.
for _table, _column in [
    (customers, "email"),
    (customers, "alt_email"),
    (employees, "email"),
    (newsletter, "email"),
]:
    Index(f"ix_{_table.name}_{_column}_match", func.lower(func.trim(_table.c[_column]))).ddl_if(
        dialect=("postgresql", "sqlite")
    )

# -- generation ---------------------------------------------------------------------------------

_DAY = timedelta(days=1)
_YEAR = timedelta(days=365.25)
POPULAR = 3
"""The first products of the catalogue, one of which is in most orders."""
_PRODUCTS = [
    "Lampe de chevet Lumen",
    "Ampoule LED E27",
    "Guirlande lumineuse 10 m",
    "Lampadaire en laiton",
    "Applique murale",
    "Suspension en rotin",
    "Veilleuse enfant",
    "Lampe de bureau articulée",
    "Bougie parfumée",
    "Abat-jour en lin",
    "Projecteur extérieur",
    "Lampe frontale",
]
_MESSAGES = [
    "Ma commande n'est pas arrivée.",
    "L'ampoule ne fonctionne pas, puis-je la renvoyer ?",
    "Pouvez-vous changer l'adresse de livraison ?",
    "Je n'ai pas reçu ma facture.",
    "Le colis était abîmé.",
]
_PHONE_FORMS = [
    "0{0} {1} {2} {3} {4}",
    "+33 {0} {1} {2} {3} {4}",
    "+33 (0){0} {1} {2} {3} {4}",
    "0{0}{1}{2}{3}{4}",
    "0{0}.{1}.{2}.{3}.{4}",
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


def _phone(rng: random.Random) -> str:
    digits = [str(rng.choice([6, 7]))] + [f"{rng.randint(0, 99):02d}" for _ in range(4)]
    return rng.choice(_PHONE_FORMS).format(*digits)


class _Shop:
    """The generator's memory: explicit ids, the emails taken, product prices, and the current
    group of customers (their dates, addresses and cards) that orders are placed for."""

    def __init__(self, rng: random.Random, fake: Faker) -> None:
        self.rng = rng
        self.fake = fake
        self.last: dict[str, int] = {}
        self.emails: set[str] = {WELL_KNOWN_EMAIL}
        self.prices: list[int] = []
        self.group: dict[int, tuple[datetime, datetime, list[int], list[int]]] = {}
        self.expiry: dict[int, datetime] = {}

    def next(self, table: str) -> int:
        self.last[table] = self.last.get(table, 0) + 1
        return self.last[table]

    def email(self, first: str, last: str, domain: str) -> str:
        local = f"{_ascii(first)}.{_ascii(last)}"
        candidate, number = f"{local}@{domain}", 1
        while candidate in self.emails:
            number += 1
            candidate = f"{local}{number}@{domain}"
        self.emails.add(candidate)
        return candidate


def generate(subjects: int, seed: int = 0, batch_rows: int = 20_000) -> Iterator[tuple[int, Batch]]:
    """Yield ``(customers in this batch, {table: rows})``, tables in foreign-key order.

    ``subjects`` is the number of customers, Camille Martin included; employees are one per
    hundred customers, at least five. Orders are placed once a group of 20 customers exists, so
    that a gift can ship to a neighbour's address and a neighbour's card can pay.
    """
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    shop = _Shop(rng, fake)
    batch = _empty()
    for index, name in enumerate(_PRODUCTS + [f"Article {n}" for n in range(subjects // 10)]):
        price = rng.randint(4, 30) * 100 - 1 if index < POPULAR else rng.randint(5, 300) * 100 - 1
        shop.prices.append(price)
        batch["products"].append((shop.next("products"), name, price))
    for _ in range(max(5, subjects // 100)):
        _employee(shop, batch)
    in_batch = 0
    for number in range(subjects):
        _customer(shop, batch, well_known=number == 0)
        in_batch += 1
        if len(shop.group) == 20 or number == subjects - 1:
            for customer_id in shop.group:
                _orders(shop, batch, customer_id)
            shop.group, shop.expiry = {}, {}
            if sum(len(rows) for rows in batch.values()) >= batch_rows:
                yield in_batch, batch
                batch, in_batch = _empty(), 0
    if in_batch or any(batch.values()):
        yield in_batch, batch


def _empty() -> Batch:
    return {table.name: [] for table in metadata.sorted_tables}


def _address(shop: _Shop, out: Batch, customer_id: int | None, employee_id: int | None) -> int:
    address_id = shop.next("addresses")
    street = shop.fake.street_address()
    out["addresses"].append(
        (address_id, customer_id, employee_id, street, shop.fake.postcode(), shop.fake.city())
    )
    return address_id


def _employee(shop: _Shop, out: Batch) -> None:
    rng, fake = shop.rng, shop.fake
    first, last = fake.first_name(), fake.last_name()
    hired = _between(rng, ANCHOR - 15 * _YEAR, ANCHOR - 30 * _DAY)
    # a third have left: some more than five years ago (their records are due), some recently
    left = _between(rng, hired, ANCHOR) if rng.random() < 0.35 else None
    employee_id = shop.next("employees")
    email = shop.email(first, last, "lumen.example")
    out["employees"].append((employee_id, email, f"{first} {last}", hired, left))
    _address(shop, out, None, employee_id)


# (last active at most this long before the anchor, account closed): active customers,
# inactive ones (many for more than three years) and customers who closed their account
_LIVES = [(2 * _YEAR, False), (8 * _YEAR, False), (1 * _YEAR, True)]
_LIFE_WEIGHTS = [55, 25, 20]


def _customer(shop: _Shop, out: Batch, *, well_known: bool = False) -> None:
    rng, fake = shop.rng, shop.fake
    span, closed = rng.choices(_LIVES, _LIFE_WEIGHTS)[0]
    if well_known:
        first, last, email = "Camille", "Martin", "Camille.Martin@Example.fr"
        span, closed = 30 * _DAY, False
    else:
        first, last = fake.first_name(), fake.last_name()
        email = shop.email(first, last, fake.free_email_domain())
        if rng.random() < 0.15:  # typed with capitals at sign-up, stored as typed
            email = email[0].upper() + email[1:]
    last_active = _between(rng, ANCHOR - span, ANCHOR - _DAY)
    created = _between(rng, last_active - 10 * _YEAR, last_active - 30 * _DAY)
    if well_known:
        created = _second(last_active - 2 * _YEAR)
    deleted = _between(rng, last_active, ANCHOR) if closed else None
    alt = shop.email(first, last, "travail.example") if rng.random() < 0.2 else None
    phone = _phone(rng) if well_known or rng.random() < 0.7 else None
    if well_known:
        phone = WELL_KNOWN_PHONE
    customer_id = shop.next("customers")
    out["customers"].append(
        (customer_id, email, alt, phone, f"{first} {last}", created, last_active, deleted, None)
    )
    homes = [_address(shop, out, customer_id, None) for _ in range(rng.choice([1, 1, 1, 2]))]
    cards = []
    for _ in range(1 if well_known else rng.choice([0, 1, 1, 2])):
        expires = _between(rng, created + _YEAR, last_active + 3 * _YEAR)
        expires = expires.replace(day=1, hour=0, minute=0, second=0)
        if closed and rng.random() < 0.5:
            expires = min(expires, ANCHOR - 30 * _DAY)
        if well_known:  # a card she still pays with
            expires = datetime(ANCHOR.year + 2, 7, 1)
        cards.append(shop.next("payment_cards"))
        shop.expiry[cards[-1]] = expires
        brand = rng.choice(["visa", "mastercard", "cb"])
        out["payment_cards"].append(
            (cards[-1], customer_id, brand, f"{rng.randint(0, 9999):04d}", expires)
        )
    shop.group[customer_id] = (created, last_active, homes, cards)
    for _ in range(rng.randint(0, 15)):
        at = _between(rng, max(created, last_active - 2 * _YEAR), last_active)
        out["logins"].append((shop.next("logins"), customer_id, fake.ipv4_public(), at))
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        at = _between(rng, created, last_active)
        message = rng.choice(_MESSAGES)
        out["support_requests"].append((shop.next("support_requests"), customer_id, message, at))
    if well_known or rng.random() < 0.3:
        since = _between(rng, created, last_active)
        gone = _between(rng, since, ANCHOR) if not well_known and rng.random() < 0.3 else None
        subscribed = email.lower() if well_known else email
        out["newsletter"].append((shop.next("newsletter"), subscribed, since, gone))


def _orders(shop: _Shop, out: Batch, customer_id: int) -> None:
    """Place the customer's orders, some shipped to or paid by another customer of the group."""
    rng = shop.rng
    created, last_active, homes, cards = shop.group[customer_id]
    others = [n for n in shop.group if n != customer_id]
    their_homes = [home for n in others for home in shop.group[n][2]]
    their_cards = [card for n in others for card in shop.group[n][3]]
    well_known = customer_id == 1
    if well_known:  # a relative's card still valid, so a sweep at the anchor keeps it
        their_cards = [card for card in their_cards if shop.expiry[card] > ANCHOR] or their_cards
    for number in range(4 if well_known else rng.choice([0, 1, 1, 2, 3, 5, 8])):
        address, card = rng.choice(homes), rng.choice(cards) if cards else None
        gift, borrowed = rng.random() < 0.1, rng.random() < 0.05
        if well_known:  # her second order is a gift, her third paid with a relative's card
            gift, borrowed = number == 1, number == 2
        if gift and their_homes:
            address = rng.choice(their_homes)
        if borrowed and their_cards:
            card = rng.choice(their_cards)
        if well_known:  # her orders are recent: a sweep at the anchor keeps them whole
            placed = _between(rng, last_active - 300 * _DAY, last_active)
        else:
            placed = _between(rng, created, last_active)
        order_id = shop.next("orders")
        out["orders"].append((order_id, customer_id, address, card, placed))
        chosen = {rng.randint(1, POPULAR)} if well_known or rng.random() < 0.7 else set()
        chosen |= {rng.randint(1, len(shop.prices)) for _ in range(rng.randint(0, 3))}
        for product in sorted(chosen or {rng.randint(1, len(shop.prices))}):
            quantity = rng.randint(1, 3)
            row = (shop.next("order_items"), order_id, product, quantity, shop.prices[product - 1])
            out["order_items"].append(row)
