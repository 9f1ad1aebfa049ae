"""Commands: audit (verify, log), hold (add, list, release)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from registre.cli.application import EXIT_PROBLEMS, app, out
from registre.cli.options import JsonLines, StateRegister, StateUrl, Url

if TYPE_CHECKING:  # the state imports SQLAlchemy and Alembic: only a command that opens it
    from registre.state import EngineState, Hold, StateLocation

audit_app = typer.Typer(help="Check and read the audit trail.", no_args_is_help=True)
hold_app = typer.Typer(
    help="Legal holds: records or people whose data retention sweeps must not delete.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")
app.add_typer(hold_app, name="hold")

RegisterPath = Annotated[
    Path | None,
    typer.Option(
        "--register",
        envvar="REGISTRE_REGISTER",
        show_default=False,
        help="The register.yaml (or folder) whose mapping the hold is checked against.",
    ),
]
Actor = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="Who does this, as recorded in the audit trail [default: your login name].",
    ),
]

HASH_PREFIX = 32
"""The shortest head prefix `--expect-head` takes: 128 bits. verify prints the whole hash,
since a 48-bit prefix (12 characters) can be matched by a forged trail in hours on one GPU."""


@contextmanager
def _state(
    url: str | StateLocation | None, register: Path | None, *, create: bool = False
) -> Iterator[EngineState]:
    """The state database; only a command that writes (``hold add``) creates it."""
    from registre.state import open_state

    state = open_state(url, register=register, create=create)
    try:
        yield state
    finally:
        state.close()


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "registre"


@audit_app.command("verify")
def verify(
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            metavar="HASH",
            help="A head hash published earlier (the 64 characters verify prints, or at least "
            "its first 32): "
            "fail unless that entry is still in the trail, so that entries removed from its "
            "end, head record included, are detected.",
            show_default=False,
        ),
    ] = None,
    state_url: StateUrl = None,
    register_path: StateRegister = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON object: intact, entries, head, problems, protections, and "
            "with --expect-head the entry it is and the entries appended since; the exit code "
            "is the same.",
        ),
    ] = False,
) -> None:
    """Check that no audit entry was altered, reordered, inserted or removed, and that every
    legal hold, restriction and objection of the state matches its audit entries."""
    expected = _head_prefix(expect_head) if expect_head is not None else None
    with _state(state_url, register_path) as state:
        problems = state.audit.verify()
        # the chain's own problems are above; these are the rows that protect people
        protections = state.protections.problems(trail=False)
        head = state.audit.head()
        published = _published_seq(state, expected, head) if expected and not problems else None
    if as_json:
        _verify_json(problems, protections, head, expected, published)
    if problems:
        for problem in problems:
            out.print(escape(str(problem)))
        noun = "problem" if len(problems) == 1 else "problems"
        out.print(f"[red]audit trail broken: {len(problems)} {noun}[/red]")
    if protections:
        for found in protections:
            out.print(escape(str(found)))
        noun = "protection does" if len(protections) == 1 else "protections do"
        out.print(
            f"[red]{len(protections)} {noun} not match the audit trail: sweeps and erasures "
            "refuse to run until the state database is restored from its backup or what was "
            "removed is placed again[/red]"
        )
    if problems or protections:
        raise typer.Exit(EXIT_PROBLEMS)
    # Intact means numbered 1..head without a gap, so the head's seq is the count.
    count, head_hash = head if head is not None else (0, "")
    if expected is not None and published is None:
        out.print(
            f"[red]audit trail rewound: the head you kept, {expected}, is not in "
            f"the trail, whose head is now {head_hash} ({count} entries): entries "
            "were removed from its end, or it was rewritten[/red]"
        )
        raise typer.Exit(EXIT_PROBLEMS)
    out.print(f"audit trail intact: {count} entries, head {head_hash}")
    if expected is not None and published is not None:
        since = count - published
        out.print(
            f"the head you kept, {expected}, is entry {published}; "
            f"{since} {'entry' if since == 1 else 'entries'} appended since"
        )


def _verify_json(
    problems: list[Any],
    protections: list[Any],
    head: tuple[int, str] | None,
    expected: str | None,
    published: int | None,
) -> None:
    """What ``audit verify`` says, as one JSON object for monitoring; exits 1 unless intact."""
    count, head_hash = head if head is not None else (0, "")
    rewound = expected is not None and published is None and not problems
    report: dict[str, Any] = {
        "intact": not (problems or protections or rewound),
        "entries": count,
        "head": head_hash,
        "problems": [str(problem) for problem in problems],
        "protections": [str(found) for found in protections],
    }
    if expected is not None:
        report["expected_head"] = expected
        report["expected_entry"] = published
        report["appended_since"] = None if published is None else count - published
    print(json.dumps(report, indent=2, ensure_ascii=False))
    raise typer.Exit(0 if report["intact"] else EXIT_PROBLEMS)


def _head_prefix(text: str) -> str:
    prefix = text.strip().lower()
    if not HASH_PREFIX <= len(prefix) <= 64 or any(c not in "0123456789abcdef" for c in prefix):
        raise typer.BadParameter(
            f"{text!r} is not a head hash: give the 64 hexadecimal characters "
            f"`registre audit verify` printed, or at least their first {HASH_PREFIX}",
            param_hint="--expect-head",
        )
    return prefix


def _published_seq(state: EngineState, prefix: str, head: tuple[int, str] | None) -> int | None:
    """The seq of the entry whose hash starts with ``prefix``, up to the head; None if none.

    0 for the head of an empty trail. An intact chain through the current head that contains
    the kept head means nothing was removed since it was published.
    """
    if head is not None and head[1].startswith(prefix):
        return head[0]
    from registre.state.chain import GENESIS

    if GENESIS.startswith(prefix):
        return 0
    found = [e.seq for e in state.audit.entries() if e.hash.startswith(prefix)]
    if len(found) > 1:
        raise typer.BadParameter(
            f"{len(found)} entries have a hash starting with {prefix}: give more characters",
            param_hint="--expect-head",
        )
    limit = head[0] if head is not None else 0
    return found[0] if found and found[0] <= limit else None


@audit_app.command("log")
def log(
    since: Annotated[
        int | None,
        typer.Option("--since", help="Only entries after this seq.", show_default=False),
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only actions starting with this prefix.")
    ] = None,
    as_json: JsonLines = False,
    state_url: StateUrl = None,
    register_path: StateRegister = None,
) -> None:
    """Show the audit trail's entries, oldest first."""
    with _state(state_url, register_path) as state:
        entries = list(state.audit.entries(since_seq=since, action_prefix=action))
    if as_json:
        for entry in entries:
            typer.echo(json.dumps(entry.as_json(), ensure_ascii=False, sort_keys=True))
        return
    if not entries:
        out.print("no audit entries" + (f" after seq {since}" if since is not None else ""))
        return
    # Run and request columns only when some entry has one: the details need the width.
    with_run = any(entry.run_id is not None for entry in entries)
    with_request = any(entry.request_id for entry in entries)
    table = Table()
    table.add_column("seq", justify="right", no_wrap=True)
    table.add_column("at (UTC)", no_wrap=True)
    table.add_column("action", no_wrap=True)
    table.add_column("actor", min_width=8)
    if with_run:
        table.add_column("run", no_wrap=True)
    if with_request:
        table.add_column("request", no_wrap=True)
    table.add_column("details", ratio=1, min_width=20, overflow="fold")
    for entry in entries:
        cells = [str(entry.seq), f"{entry.at:%Y-%m-%d %H:%M:%S}", escape(entry.action)]
        cells.append(escape(entry.actor))
        if with_run:
            cells.append("" if entry.run_id is None else str(entry.run_id))
        if with_request:
            cells.append(escape(entry.request_id or ""))
        cells.append(escape(json.dumps(entry.details, ensure_ascii=False, sort_keys=True)))
        table.add_row(*cells)
    out.print(table)


