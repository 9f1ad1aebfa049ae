"""``registre request list``, ``show`` and ``purge-exports``: the requests as recorded, read
with or without a register, and the export packages past their retention."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from registre.cli.application import err, out
from registre.cli.options import AsJson, At, RegisterOpt, StateUrl, Url, parse_instant
from registre.cli.request_desk import OutDir, open_desk, request_app

StateRegisterOpt = Annotated[
    Path | None,
    typer.Option(
        "--register",
        envvar="REGISTRE_REGISTER",
        show_default=False,
        help="The register.yaml (or folder), whose time zone counts the days and beside "
        "which the state is found; without one, the state named by --state-url or "
        "REGISTRE_STATE_URL is read and days are counted in UTC.",
    ),
]


@contextmanager
def _reading(
    register_path: Path | None,
    url: str | None,
    at: str | None,
    state_url: str | None,
    out_dir: Path,
) -> Iterator[_Reader]:
    """The requests as read by a command that changes nothing, with or without a register."""
    if register_path is not None:
        with open_desk(
            register_path, url, at, state_url, out_dir, stores=False, create=False
        ) as desk:
            yield _Reader(desk.state, desk.tz, desk.now())
        return
    from registre.state import locate_state, open_state

    state = open_state(locate_state(state_url), create=False)
    try:
        utc = ZoneInfo("UTC")
        now = parse_instant(at, utc) or datetime.now(utc)
        yield _Reader(state, utc, now)
    finally:
        state.close()


class _Reader:
    """What ``request list`` and ``request show`` read: the state, and the day it is."""

    def __init__(self, state: Any, tz: ZoneInfo, now: datetime) -> None:
        self.state = state
        self.tz = tz
        self.now = now

    def list(self) -> list[Any]:
        """Every request, late first, then by due date (as the request desk lists them)."""
        from registre.requests import lifecycle, store
        from registre.requests.service import Listed

        today = lifecycle.start_day(self.now, self.tz)
        listed = []
        for request in store.all_requests(self.state.engine):
            deadline = lifecycle.Deadline(
                request.starts, request.first_due, request.due, request.extended
            )
            listed.append(Listed(request, deadline.status(today, request.state)))
        order = {"late": 0, "due_soon": 1, "on_time": 2, "closed": 3}
        return sorted(listed, key=lambda x: (order[x.status], x.request.due, x.request.id))

    def get(self, request_id: str) -> Any:
        from registre.requests import store

        return store.get(self.state.engine, request_id)

    def history(self, request_id: str) -> builtins.list[dict[str, Any]]:
        from registre.requests import store

        return store.events(self.state.engine, request_id)


@request_app.command("list")
def list_(
    register: StateRegisterOpt = None,
    url: Url = None,
    at: At = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON array of the requests.")
    ] = False,
) -> None:
    """Requests by due date, late first."""
    from registre.durations import local_date

    with _reading(register, url, at, state_url, out_dir) as reader:
        listed = reader.list()
        tz = reader.tz
    if as_json:
        print(json.dumps([item.as_json() for item in listed], sort_keys=True, ensure_ascii=False))
        return
    if not listed:
        out.print("no request recorded")
        return
    table = Table(title_justify="left")
    for name in ("Id", "Kind", "State", "Received", "Due", "Status"):
        table.add_column(name)
    for item in listed:
        r = item.request
        table.add_row(
            r.id,
            r.kind.value,
            r.state.value.replace("_", " "),
            local_date(r.received_at, tz).isoformat(),  # the policy's day, not UTC's
            r.due.isoformat(),
            item.status.replace("_", " "),
        )
    out.print(table)


@request_app.command()
def show(
    request_id: Annotated[str, typer.Argument(help="The request id.")],
    register: StateRegisterOpt = None,
    url: Url = None,
    at: At = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
) -> None:
    """A request, its result and its history."""
    with _reading(register, url, at, state_url, out_dir) as reader:
        request = reader.get(request_id)
        history = reader.history(request_id)
    if as_json:
        print(
            json.dumps(
                {**request.as_json(), "history": history}, sort_keys=True, ensure_ascii=False
            )
        )
        return
    out.print(escape(json.dumps(request.as_json(), indent=2, sort_keys=True, ensure_ascii=False)))
    for event in history:
        out.print(
            escape(
                f"{event['at']}  {event['action']}: {event['from'] or '-'} -> "
                f"{event['to']}  ({event['actor']})"
            )
        )


@request_app.command("purge-exports")
def purge_exports(
    register: RegisterOpt = None,
    url: Url = None,
    at: At = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
) -> None:
    """Delete export packages past their retention, with the letters beside them; audited.

    A package already gone from disk is reported and recorded as missing, never as deleted.
    What an interrupted `request execute` left in the request folders is cleared first: a
    recorded package still under its temporary name is put in place, and a package no request
    records is deleted. Exits 1 when a package recorded with a relative path is not found from
    here.
    """
    from registre.requests import pending_files

    with open_desk(register, url, at, state_url, out_dir, stores=False) as desk:
        cleared = pending_files.clear_interrupted(desk.state.engine, desk.out_dir)
        purged = desk.purge_exports()
    if as_json:
        interrupted = {
            "orphans": [str(p) for p in cleared.orphans],
            "settled": [str(p) for p in cleared.settled],
        }
        print(json.dumps(purged.as_json() | interrupted, sort_keys=True))
    else:
        out.print(
            f"{len(purged.deleted)} export package(s) deleted, "
            f"with {len(purged.letters)} letter(s) beside them"
        )
        for path in cleared.orphans:
            out.print(escape(f"deleted, recorded by no request (an interrupted execute): {path}"))
        for path in cleared.settled:
            out.print(escape(f"recorded package put in place (an interrupted execute): {path}"))
        for path in purged.missing:
            out.print(
                escape(f"already gone from disk, nothing deleted (recorded as missing): {path}")
            )
        for path in purged.not_found:
            out.print(escape(f"not found from this folder, left as it is: {path}"))
    if purged.not_found:
        err.print(
            "    hint: these were recorded relative to the folder `registre request execute` "
            "ran in: run purge-exports from that folder, or pass --out with the folder they "
            "were written to"
        )
        raise typer.Exit(1)
