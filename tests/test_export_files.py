"""What registre writes about people: files only their owner reads, no package that nothing
records, and ZIP members that stay inside the archive whatever a table is named.

The request commands run as real processes (``registre request ...``) on the device-management
example, on SQLite, PostgreSQL and MariaDB; the state is a SQLite file beside them.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registre.register.mapping import DataStore
from registre.requests.legend import file_names
from registre.requests.pending_files import PendingFile
from registre.requests.service import RequestDesk
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import (
    ANCHOR,
    BACKENDS,
    CRM_STORE,
    DM,
    dm_database,
    dm_register,
    email_of,
    load_crm,
    server_url,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class Desk:
    """``registre request`` as a person at a terminal runs it, with a umask of 022."""

    def __init__(self, cli: str, data_url: str, tmp: Path) -> None:
        self.cli = cli
        self.state = tmp / "private" / "state.sqlite"
        self.state.parent.mkdir()
        self.out = tmp / "requests"
        self.env = {
            **os.environ,
            "REGISTRE_REGISTER": str(DM / "register.yaml"),
            "PARCMOBILE_DATABASE_URL": data_url,
            "REGISTRE_STATE_URL": f"sqlite:///{self.state}",
        }

    def args(self, *args: str) -> list[str]:
        return [self.cli, "request", *args, "--out", str(self.out)]

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.args(*args),
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            umask=0o022,
        )

    def __call__(self, *args: str) -> Any:
        child = self.start(*args, "--json")
        stdout, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, (stdout, stderr)
        return json.loads(stdout)

    def verified(self, email: str) -> str:
        request_id = str(self("open", "access", "--email", email)["id"])
        self("verify", request_id, "--method", "reply from the account's address")
        return request_id


@pytest.fixture(params=BACKENDS)
def desk(request: pytest.FixtureRequest, registre_cli: str, tmp_path: Path) -> Iterator[Desk]:
    with dm_database(server_url(request.param)) as engine:
        yield Desk(registre_cli, engine.url.render_as_string(hide_password=False), tmp_path)


def test_an_access_writes_files_only_their_owner_reads(desk: Desk) -> None:
    request_id = desk.verified(email_of(desk.env["PARCMOBILE_DATABASE_URL"], "account_holders"))
    done = desk("execute", request_id)
    package, letter = Path(done["result"]["export"]), Path(done["result"]["letter"])
    assert package.parent == letter.parent == desk.out / request_id
    # created with a umask of 022, which would have given 0644 files and 0755 folders
    assert {p.name: mode(p) for p in (package, letter, desk.state)} == {
        package.name: 0o600,
        letter.name: 0o600,
        desk.state.name: 0o600,
    }
    assert mode(desk.out) == mode(package.parent) == 0o700
    # the folder holding the state was the user's: registre left its mode as it was
    assert mode(desk.state.parent) == 0o755
    assert not list(package.parent.glob(".*.part"))


def _write_lock(state: Path) -> sqlite3.Connection:
    """The state's writers' lock, taken: a request then waits at the commit that records it."""
    connection = sqlite3.connect(state, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    return connection


def test_a_package_killed_before_it_is_recorded_is_left_as_an_orphan_that_purge_deletes(
    desk: Desk,
) -> None:
    request_id = desk.verified(email_of(desk.env["PARCMOBILE_DATABASE_URL"], "account_holders", 1))
    folder = desk.out / request_id
    lock = _write_lock(desk.state)
    try:
        child = desk.start("execute", request_id, "--json")
        # the letter is written after the package, right before the transaction recording both
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            if list(folder.glob(".access-*.html.*.part")):
                break
            time.sleep(0.02)
        assert child.poll() is None, child.communicate()  # it was waiting for the state's lock
        child.send_signal(signal.SIGKILL)
        child.communicate()
    finally:
        lock.rollback()
        lock.close()
    pending = sorted(folder.glob(".access-*.part"))
    assert [p.name.split(".")[2] for p in pending] == ["html", "zip"]
    assert all(p.stat().st_size > 0 for p in pending)
    # neither the package nor the letter under its name, unrecorded
    assert sorted(p.name for p in folder.iterdir()) == [p.name for p in pending]
    assert desk("show", request_id)["state"] == "in_progress"

    purged = desk("purge-exports")
    assert purged["orphans"] == [str(p) for p in pending] and purged["deleted"] == []
    assert list(folder.iterdir()) == []

    # executed again, it is recorded; a purge then leaves it, as it is not past its retention
    done = desk("execute", request_id)
    assert Path(done["result"]["export"]) == folder / f"access-{request_id}.zip"
    assert desk("purge-exports")["orphans"] == []
    assert (folder / f"access-{request_id}.zip").is_file()


def test_of_two_executions_at_once_the_loser_leaves_no_file(desk: Desk) -> None:
    request_id = desk.verified(email_of(desk.env["PARCMOBILE_DATABASE_URL"], "account_holders", 3))
    folder = desk.out / request_id
    lock = _write_lock(desk.state)
    try:
        children = [desk.start("execute", request_id, "--json") for _ in range(2)]
        # both wait at the commit, their packages written in full under temporary names
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and all(c.poll() is None for c in children):
            pending = list(folder.glob(".access-*.zip.*.part"))
            if len(pending) == 2 and all(zipfile.is_zipfile(p) for p in pending):
                break
            time.sleep(0.02)
        assert all(c.poll() is None for c in children), [c.communicate() for c in children]
    finally:
        lock.rollback()
        lock.close()
    outputs = [c.communicate(timeout=120) for c in children]
    codes = sorted(c.returncode for c in children)
    assert codes[0] == 0 and codes[1] != 0, outputs
    loser = next(err for c, (_, err) in zip(children, outputs, strict=True) if c.returncode)
    assert "changed while this command ran" in loser and "Traceback" not in loser
    package = folder / f"access-{request_id}.zip"
    # the winner's package and letter, nothing of the loser's
    assert sorted(p.name for p in folder.iterdir()) == sorted([package.name, "access-fr.html"])
    shown = desk("show", request_id)
    assert shown["result"]["sha256"] == hashlib.sha256(package.read_bytes()).hexdigest()


@pytest.mark.parametrize("desk", ["sqlite"], indirect=True)
def test_purge_settles_a_recorded_package_and_deletes_only_what_registre_wrote(
    desk: Desk,
) -> None:
    request_id = desk.verified(email_of(desk.env["PARCMOBILE_DATABASE_URL"], "account_holders", 2))
    done = desk("execute", request_id)
    package = Path(done["result"]["export"])
    folder = package.parent
    # killed between the commit and the rename: the recorded package under its temporary name
    recorded = package.read_bytes()
    package.rename(folder / f".{package.name}.0123456789abcdef.part")
    letter = Path(done["result"]["letter"])
    answer = letter.read_bytes()
    letter.rename(folder / f".{letter.name}.fedcba9876543210.part")
    # a letter of a killed run, never recorded
    (folder / ".refusal-fr.html.00000000000000ff.part").write_text("refused?")
    # a kill under an earlier version: an empty package that nothing records
    (folder / "forward-data.zip").write_bytes(b"")
    # files registre never writes, or not in this folder
    kept = [folder / "notes.txt", folder / "access-someone-else.zip"]
    stranger = desk.out / "not-a-request" / f"access-{request_id}.zip"
    stranger.parent.mkdir()
    for path in (*kept, stranger):
        path.write_text("not ours")
    # a package another process is writing right now
    writing = PendingFile(folder / "forward-data-2.zip")
    try:
        writing.path.write_bytes(b"half a zip")
        purged = desk("purge-exports")
        assert writing.path.read_bytes() == b"half a zip"
    finally:
        writing.discard()
    assert purged["settled"] == [str(letter), str(package)]
    assert purged["orphans"] == [
        str(folder / ".refusal-fr.html.00000000000000ff.part"),
        str(folder / "forward-data.zip"),
    ]
    assert package.read_bytes() == recorded and letter.read_bytes() == answer
    assert all(path.read_text() == "not ours" for path in (*kept, stranger))
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [package.name, letter.name, *(p.name for p in kept)]
    )
    # the folder moved since (another disk): its packages are still recorded ones, not orphans
    moved = desk.out.with_name("moved")
    desk.out.rename(moved)
    desk.out = moved
    assert desk("purge-exports")["orphans"] == []
    assert (moved / request_id / package.name).read_bytes() == recorded


# -- a table's name is not a file's -------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "file"),
    [
        ("accounts", "accounts"),
        ("élèves", "élèves"),
        ("order.items", "order.items"),
        ("../../x", "x-9cdf6a50"),
        ("/etc/passwd", "etc_passwd-74acf318"),
        ("a\\b", "a_b-c62016d0"),
        ("x\x00y", "x_y-ce3890a8"),
        ("..", "table-5ec1f7e7"),
        ("con", "con-1143da2b"),
        (".hidden", "hidden-16924190"),
        ("é" * 300, "é" * 40 + "-7250b666"),
    ],
)
def test_a_table_gets_a_readable_safe_file_name(table: str, file: str) -> None:
    assert file_names([table]) == {table: file}


def test_tables_never_share_a_file_not_even_by_case() -> None:
    names = file_names(["a_b", "a/b", "a\\b", "Users", "users"])
    assert names["a_b"] == "a_b"  # a plain name stays as it is
    assert len({n.casefold() for n in names.values()}) == 5
    assert all(n.startswith(("a_b-", "Users-", "users-")) for t, n in names.items() if t != "a_b")


@pytest.fixture(params=BACKENDS)
def crm_with_a_hostile_table(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """The CRM, with the person's orders also kept in a table named ``../../x``."""
    hostile = sa.Table(
        "../../x",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer),
        sa.Column("note", sa.String(200)),
    )
    with scratch_database(server_url(request.param), "registre_rq") as url:
        load_crm(url)
        engine = sa.create_engine(url)
        hostile.create(engine)
        with engine.begin() as connection:
            connection.execute(hostile.insert(), [{"id": 1, "person_id": 1, "note": "x"}])
        try:
            yield engine
        finally:
            engine.dispose()


