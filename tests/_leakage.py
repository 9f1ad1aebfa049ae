"""Where a person's identities are left after their requests: only where the docs say.

A person asks for a copy of their data, then for its erasure; the copy's retention passes and
``registre request purge-exports`` runs; then the retention of closed requests' records
(``rights.closed_requests_kept``) passes, and it runs again. Each time, everything registre
wrote is scanned for their email (in any case), their phone (E.164 and the national forms) and
their name: every text column of every table of the state database, the standard output and
error of every command run, and every file of the output folder (inside ZIPs too). Each place
it is found must be one that docs/enforcement.md ("What registre writes") lists as holding it.

The commands run on the device-management example, whose store is SQLite, PostgreSQL or
MariaDB; the state is a SQLite file or a PostgreSQL database. With a SQLite store and state they
run as real processes (the installed ``registre`` command); with the others through
``registre.cli.main`` in the test's process, its file descriptors 1 and 2 captured (``capfd``),
so whatever any part of registre prints, by any route, is scanned all the same, without paying
each command's start-up a dozen times per case. The audit trail is scanned twice: as the state
stores it, and as ``registre audit log --json`` shows it. The database URLs carry a password
(PostgreSQL's local trust accepts any), which must appear nowhere either.

The cases are split by store (tests/test_leakage_*_store.py) so that pytest-xdist, which sends a
whole file to one worker, runs them on both cores; this module holds what they share.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from _support import cli_exit_code, server_url
from registre.testing import throwaway_database
from test_requests_fixtures import DM, dm_database

AT = "2026-11-01"
LATER = "2027-11-01"
"""A year later: past the export's retention."""
PROVEN = "2031-11-02"
"""Five years and a day later: past the retention of closed requests' records
(``rights.closed_requests_kept``)."""

ON_SCREEN = {
    # a command's answer about a request (--json) is the request as `request show` gives it,
    # its requester included: on the operator's screen, not in a file registre keeps
    "stdout:open",
    "stdout:verify",
    "stdout:execute",
}
"""Where the person's identities are left once the records of their requests are past their
retention: only on the operator's screen, at the time."""

DOCUMENTED = {
    # the record of a closed request names the requester until rights.closed_requests_kept
    "state:registre_request.identity",
    *ON_SCREEN,
}
"""The places documented as holding the person's identities after an access, an erasure and
the purge of the access's package (docs/enforcement.md, "What registre writes")."""


def needles(email: str, phone: str, first: str, last: str) -> dict[str, list[str]]:
    """The forms each identity can take, lower-cased: the scan ignores case."""
    digits = re.sub(r"\D", "", phone)
    # "+33 (0)1 83 29 04 04" keeps the trunk zero after the country code
    national = (digits[2:] if phone.startswith("+33") else digits).removeprefix("0")
    pairs = [national[i : i + 2] for i in range(1, len(national), 2)]
    phones = [
        f"+33{national}",
        f"0{national}",
        "0" + national[0] + " " + " ".join(pairs),
        "0" + national[0] + "." + ".".join(pairs),
        phone,
    ]
    return {
        "email": [email.lower()],
        "phone": sorted({p.lower() for p in phones}),
        "name": [f"{first} {last}".lower(), f"{last} {first}".lower()],
    }


def found_in(text: str, forms: list[str]) -> bool:
    spaced = text.replace("\xa0", " ").replace("\u202f", " ").lower()
    return any(form in spaced for form in forms)


