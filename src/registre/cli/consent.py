"""``registre consent``: record, withdraw, check, list and link consents (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from registre.cli.application import app, out
from registre.cli.options import AsJson, At, RegisterOpt, StateUrl, Url, parse_instant
from registre.cli.request_desk import (
    Email,
    Ids,
    OutDir,
    Phone,
    asking,
    exit_with_answer,
    open_desk,
)

consent_app = typer.Typer(
    help="Consent with proof: record, withdraw (enforced on the data), check, list, and "
    "signed one-click unsubscribe links.",
    no_args_is_help=True,
)
app.add_typer(consent_app, name="consent")

Activity = Annotated[
    str,
    typer.Option("--activity", help="The activity id, or cookie:CATEGORY for a cookie category."),
]
Lang = Annotated[
    str | None,
    typer.Option(
        "--lang", help="The person's language for the letter (fr or en).", show_default=False
    ),
]


def _identity(email: str | None, phone: str | None, ids: list[str] | None) -> dict[str, str]:
    from registre.requests.identity import build_identity

    identity = build_identity(email, phone, ids or [])
    if not identity:
        raise typer.BadParameter("name the person with --email, --phone or --id KIND=VALUE")
    return identity


def _show(record: Any, as_json: bool, message: str) -> None:
    if as_json:
        print(json.dumps(record.as_json(), sort_keys=True, ensure_ascii=False))
    else:
        out.print(message)


@consent_app.command("record")
def record(
    activity: Activity,
    method: Annotated[
        str, typer.Option("--method", help="How it was collected: form, banner, operator, api.")
    ] = "form",
    decision: Annotated[str, typer.Option("--decision", help="given or refused.")] = "given",
    notice_version: Annotated[
        str | None,
        typer.Option(
            "--notice-version", help="Version of the text the person saw.", show_default=False
        ),
    ] = None,
    notice_file: Annotated[
        Path | None,
        typer.Option(
            "--notice-file",
            help="The text the person saw; its sha256 is recorded.",
            show_default=False,
        ),
    ] = None,
    lifetime: Annotated[
        str | None,
        typer.Option(
            "--lifetime", help="Expires after this period, such as '6 months'.", show_default=False
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="A note kept with the record.", show_default=False)
    ] = None,
    email: Email = None,
    phone: Phone = None,
    ids: Ids = None,
    at: At = None,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    as_json: AsJson = False,
) -> None:
    """Record a consent given or refused, with the proof of the text the person saw."""
    from registre.consent import record_consent
    from registre.durations import Duration

    identity = _identity(email, phone, ids)
    text = notice_file.read_text(encoding="utf-8") if notice_file else None
    period = None
    if lifetime:
        try:
            period = Duration.parse(lifetime)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--lifetime") from None
    with open_desk(register, None, None, state_url, Path("."), stores=False) as desk:
        made = record_consent(
            desk.state,
            identity,
            activity,
            decision=decision,
            method=method,
            register=desk.register,
            at=parse_instant(at, ZoneInfo(desk.register.policy.timezone)),
            notice_version=notice_version,
            notice_text=text,
            lifetime=period,
            note=note,
            actor=desk.actor,
        )
    _show(made, as_json, f"recorded consent {made.decision.value} to {activity}: {made.id}")


@consent_app.command("withdraw")
def withdraw(
    activity: Activity,
    method: Annotated[
        str, typer.Option("--method", help="How it came: operator, form, banner, api.")
    ] = "operator",
    enforce: Annotated[
        bool,
        typer.Option(
            "--enforce/--no-enforce",
            help="Erase the data processed on that consent alone, with the person's letter.",
        ),
    ] = True,
    lang: Lang = None,
    email: Email = None,
    phone: Phone = None,
    ids: Ids = None,
    register: RegisterOpt = None,
    url: Url = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
) -> None:
    """Record a withdrawal of consent; by default erase what it alone allowed, and write the
    person's confirmation."""
    from registre.consent import withdraw_consent

    identity = _identity(email, phone, ids)
    with open_desk(register, url, None, state_url, out_dir, stores=enforce) as desk:
        made = withdraw_consent(
            desk.state, identity, activity, method=method, register=desk.register, actor=desk.actor
        )
        _enforced(desk, made, enforce, lang, as_json)


def _enforced(desk: Any, withdrawal: Any, enforce: bool, lang: str | None, as_json: bool) -> None:
    from registre.consent import enforce_withdrawal

    if not enforce:
        _show(withdrawal, as_json, f"recorded the withdrawal {withdrawal.id}; nothing erased")
        return
    done = enforce_withdrawal(desk, withdrawal, lang=lang)  # type: ignore[arg-type]
    if as_json:
        print(json.dumps(done.as_json(), sort_keys=True, ensure_ascii=False))
        return
    out.print(f"recorded the withdrawal {withdrawal.id} of consent to {withdrawal.purpose}")
    if done.request is not None:
        out.print(f"erasure request {done.request.id}: {done.request.state.value}")
    elif done.reason == "other_basis":
        out.print("nothing erased: another legal basis covers the activity")
    out.print(f"letter: {done.letter}")