@hold_app.command("add")
def hold_add(
    reason: Annotated[str, typer.Option("--reason", help="Why the data must be kept.")],
    email: Annotated[str | None, typer.Option("--email", help="Hold a person's data.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="Hold a person's data.")] = None,
    identity: Annotated[
        list[str] | None,
        typer.Option(
            "--identity",
            metavar="KIND=VALUE",
            help="Hold a person's data by any identity kind the mapping declares, such as "
            "customer_id=42 (repeatable).",
            show_default=False,
        ),
    ] = None,
    store: Annotated[str | None, typer.Option("--store", help="Store id of a record.")] = None,
    table: Annotated[str | None, typer.Option("--table", help="Table of a record.")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Primary key value.")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Last day of the hold, YYYY-MM-DD.")
    ] = None,
    register_path: RegisterPath = None,
    url: Url = None,
    actor: Actor = None,
    state_url: StateUrl = None,
) -> None:
    """Place a legal hold on a person (--email, --phone, --identity) or a record (--store
    --table --key), checked against the register's mapping and the database first."""
    from registre.register.loader import load_register
    from registre.state import locate_state
    from registre.state.digests import normalize_identity
    from registre.stores.hold_targets import person_identity, record_key

    person = _identity(email, phone, identity or [])
    record = (store, table, key)
    if person and any(record):
        raise typer.BadParameter(
            "hold either a person (--email/--phone/--identity) or a record (--store --table --key)"
        )
    if not person and not all(record):
        raise typer.BadParameter(
            "give --email, --phone or --identity for a person, or all of --store, --table "
            "and --key for a record"
        )
    if not reason.strip():
        raise typer.BadParameter("the reason must not be empty", param_hint="--reason")
    last_day = _parse_date(until) if until else None
    try:  # what the options cannot say alone, before anything is opened: a bad phone number
        person = normalize_identity(person)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if register_path is None:
        raise typer.BadParameter(
            "which register? a hold is checked against its mapping, so that it protects "
            "something: pass --register PATH or set REGISTRE_REGISTER",
            param_hint="--register",
        )
    register = load_register(register_path)
    # where the hold will be kept, before the database is asked: an unset url_env stops here
    location = locate_state(state_url, register_path=register_path, register=register)
    if url and len(register.stores) > 1:
        raise typer.BadParameter(
            f"--url names one database, and the register has {len(register.stores)} stores; "
            "set each store's url_env variable instead",
            param_hint="--url",
        )
    if store and table and key:
        key = record_key(register, store, table, key, url=url)
    else:
        person = person_identity(register, person, url=url)
    with _state(location, register_path, create=True) as state:
        try:
            hold = state.holds.place(
                reason=reason,
                store=store,
                table=table,
                key=key,
                identity=person or None,
                until=last_day,
                actor=_actor(actor),
            )
        except ValueError as error:  # an empty identity value, a last day already past
            raise typer.BadParameter(str(error)) from None
    out.print(f"legal hold {hold.id} placed on {escape(hold.describe())}{_until(hold)}")


def _identity(email: str | None, phone: str | None, pairs: list[str]) -> dict[str, str]:
    person = {name: value for name, value in (("email", email), ("phone", phone)) if value}
    for pair in pairs:
        kind, equals, value = pair.partition("=")
        kind = kind.strip()
        if not equals or not kind:
            raise typer.BadParameter(
                f"{pair!r}: write the identity as KIND=VALUE, such as customer_id=42",
                param_hint="--identity",
            )
        if kind in person and person[kind] != value:
            raise typer.BadParameter(
                f"two values for '{kind}': a hold is on one person", param_hint="--identity"
            )
        person[kind] = value
    return person


@hold_app.command("list")
def hold_list(
    include_released: Annotated[
        bool, typer.Option("--all", help="Include released and expired holds.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON array of the holds.")
    ] = False,
    state_url: StateUrl = None,
    register_path: StateRegister = None,
) -> None:
    """List the legal holds in force."""
    with _state(state_url, register_path) as state:
        holds = state.holds.all() if include_released else state.holds.active()
    if as_json:
        print(json.dumps([hold.as_json() for hold in holds], ensure_ascii=False, sort_keys=True))
        return
    if not holds:
        out.print("no legal holds" if include_released else "no legal hold in force")
        return
    table = Table()
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("on", no_wrap=True)
    table.add_column("reason", ratio=1, min_width=12)
    table.add_column("until", no_wrap=True)
    table.add_column("placed", no_wrap=True)
    table.add_column("by", min_width=6)
    if include_released:
        table.add_column("released", no_wrap=True)
    for hold in holds:
        cells = [
            str(hold.id),
            escape(hold.describe()),
            escape(hold.reason),
            hold.until.isoformat() if hold.until else "",
            f"{hold.placed_at:%Y-%m-%d}",
            escape(hold.placed_by),
        ]
        if include_released:
            cells.append(f"{hold.released_at:%Y-%m-%d}" if hold.released_at else "")
        table.add_row(*cells)
    out.print(table)


@hold_app.command("release")
def hold_release(
    hold_id: Annotated[int, typer.Argument(metavar="ID", help="The hold's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the hold ends.")],
    actor: Actor = None,
    state_url: StateUrl = None,
    register_path: StateRegister = None,
) -> None:
    """Release a legal hold: retention applies to the data again."""
    if not reason.strip():
        raise typer.BadParameter("the reason must not be empty", param_hint="--reason")
    with _state(state_url, register_path) as state:
        hold = state.holds.release(hold_id, reason=reason, actor=_actor(actor))
    out.print(f"legal hold {hold.id} on {escape(hold.describe())} released")


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date; write it YYYY-MM-DD", param_hint="--until"
        ) from None


def _until(hold: Hold) -> str:
    return f" until {hold.until.isoformat()}" if hold.until else ""
