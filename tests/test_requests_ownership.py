"""The search follows ownership, never a bridge: a popular product, a gift address and a
borrowed card never hand one customer another customer's data, and an erasure never changes it.

The shop is small and written out so that every expectation can be read off the rows below.
Camille (customer 1) bought the popular product 7, which Dominique (2) also bought; one of
her orders ships to Dominique's address (a gift) and was paid with Dominique's card. The
products table is mapped with no personal column and *not* declared a catalogue, as a newcomer
would map it: it must still never be a bridge, nor be deleted.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registre.register.mapping import DataStore
from registre.register.model import Register
from registre.requests import RequestDesk
from registre.requests.find import Finder
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_erasure import erase
from test_requests_fixtures import ANCHOR, BACKENDS, dm_register, server_url

shop = sa.MetaData()
sa.Table(
    "customers",
    shop,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(200), nullable=False, unique=True),
    sa.Column("name", sa.String(200)),
)
sa.Table(
    "addresses",
    shop,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id")),
    sa.Column("street", sa.String(200)),
)
sa.Table(
    "cards",
    shop,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id")),
    sa.Column("last4", sa.String(4)),
)
sa.Table(
    "products",
    shop,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200)),
)
sa.Table(
    "orders",
    shop,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id")),
    sa.Column("address_id", sa.Integer, sa.ForeignKey("addresses.id")),
    sa.Column("card_id", sa.Integer, sa.ForeignKey("cards.id")),
    sa.Column("note", sa.String(200)),
)
sa.Table(
    "order_items",
    shop,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id")),
    sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id")),
    sa.Column("quantity", sa.Integer),
)

ROWS: dict[str, list[dict[str, Any]]] = {
    "customers": [
        {"id": 1, "email": "camille@example.fr", "name": "Camille Martin"},
        {"id": 2, "email": "dominique@example.fr", "name": "Dominique Petit"},
        {"id": 3, "email": "eden@example.fr", "name": "Eden Roux"},
    ],
    "addresses": [
        {"id": 10, "customer_id": 1, "street": "1 rue de Camille"},
        {"id": 20, "customer_id": 2, "street": "2 rue de Dominique"},
        {"id": 30, "customer_id": 3, "street": "3 rue d'Eden"},
    ],
    "cards": [
        {"id": 100, "customer_id": 1, "last4": "1111"},
        {"id": 200, "customer_id": 2, "last4": "2222"},
        {"id": 300, "customer_id": 3, "last4": "3333"},
    ],
    "products": [{"id": 7, "title": "Théière"}, {"id": 8, "title": "Tasse"}],
    "orders": [
        {"id": 1000, "customer_id": 1, "address_id": 10, "card_id": 100, "note": "n1"},
        # a gift to Dominique, paid with Dominique's card
        {"id": 1001, "customer_id": 1, "address_id": 20, "card_id": 200, "note": "cadeau"},
        {"id": 2000, "customer_id": 2, "address_id": 20, "card_id": 200, "note": "n2"},
        {"id": 3000, "customer_id": 3, "address_id": 30, "card_id": 300, "note": "n3"},
    ],
    "order_items": [
        {"id": 1, "order_id": 1000, "product_id": 7, "quantity": 1},
        {"id": 2, "order_id": 1001, "product_id": 8, "quantity": 2},
        {"id": 3, "order_id": 2000, "product_id": 7, "quantity": 1},
        {"id": 4, "order_id": 3000, "product_id": 7, "quantity": 3},
    ],
}

CAMILLE = {
    "customers": {1},
    "addresses": {10},
    "cards": {100},
    "orders": {1000, 1001},
    "order_items": {1, 2},
    "products": {7, 8},
}
"""Camille's rows: hers, and what they reference but Dominique's card and address."""


def register() -> Register:
    store = DataStore.model_validate(
        {
            "url_env": "SHOP_DATABASE_URL",
            "tables": {
                "customers": {
                    "subject": "account_holder",
                    "identity": {"email": "email"},
                    "columns": {"email": "contact", "name": "identity"},
                },
                "addresses": {
                    "subject": "account_holder",
                    "references": {"customer": "customer_id -> customers"},
                    "columns": {"street": "contact"},
                },
                "cards": {
                    "subject": "account_holder",
                    "references": {"customer": "customer_id -> customers"},
                    "columns": {"last4": "payment_method"},
                },
                "products": {"not_personal": ["title"]},
                "orders": {
                    "subject": "account_holder",
                    "references": {
                        "customer": "customer_id -> customers",
                        "address": "address_id -> addresses",
                        "card": "card_id -> cards",
                    },
                    "columns": {"note": "content"},
                },
                "order_items": {
                    "references": {
                        "order": "order_id -> orders",
                        "product": "product_id -> products",
                    },
                    "not_personal": ["quantity"],
                },
            },
        }
    )
    return dm_register().model_copy(update={"stores": {"shop": store}})


@pytest.fixture(params=BACKENDS)
def shop_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with scratch_database(server_url(request.param), "registre_own") as url:
        engine = sa.create_engine(url)
        try:
            shop.create_all(engine)
            with engine.begin() as connection:
                for table in shop.sorted_tables:
                    connection.execute(table.insert(), ROWS[table.name])
        finally:
            engine.dispose()
        yield url


def table_rows(engine: sa.Engine) -> dict[str, dict[int, tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: {row[0]: tuple(row) for row in connection.execute(sa.select(table))}
            for table in shop.sorted_tables
        }


def test_the_search_never_crosses_a_product_nor_takes_another_customers_card(
    shop_url: str,
) -> None:
    engine = sa.create_engine(shop_url)
    try:
        found = Finder(register(), {"shop": engine}).find({"email": "camille@example.fr"})
    finally:
        engine.dispose()
    assert {rows.table: set(rows.rows) for rows in found if rows.count} == CAMILLE
    # the gift address is Dominique's: never Camille's, though her order ships there
    assert 20 not in found.keys("shop", "addresses")


def test_the_access_copy_holds_no_other_customer(shop_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(shop_url)
    try:
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(register(), state, {"shop": engine}, out_dir=tmp_path, now=ANCHOR)
            request = desk.open("access", {"email": "camille@example.fr"})
            desk.verify(request.id, method="reply from the address")
            done = desk.execute(request.id)
    finally:
        engine.dispose()
    package = Path(done.result["export"])
    with zipfile.ZipFile(package) as archive:
        text = "\n".join(
            io.TextIOWrapper(archive.open(name), encoding="utf-8").read()
            for name in archive.namelist()
        )
    for other in ("dominique@example.fr", "Dominique", "2222", "rue de Dominique", "eden", "3333"):
        assert other not in text, other
    for hers in ("camille@example.fr", "1111", "rue de Camille", "Théière", "cadeau"):
        assert hers in text, hers


def test_an_erasure_changes_only_camilles_rows_and_never_a_product(
    shop_url: str, tmp_path: Path
) -> None:
    engine = sa.create_engine(shop_url)
    try:
        before = table_rows(engine)
        done, _, _ = erase(
            register(),
            {"shop": engine},
            f"sqlite:///{tmp_path / 'state.db'}",
            tmp_path,
            {"email": "camille@example.fr"},
            ANCHOR,
        )
        after = table_rows(engine)
    finally:
        engine.dispose()
    assert done.state.value == "done"
    for table, rows in before.items():
        for key, row in rows.items():
            if key not in CAMILLE.get(table, set()) or table == "products":
                assert after[table].get(key) == row, (table, key)
    assert after["products"] == before["products"]
    assert 1 not in after["customers"] and 1000 not in after["orders"]
    assert "camille@example.fr" not in str(after)
