"""``registre request`` commands for a request's life: open, verify, execute, extend,
refuse, forward, instruct, lift."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from registre._exceptions import RequestError
from registre.cli.application import out
from registre.cli.options import AsJson, At, RegisterOpt, StateUrl, Url, parse_instant
from registre.cli.request_desk import OutDir, open_desk, print_request, request_app


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
    with open_desk(register, url, at, state_url, out_dir, stores=False) as desk:
        received_at = parse_instant(received, desk.tz) if received else None
        request = desk.open(kind, identity, received_at=received_at, lang=lang, options=options)
    if as_json:
        print_request(request, True, "")
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
    with open_desk(register, url, at, state_url, out_dir, stores=False) as desk:
        request = desk.verify(request_id, method, doubt=doubt)
    print_request(
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
    with open_desk(
        register, url, at, state_url, out_dir, export_retention=export_retention
    ) as desk:
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
    print_request(request, as_json, escape("\n".join(lines)))


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
    with open_desk(register, url, at, state_url, out_dir, stores=False) as desk:
        request = desk.extend(request_id, reason)
    print_request(request, as_json, f"{request.id}: now due {request.due.isoformat()}")


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
    with open_desk(register, url, at, state_url, out_dir, stores=False) as desk:
        request = desk.refuse(request_id, reason, ground.value)
    print_request(
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
    with open_desk(register, url, at, state_url, out_dir) as desk:
        request = desk.forward(request_id)
    result = request.result or {}
    lines = [f"{request.id}: forwarded", f"letter: {result.get('letter')}"]
    print_request(request, as_json, escape("\n".join(lines + _forward_lines(result))))


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
    with open_desk(register, url, at, state_url, out_dir, stores=False) as desk:
        request = desk.instruct(request_id, reference, tenant=tenant)
    print_request(
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
    with open_desk(register, url, at, state_url, out_dir, stores=False) as desk:
        request = desk.lift(request_id, reason)
    print_request(
        request,
        as_json,
        escape(
            f"{request.id}: restriction lifted; send the letter to the person: "
            f"{(request.result or {}).get('lift_letter')}"
        ),
    )