def test_a_table_named_dot_dot_slash_gives_a_member_inside_the_archive(
    crm_with_a_hostile_table: sa.Engine, tmp_path: Path
) -> None:
    tables = {
        **CRM_STORE["tables"],  # type: ignore[dict-item]
        "../../x": {
            "subject": "account_holder",
            "references": {"person": "person_id -> people"},
            "columns": {"note": "content"},
        },
    }
    store = DataStore.model_validate({**CRM_STORE, "tables": tables})
    register = dm_register().model_copy(update={"stores": {"crm": store}})
    with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
        desk = RequestDesk(
            register, state, {"crm": crm_with_a_hostile_table}, out_dir=tmp_path / "out", now=ANCHOR
        )
        request = desk.open("access", {"email": "person1@example.fr"})
        desk.verify(request.id, method="reply from the account's address")
        done = desk.execute(request.id)
    with zipfile.ZipFile(done.result["export"]) as archive:
        names = archive.namelist()
        data = json.loads(archive.read("data.json"))
        legend = archive.read("LISEZMOI.txt").decode("utf-8")
    assert "x-9cdf6a50.csv" in names
    assert {"people.csv", "orders.csv"} <= set(names)
    for name in names:
        assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert data["tables"]["../../x"]["rows"] == [{"id": 1, "person_id": 1, "note": "x"}]
    # the legend names the table a file holds when the file cannot bear its name
    spaced = legend.replace("\u202f", " ").replace("\xa0", " ")
    assert "x-9cdf6a50.csv (table « ../../x ») : 1 ligne." in spaced
    assert "people.csv (table" not in spaced
    extracted = tmp_path / "extracted"
    with zipfile.ZipFile(done.result["export"]) as archive:
        archive.extractall(extracted)
    assert sorted(p.name for p in extracted.iterdir()) == sorted(names)


def test_a_package_dropped_unrecorded_leaves_no_file(tmp_path: Path) -> None:
    """An error between writing a package and the transaction recording it: no file stays."""
    final = tmp_path / "r-1" / "access-r-1.zip"
    dropped = PendingFile(final)
    dropped.path.write_bytes(b"a package")
    assert mode(dropped.path) == 0o600 and mode(final.parent) == 0o700
    del dropped
    gc.collect()
    assert list(final.parent.iterdir()) == []
    kept = PendingFile(final)
    kept.path.write_bytes(b"a package")
    kept.put_in_place()
    del kept
    gc.collect()
    assert [p.name for p in final.parent.iterdir()] == [final.name]
