"""Commands: request (open, verify, execute, extend, refuse, forward, lift, list, show,
purge-exports) and the host application's questions (is-restricted, has-objected)."""

from __future__ import annotations

import builtins
import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from registre._exceptions import RequestError
from registre.cli import app, err, out
from registre.cli.options import StateUrl, Url

request_app = typer.Typer(
    help="Data-subject requests: access, portability, erasure, rectification, restriction, "
    "objection, answered within the legal deadline.",
    no_args_is_help=True,
)
app.add_typer(request_app, name="request")

RegisterOpt = Annotated[
    Path | None,
    typer.Option(
        "--register",
        envvar="REGISTRE_REGISTER",
        show_default=False,
        help="The register.yaml (or folder).",
    ),
]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        show_default=False,
        help="Act as of this instant: YYYY-MM-DD or YYYY-MM-DDTHH:MM, in the policy's "
        "time zone [default: now].",
    ),
]
OutDir = Annotated[
    Path,
    typer.Option("--out", help="Folder for letters and export packages."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _instant(text: str | None, tz: ZoneInfo) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text.strip()) == 10:
            return datetime.combine(date.fromisoformat(text.strip()), time(0), tzinfo=tz)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date; write 2026-11-01 or 2026-11-01T08:30", param_hint="--at"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


@contextmanager
def _desk(
    register_path: Path | None,
    url: str | None,
    at: str | None,
    state_url: str | None,
    out_dir: Path,
    *,
    stores: bool = True,
    export_retention: str | None = None,
    create: bool = True,
) -> Iterator[Any]:
    """The request desk; ``create=False`` for commands that only read: no new state then."""
    from registre.register.loader import load_register
    from registre.requests import RequestDesk
    from registre.state import locate_state, open_state
    from registre.stores.connect import connect

    if register_path is None:
        raise RequestError("which register? pass --register PATH or set REGISTRE_REGISTER")
    register = load_register(register_path)
    if url and len(register.stores) > 1:
        raise RequestError(
            f"--url names one database, and the register has {len(register.stores)} stores",
            hint="set each store's url_env variable instead",
        )
    location = locate_state(state_url, register_path=register_path, register=register)
    engines = {s: connect(register, s, url) for s in register.stores} if stores else {}
    try:
        state = open_state(location, create=create)
    except BaseException:
        for engine in engines.values():
            engine.dispose()
        raise
    try:
        now = _instant(at, ZoneInfo(register.policy.timezone))
        actor = _login()
        options: dict[str, Any] = {}
        if export_retention is not None:
            options["export_retention"] = _duration(export_retention, "--export-retention")
        yield RequestDesk(
            register, state, engines, out_dir=out_dir, now=now, actor=actor, **options
        )
    finally:
        state.close()
        for engine in engines.values():
            engine.dispose()


def _duration(text: str, option: str) -> Any:
    from registre.durations import Duration

    try:
        period = Duration.parse(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None
    if period.is_zero:
        raise typer.BadParameter("an export must be kept long enough to send it", param_hint=option)
    return period


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "registre"


def _print(request: Any, as_json: bool, message: str) -> None:
    if as_json:
        print(json.dumps(request.as_json(), sort_keys=True, ensure_ascii=False))
    else:
        out.print(message)


@request_app.command("open")
def open_(
    kind: Annotated[
        str,
        typer.Argument(
            help="access, portability, erasure, rectification, restriction or objection."
        ),
    ],
    email: Annotated[str | None, typer.Option("--email", help="The person's email.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="The person's phone.")] = None,
    ids: Annotated[
        list[str] | None,
        typer.Option(
            "--id", help="Another identity, KIND=VALUE (tenant=ID narrows to one client)."
        ),
    ] = None,
    changes: Annotated[
        list[str] | None, typer.Option("--set", help="Rectification: FIELD=NEW VALUE.")
    ] = None,
    activities: Annotated[
        list[str] | None,
        typer.Option(
            "--activity",
            help="Objection: an activity objected to [default: those of the person that allow "
            "it]. Restriction: restrict only this activity [default: all processing].",
        ),
    ] = None,
    received: Annotated[
        str | None,
        typer.Option(
            "--received", help="When the request was received, YYYY-MM-DD [default: now]."
        ),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="fr or en [default: the policy's first language].")
    ] = None,
    register: RegisterOpt = None,
    url: Url = None,
    at: At = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
) -> None:
    """Record a new request and print its id."""
    from registre.requests.identity import build_identity
    from registre.requests.rectify import parse_changes

    identity = build_identity(email, phone, ids or [])
    options: dict[str, Any] = {}
    if changes:
        options["changes"] = parse_changes(changes)
    if activities:
        options["activities"] = activities
    if lang not in (None, "fr", "en"):
        raise RequestError(f"{lang!r} is not a language of letters", hint="use fr or en")
    with _desk(register, url, at, state_url, out_dir, stores=False) as desk:
        received_at = _instant(received, desk.tz) if received else None
        request = desk.open(kind, identity, received_at=received_at, lang=lang, options=options)
    if as_json:
        _print(request, True, "")
    else:
        print(request.id)


@request_app.command()
def verify(
    request_id: Annotated[str, typer.Argument(help="The request id.")],
    method: Annotated[str, typer.Option("--method", help="How the identity was proven.")],
    doubt: Annotated[
        str | None,
        typer.Option(
            "--doubt", help="Identity still doubtful: what more was asked; the request waits."
        ),
    ] = None,
    register: RegisterOpt = None,
    url: Url = None,
    at: At = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
) -> None:
    """Record how the requester's identity was checked."""
    with _desk(register, url, at, state_url, out_dir, stores=False) as desk:
        request = desk.verify(request_id, method, doubt=doubt)
    _print(
        request,
        as_json,
        f"{request.id}: {request.state.value.replace('_', ' ')}, due {request.due.isoformat()}",
    )


@request_app.command()
def execute(
    request_id: Annotated[str, typer.Argument(help="The request id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before an erasure.")] = False,
    export_retention: Annotated[
        str,
        typer.Option(
            "--export-retention",
            envvar="REGISTRE_EXPORT_RETENTION",
            help="How long an access or portability package is kept on disk before "
            "`purge-exports` deletes it, such as '30 days' or '2 weeks'.",
        ),
    ] = "30 days",
    register: RegisterOpt = None,
    url: Url = None,
    at: At = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what an erasure would write, and write nothing."),
    ] = False,
) -> None:
    """Carry out a verified request: export, erase, rectify, restrict or record an objection.

    An erasure shows its plan first (tables, rows, columns, methods, what is kept and why) and
    asks, unless --yes; --dry-run shows the plan and stops there.
    """
    with _desk(register, url, at, state_url, out_dir, export_retention=export_retention) as desk:
        request = desk.get(request_id)
        erasure = request.kind.value == "erasure"
        if dry_run and not erasure:
            raise RequestError(
                f"--dry-run shows an erasure's plan, and request {request_id} is "
                f"{request.kind.value}",
                hint="run it without --dry-run",
            )
        if erasure and (dry_run or (not yes and not as_json)):
            from registre.cli.erasure_plan import plan_json, plan_table
            from registre.requests.execution import preview

            plan = preview(desk, request)
            if dry_run and as_json:
                print(json.dumps(plan_json(request_id, plan), sort_keys=True, ensure_ascii=False))
                return
            out.print(plan_table(request_id, plan))
            if dry_run:
                out.print("dry run: nothing was written")
                return
            typer.confirm(f"Erase the data of request {request_id}?", abort=True)
        request = desk.execute(request_id)
    result = request.result or {}
    lines = [f"{request.id}: {request.state.value}"]
    if result.get("nothing_found"):
        lines.append("no data about this person was found; the letter says so")
    for key in ("export", "letter"):
        if result.get(key):
            lines.append(f"{key}: {result[key]}")
    forwarded = result.get("forwarded") or (result if result.get("forward_letter") else None)
    if forwarded:
        lines += _forward_lines(forwarded)
    _print(request, as_json, escape("\n".join(lines)))


def _forward_lines(forwarded: dict[str, Any]) -> list[str]:
    """What went to the controllers: who, the letters, the data packages."""
    names = ", ".join(forwarded.get("controllers") or []) or "the controller"
    lines = [f"data held as a processor: forwarded to {names}"]
    lines += [f"letter to the controller: {p}" for p in forwarded.get("forward_letters", [])]
    lines += [f"data for the controller: {p}" for p in forwarded.get("forward_data", [])]
    return lines


@request_app.command()
def extend(
    request_id: Annotated[str, typer.Argument(help="The request id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why more time is needed.")],
    register: RegisterOpt = None,
    url: Url = None,
    at: At = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
) -> None:
    """Extend the deadline by two months (once, within the first month)."""
    with _desk(register, url, at, state_url, out_dir, stores=False) as desk:
        request = desk.extend(request_id, reason)
    _print(request, as_json, f"{request.id}: now due {request.due.isoformat()}")


class RefusalGround(StrEnum):
    unfounded = "unfounded"
    excessive = "excessive"
    identity = "identity"
    other = "other"


@request_app.command()
def refuse(
    request_id: Annotated[str, typer.Argument(help="The request id.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why the request is refused: the evidence recorded.")
    ],
    ground: Annotated[
        RefusalGround,
        typer.Option(
            "--ground",
            help="The legal ground: unfounded or excessive (Art. 12(5)), identity (Art. 11(2)), "
            "other (Art. 12(4)).",
        ),
    ] = RefusalGround.other,
    register: RegisterOpt = None,
    url: Url = None,
    at: At = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
) -> None:
    """Refuse a request; the letter cites the ground, the evidence and the right to complain."""
    with _desk(register, url, at, state_url, out_dir, stores=False) as desk:
        request = desk.refuse(request_id, reason, ground.value)
    _print(
        request, as_json, f"{request.id}: refused; letter: {(request.result or {}).get('letter')}"
    )


@request_app.command()
def forward(
    request_id: Annotated[str, typer.Argument(help="The request id.")],
    register: RegisterOpt = None,
    url: Url = None,
    at: At = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
) -> None:
    """Forward a request about data we hold as a processor to its controller."""
    with _desk(register, url, at, state_url, out_dir) as desk:
        request = desk.forward(request_id)
    result = request.result or {}
    lines = [f"{request.id}: forwarded", f"letter: {result.get('letter')}"]
    _print(request, as_json, escape("\n".join(lines + _forward_lines(result))))


@request_app.command()
def instruct(
    request_id: Annotated[
        str, typer.Argument(help="The id of the request forwarded, whole or in part.")
    ],
    reference: Annotated[
        str,
        typer.Option(
            "--reference",
            help="The controller's instruction: where and when it was given.",
            show_default=False,
        ),
    ],
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant",
            help="The client instructing, when the request went to several (its key).",
            show_default=False,
        ),
    ] = None,
    register: RegisterOpt = None,
    url: Url = None,
    at: At = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
) -> None:
    """Record a client's instruction to erase or rectify its data in a request forwarded to it."""
    with _desk(register, url, at, state_url, out_dir, stores=False) as desk:
        request = desk.instruct(request_id, reference, tenant=tenant)
    _print(
        request,
        as_json,
        f"{request.id}: {request.state.value}, on the controller's instruction; "
        f"`registre request execute {request.id}` carries it out",
    )


