"""The ``registre request`` commands, end to end on the device-management example (SQLite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import registre.cli.requests  # noqa: F401  (registers the commands)
from registre._exceptions import RequestError
from registre.cli import app
from registre.requests import has_objected, is_restricted
from registre.requests.export import write_export
from registre.requests.find import Finder
from registre.requests.store import export_table
from registre.state import open_state
from test_requests_fixtures import DM, dm_register, email_of, first_value, load_dm


@pytest.fixture(scope="module")
def data_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dm') / 'dm.db'}"
    load_dm(url)
    return url


@pytest.fixture
def cli(data_url: str, tmp_path: Path) -> Iterator[Any]:
    """Run a request command; return its parsed JSON output (with --json) or its text."""
    env = {
        "REGISTRE_REGISTER": str(DM / "register.yaml"),
        "PARCMOBILE_DATABASE_URL": data_url,
        "REGISTRE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
    }
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> Any:
        # the questions of the host application write nothing: they take no --out
        writes = args[0] not in ("is-restricted", "has-objected")
        out = ["--out", str(tmp_path / "out")] if writes else []
        result = runner.invoke(app, ["request", *args, *out], env=env)
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        text = result.output.strip()
        return json.loads(text) if "--json" in args and ok else result

    run.env = env  # type: ignore[attr-defined]
    run.out = tmp_path / "out"  # type: ignore[attr-defined]
    yield run


def opened(cli: Any, kind: str, *args: str) -> str:
    request = cli("open", kind, *args, "--json")
    assert request["state"] == "received"
    cli("verify", request["id"], "--method", "reply from the account's address")
    return str(request["id"])


def test_access_gives_a_zip_with_json_csv_and_the_letter(cli: Any, data_url: str) -> None:
    request_id = opened(cli, "access", "--email", email_of(data_url, "account_holders", 2))
    done = cli("execute", request_id, "--json")
    assert done["state"] == "done"
    with zipfile.ZipFile(done["result"]["export"]) as archive:
        names = set(archive.namelist())
        data = json.loads(archive.read("data.json"))
        letter = archive.read("letter.html").decode()
    assert {"data.json", "letter.html", "accounts.csv", "invoices.csv"} <= names
    assert len(data["tables"]["invoices"]["rows"]) == done["result"]["found"]["console"]["invoices"]
    for words in (
        "Finalité",
        "Base légale",
        "Destinataires",
        "Durée de conservation",
        "Origine des données",
        "Transferts hors de l’Union européenne",
        "Décision automatisée",
        "réclamation",
        "CNIL",
    ):
        assert words in letter
    assert "account_holders" not in letter and "payment_methods" not in letter  # no raw ids
    history = cli("show", request_id, "--json")["history"]
    assert [e["action"] for e in history] == ["open", "verify", "execute"]


def test_portability_exports_only_provided_data_on_consent_or_contract(
    cli: Any, data_url: str
) -> None:
    request_id = opened(cli, "portability", "--email", email_of(data_url, "account_holders", 2))
    done = cli("execute", request_id, "--json")
    with zipfile.ZipFile(done["result"]["export"]) as archive:
        tables = json.loads(archive.read("data.json"))["tables"]
    # invoices are kept under a legal obligation: not portable
    assert "invoices" not in tables and "payment_methods" in tables
    assert tables["accounts"]["columns"] == ["id", "billing_address", "accounting_email"]


def test_a_person_found_nowhere_completes_and_says_so(cli: Any) -> None:
    request_id = opened(cli, "erasure", "--email", "personne@nulle-part.fr")
    done = cli("execute", request_id, "--yes", "--json")
    assert done["state"] == "done" and done["result"]["nothing_found"] is True
    letter = Path(done["result"]["letter"]).read_text(encoding="utf-8")
    assert "nous ne détenons aucune donnée vous concernant" in letter
    # nothing of it went to a client: no client can instruct it
    alone = cli("instruct", request_id, "--reference", "ticket 1", ok=False).exception
    assert isinstance(alone, RequestError) and "answered by us alone" in alone.message


def client_of(url: str, email: str, table: str = "directory_users") -> tuple[str, str, str]:
    """The company name, SIREN and accounting email of the client whose ``table`` (its
    directory, or its shared contacts) holds the person."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(  # type: ignore[return-value]
                connection.execute(
                    sa.text(
                        "SELECT a.company_name, a.siren, a.accounting_email FROM accounts a "
                        f"JOIN {table} u ON u.account_id = a.id WHERE u.email = :e"
                    ),
                    {"e": email},
                ).one()
            )
    finally:
        engine.dispose()