def _text(value: Any) -> str | None:
    """A stored value as text to scan: JSON columns (dicts on PostgreSQL) as their JSON."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value if isinstance(value, str) else None


def state_hits(state: str, forms: list[str]) -> set[str]:
    """``state:table.column`` of every text column of every table holding a form."""
    hits = set()
    engine = sa.create_engine(state)
    try:
        tables = sa.MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            for table in tables.sorted_tables:
                for row in connection.execute(table.select()):
                    for column, value in zip(table.columns.keys(), row, strict=True):
                        text = _text(value)
                        if text is not None and found_in(text, forms):
                            hits.add(f"state:{table.name}.{column}")
    finally:
        engine.dispose()
    return hits


def folder_hits(out: Path, forms: list[str]) -> set[str]:
    """``out:NAME`` of every file (``out:ZIP/MEMBER`` in a package) holding a form."""
    hits = set()
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    if found_in(archive.read(member).decode("utf-8", "replace"), forms):
                        hits.add(f"out:{path.name}/{member}")
        elif found_in(path.read_bytes().decode("utf-8", "replace"), forms):
            hits.add(f"out:{path.name}")
    return hits


class Run:
    """The ``registre request`` commands of a person's requests, their output kept.

    Each command runs as a process of ``cli`` or, when ``cli`` is None, through
    ``registre.cli.main`` in this process, with the same environment, its output read from
    file descriptors 1 and 2 (``capfd``).
    """

    def __init__(
        self,
        cli: str | None,
        data_url: str,
        state: str,
        tmp: Path,
        capfd: pytest.CaptureFixture[str] | None = None,
    ) -> None:
        self.cli = cli
        self.capfd = capfd
        self.state = state
        self.out = tmp / "requests"
        self.env = {
            **os.environ,
            "REGISTRE_REGISTER": str(DM / "register.yaml"),
            "PARCMOBILE_DATABASE_URL": data_url,
            "REGISTRE_STATE_URL": state,
        }
        self.outputs: list[tuple[str, str, str]] = []
        """(command, stdout, stderr) of every run."""

    def __call__(self, command: str, *args: str, at: str = AT) -> Any:
        arguments = ["request", command, *args, "--at", at, "--out", str(self.out), "--json"]
        stdout, stderr = self.registre(*arguments)
        self.outputs.append((command, stdout, stderr))
        return json.loads(stdout)

    def audit_log(self) -> None:
        """``registre audit log --json``: the trail as an auditor reads it, scanned too."""
        stdout, stderr = self.registre("audit", "log", "--json")
        # one JSON object a line; the trail has entries, so the scan reads something
        assert [json.loads(line) for line in stdout.splitlines()]
        self.outputs.append(("audit-log", stdout, stderr))

    def registre(self, *arguments: str) -> tuple[str, str]:
        """``registre ARGUMENTS``, which must succeed: what it printed on stdout and stderr."""
        if self.cli is not None:
            child = subprocess.run(
                [self.cli, *arguments],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert child.returncode == 0, (child.stdout, child.stderr)
            return child.stdout, child.stderr
        assert self.capfd is not None
        from registre.cli import main

        self.capfd.readouterr()
        saved_argv, saved_environ = sys.argv, dict(os.environ)
        sys.argv = ["registre", *arguments]
        os.environ.clear()
        os.environ.update(self.env)
        try:
            main()
            code = 0
        except SystemExit as exited:
            code = cli_exit_code(exited)
        finally:
            sys.argv = saved_argv
            os.environ.clear()
            os.environ.update(saved_environ)
        printed = self.capfd.readouterr()
        assert code == 0, (printed.out, printed.err)
        return printed.out, printed.err

    def hits(self, forms: list[str]) -> set[str]:
        """Everywhere a form is: the state, the output folder, every command's output."""
        self.audit_log()
        stored = state_hits(self.state, forms) | folder_hits(self.out, forms)
        return stored | self.output_hits(forms)

    def output_hits(self, forms: list[str]) -> set[str]:
        hits = set()
        for command, stdout, stderr in self.outputs:
            hits |= {f"stdout:{command}"} if found_in(stdout, forms) else set()
            hits |= {f"stderr:{command}"} if found_in(stderr, forms) else set()
        return hits


SECRET = "Le4kagePW"
"""The password in the PostgreSQL URLs (the test server trusts local connections, whatever
the password): printed or stored anywhere, it is a leak as well."""


def _with_password(url: str) -> str:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.set(password=SECRET).render_as_string(hide_password=False)