@request_app.command()
def lift(
    request_id: Annotated[str, typer.Argument(help="The restriction request's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the restriction ends.")],
    register: RegisterOpt = None,
    url: Url = None,
    at: At = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
) -> None:
    """Lift a restriction (Art. 18(3)); the letter telling the person is written first."""
    with _desk(register, url, at, state_url, out_dir, stores=False) as desk:
        request = desk.lift(request_id, reason)
    _print(
        request,
        as_json,
        escape(
            f"{request.id}: restriction lifted; send the letter to the person: "
            f"{(request.result or {}).get('lift_letter')}"
        ),
    )


Email = Annotated[str | None, typer.Option("--email", help="The person's email.")]
Phone = Annotated[str | None, typer.Option("--phone", help="The person's phone.")]
Ids = Annotated[list[str] | None, typer.Option("--id", help="Another identity, KIND=VALUE.")]


def _answer(question: str, answer: bool, as_json: bool, activity: str | None) -> None:
    """Print the answer; exit 0 for yes and 1 for no, as grep does (2 on an error)."""
    if as_json:
        print(json.dumps({question: answer, "activity": activity}, sort_keys=True))
    else:
        out.print(("" if answer else "not ") + question.replace("_", " "))
    raise typer.Exit(0 if answer else 1)