def contact_email(url: str, offset: int = 0, *, last: bool = False) -> str:
    """The email of a shared contact who is nobody else: everything we hold about them is held
    for the client (seed 003, section C), so a request about them is forwarded whole. A device
    user is not such a person: their devices' technical data and web history are ours (B)."""
    return str(
        first_value(
            url,
            "SELECT c.email FROM shared_contacts c WHERE c.email IS NOT NULL "
            "AND c.email NOT IN (SELECT email FROM managers) "
            "AND c.email NOT IN (SELECT email FROM account_holders) "
            "AND c.email NOT IN (SELECT email FROM directory_users WHERE email IS NOT NULL) "
            f"ORDER BY c.id {'DESC' if last else ''} LIMIT 1 OFFSET {offset}",
        )
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_data_held_as_a_processor_is_forwarded_to_its_named_controller(
    cli: Any, data_url: str, lang: str
) -> None:
    email = contact_email(data_url, 4)
    company, siren, contact = client_of(data_url, email, "shared_contacts")
    request = cli("open", "erasure", "--email", email, "--lang", lang, "--json")
    cli("verify", request["id"], "--method", "reply from the account's address")
    done = cli("execute", request["id"], "--yes", "--json")
    assert done["state"] == "forwarded" and done["result"]["controllers"] == [company]
    assert contact_email(data_url, 4) == email  # nothing erased
    to_controller = Path(done["result"]["forward_letter"]).read_text(encoding="utf-8")
    to_person = Path(done["result"]["letter"]).read_text(encoding="utf-8")
    # the controller is named, with what the data holds to reach it, and spoken to
    for words in (company, siren, contact, email):
        assert words in to_controller
    for words in ("Données vous concernant", "Data about you", "Vous-même", "duquel"):
        assert words not in to_controller
    # to the client in the register's language (French), whatever the person wrote in
    assert Path(done["result"]["forward_letter"]).name == "forward-fr.html"
    assert "Origine des données" in to_controller and "Vous, notre client" in to_controller
    assert "Source of the data" not in to_controller
    # the person is told which controller their request went to, in their language
    assert (
        company in to_person
        and ("responsable du traitement" if lang == "fr" else "controller") in to_person
    )


def processed_rows(url: str, email: str) -> dict[str, set[int]]:
    """The keys of a directory user's rows, computed here: the user, devices and their history.

    Of these, the seed (003) makes the devices' technical data and the web history ours (its
    section B) and the directory entry and the geolocation the client's (C, D): see
    :data:`CLIENTS_TABLES`."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            users = {
                r[0]
                for r in connection.execute(
                    sa.text("SELECT id FROM directory_users WHERE email = :e"), {"e": email}
                )
            }
            devices = {
                r[0]
                for r in connection.execute(
                    sa.select(sa.column("id"))
                    .select_from(sa.table("devices"))
                    .where(sa.column("user_id").in_(users))
                )
            }
            history = {
                table: {
                    r[0]
                    for r in connection.execute(
                        sa.select(sa.column("id"))
                        .select_from(sa.table(table))
                        .where(sa.column("device_id").in_(devices))
                    )
                }
                for table in ("geolocation_points", "web_history")
            }
    finally:
        engine.dispose()
    return {"directory_users": users, "devices": devices, **history}


CLIENTS_TABLES = ("directory_users", "geolocation_points")
"""A device user's tables held only for the client; devices and web_history are ours."""


@pytest.mark.parametrize("kind", ["access", "portability"])
def test_an_access_request_forwarded_to_the_controller_carries_its_data(
    cli: Any, data_url: str, kind: str
) -> None:
    email = next(
        e
        for offset in range(40)
        if processed_rows(data_url, e := email_of(data_url, "directory_users", offset))[
            "geolocation_points"
        ]
    )
    company, _, _ = client_of(data_url, email)
    expected = processed_rows(data_url, email)
    request_id = opened(cli, kind, "--email", email)
    done = cli("execute", request_id, "--json")
    # answered by us for the devices and the web history, forwarded for the rest
    assert done["state"] == "done"
    forwarded = done["result"]["forwarded"]
    (package,) = forwarded["forward_data"]
    assert Path(package).name == "forward-data.zip"
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        data = json.loads(archive.read("data.json"))
    with zipfile.ZipFile(done["result"]["export"]) as archive:
        ours = json.loads(archive.read("data.json"))["tables"]
    assert data["request"]["controller"]["name"] == company
    tables = data["tables"]
    if kind == "access":
        assert {"data.json", "geolocation_points.csv", "directory_users.csv"} <= names
        assert {t: {row["id"] for row in tables[t]["rows"]} for t in tables} == {
            t: keys for t, keys in expected.items() if keys and t in CLIENTS_TABLES
        }
        assert any(email in json.dumps(row) for row in tables["directory_users"]["rows"])
        # the person's own copy holds the rest, and nothing of the client's
        assert {t: {row["id"] for row in ours[t]["rows"]} for t in ours} == {
            t: keys for t, keys in expected.items() if keys and t not in CLIENTS_TABLES
        }
    else:  # what the person provided or their use of the device shows, on consent or contract
        assert set(tables) == {"geolocation_points"}
        assert {row["id"] for row in tables["geolocation_points"]["rows"]} == expected[
            "geolocation_points"
        ]
        assert ours == {}  # ours rests on legitimate interests: not portable (Art. 20(1)(a))
    letter = Path(forwarded["forward_letter"]).read_text(encoding="utf-8")
    assert "forward-data.zip" in letter and "lisible par machine" in letter
    assert "vous trouverez ces données jointes à ce courrier" in letter
    assert "indiquez-nous les opérations" not in letter  # nothing to do with the data
    summary = json.loads(Path(forwarded["forward_summary"]).read_text(encoding="utf-8"))
    assert summary["data"] == ["forward-data.zip"]

    # recorded and audited like the person's own package, then purged with the letters
    with open_state(cli.env["REGISTRE_STATE_URL"]) as state:
        created = [e for e in state.audit.entries() if e.action == "request.export.created"]
        with state.engine.connect() as connection:
            recorded = connection.execute(sa.select(export_table.c.path)).scalars().all()
    both = sorted([done["result"]["export"], package])
    assert sorted(e.details["path"] for e in created) == both == sorted(recorded)
    (to_client,) = (e for e in created if e.details.get("for_controller") is not None)
    assert to_client.details["path"] == package
    purged = cli("purge-exports", "--at", "2099-01-01", "--json")
    assert sorted(purged["deleted"]) == both
    assert forwarded["forward_letter"] in purged["letters"]
    assert not Path(package).exists() and not Path(forwarded["forward_summary"]).exists()


def test_each_client_gets_only_its_own_rows_of_a_person_in_two_directories(
    tmp_path: Path,
) -> None:
    from registre.requests import RequestDesk

    url = f"sqlite:///{tmp_path / 'dm.db'}"
    load_dm(url)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:  # the same person, employed by two clients
            email, first = connection.execute(
                sa.text("SELECT email, account_id FROM directory_users ORDER BY id LIMIT 1")
            ).one()
            second = connection.execute(
                sa.text("SELECT id FROM accounts WHERE id <> :a ORDER BY id LIMIT 1"),
                {"a": first},
            ).scalar_one()
            connection.execute(
                sa.text(
                    "INSERT INTO directory_users (id, account_id, email, name, created_at) "
                    "VALUES (99998, :account, :email, 'Camille Martin', '2026-01-05')"
                ),
                {"account": second, "email": email},
            )
            clients = {
                key: (name, siren)
                for key, name, siren in connection.execute(
                    sa.text("SELECT id, company_name, siren FROM accounts WHERE id IN (:a, :b)"),
                    {"a": first, "b": second},
                )
            }
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(dm_register(), state, {"console": engine}, out_dir=tmp_path)
            request = desk.open("access", {"email": email})
            desk.verify(request.id, method="reply from the account's address")
            done = desk.execute(request.id)
    finally:
        engine.dispose()
    # the first directory user has devices, whose technical data is ours: answered for that
    # part, the directory entries forwarded, each to its client
    assert done.state.value == "done"
    forwarded = done.result["forwarded"]
    packages_sent = [Path(p) for p in forwarded["forward_data"]]
    assert [p.name for p in packages_sent] == ["forward-data-1.zip", "forward-data-2.zip"]
    users = {}
    for package, letter in zip(packages_sent, forwarded["forward_letters"], strict=True):
        with zipfile.ZipFile(package) as archive:
            data = json.loads(archive.read("data.json"))
        client = data["request"]["controller"]
        users[client["tenant"]] = {row["id"] for row in data["tables"]["directory_users"]["rows"]}
        name, siren = clients[client["tenant"]]
        assert client["name"] == name
        text = Path(letter).read_text(encoding="utf-8")
        assert name in text and siren in text and package.name in text
        (other,) = (s for t, (_, s) in clients.items() if t != client["tenant"])
        assert other not in text  # the other client's registration number
    assert users[second] == {99998} and 99998 not in users[first] and users[first]


def test_the_cli_says_who_the_request_went_to_and_what_it_was_sent(cli: Any, data_url: str) -> None:
    email = contact_email(data_url, 3)
    company, _, _ = client_of(data_url, email, "shared_contacts")
    request_id = opened(cli, "access", "--email", email)
    text = cli("execute", request_id).output
    folder = cli.out / request_id
    assert f"{request_id}: forwarded" in text
    assert f"forwarded to {company}" in text
    assert f"letter to the controller: {folder / 'forward-fr.html'}" in text
    assert f"data for the controller: {folder / 'forward-data.zip'}" in text


def test_a_controller_instructs_us_to_carry_out_a_forwarded_erasure(
    cli: Any, data_url: str
) -> None:
    engine = sa.create_engine(data_url)
    try:
        with engine.connect() as connection:  # the last contact: no other test's offset shifts
            before = connection.execute(sa.text("SELECT count(*) FROM shared_contacts"))
            contacts = before.scalar_one()
    finally:
        engine.dispose()
    email = contact_email(data_url, last=True)
    request_id = opened(cli, "erasure", "--email", email)
    assert cli("execute", request_id, "--yes", "--json")["state"] == "forwarded"
    missing = cli("instruct", request_id, ok=False)
    assert missing.exit_code == 2 and "--reference" in missing.output

    text = cli("instruct", request_id, "--reference", "ticket 4521 from the client").output
    assert f"{request_id}: in_progress, on the controller's instruction" in text
    assert cli("show", request_id, "--json")["options"]["instruction"]["reference"] == (
        "ticket 4521 from the client"
    )
    done = cli("execute", request_id, "--yes", "--json")
    assert done["state"] == "done"
    assert Path(done["result"]["letter"]).name == "instruction-fr.html"
    engine = sa.create_engine(data_url)
    try:
        with engine.connect() as connection:
            left = connection.execute(
                sa.text("SELECT count(*) FROM shared_contacts WHERE email = :e"), {"e": email}
            ).scalar_one()
            after = connection.execute(sa.text("SELECT count(*) FROM shared_contacts"))
            others = after.scalar_one()
    finally:
        engine.dispose()
    assert left == 0 and others == contacts - 1
    history = [e["action"] for e in cli("show", request_id, "--json")["history"]]
    assert history == ["open", "verify", "forward", "instruct", "execute"]
    again = cli("instruct", request_id, "--reference", "again", ok=False).exception
    assert isinstance(again, RequestError) and "already carried out on the instruction" in (
        again.message
    )


def test_a_forwarded_erasure_carries_no_data(cli: Any, data_url: str) -> None:
    request = cli("open", "erasure", "--email", contact_email(data_url, 5), "--json")
    forwarded = cli("forward", request["id"], "--json")
    assert forwarded["result"]["forward_data"] == []
    letter = Path(forwarded["result"]["forward_letter"]).read_text(encoding="utf-8")
    assert ".zip" not in letter and "indiquez-nous les opérations à effectuer" in letter
    assert not list(Path(forwarded["result"]["forward_letter"]).parent.glob("*.zip"))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("account_holders", "only data we control"),
        (None, "no data at all about this person"),
    ],
)
def test_a_request_about_no_data_held_as_a_processor_is_not_forwarded(
    cli: Any, data_url: str, table: str | None, message: str
) -> None:
    email = email_of(data_url, table, 8) if table else "personne@nulle-part.fr"
    request = cli("open", "access", "--email", email, "--json")
    refused = cli("forward", request["id"], ok=False).exception
    assert isinstance(refused, RequestError) and message in refused.message
    assert "answer it yourself" in (refused.hint or "") and "execute" in (refused.hint or "")
    assert cli("show", request["id"], "--json")["state"] == "received"
    assert not (Path(cli.env["REGISTRE_STATE_URL"][10:]).parent / "out" / request["id"]).exists()


