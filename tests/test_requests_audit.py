"""The audit trail of requests: every change to the data follows its committed entry; an access
request commits the state database once per step and its entries prove the package given;
a failed closing leaves no package behind; a person with many rows is held compactly.
"""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from registre.register.model import Register
from registre.requests import RequestDesk
from registre.requests.find import Finder
from registre.requests.store import export_table
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import (  # noqa: F401  (fixtures are used by name)
    crm_register,
    dm_register,
    fresh_server,
    load_crm,
    load_dm,
)

# entries written before a change to the organization's data
CHANGES = ("request.erasure.delete", "request.erasure.anonymize", "request.rectification.update")


def _last_committed_change(state_url: str) -> dict[str, Any] | None:
    """The latest committed entry announcing a change, read on a connection of its own."""
    engine = sa.create_engine(state_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                sa.text(
                    "SELECT action, details FROM registre_audit_entry "
                    "WHERE action IN ('request.erasure.delete', 'request.erasure.anonymize', "
                    "'request.rectification.update') ORDER BY seq DESC LIMIT 1"
                )
            ).first()
    finally:
        engine.dispose()
    return None if row is None else {"action": row.action, **json.loads(row.details)}


def _person(kind: str) -> tuple[Register, str, str, dict[str, str], dict[str, Any]]:
    """register, store id, loader, identity and options of each case."""
    if kind == "crm erasure":
        return crm_register(), "crm", "crm", {"email": "person1@example.fr"}, {}
    if kind == "crm rectification":
        changes = {"changes": {"email": "alice@example.org"}}
        return crm_register(), "crm", "crm", {"email": "person1@example.fr"}, changes
    return dm_register(), "console", "dm", {}, {}


@pytest.mark.parametrize("kind", ["crm erasure", "crm rectification", "dm erasure"])
def test_every_change_to_the_data_follows_its_committed_audit_entry(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
    kind: str,
) -> None:
    register, store, loader, identity, options = _person(kind)
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    seen: list[tuple[str, dict[str, Any] | None]] = []
    with scratch_database(fresh_server, "registre_rq") as url:
        (load_crm if loader == "crm" else load_dm)(url)
        engine = sa.create_engine(url)
        if not identity:
            with engine.connect() as connection:
                email = connection.execute(
                    sa.text("SELECT email FROM account_holders ORDER BY id LIMIT 1 OFFSET 2")
                ).scalar_one()
            identity = {"email": email}

        @event.listens_for(engine, "before_cursor_execute")
        def announced(_c: Any, _cur: Any, _s: str, _p: Any, context: Any, _many: bool) -> None:
            if context.isupdate or context.isdelete:
                table = context.compiled.statement.table.name
                seen.append((table, _last_committed_change(state_url)))

        try:
            with open_state(state_url) as state:
                desk = RequestDesk(register, state, {store: engine}, out_dir=tmp_path)
                request_kind = kind.split()[1]
                request = desk.open(request_kind, identity, options=options)
                desk.verify(request.id, method="identity document")
                done = desk.execute(request.id)
                problems = state.audit.verify()
        finally:
            engine.dispose()
    assert done.state.value == "done" and problems == []
    assert seen, "the request changed nothing: the case tests nothing"
    for table, entry in seen:
        assert entry is not None and entry["table"] == table, (table, entry)


def test_an_access_request_commits_once_per_step_and_its_entries_prove_the_package(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    load_crm(url)
    engine = sa.create_engine(url)
    commits: list[str] = []
    try:
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            event.listen(state.engine, "commit", lambda _c: commits.append("commit"))
            desk = RequestDesk(crm_register(), state, {"crm": engine}, out_dir=tmp_path)
            request = desk.open("access", {"email": "person1@example.fr"})
            desk.verify(request.id, method="reply from the account's address")
            done = desk.execute(request.id)
            entries = [e for e in state.audit.entries() if e.request_id == request.id]
            problems = state.audit.verify()
            with state.engine.connect() as connection:
                recorded = connection.execute(sa.select(export_table.c.sha256)).scalar_one()
    finally:
        engine.dispose()
    package = Path(done.result["export"])
    digest = hashlib.sha256(package.read_bytes()).hexdigest()
    assert len(commits) == 3  # open, verify, execute: each with its audit entries
    assert [e.action for e in entries] == [
        "request.opened",
        "request.identity.verified",
        "request.execute",
        "request.export.created",
    ]
    assert entries[-1].details["sha256"] == digest == recorded == done.result["sha256"]
    assert problems == []


def test_a_failed_closing_leaves_no_unrecorded_package(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    load_crm(url)
    engine = sa.create_engine(url)

    def refuse_the_record(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO registre_export"):
            raise RuntimeError("the state database went away")

    try:
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(crm_register(), state, {"crm": engine}, out_dir=tmp_path)
            request = desk.open("access", {"email": "person1@example.fr"})
            desk.verify(request.id, method="reply from the account's address")
            event.listen(state.engine, "before_cursor_execute", refuse_the_record)
            with pytest.raises(RuntimeError):
                desk.execute(request.id)
            event.remove(state.engine, "before_cursor_execute", refuse_the_record)
            after = desk.get(request.id)
            actions = [e.action for e in state.audit.entries() if e.request_id == request.id]
            problems = state.audit.verify()
    finally:
        engine.dispose()
    assert list((tmp_path / request.id).glob("*.zip")) == []
    assert after.state.value == "in_progress"
    assert actions == ["request.opened", "request.identity.verified"]
    assert problems == []


def test_a_person_with_many_rows_is_held_in_under_200_bytes_a_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dm.db'}"
    load_dm(url)
    engine = sa.create_engine(url)
    lines = 20_000
    try:
        logs = sa.Table("dashboard_logs", sa.MetaData(), autoload_with=engine)
        with engine.begin() as connection:
            manager_id, account_id, email = connection.execute(
                sa.text("SELECT id, account_id, email FROM managers ORDER BY id LIMIT 1")
            ).one()
            connection.execute(
                logs.insert(),
                [
                    {
                        "account_id": account_id,
                        "manager_id": manager_id,
                        "action": "device.locate",
                        "target": f"device {n}",
                        "ip": "10.0.0.1",
                        "created_at": datetime(2026, 10, 1),
                    }
                    for n in range(lines)
                ],
            )
        finder = Finder(dm_register(), {"console": engine})
        finder.find({"email": "nobody@example.fr"})  # reflection, outside the measure
        tracemalloc.start()
        try:
            found = finder.find({"email": email})
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        engine.dispose()
    assert found.total > lines
    assert held / found.total < 200, held / found.total