@contextmanager
def _state(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.sqlite'}"
        return
    with throwaway_database(server_url(backend), "leakage_state") as url:
        yield url


@contextmanager
def person_run(
    setup: tuple[str, str],
    registre_cli: str,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> Iterator[Run]:
    """The commands of a person's requests on a store and a state of their own: ``setup`` is
    (the store's database, the state's). A SQLite store and state: real processes; the others,
    ``registre.cli.main`` in this process."""
    store, state = setup
    by_process = setup == ("sqlite", "sqlite")
    with dm_database(server_url(store)) as engine, _state(state, tmp_path) as state_url:
        data_url = _with_password(engine.url.render_as_string(hide_password=False))
        yield Run(
            registre_cli if by_process else None,
            data_url,
            _with_password(state_url),
            tmp_path,
            None if by_process else capfd,
        )


def setup_ids(setups: list[tuple[str, str]]) -> list[str]:
    return [f"{store}-store-{state}-state" for store, state in setups]


def after_access_erasure_and_purge_the_person_is_only_where_documented(run: Run) -> None:
    engine = sa.create_engine(run.env["PARCMOBILE_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            email, phone, first, last = connection.execute(
                sa.text(
                    "SELECT email, phone, first_name, last_name FROM account_holders "
                    "WHERE email IS NOT NULL AND phone IS NOT NULL ORDER BY id LIMIT 1 OFFSET 2"
                )
            ).one()
    finally:
        engine.dispose()
    identities = needles(email, phone, first, last)
    forms = [form for group in identities.values() for form in group]

    # written in another case than the database's: the matcher finds it, the scan too
    asked = email.upper()
    access = run("open", "access", "--email", asked)
    run("verify", access["id"], "--method", "reply from the account's address")
    copy = run("execute", access["id"])
    # the scan can fail: the copy holds each of the person's identities, until it is purged
    for group in identities.values():
        assert f"out:{Path(copy['result']['export']).name}/data.json" in folder_hits(run.out, group)

    erasure = run("open", "erasure", "--email", asked)
    run("verify", erasure["id"], "--method", "reply from the account's address")
    run("execute", erasure["id"], "--yes")
    purged = run("purge-exports", at=LATER)
    assert purged["deleted"] == [copy["result"]["export"]]

    hits = run.hits(forms)
    assert hits <= DOCUMENTED, sorted(hits - DOCUMENTED)
    assert "state:registre_request.identity" in hits  # the scan finds what is there
    assert "stdout:open" in hits  # and reads what the commands printed, however they ran

    forgotten = run("purge-exports", at=PROVEN)
    assert sorted(forgotten["pseudonymized"]) == sorted([access["id"], erasure["id"]])
    hits = run.hits(forms)
    assert hits <= ON_SCREEN, sorted(hits - ON_SCREEN)
    assert run("purge-exports", at=PROVEN)["pseudonymized"] == []  # once only
    assert run.hits([SECRET.lower()]) == set()


FORWARDED = {
    "state:registre_request.identity",
    "stdout:open",
    "stdout:verify",
    "stdout:execute",
    # what was sent to the client, who needs the email to find the person: kept as the proof
    # of what was forwarded, for as long as the request's record (rights.closed_requests_kept)
    "out:forward-fr.html",
    "out:forward.json",
}
"""The places documented as holding a person whose erasure went to a client (a console
manager: their account is the client's to erase)."""


def a_forwarded_erasure_leaves_the_person_only_where_documented(run: Run) -> None:
    engine = sa.create_engine(run.env["PARCMOBILE_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            email = connection.execute(
                sa.text("SELECT email FROM managers WHERE email IS NOT NULL ORDER BY id LIMIT 1")
            ).scalar_one()
    finally:
        engine.dispose()
    forms = [email.lower()]
    erasure = run("open", "erasure", "--email", email)
    run("verify", erasure["id"], "--method", "reply from the account's address")
    done = run("execute", erasure["id"], "--yes")
    assert done["result"]["forwarded"]["forward_letters"]  # it did go to the client
    run("purge-exports", at=LATER)

    hits = run.hits(forms)
    assert hits <= FORWARDED, sorted(hits - FORWARDED)
    assert {"out:forward-fr.html", "out:forward.json"} <= hits  # the scan finds what is there
    assert "stdout:open" in hits  # and reads what the commands printed, however they ran

    forgotten = run("purge-exports", at=PROVEN)
    assert forgotten["pseudonymized"] == [erasure["id"]]
    assert sorted(Path(p).name for p in forgotten["forward_files"]) == [
        "forward-fr.html",
        "forward.json",
    ]
    hits = run.hits(forms)
    assert hits <= ON_SCREEN, sorted(hits - ON_SCREEN)
    assert run.hits([SECRET.lower()]) == set()