def test_a_request_about_processed_data_is_forwarded(cli: Any, data_url: str) -> None:
    request = cli("open", "erasure", "--email", contact_email(data_url, 6), "--json")
    forwarded = cli("forward", request["id"], "--json")
    assert forwarded["state"] == "forwarded" and forwarded["result"]["rows"]


def test_a_device_users_request_is_not_forwarded_whole(cli: Any, data_url: str) -> None:
    """Seed 003, section B: we control the devices' technical data and the web history; a
    request about a device user is ours to answer for that part."""
    email = next(
        e
        for offset in range(40)
        if processed_rows(data_url, e := email_of(data_url, "directory_users", offset))[
            "web_history"
        ]
    )
    request = cli("open", "erasure", "--email", email, "--json")
    refused = cli("forward", request["id"], ok=False).exception
    assert isinstance(refused, RequestError)
    assert "also about data we control" in refused.message
    assert "devices, web_history" in refused.message
    assert cli("show", request["id"], "--json")["state"] == "received"


def test_a_request_also_about_our_data_is_executed_not_forwarded(tmp_path: Path) -> None:
    from registre.requests import RequestDesk

    url = f"sqlite:///{tmp_path / 'dm.db'}"
    load_dm(url)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:  # a manager who is also in the client's directory
            email, account = connection.execute(
                sa.text("SELECT email, account_id FROM managers ORDER BY id LIMIT 1")
            ).one()
            connection.execute(
                sa.text(
                    "INSERT INTO directory_users (id, account_id, email, name, created_at) "
                    "VALUES (99999, :account, :email, 'Camille Martin', '2026-01-05')"
                ),
                {"account": account, "email": email},
            )
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(dm_register(), state, {"console": engine}, out_dir=tmp_path)
            request = desk.open("access", {"email": email})
            with pytest.raises(RequestError, match="also about data we control"):
                desk.forward(request.id)
            desk.verify(request.id, method="reply from the account's address")
            done = desk.execute(request.id)
    finally:
        engine.dispose()
    assert done.state.value == "done" and done.result["forwarded"]["rows"]
    # the person gets our data; the client gets its own, and only its own
    with zipfile.ZipFile(done.result["export"]) as archive:
        ours = set(json.loads(archive.read("data.json"))["tables"])
    (package,) = done.result["forwarded"]["forward_data"]
    with zipfile.ZipFile(package) as archive:
        theirs = json.loads(archive.read("data.json"))["tables"]
    assert "managers" in ours and "directory_users" not in ours
    assert [row["id"] for row in theirs["directory_users"]["rows"]] == [99999]
    assert "managers" not in theirs
    company = done.result["forwarded"]["controllers"][0]
    assert company in Path(done.result["letter"]).read_text(encoding="utf-8")
    assert company in Path(done.result["forwarded"]["forward_letter"]).read_text(encoding="utf-8")


