"""The online-shop example on SQLite, PostgreSQL and MariaDB: a request is about one customer.

The shop's data has every hub that once leaked (issue 10): popular products in most orders, an
order shipped to another customer's address, an order paid with another customer's card, and
customers' and employees' addresses in one table. Camille Martin (``app.WELL_KNOWN_EMAIL``,
stored in mixed case) has all three. What is hers is computed here with plain SQL from what the
data means (her customer row, the rows that name her, the items of her orders), never from the
finder's graph; the tests compare the finder's answer with it.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from registre.demo import load_app, load_demo_data
from registre.register.loader import load_register
from registre.register.model import Register
from registre.requests import RequestDesk
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import (  # noqa: F401  (fixtures are used by name)
    ANCHOR,
    ROOT,
    digest_rows,
    fresh_server,
    text_hits,
)

SHOP = ROOT / "examples" / "online-shop"
SUBJECTS = 60
SEED = 0
CAMILLE = "camille.martin@example.fr"
Rows = dict[str, set[Any]]


def shop_register() -> Register:
    return load_register(SHOP / "register.yaml")


@contextmanager
def shop_database(server: str) -> Iterator[sa.Engine]:
    """A shop database of its own on ``server``, for a test that may change it."""
    with scratch_database(server, "registre_shop") as url:
        engine = sa.create_engine(url)
        try:
            load_demo_data(load_app(SHOP), engine, subjects=SUBJECTS, seed=SEED)
            yield engine
        finally:
            engine.dispose()


def _keys(connection: Any, sql: str, **params: Any) -> set[Any]:
    return {row[0] for row in connection.execute(sa.text(sql), params)}


def customer_id(connection: Any, email: str) -> int:
    return int(
        connection.execute(
            sa.text("SELECT id FROM customers WHERE lower(email) = :email"), {"email": email}
        ).scalar_one()
    )


def expected_rows(connection: Any, customer: int) -> Rows:
    """A customer's rows by what they mean: their record and every row that names them, the
    items of their orders, their newsletter subscription. Not the addresses and cards of other
    customers that their orders use, nor any product."""
    emails = connection.execute(
        sa.text("SELECT email, alt_email FROM customers WHERE id = :c"), {"c": customer}
    ).one()
    owned = "SELECT id FROM {} WHERE customer_id = :c"
    rows: Rows = {"customers": {customer}}
    for table in ("addresses", "payment_cards", "orders", "logins", "support_requests"):
        rows[table] = _keys(connection, owned.format(table), c=customer)
    rows["order_items"] = _keys(
        connection,
        "SELECT i.id FROM order_items i JOIN orders o ON o.id = i.order_id "
        "WHERE o.customer_id = :c",
        c=customer,
    )
    lowered = [e.strip().lower() for e in emails if e]
    rows["newsletter"] = {
        key
        for key, email in connection.execute(sa.text("SELECT id, email FROM newsletter"))
        if email.strip().lower() in lowered
    }
    return {table: keys for table, keys in rows.items() if keys}


def others_used_by(connection: Any, customer: int, table: str, column: str) -> set[Any]:
    """Rows of ``table`` (addresses, cards) that another customer holds and one of this
    customer's orders uses."""
    return _keys(
        connection,
        f"SELECT t.id FROM {table} t JOIN orders o ON o.{column} = t.id "
        "WHERE o.customer_id = :c AND t.customer_id <> :c",
        c=customer,
    )


def used_by_others(connection: Any, customer: int, table: str, column: str) -> set[Any]:
    """Rows of ``table`` (addresses, cards) this customer holds and another customer's order
    uses: shared rows, never changed by this customer's erasure."""
    return _keys(
        connection,
        f"SELECT t.id FROM {table} t JOIN orders o ON o.{column} = t.id "
        "WHERE t.customer_id = :c AND (o.customer_id IS NULL OR o.customer_id <> :c)",
        c=customer,
    )


def run(register: Register, engine: sa.Engine, tmp: Path, kind: str, email: str) -> dict[str, Any]:
    """Open, verify and execute a request at the data's anchor; its result."""
    with open_state(f"sqlite:///{tmp / 'state.db'}") as state:
        desk = RequestDesk(register, state, {"shop": engine}, out_dir=tmp / "out", now=ANCHOR)
        request = desk.open(kind, {"email": email}, lang="en")
        desk.verify(request.id, method="reply from the account's address")
        done = desk.execute(request.id)
    assert done.state.value == "done", done.result
    return dict(done.result or {})


def read_package(path: Path) -> tuple[dict[str, Any], str]:
    """The package's data.json tables and the text of every file in it, lower case."""
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    text = "\n".join(content.decode("utf-8-sig", "replace") for content in files.values())
    return json.loads(files["data.json"])["tables"], text.lower()


def exported(tables: dict[str, Any], table: str) -> set[Any]:
    return {row["id"] for row in tables.get(table, {}).get("rows", [])}


# -- the data holds what the example promises -------------------------------------------------


