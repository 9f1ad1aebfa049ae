"""A table holding two kinds of people: the search finds each kind's rows, and drops none.

An online shop keeps its customers' and its employees' home addresses in one table. Declared
about one kind only, the other kind's addresses were silently left out of their requests.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registre.cli import main
from registre.register.mapping import DataStore
from registre.register.model import Register
from registre.requests.find import Finder
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import BACKENDS, DM, dm_register, server_url

shop = sa.MetaData()
sa.Table(
    "customers",
    shop,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(200)),
)
sa.Table(
    "employees",
    shop,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(200)),
)
sa.Table(
    "addresses",
    shop,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id")),
    sa.Column("employee_id", sa.Integer, sa.ForeignKey("employees.id")),
    sa.Column("street", sa.String(200)),
)
sa.Table(
    "deliveries",
    shop,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("address_id", sa.Integer, sa.ForeignKey("addresses.id")),
    sa.Column("note", sa.String(200)),
)

ROWS: dict[str, list[dict[str, Any]]] = {
    "customers": [{"id": 1, "email": "client@example.fr"}, {"id": 2, "email": "autre@example.fr"}],
    "employees": [{"id": 1, "email": "salarie@example.fr"}],
    "addresses": [
        {"id": 10, "customer_id": 1, "employee_id": None, "street": "1 rue du Client"},
        {"id": 11, "customer_id": None, "employee_id": 1, "street": "2 rue du Salarié"},
        {"id": 12, "customer_id": 2, "employee_id": None, "street": "3 rue de l'Autre"},
    ],
    "deliveries": [
        {"id": 100, "address_id": 10, "note": "digicode 1234"},
        {"id": 101, "address_id": 11, "note": "sonner deux fois"},
        {"id": 102, "address_id": 12, "note": "laisser au gardien"},
    ],
}


def register(subject: str | list[str]) -> Register:
    store = DataStore.model_validate(
        {
            "url_env": "SHOP_DATABASE_URL",
            "tables": {
                "customers": {
                    "subject": "account_holder",
                    "identity": {"email": "email"},
                    "columns": {"email": "contact"},
                },
                "employees": {
                    "subject": "manager",
                    "identity": {"email": "email"},
                    "columns": {"email": "contact"},
                },
                "addresses": {
                    "subject": subject,
                    "references": {
                        "customer": "customer_id -> customers",
                        "employee": "employee_id -> employees",
                    },
                    "columns": {"street": "contact"},
                },
                "deliveries": {
                    "references": {"address": "address_id -> addresses"},
                    "columns": {"note": "content"},
                },
            },
        }
    )
    return dm_register().model_copy(update={"stores": {"shop": store}})


@pytest.fixture(scope="module", params=BACKENDS)
def shop_engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    with scratch_database(server_url(request.param), "registre_subj") as url:
        engine = sa.create_engine(url)
        shop.create_all(engine)
        with engine.begin() as connection:
            for table in shop.sorted_tables:
                connection.execute(table.insert(), ROWS[table.name])
        try:
            yield engine
        finally:
            engine.dispose()


def found_keys(engine: sa.Engine, reg: Register, email: str) -> dict[str, set[Any]]:
    found = Finder(reg, {"shop": engine}).find({"email": email})
    return {rows.table: set(rows.rows) for rows in found if rows.count}


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("client@example.fr", {"customers": {1}, "addresses": {10}, "deliveries": {100}}),
        ("salarie@example.fr", {"employees": {1}, "addresses": {11}, "deliveries": {101}}),
    ],
)
def test_a_table_about_two_kinds_of_people_gives_each_their_rows(
    shop_engine: sa.Engine, email: str, expected: dict[str, set[int]]
) -> None:
    assert found_keys(shop_engine, register(["account_holder", "manager"]), email) == expected


def test_declared_about_one_kind_the_other_kind_loses_its_rows(shop_engine: sa.Engine) -> None:
    """Why the list exists: with one subject, the employee's address is not theirs to find."""
    found = found_keys(shop_engine, register("account_holder"), "salarie@example.fr")
    assert found == {"employees": {1}}


def test_an_unknown_kind_in_the_list_is_a_problem_at_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = "        subject: [account_holder, customerz]"
    text = (DM / "register.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "      account_holders:\n        subject: account_holder\n",
        f"      account_holders:\n{listed}\n",
        1,
    )
    path = tmp_path / "register.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["registre", "check", str(path)])
    with pytest.raises(SystemExit) as exit_:
        main()
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert exit_.value.code != 0 and "Traceback" not in out
    assert "is about 'customerz', which is not a declared data subject category" in out
    line = text.splitlines().index(listed) + 1
    assert f"register.yaml:{line}:" in out