def test_refusal_gives_the_reason_and_the_right_to_complain(cli: Any) -> None:
    request = cli("open", "access", "--email", "a@b.fr", "--json")
    cli("verify", request["id"], "--method", "reply from the account's address")
    refused = cli("refuse", request["id"], "--reason", "demande manifestement excessive", "--json")
    letter = Path(refused["result"]["letter"]).read_text(encoding="utf-8")
    assert refused["state"] == "refused"
    assert "demande manifestement excessive" in letter and "réclamation" in letter


def test_a_refusal_of_an_unverified_request_keeps_its_reason_in_the_trail(cli: Any) -> None:
    # the reason may mention earlier requests or data: whoever sent an unverified request
    # learns the ground only (Art. 12(4)); the evidence stays in the audit trail
    request = cli("open", "access", "--email", "a@b.fr", "--json")
    refused = cli("refuse", request["id"], "--reason", "trois demandes en une semaine", "--json")
    letter = Path(refused["result"]["letter"]).read_text(encoding="utf-8")
    assert refused["state"] == "refused" and "réclamation" in letter
    assert "trois demandes" not in letter


def test_extension_during_the_first_period_only(cli: Any) -> None:
    request = cli("open", "access", "--email", "a@b.fr", "--received", "2026-01-31", "--json")
    assert request["due"] == "2026-02-28"  # one calendar month
    late = cli("extend", request["id"], "--reason", "complexe", "--at", "2026-03-03", ok=False)
    assert late.exit_code != 0
    extended = cli(
        "extend", request["id"], "--reason", "demande complexe", "--at", "2026-02-10", "--json"
    )
    assert extended["due"] == "2026-04-30" and extended["extended"] is True
    letter = (cli.out / request["id"] / "extension-fr.html").read_text(encoding="utf-8")
    assert "Prolongation du délai de réponse à votre demande d’accès" in letter
    assert "demande complexe.</p>" in letter  # with its full stop