def test_camille_has_every_hub(fresh_server: str) -> None:  # noqa: F811
    with shop_database(fresh_server) as engine, engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT email FROM customers WHERE lower(email) = :e"), {"e": CAMILLE}
        ).scalar_one()
        camille = customer_id(connection, CAMILLE)
        gift = others_used_by(connection, camille, "addresses", "address_id")
        borrowed = others_used_by(connection, camille, "payment_cards", "card_id")
        popular = _keys(
            connection,
            "SELECT i.product_id FROM order_items i JOIN orders o ON o.id = i.order_id "
            "WHERE o.customer_id = :c AND i.product_id <= 3",
            c=camille,
        )
        buyers = connection.execute(
            sa.text(
                "SELECT count(DISTINCT o.customer_id) FROM order_items i "
                "JOIN orders o ON o.id = i.order_id WHERE i.product_id IN :p"
            ).bindparams(sa.bindparam("p", expanding=True)),
            {"p": sorted(popular)},
        ).scalar_one()
        employees_homes = _keys(
            connection, "SELECT id FROM addresses WHERE employee_id IS NOT NULL"
        )
    assert stored == "Camille.Martin@Example.fr"
    assert gift and borrowed and popular and employees_homes
    assert buyers > SUBJECTS / 3  # a hub: most buyers of the shop


# -- access -----------------------------------------------------------------------------------