@consent_app.command("unsubscribe")
def unsubscribe(
    link: Annotated[str, typer.Argument(help="The unsubscribe link, or its token.")],
    enforce: Annotated[
        bool,
        typer.Option(
            "--enforce/--no-enforce",
            help="Erase the data processed on that consent alone, with the person's letter.",
        ),
    ] = True,
    lang: Lang = None,
    register: RegisterOpt = None,
    url: Url = None,
    state_url: StateUrl = None,
    out_dir: OutDir = Path("registre-requests"),
    as_json: AsJson = False,
) -> None:
    """Follow a signed unsubscribe link: record the withdrawal it asks for, once."""
    from registre.consent import follow_link

    with open_desk(register, url, None, state_url, out_dir, stores=enforce) as desk:
        made = follow_link(desk.state, link)
        _enforced(desk, made, enforce, lang, as_json)


@consent_app.command("check")
def check(
    activity: Activity,
    email: Email = None,
    phone: Phone = None,
    ids: Ids = None,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    as_json: AsJson = False,
) -> None:
    """Has the person consented to the activity (and not withdrawn, not expired)? Exit 0 yes,
    1 no, 2 on an error."""
    from registre.consent import has_consent
    from registre.consent.decisions import check_purpose

    with asking():
        identity = _identity(email, phone, ids)
        with open_desk(register, None, None, state_url, Path("."), stores=False) as desk:
            check_purpose(desk.register, activity)
            answer = has_consent(desk.state, identity, activity)
    exit_with_answer("consented", answer, as_json, activity)


@consent_app.command("history")
def history(
    activity: Annotated[
        str | None, typer.Option("--activity", help="Only this activity.", show_default=False)
    ] = None,
    dpv: Annotated[
        bool, typer.Option("--dpv", help="JSON-LD records in the ISO/IEC TS 27560 shape.")
    ] = False,
    email: Email = None,
    phone: Phone = None,
    ids: Ids = None,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    as_json: AsJson = False,
) -> None:
    """Every consent record of the person, oldest first."""
    from registre.consent import consent_history

    identity = _identity(email, phone, ids)
    with open_desk(register, None, None, state_url, Path("."), stores=False) as desk:
        records = consent_history(desk.state, identity, activity)
    if dpv or as_json:
        shaped = [r.as_dpv() if dpv else r.as_json() for r in records]
        print(json.dumps(shaped, indent=2, sort_keys=True, ensure_ascii=False))
        return
    if not records:
        out.print("no consent recorded for this person")
    for r in records:
        notice = f" notice {r.notice_version or '-'} {(r.notice_sha256 or '')[:12]}"
        expiry = f" until {r.expires_at:%Y-%m-%d}" if r.expires_at else ""
        out.print(
            f"{r.at:%Y-%m-%d %H:%M} UTC  {r.decision.value:9}  {r.purpose}  by {r.method.value}"
            f"{notice}{expiry}  [{r.id}]"
        )


@consent_app.command("link")
def link(
    activity: Activity,
    base_url: Annotated[
        str, typer.Option("--base-url", help="The host's unsubscribe endpoint (https).")
    ],
    email: Email = None,
    phone: Phone = None,
    ids: Ids = None,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    as_json: AsJson = False,
) -> None:
    """A signed one-click unsubscribe link for the person, with its RFC 8058 headers."""
    from registre.consent import make_link

    identity = _identity(email, phone, ids)
    with open_desk(register, None, None, state_url, Path("."), stores=False) as desk:
        made = make_link(desk.state, identity, activity, base_url)
    if as_json:
        print(json.dumps(made.as_json(), sort_keys=True))
        return
    for name, value in made.headers.items():
        print(f"{name}: {value}")


@consent_app.command("expire")
def expire(
    at: At = None,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    as_json: AsJson = False,
) -> None:
    """Record the expiry of every consent or refusal past its expiry date, and delete the
    records past the ledger's retention (rights.consent_records_kept), as the sweep does; for
    a cron job, where the register maps no database to sweep."""
    from registre.consent.keeping import sweep_ledger
    from registre.state.db import utcnow

    with open_desk(register, None, None, state_url, Path("."), stores=False) as desk:
        now = parse_instant(at, ZoneInfo(desk.register.policy.timezone))
        done = sweep_ledger(desk.register, desk.state, now or utcnow(), actor=desk.actor)
    if as_json:
        print(json.dumps(done.as_json(), sort_keys=True))
    else:
        out.print(
            f"{done.expired} consent record(s) expired; {done.records} record(s) past the "
            "ledger's retention deleted"
        )