def test_dates_are_shown_in_the_policy_time_zone(cli: Any) -> None:
    # 00:30 in Paris on 1 November is still 31 October in UTC
    request = cli("open", "access", "--email", "a@b.fr", "--received", "2026-11-01T00:30", "--json")
    received = datetime.fromisoformat(cli("show", request["id"], "--json")["received_at"])
    assert received == datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    refused = cli("refuse", request["id"], "--reason", "demande en double", "--json")
    letter = Path(refused["result"]["letter"]).read_text(encoding="utf-8")
    assert "votre demande du 1er\u00a0novembre 2026" in letter and "31\u00a0octobre" not in letter
    listed = cli("list", "--at", "2026-11-02").output
    assert "2026-11-01" in listed and "2026-10-31" not in listed


def test_list_puts_late_requests_first(cli: Any) -> None:
    new = cli("open", "access", "--email", "c@d.fr", "--received", "2026-03-01", "--json")
    old = cli("open", "access", "--email", "a@b.fr", "--received", "2026-01-05", "--json")
    soon = cli("open", "access", "--email", "e@f.fr", "--received", "2026-02-12", "--json")
    output = cli("list", "--at", "2026-03-10", "--json", ok=False).output
    listed = json.loads(output)
    assert [(r["id"], r["status"]) for r in listed] == [
        (old["id"], "late"),
        (soon["id"], "due_soon"),
        (new["id"], "on_time"),
    ]


def test_rectification_everywhere_the_value_is_copied(cli: Any, data_url: str) -> None:
    email = email_of(data_url, "managers", 6)
    request_id = opened(
        cli, "rectification", "--email", email, "--set", "email=Nouvelle@Exemple.fr"
    )
    done = cli("execute", request_id, "--json")
    assert [u["table"] for u in done["result"]["updated"]] == ["managers"]
    assert email_of(data_url, "managers", 6) == "nouvelle@exemple.fr"
    invalid = cli("open", "rectification", "--email", email, "--set", "phone=12", ok=False)
    assert invalid.exit_code != 0


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (("rectification", "--set", "foo=bar"), "no mapped table has the field foo", "last_name"),
        (("access", "--id", "foo=1"), "identifies people by foo", "customer_id"),
        (("access", "--received", "2099-01-01"), "later than now", "--received"),
        (("access", "--set", "email=x@y.fr"), "changes no value", "--set"),
        # an erasure may name activities (a withdrawal of consent), an access may not
        (("access", "--activity", "invoicing"), "does not name activities", "--activity"),
    ],
)
def test_bad_input_is_refused_when_the_request_is_opened(
    cli: Any, args: tuple[str, ...], message: str, hint: str
) -> None:
    refused = cli("open", *args, "--email", "a@b.fr", ok=False).exception
    assert isinstance(refused, RequestError) and message in refused.message
    assert hint in (refused.hint or "")
    assert json.loads(cli("list", "--json", ok=False).output) == []  # nothing recorded


def test_restriction_and_objection_are_asked_through_the_library(cli: Any, data_url: str) -> None:
    email = email_of(data_url, "managers", 8)
    restricted = opened(cli, "restriction", "--email", email)
    cli("execute", restricted, "--json")
    objected = opened(cli, "objection", "--email", email)
    cli("execute", objected, "--json")
    with open_state(cli.env["REGISTRE_STATE_URL"]) as state:
        assert is_restricted(state, email.upper())
        assert not is_restricted(state, "someone@else.fr")
        assert has_objected(state, {"email": email}, "account_security")
        assert not has_objected(state, {"email": email}, "invoicing")