@contextmanager
def _asking() -> Iterator[None]:
    """Errors exit 2, so that scripts never read a mistake as a 'no'."""
    from registre._exceptions import RegistreError
    from registre.cli import EXIT_USAGE, report_error

    try:
        yield
    except RegistreError as error:
        report_error(error)
        raise typer.Exit(EXIT_USAGE) from None


@request_app.command("is-restricted")
def is_restricted(
    email: Email = None,
    phone: Phone = None,
    ids: Ids = None,
    activity: Annotated[
        str | None,
        typer.Option(
            "--activity",
            help="Only a restriction of all processing or of this activity counts.",
        ),
    ] = None,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    as_json: AsJson = False,
) -> None:
    """Is the person's processing restricted (Art. 18)? Exit 0 yes, 1 no, 2 on an error."""
    from registre.requests import is_restricted as restricted
    from registre.requests.identity import build_identity

    with _asking():
        identity = build_identity(email, phone, ids or [])
        with _desk(register, None, None, state_url, Path("."), stores=False) as desk:
            if activity is not None:
                desk.known_activities([activity])
            answer = restricted(desk.state, identity, activity)
    _answer("restricted", answer, as_json, activity)


@request_app.command("has-objected")
def has_objected(
    activity: Annotated[str, typer.Option("--activity", help="The activity id.")],
    email: Email = None,
    phone: Phone = None,
    ids: Ids = None,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    as_json: AsJson = False,
) -> None:
    """Has the person objected to an activity (Art. 21)? Exit 0 yes, 1 no, 2 on an error."""
    from registre.requests import has_objected as objected
    from registre.requests.identity import build_identity

    with _asking():
        identity = build_identity(email, phone, ids or [])
        with _desk(register, None, None, state_url, Path("."), stores=False) as desk:
            desk.known_activities([activity])
            answer = objected(desk.state, identity, activity)
    _answer("objected", answer, as_json, activity)


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
        with _desk(register_path, url, at, state_url, out_dir, stores=False, create=False) as desk:
            yield _Reader(desk.state, desk.tz, desk.now())
        return
    from registre.state import locate_state, open_state

    state = open_state(locate_state(state_url), create=False)
    try:
        utc = ZoneInfo("UTC")
        now = _instant(at, utc) or datetime.now(utc)
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

    with _desk(register, url, at, state_url, out_dir, stores=False) as desk:
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