def test_camille_access_exports_her_rows_only(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    register = shop_register()
    with shop_database(fresh_server) as engine:
        with engine.connect() as connection:
            camille = customer_id(connection, CAMILLE)
            hers = expected_rows(connection, camille)
            gift = others_used_by(connection, camille, "addresses", "address_id")
            borrowed = others_used_by(connection, camille, "payment_cards", "card_id")
            own_streets = {
                street.lower()
                for (street,) in connection.execute(
                    sa.text("SELECT street FROM addresses WHERE customer_id = :c"), {"c": camille}
                )
            }
            other_emails = [
                e.lower()
                for row in connection.execute(
                    sa.text(
                        "SELECT email, alt_email FROM customers WHERE id <> :c "
                        "UNION ALL SELECT email, NULL FROM employees "
                        "UNION ALL SELECT email, NULL FROM newsletter WHERE lower(email) <> :e"
                    ),
                    {"c": camille, "e": CAMILLE},
                )
                for e in row
                if e
            ]
            other_streets = {
                street.lower()
                for (street,) in connection.execute(
                    sa.text(
                        "SELECT street FROM addresses "
                        "WHERE customer_id IS NULL OR customer_id <> :c"
                    ),
                    {"c": camille},
                )
            } - own_streets
            other_cards = [
                f"{owner},{brand},{last4}"
                for owner, brand, last4 in connection.execute(
                    sa.text(
                        "SELECT customer_id, brand, last4 FROM payment_cards "
                        "WHERE customer_id <> :c"
                    ),
                    {"c": camille},
                )
            ]
            bought = connection.execute(
                sa.text(
                    "SELECT p.id, p.name FROM products p JOIN order_items i "
                    "ON i.product_id = p.id WHERE i.id IN :items ORDER BY p.id"
                ).bindparams(sa.bindparam("items", expanding=True)),
                {"items": sorted(hers["order_items"])},
            ).all()
        result = run(register, engine, tmp_path, "access", CAMILLE)
    tables, text = read_package(Path(result["export"]))

    for table, keys in hers.items():
        assert exported(tables, table) == keys, table
    assert set(tables) - set(hers) == {"products"}
    assert exported(tables, "addresses").isdisjoint(gift)
    assert exported(tables, "payment_cards").isdisjoint(borrowed)
    assert [e for e in other_emails if e in text] == []
    assert [s for s in other_streets if s in text] == []
    assert [c for c in other_cards if c in text] == []
    # the products she bought are there as context, the popular one among them
    assert exported(tables, "products") == {key for key, _ in bought}
    assert min(key for key, _ in bought) <= 3
    assert all(name.lower() in text for _, name in bought)


def test_her_phone_written_another_way_finds_her_and_only_her(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Stored as ``+33 (0)6 38 45 42 23``, asked as ``06 38 45 42 23``: the same number."""
    register = shop_register()
    with shop_database(fresh_server) as engine:
        with engine.connect() as connection:
            camille = customer_id(connection, CAMILLE)
            hers = expected_rows(connection, camille)
            stored = connection.execute(
                sa.text("SELECT phone FROM customers WHERE id = :c"), {"c": camille}
            ).scalar_one()
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(
                register, state, {"shop": engine}, out_dir=tmp_path / "out", now=ANCHOR
            )
            request = desk.open("access", {"phone": "06 38 45 42 23"}, lang="en")
            desk.verify(request.id, method="a call back to that number")
            done = desk.execute(request.id)
    tables, _ = read_package(Path(dict(done.result or {})["export"]))
    assert stored == "+33 (0)6 38 45 42 23"
    # the newsletter holds an email only: a phone cannot find it
    for table, keys in hers.items():
        assert exported(tables, table) == (set() if table == "newsletter" else keys), table


def test_a_popular_product_does_not_make_her_order_items_shared(tmp_path: Path) -> None:
    """A product others bought too is context in her copy, not a row she shares with them."""
    register = shop_register()
    with shop_database("sqlite://") as engine:
        result = run(register, engine, tmp_path, "access", CAMILLE)
    tables, _ = read_package(Path(result["export"]))
    assert tables["order_items"]["rows"]
    assert tables["order_items"]["shared_rows"] == []


# -- erasure ----------------------------------------------------------------------------------


def _second_customer(connection: Any, camille: int) -> str:
    """The next customer with orders and an account still open: a second erasure."""
    return str(
        connection.execute(
            sa.text(
                "SELECT c.email FROM customers c WHERE c.id <> :c AND c.deleted_at IS NULL "
                "AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) ORDER BY c.id"
            ),
            {"c": camille},
        )
        .scalars()
        .first()
    )


def _rows_by_id(connection: Any, table: str, keys: set[Any]) -> list[tuple[Any, ...]]:
    query = sa.text(f"SELECT * FROM {table} WHERE id IN :k ORDER BY id").bindparams(
        sa.bindparam("k", expanding=True)
    )
    return [tuple(row) for row in connection.execute(query, {"k": sorted(keys) or [-1]})]


def test_erasures_change_only_the_person_and_finish_on_a_unique_email(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    register = shop_register()
    with shop_database(fresh_server) as engine:
        with engine.connect() as connection:
            camille = customer_id(connection, CAMILLE)
            hers = expected_rows(connection, camille)
            gift = others_used_by(connection, camille, "addresses", "address_id")
            borrowed = others_used_by(connection, camille, "payment_cards", "card_id")
            theirs_before = {
                "addresses": _rows_by_id(connection, "addresses", gift),
                "payment_cards": _rows_by_id(connection, "payment_cards", borrowed),
            }
            shared = {  # hers, but another customer's order ships to it or is paid with it
                table: used_by_others(connection, camille, table, column)
                for table, column in (("addresses", "address_id"), ("payment_cards", "card_id"))
            }
            shared_before = {t: _rows_by_id(connection, t, keys) for t, keys in shared.items()}
            products = connection.execute(sa.text("SELECT count(*) FROM products")).scalar_one()
            name, phone = connection.execute(
                sa.text("SELECT name, phone FROM customers WHERE id = :c"), {"c": camille}
            ).one()
            second = _second_customer(connection, camille)
        before = digest_rows(engine, hers)

        run(register, engine, tmp_path, "erasure", CAMILLE)

        after = digest_rows(engine, hers)
        hits = text_hits(engine, register, "shop", [CAMILLE, name, phone])
        with engine.connect() as connection:
            theirs_after = {
                "addresses": _rows_by_id(connection, "addresses", gift),
                "payment_cards": _rows_by_id(connection, "payment_cards", borrowed),
            }
            shared_after = {t: _rows_by_id(connection, t, keys) for t, keys in shared.items()}
            second_id = customer_id(connection, second.lower())
            second_rows = expected_rows(connection, second_id)
            products_after = connection.execute(
                sa.text("SELECT count(*) FROM products")
            ).scalar_one()
        assert after == before  # every other customer's row, and every product, byte-identical
        assert theirs_after == theirs_before
        assert shared["payment_cards"]  # the data has the case: her card paid another's order
        assert shared_after == shared_before  # shared rows are never changed
        assert products_after == products
        assert hits == set()  # her email, name and phone are nowhere any more

        # a second erasure writes a second anonymized value into the UNIQUE email column
        before = digest_rows(engine, second_rows)
        run(register, engine, tmp_path, "erasure", second.lower())
        after = digest_rows(engine, second_rows)
        with engine.connect() as connection:
            emails = connection.execute(
                sa.text("SELECT email FROM customers WHERE id IN (:a, :b)"),
                {"a": camille, "b": second_id},
            ).scalars()
            anonymized = set(emails)
    assert after == before
    assert len(anonymized) == 2
    assert not {CAMILLE, second.lower()} & {e.lower() for e in anonymized}


def test_an_employees_rule_does_not_keep_a_customers_address(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The staff activity's legal obligation is about employees: bound to the addresses table
    that also holds customers' addresses, it keeps none of Camille's."""
    register = shop_register()
    assert register.activities["staff"].legal_basis == ["legal_obligation"]
    with shop_database(fresh_server) as engine:
        with engine.connect() as connection:
            camille = customer_id(connection, CAMILLE)
            hers = expected_rows(connection, camille)["addresses"]
            shared = used_by_others(connection, camille, "addresses", "address_id")
        result = run(register, engine, tmp_path, "erasure", CAMILLE)
    outcomes = [o for o in result["outcomes"] if o["table"] == "addresses"]
    assert sum(o["count"] for o in outcomes) == len(hers)
    assert "legal_obligation" not in {o["reason"] for o in outcomes}
    kept = sum(o["count"] for o in outcomes if o["action"] == "kept")
    assert kept == len(shared)  # only an address another customer's order ships to is kept