def phone_of(url: str, email: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return str(
                connection.execute(
                    sa.text("SELECT phone FROM account_holders WHERE email = :e"), {"e": email}
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_a_restriction_answers_for_every_identity_of_the_person(cli: Any, data_url: str) -> None:
    email = email_of(data_url, "account_holders", 6)
    phone = phone_of(data_url, email)  # in the person's row, not given with the request
    request_id = opened(cli, "restriction", "--email", email)
    cli("execute", request_id, "--json")
    with open_state(cli.env["REGISTRE_STATE_URL"]) as state:
        assert is_restricted(state, {"phone": phone}) and is_restricted(state, phone)
        assert is_restricted(state, {"email": email}, activity="payments")
    # the CLI answers scripts by its exit code: 0 yes, 1 no, 2 on an error
    assert cli("is-restricted", "--phone", phone, ok=False).exit_code == 0
    assert cli("is-restricted", "--email", "someone@else.fr", ok=False).exit_code == 1
    assert cli("is-restricted", "--email", "not-an-email", ok=False).exit_code == 2
    unknown = cli("is-restricted", "--email", email, "--activity", "nope", ok=False)
    assert unknown.exit_code == 2
    answer = cli("is-restricted", "--email", email, "--json", ok=False)
    assert json.loads(answer.output) == {"activity": None, "restricted": True}
    # lifted (Art. 18(3)): the person is told first, and the lift is audited
    lifted = cli("lift", request_id, "--reason", "l'exactitude des données est vérifiée", "--json")
    letter = Path(lifted["result"]["lift_letter"]).read_text(encoding="utf-8")
    assert "cette limitation est levée" in letter and "l’exactitude des données" in letter
    assert cli("is-restricted", "--phone", phone, ok=False).exit_code == 1
    assert lifted["closed_at"] == cli("show", request_id, "--json")["closed_at"]
    assert cli("lift", request_id, "--reason", "encore", ok=False).exit_code == 1
    with open_state(cli.env["REGISTRE_STATE_URL"]) as state:
        assert not is_restricted(state, {"email": email})
        actions = [e.action for e in state.audit.entries() if e.request_id == request_id]
    assert actions[-1] == "request.restriction.lifted"


def test_a_restriction_may_concern_some_activities_only(cli: Any, data_url: str) -> None:
    email = email_of(data_url, "account_holders", 7)
    request_id = opened(cli, "restriction", "--email", email, "--activity", "payments")
    cli("execute", request_id, "--json")
    with open_state(cli.env["REGISTRE_STATE_URL"]) as state:
        assert is_restricted(state, email, activity="payments") and is_restricted(state, email)
        assert not is_restricted(state, email, activity="invoicing")
    assert cli("is-restricted", "--email", email, "--activity", "invoicing", ok=False).exit_code


@pytest.mark.parametrize(
    ("table", "objected", "words"),
    [
        # a manager's account is secured on legitimate interests: they may object to that
        (
            "managers",
            ["account_security"],
            "ne sont plus traitées pour «\u00a0Sécurité des comptes",
        ),
        # an account holder's data rests on a contract and a legal obligation: nothing to object to
        (
            "account_holders",
            [],
            "le droit d’opposition (article 21 du RGPD) ne s’y applique pas",
        ),
    ],
)
def test_an_objection_without_activity_concerns_the_person_own_processing(
    cli: Any, data_url: str, table: str, objected: list[str], words: str
) -> None:
    email = email_of(data_url, table, 9 if table == "account_holders" else 10)
    done = cli("execute", opened(cli, "objection", "--email", email), "--json")
    assert done["result"]["activities"] == objected
    with open_state(cli.env["REGISTRE_STATE_URL"]) as state:
        assert has_objected(state, email, "account_security") is bool(objected)
    assert words in Path(done["result"]["letter"]).read_text(encoding="utf-8")


def test_an_objection_to_an_activity_that_allows_none_is_refused(cli: Any) -> None:
    refused = cli("open", "objection", "--email", "a@b.fr", "--activity", "invoicing", ok=False)
    assert isinstance(refused.exception, RequestError)
    assert "no one can object to invoicing" in refused.exception.message


def test_has_objected_answers_scripts_by_its_exit_code(cli: Any, data_url: str) -> None:
    email = email_of(data_url, "managers", 9)
    request_id = opened(cli, "objection", "--email", email, "--activity", "account_security")
    cli("execute", request_id, "--json")
    asked = ("has-objected", "--email", email.upper(), "--activity")
    assert cli(*asked, "account_security", ok=False).exit_code == 0
    assert cli(*asked, "invoicing", ok=False).exit_code == 1
    assert cli(*asked, "no_such_activity", ok=False).exit_code == 2
    answer = cli(*asked, "account_security", "--json", ok=False)
    assert json.loads(answer.output) == {"activity": "account_security", "objected": True}


def test_exports_are_deleted_after_their_retention_and_it_is_audited(
    cli: Any, data_url: str
) -> None:
    request_id = opened(cli, "access", "--email", email_of(data_url, "managers", 1))
    path = Path(cli("execute", request_id, "--json")["result"]["export"])
    assert cli("purge-exports", "--json")["deleted"] == [] and path.exists()
    later = cli("purge-exports", "--at", "2099-01-01", "--json")
    assert later["deleted"] == [str(path)] and not path.exists()
    with open_state(cli.env["REGISTRE_STATE_URL"]) as state:
        actions = [e.action for e in state.audit.entries(action_prefix="request.")]
    assert actions.index("request.export.created") < actions.index("request.export.deleted")


def test_a_purge_from_another_folder_deletes_the_package_and_the_letters_beside_it(
    cli: Any, data_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(app, ["request", *args], env=cli.env)
        assert result.exit_code == 0, (result.output, result.exception)
        return json.loads(result.output) if "--json" in args else result.output

    (tmp_path / "here").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    request = run("open", "access", "--email", email_of(data_url, "managers", 2), "--json")
    run("verify", request["id"], "--method", "reply from the account's address")
    done = run("execute", request["id"], "--json")  # --out is the relative default
    package, letter = Path(done["result"]["export"]), Path(done["result"]["letter"])
    assert package.is_absolute() and package.exists() and letter.exists()
    monkeypatch.chdir(tmp_path / "elsewhere")
    purged = run("purge-exports", "--at", "2099-01-01", "--json")
    assert purged["deleted"] == [str(package)] and purged["letters"] == [str(letter)]
    assert not package.exists() and not letter.exists() and not package.parent.exists()
    assert run("purge-exports", "--at", "2099-01-01", "--json")["deleted"] == []


def test_a_package_gone_from_disk_is_reported_missing_never_deleted(
    cli: Any, data_url: str
) -> None:
    request_id = opened(cli, "access", "--email", email_of(data_url, "managers", 3))
    package = Path(cli("execute", request_id, "--json")["result"]["export"])
    package.unlink()  # removed by hand
    purged = cli("purge-exports", "--at", "2099-01-01", "--json")
    assert purged["deleted"] == [] and purged["missing"] == [str(package)]
    assert cli("purge-exports", "--at", "2099-01-01", "--json")["missing"] == []  # once
    text = cli("purge-exports", "--at", "2099-01-01").output
    assert "0 export package(s) deleted" in text
    with open_state(cli.env["REGISTRE_STATE_URL"]) as state:
        actions = [e.action for e in state.audit.entries() if e.request_id == request_id]
    assert "request.export.missing" in actions and "request.export.deleted" not in actions


def test_a_relative_path_not_found_from_here_is_left_for_a_later_purge(
    cli: Any, data_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_id = opened(cli, "access", "--email", email_of(data_url, "managers", 4))
    package = Path(cli("execute", request_id, "--json")["result"]["export"])
    relative = Path("registre-requests") / request_id / package.name
    then = tmp_path / "then"  # the folder execute ran in, with the package under it
    (then / relative).parent.mkdir(parents=True)
    package.rename(then / relative)
    with open_state(cli.env["REGISTRE_STATE_URL"]) as state, state.engine.begin() as connection:
        # as earlier versions recorded it: relative to the folder execute ran in
        connection.execute(export_table.update().values(path=str(relative)))
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # nothing changes from one run to the next
        result = cli("purge-exports", "--at", "2099-01-01", ok=False)
        assert result.exit_code == 1 and "not found from this folder" in result.output
        assert (then / relative).exists()
    monkeypatch.chdir(then)
    purged = cli("purge-exports", "--at", "2099-01-01", "--json")
    assert purged["deleted"] == [str(then / relative)] and not (then / relative).exists()


def test_history_and_closing_are_dated_at_the_desk_instant(cli: Any) -> None:
    request = cli("open", "access", "--email", "a@b.fr", "--at", "2026-01-10T09:00", "--json")
    cli("verify", request["id"], "--method", "email reply", "--at", "2026-01-12T10:00")
    cli("refuse", request["id"], "--reason", "doublon", "--at", "2026-01-20T11:00")
    shown = cli("show", request["id"], "--json")
    assert shown["closed_at"] == "2026-01-20T10:00:00+00:00"  # 11:00 in Paris
    history = shown["history"]
    assert [(e["action"], e["at"]) for e in history] == [
        ("open", "2026-01-10T08:00:00+00:00"),
        ("verify", "2026-01-12T09:00:00+00:00"),
        ("refuse", "2026-01-20T10:00:00+00:00"),
    ]


def test_export_retention_is_an_option_of_execute(cli: Any, data_url: str) -> None:
    request_id = opened(cli, "access", "--email", email_of(data_url, "managers", 7))
    done = cli(
        "execute", request_id, "--export-retention", "7 days", "--at", "2026-11-01", "--json"
    )
    package = Path(done["result"]["export"])
    expires = datetime.fromisoformat(done["result"]["expires_at"])
    assert expires == datetime(2026, 11, 7, 23, 0, tzinfo=UTC)  # 8 November in Paris
    assert cli("purge-exports", "--at", "2026-11-07", "--json")["deleted"] == []
    assert cli("purge-exports", "--at", "2026-11-08", "--json")["deleted"] == [str(package)]
    wrong = cli("execute", request_id, "--export-retention", "soon", ok=False)
    assert wrong.exit_code == 2 and "is not a duration" in wrong.output


def test_an_export_kept_a_month_expires_on_the_same_day_of_the_next_calendar_month(
    cli: Any, data_url: str
) -> None:
    request = cli(
        "open",
        "access",
        "--email",
        email_of(data_url, "managers", 8),
        "--at",
        "2027-01-31",
        "--json",
    )
    cli("verify", request["id"], "--method", "reply", "--at", "2027-01-31")
    done = cli(
        "execute", request["id"], "--export-retention", "1 month", "--at", "2027-01-31", "--json"
    )
    # midnight in Paris on 31 January, kept until midnight in Paris on 28 February
    assert done["result"]["expires_at"] == "2027-02-27T23:00:00+00:00"


def test_the_same_data_gives_the_same_bytes(data_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(data_url)
    try:
        finder = Finder(dm_register(), {"console": engine})
        found = finder.find({"email": email_of(data_url, "account_holders", 3)})
        header = {"request": "r-1"}
        first = write_export(
            tmp_path / "a.zip", dm_register(), finder, found, portability=False, header=header
        )
        second = write_export(
            tmp_path / "b.zip", dm_register(), finder, found, portability=False, header=header
        )
    finally:
        engine.dispose()
    assert first.sha256 == second.sha256 and first.rows == found.total


def test_errors_reach_the_user_as_messages_not_tracebacks(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REGISTRE_REGISTER": str(DM / "register.yaml"),
        "REGISTRE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from registre.cli import main; main()",
            "request",
            "open",
            "access",
            "--email",
            "pas-une-adresse",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert "is not an email address" in result.stderr and "Traceback" not in result.stderr


def test_a_doubtful_identity_waits_and_the_period_restarts(cli: Any) -> None:
    request = cli("open", "access", "--email", "a@b.fr", "--received", "2026-01-10", "--json")
    waiting = cli(
        "verify",
        request["id"],
        "--method",
        "email reply",
        "--doubt",
        "copy of an identity document asked",
        "--at",
        "2026-01-12",
        "--json",
    )
    assert waiting["state"] == "identity_to_verify" and waiting["due"] == "2026-02-10"
    verified = cli(
        "verify",
        request["id"],
        "--method",
        "identity document received",
        "--at",
        "2026-01-20",
        "--json",
    )
    assert verified["state"] == "in_progress" and verified["due"] == "2026-02-20"


def test_letters_in_english(cli: Any, data_url: str) -> None:
    email = email_of(data_url, "account_holders", 5)
    request = cli("open", "access", "--email", email, "--lang", "en", "--json")
    cli("verify", request["id"], "--method", "reply from the account's address")
    letter = Path(cli("execute", request["id"], "--json")["result"]["letter"]).read_text()
    for words in (
        "Answer to your access request",
        "Purpose",
        "Legal basis",
        "Recipients",
        "Retention",
        "Source of the data",
        "Transfers outside the EU",
        "lodge a complaint",
    ):
        assert words in letter


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_access_letter_reads_right_in_each_language(cli: Any, data_url: str, lang: str) -> None:
    # a manager: their account's security, and the fleet the client manages (Google, OVH)
    request = cli(
        "open", "access", "--email", email_of(data_url, "managers", 5), "--lang", lang, "--json"
    )
    cli("verify", request["id"], "--method", "reply from the account's address")
    letter = Path(cli("execute", request["id"], "--json")["result"]["letter"]).read_text()
    # company names keep their capital inside a list of recipients
    assert "Google LLC" in letter and "google LLC" not in letter
    assert ("et OVH SAS" if lang == "fr" else "and OVH SAS") in letter
    # the transfer's legal reference in the letter's language
    assert (
        "Décision d’exécution (UE) 2021/914" in letter
        if lang == "fr"
        else (
            "Commission Implementing Decision (EU) 2021/914" in letter and "Décision" not in letter
        )
    )
    # retention only for the kinds of data the manager has
    for other in (
        ("Contacts partagés", "Utilisateurs") if lang == "fr" else ("Shared contacts", "Users (")
    ):
        assert other not in letter
    # « duquel » agreed with « l’entreprise », or rather not needed
    assert "duquel" not in letter and "on whose behalf" not in letter


def test_the_erasure_letter_names_what_is_kept_once(tmp_path: Path) -> None:
    from registre.requests import RequestDesk

    url = f"sqlite:///{tmp_path / 'dm.db'}"
    load_dm(url)
    engine = sa.create_engine(url)
    try:
        email = email_of(url, "account_holders", 3)  # invoices kept for 10 years
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(dm_register(), state, {"console": engine}, out_dir=tmp_path)
            request = desk.open("erasure", {"email": email})
            desk.verify(request.id, method="reply from the account's address")
            done = desk.execute(request.id)
    finally:
        engine.dispose()
    letter = Path(done.result["letter"]).read_text(encoding="utf-8")
    kept = letter[letter.index("Données conservées") :]
    kept = kept[: kept.index("</ul>")]
    assert "Factures" in kept and kept.count("Factures") == 1, kept
    assert "obligation légale\u202f:" in kept


def test_an_objection_to_direct_marketing_applies_at_once(data_url: str, tmp_path: Path) -> None:
    from registre.requests import RequestDesk

    register = dm_register()
    marketing = register.activities["account_security"].model_copy(
        update={"direct_marketing": True}
    )
    register = register.model_copy(
        update={"activities": {**register.activities, "account_security": marketing}}
    )
    engine = sa.create_engine(data_url)
    try:
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(register, state, {"console": engine}, out_dir=tmp_path)
            request = desk.open("objection", {"email": "prospect@exemple.fr"})
            # not verified yet: direct marketing stops anyway (Art. 21(3))
            assert request.state.value == "received"
            assert has_objected(state, "prospect@exemple.fr", "account_security")
            assert request.options["activities"] == ["account_security"]
    finally:
        engine.dispose()
