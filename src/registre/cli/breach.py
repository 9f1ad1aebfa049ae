"""Commands: breach (open, update, assess, list, show, notify-draft, letters, send), the register of
personal data breaches with its 72-hour clock (Art. 33, 34)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from registre._exceptions import BreachError
from registre.cli.application import app, err, out
from registre.cli.options import AsJson, At, RegisterOpt, StateUrl, parse_instant

breach_app = typer.Typer(
    help="Personal data breaches: the register (Art. 33(5)), the 72-hour clock, who is "
    "affected from the mapping, the CNIL draft, the letters and their mailing.",
    no_args_is_help=True,
)
app.add_typer(breach_app, name="breach")

BreachId = Annotated[str, typer.Argument(metavar="ID", help="The breach's id (b-...).")]
OutDir = Annotated[Path, typer.Option("--out", help="Folder for the draft, letters and notices.")]


@dataclass
class _Desk:
    register: Any
    book: Any
    now: datetime
    tz: ZoneInfo
    register_path: Path
    state_url: str | None

    @contextmanager
    def engines(self) -> Iterator[dict[str, Any]]:
        from registre.stores.connect import connect

        engines = {s: connect(self.register, s) for s in self.register.stores}
        try:
            yield engines
        finally:
            for engine in engines.values():
                engine.dispose()


@contextmanager
def _desk(register_path: Path | None, state_url: str | None, at: str | None) -> Iterator[_Desk]:
    from registre.breaches.store import BreachRegister
    from registre.register.loader import load_register
    from registre.state import locate_state, open_state
    from registre.state.db import utcnow

    if register_path is None:
        raise BreachError(
            "which register? pass --register PATH or set REGISTRE_REGISTER",
            hint="the register's time zone, promises and mapping drive the breach's clocks "
            "and counts",
        )
    register = load_register(register_path)
    location = locate_state(state_url, register_path=register_path, register=register)
    state = open_state(location)
    try:
        tz = ZoneInfo(register.policy.timezone)
        now = parse_instant(at, tz, "--at") or utcnow()
        book = BreachRegister(state.engine, state.audit, actor=_login())
        yield _Desk(register, book, now, tz, register_path, state_url)
    finally:
        state.close()


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "registre"


@breach_app.command("open")
def open_(
    aware_at: Annotated[
        str,
        typer.Option(
            "--aware-at",
            help="When the organization became aware of the breach, which starts the 72-hour "
            "clock: YYYY-MM-DDTHH:MM in the policy's time zone.",
        ),
    ],
    nature: Annotated[
        list[str],
        typer.Option(
            "--nature",
            metavar="NATURE",
            help="confidentiality, integrity or availability; repeat for several.",
        ),
    ],
    summary: Annotated[str, typer.Option("--summary", help="What happened, as known now.")],
    system: Annotated[
        list[str] | None,
        typer.Option("--system", metavar="NAME", help="A system affected; repeat for several."),
    ] = None,
    source: Annotated[
        str, typer.Option("--source", help="Where it came from: an attack, a mistake, a loss.")
    ] = "",
    processor: Annotated[
        bool,
        typer.Option(
            "--processor",
            help="We process the data for clients (controllers), who must be told (Art. 33(2)).",
        ),
    ] = False,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    at: At = None,
    as_json: AsJson = False,
) -> None:
    """Record a breach in the register of breaches; its clocks start at --aware-at."""
    from registre.breaches.operations import open_breach

    with _desk(register, state_url, at) as desk:
        aware = parse_instant(aware_at, desk.tz, "--aware-at")
        assert aware is not None
        breach = open_breach(
            desk.book,
            aware_at=aware,
            now=desk.now,
            nature=nature,
            summary=summary,
            systems=system,
            source=source,
            processor=processor,
        )
        _print(desk, breach, as_json, f"breach {breach.id} recorded")


@breach_app.command("update")
def update(
    breach_id: BreachId,
    text: Annotated[
        str | None, typer.Option("--text", help="Facts learnt since (Art. 33(4)).")
    ] = None,
    unknown: Annotated[
        str, typer.Option("--unknown", help="What is still unknown after this update.")
    ] = "",
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            metavar="TARGET",
            help="A store, table or column the breach reached (TABLE, STORE.TABLE, "
            "TABLE.COLUMN); repeat for several. The people and records are counted again.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="With --scope: only rows created or changed from then."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="With --scope: only rows created or changed before then."),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", metavar="CLIENT", help="With --scope: only this client's rows."),
    ] = None,
    notified: Annotated[
        str | None,
        typer.Option(
            "--notified",
            metavar="WHO",
            help="Record a notification made: authority, controller or people.",
        ),
    ] = None,
    notified_at: Annotated[
        str | None,
        typer.Option("--notified-at", help="When it was made [default: --at, else now]."),
    ] = None,
    delay_reason: Annotated[
        str,
        typer.Option(
            "--delay-reason", help="Why a notification came after its deadline (required then)."
        ),
    ] = "",
    reference: Annotated[
        str, typer.Option("--reference", help="The authority's case number or an acknowledgement.")
    ] = "",
    close: Annotated[bool, typer.Option("--close", help="Close the breach.")] = False,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    at: At = None,
    as_json: AsJson = False,
) -> None:
    """Add facts, state the scope (counted again on the live databases), record a
    notification, or close a breach; each in the audit trail."""
    from registre.breaches import operations
    from registre.breaches.scope import Scope, parse_targets

    if not (text or scope or notified or close):
        raise BreachError(
            "nothing to update",
            hint="give --text, --scope, --notified or --close",
        )
    with _desk(register, state_url, at) as desk:
        breach = None
        if text:
            breach = operations.add_phase(
                desk.book, breach_id, now=desk.now, text=text, unknown=unknown
            )
        if scope:
            stated = Scope(
                parse_targets(desk.register, scope),
                since=parse_instant(since, desk.tz, "--since"),
                until=parse_instant(until, desk.tz, "--until"),
                tenant=tenant,
            )
            with desk.engines() as engines:
                breach = operations.rescope(
                    desk.book, desk.register, breach_id, stated, engines, now=desk.now
                )
        elif since or until or tenant:
            raise BreachError(
                "--since, --until and --tenant cut a scope: give it with --scope",
                hint="repeat --scope for each table the breach reached",
            )
        if notified:
            when = parse_instant(notified_at, desk.tz, "--notified-at") or desk.now
            breach = operations.record_notification(
                desk.book,
                desk.register,
                breach_id,
                to=notified,
                at=when,
                now=desk.now,
                delay_reason=delay_reason,
                reference=reference,
            )
        if close:
            breach = operations.close(desk.book, breach_id, now=desk.now, text=text or "")
        assert breach is not None
        _print(desk, breach, as_json, f"breach {breach.id} updated")


@breach_app.command("assess")
def assess(
    breach_id: BreachId,
    risk: Annotated[
        str,
        typer.Option(
            "--risk",
            metavar="LEVEL",
            help="unlikely (documented only), risk (notify the authority) or high (and tell "
            "the people).",
        ),
    ],
    reasons: Annotated[str, typer.Option("--reasons", help="Why this level of risk.")],
    consequences: Annotated[
        str, typer.Option("--consequences", help="The likely consequences for the people.")
    ] = "",
    measures: Annotated[
        str, typer.Option("--measures", help="The measures taken or proposed.")
    ] = "",
    advice: Annotated[
        str, typer.Option("--advice", help="What people can do to protect themselves.")
    ] = "",
    people_not_told: Annotated[
        str,
        typer.Option(
            "--people-not-told",
            metavar="REASON",
            help="Art. 34(3): why people are not told of a high-risk breach.",
        ),
    ] = "",
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    at: At = None,
    as_json: AsJson = False,
) -> None:
    """Record the risk assessment, which decides what is owed; a decision not to notify is
    kept with its reasons."""
    from registre.breaches.model import Assessment, Risk
    from registre.breaches.operations import assess as record

    try:
        level = Risk(risk.strip().lower())
    except ValueError:
        raise BreachError(
            f"{risk!r} is not a level of risk", hint="use unlikely, risk or high"
        ) from None
    with _desk(register, state_url, at) as desk:
        breach = record(
            desk.book,
            breach_id,
            Assessment(level, reasons, consequences, measures, advice, people_not_told),
        )
        _print(desk, breach, as_json, f"breach {breach.id} assessed")


@breach_app.command("list")
def list_(
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    at: At = None,
    as_json: AsJson = False,
) -> None:
    """The breaches, late first, then by time left on their clocks."""
    from registre.breaches.view import ordered, summary

    with _desk(register, state_url, at) as desk:
        breaches = ordered(desk.book.all(), desk.register, desk.now)
        rows = [summary(b, desk.register, desk.now) for b in breaches]
        if as_json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            out.print("no breach recorded")
            return
        table = Table("id", "aware", "risk", "clock", "people", "summary")
        for row in rows:
            table.add_row(
                row["id"],
                row["aware_local"],
                row["risk"] or "not assessed",
                escape(row["clock"]),
                str(row["people"]) if row["people"] is not None else "not counted",
                escape(row["summary"][:60]),
            )
        out.print(table)


@breach_app.command("show")
def show(
    breach_id: BreachId,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    at: At = None,
    as_json: AsJson = False,
) -> None:
    """One breach: its facts, clocks, assessment, scope and counts, and notifications."""
    with _desk(register, state_url, at) as desk:
        _print(desk, desk.book.get(breach_id), as_json, None)


@breach_app.command("notify-draft")
def notify_draft(
    breach_id: BreachId,
    out_dir: OutDir = Path("."),
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    at: At = None,
) -> None:
    """Write the draft notification to the CNIL (Markdown and JSON, in French)."""
    from registre.breaches import cnil
    from registre.breaches.store import DRAFTED
    from registre.owner_only import write_text

    with _desk(register, state_url, at) as desk:
        breach = desk.book.get(breach_id)
        data = cnil.draft(breach, desk.register, desk.now)
        md = out_dir / f"{breach.id}-cnil.fr.md"
        js = out_dir / f"{breach.id}-cnil.fr.json"
        write_text(md, cnil.markdown(data))
        write_text(js, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        desk.book.note(breach.id, DRAFTED, {"files": [md.name, js.name], "type": data["type"]})
        out.print(f"wrote {escape(str(md))} and {escape(str(js))}")


@breach_app.command("letters")
def letters(
    breach_id: BreachId,
    out_dir: OutDir = Path("."),
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", metavar="LANG", help="fr or en for every letter [default: the register's]."
        ),
    ] = None,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    at: At = None,
) -> None:
    """Write the letters to the people (high risk, Art. 34) and, as processor, a notice to
    each client with its own people and records only (Art. 33(2))."""
    from registre.breaches import letters as write
    from registre.breaches.operations import write_letters

    if lang is not None and lang not in write.LANGS:
        raise typer.BadParameter(f"{lang!r}: use fr or en", param_hint="--lang")
    with _desk(register, state_url, at) as desk, desk.engines() as engines:
        written = write_letters(desk.book, desk.register, breach_id, engines, out_dir, lang=lang)
    people, notices = len(written.people), len(written.clients)
    if not (people or notices):
        err.print(
            f"no letter is owed for breach {breach_id}: people are told only of a high "
            "risk (Art. 34), and clients only when we are their processor"
        )
        return
    out.print(f"wrote {people} letters to people and {notices} notices to clients in {out_dir}")


@breach_app.command("send")
def send(
    breach_id: BreachId,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", metavar="LANG", help="fr or en for every letter [default: the register's]."
        ),
    ] = None,
    again: Annotated[
        bool, typer.Option("--retry", help="Queue again the letters whose sending failed.")
    ] = False,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    at: At = None,
    as_json: AsJson = False,
) -> None:
    """Queue the letters to the people (high risk, Art. 34) and, as processor, the notices to
    each client (Art. 33(2)) to be sent by the service's mail; `breach show` follows each."""
    from registre.breaches import letters as write
    from registre.breaches import mailing
    from registre.service.jobs.queue import JobQueue

    if lang is not None and lang not in write.LANGS:
        raise typer.BadParameter(f"{lang!r}: use fr or en", param_hint="--lang")
    with _desk(register, state_url, at) as desk:
        jobs = JobQueue(desk.book.engine, max_attempts=_attempts(desk))
        if again:
            queued = mailing.retry(desk.book, breach_id, jobs, now=desk.now)
            message = f"{len(queued)} letter(s) and notice(s) queued again"
        else:
            with desk.engines() as engines:
                queued = mailing.queue(
                    desk.book, desk.register, breach_id, engines, jobs, now=desk.now, lang=lang
                )
            if not queued:
                err.print(
                    f"no letter is owed for breach {breach_id}: people are told only of a high "
                    "risk (Art. 34), and clients only when we are their processor"
                )
                return
            people = sum(1 for d in queued if d.to == "person")
            missing = sum(1 for d in queued if d.state == "no_address")
            message = (
                f"queued {people} letter(s) to people and {len(queued) - people} notice(s) to "
                "clients; the service (`registre serve`, or `registre worker`) sends them"
                + (f"; {missing} without an address to send to" if missing else "")
            )
        _print(desk, desk.book.get(breach_id), as_json, message)


def _attempts(desk: _Desk) -> int:
    """The tries a mail gets before it is failed: the service's ``jobs_attempts`` setting
    (REGISTRE_JOBS_ATTEMPTS, or the settings file), as for the mail the service queues."""
    from registre.service.errors import SettingsError
    from registre.service.settings import load_settings

    try:
        settings = load_settings(register=desk.register_path, state_url=desk.state_url)
    except SettingsError:
        return 8  # the settings are the service's to check; the queue's own default
    return int(settings.jobs_attempts)


def _print(desk: _Desk, breach: Any, as_json: bool, message: str | None) -> None:
    from registre.breaches.view import details, text

    if as_json:
        print(json.dumps(details(breach, desk.register, desk.now), ensure_ascii=False, indent=2))
        return
    if message:
        out.print(escape(message))
    out.print(escape(text(breach, desk.register, desk.now)))
