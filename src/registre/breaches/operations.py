"""What a DPO does with a breach, checked before it is recorded: open, update, assess, scope,
record a notification, close. Each goes through :class:`.store.BreachRegister`, so each is one
audit entry committed with the change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from registre._exceptions import BreachError
from registre.breaches import counting, letters, risk
from registre.breaches.clocks import clock, duration_text
from registre.breaches.model import Assessment, Breach, Nature, Notification, Phase
from registre.breaches.scope import Scope
from registre.breaches.store import (
    ASSESSED,
    CLOSED,
    LETTERS,
    NOTIFIED,
    SCOPED,
    UPDATED,
    BreachRegister,
)
from registre.register.model import Register

RECIPIENTS = ("authority", "controller", "people")


def open_breach(
    book: BreachRegister,
    *,
    aware_at: datetime,
    now: datetime,
    nature: list[str],
    summary: str,
    systems: list[str] | None = None,
    source: str = "",
    processor: bool = False,
) -> Breach:
    """Record a new breach; ``aware_at`` starts its clocks and cannot be in the future."""
    if aware_at > now:
        raise BreachError(
            f"the breach cannot be known from {aware_at.isoformat()}, later than now",
            hint="give --aware-at as when the organization became aware of it (the clocks "
            "start then), in the past",
        )
    if not summary.strip():
        raise BreachError(
            "a breach needs a summary of what happened",
            hint="give --summary: what happened, as known now; later facts go in "
            "`registre breach update`",
        )
    natures = tuple(dict.fromkeys(_nature(n) for n in nature))
    if not natures:
        raise BreachError(
            "a breach needs its nature",
            hint="give --nature confidentiality, integrity or availability (one or more)",
        )
    breach = Breach(
        id="",
        aware_at=aware_at.astimezone(UTC),
        opened_at=now,
        nature=natures,
        summary=summary.strip(),
        systems=tuple(systems or ()),
        source=source.strip(),
        processor=processor,
        phases=[Phase(now, summary.strip())],
    )
    return book.open(breach)


def _nature(text: str) -> Nature:
    try:
        return Nature(text.strip().lower())
    except ValueError:
        raise BreachError(
            f"{text!r} is not a nature of breach",
            hint="use confidentiality (disclosed), integrity (altered) or availability (lost "
            "or unavailable)",
        ) from None


def add_phase(
    book: BreachRegister, breach_id: str, *, now: datetime, text: str, unknown: str = ""
) -> Breach:
    """Add the facts learnt since (Art. 33(4): information may be given in phases)."""
    if not text.strip():
        raise BreachError(
            "an update needs what was learnt", hint="give --text: the facts learnt since"
        )

    def apply(breach: Breach) -> dict[str, Any]:
        _open(breach)
        breach.phases.append(Phase(now, text.strip(), unknown.strip()))
        return {"phase": len(breach.phases), "text": text.strip(), "unknown": unknown.strip()}

    return book.change(breach_id, UPDATED, apply)


def assess(book: BreachRegister, breach_id: str, assessment: Assessment) -> Breach:
    """Record the risk assessment; a decision not to notify is kept with its reasons."""
    risk.check(assessment)

    def apply(breach: Breach) -> dict[str, Any]:
        _open(breach)
        breach.assessment = assessment
        owed = risk.owed(assessment, processor=breach.processor)
        return {**assessment.as_json(), "owed": owed.as_json()}

    return book.change(breach_id, ASSESSED, apply)


def rescope(
    book: BreachRegister,
    register: Register,
    breach_id: str,
    scope: Scope,
    engines: Mapping[str, Engine],
    *,
    now: datetime,
) -> Breach:
    """State the scope and count, on the live databases, who and what it reaches."""
    book.get(breach_id)  # an unknown id is refused before the databases are queried
    affected = counting.count(register, scope, engines)
    counts = affected.as_json(now)

    def apply(breach: Breach) -> dict[str, Any]:
        _open(breach)
        breach.scope = scope
        breach.counts = counts
        return {
            "scope": scope.as_json(),
            "people": counts["people"],
            "records": counts["records"],
            "clients": len(counts["tenants"]),
        }

    return book.change(breach_id, SCOPED, apply)


def record_notification(
    book: BreachRegister,
    register: Register,
    breach_id: str,
    *,
    to: str,
    at: datetime,
    now: datetime,
    delay_reason: str = "",
    reference: str = "",
) -> Breach:
    """Record that the authority, the controller or the people were told; a notification
    after its deadline needs the reasons for the delay (Art. 33(1))."""
    if to not in RECIPIENTS:
        raise BreachError(
            f"{to!r} is not someone a breach is notified to",
            hint="use authority, controller or people",
        )
    if at > now:
        raise BreachError(
            f"a notification cannot be recorded at {at.isoformat()}, later than now",
            hint="record it once made, with --at when it was made",
        )

    def apply(breach: Breach) -> dict[str, Any]:
        if at < breach.aware_at:
            raise BreachError(
                f"breach {breach.id} was notified before the organization was aware of it",
                hint="check --at, or correct the awareness time by opening the breach anew",
            )
        if to == "controller" and not breach.processor:
            raise BreachError(
                f"breach {breach.id} is about data we control: there is no controller to tell",
                hint="open the breach with --processor when we process the data for a client",
            )
        if breach.notified(to) is not None:
            raise BreachError(
                f"the notification of breach {breach.id} to the {to} is already recorded",
                hint="add what follows as an update: `registre breach update`",
            )
        deadline = clock(breach, register, to)
        late = deadline is not None and deadline.due is not None and at > deadline.due
        if late and not delay_reason.strip():
            assert deadline is not None and deadline.due is not None
            raise BreachError(
                f"breach {breach.id} was notified to the {to} "
                f"{duration_text(deadline.due - at).removeprefix('late by ')} after its "
                "deadline, and a late notification must give the reasons for the delay "
                "(Art. 33(1))",
                hint="give --delay-reason: why it could not be made in time",
            )
        breach.notifications.append(
            Notification(to, at, late, delay_reason.strip() if late else "", reference.strip())
        )
        return {
            "to": to,
            "at": at.isoformat(),
            "late": late,
            "delay_reason": delay_reason.strip() if late else "",
            "reference": reference.strip(),
        }

    return book.change(breach_id, NOTIFIED, apply)


def close(book: BreachRegister, breach_id: str, *, now: datetime, text: str) -> Breach:
    """Close a breach, its last facts recorded; it stays in the register (Art. 33(5))."""

    def apply(breach: Breach) -> dict[str, Any]:
        _open(breach)
        breach.closed_at = now
        breach.phases.append(Phase(now, text.strip() or "closed"))
        return {"text": text.strip()}

    return book.change(breach_id, CLOSED, apply)


@dataclass
class Written:
    """The letters to people and the notices to clients written for a breach."""

    people: list[Path] = field(default_factory=list)
    clients: list[Path] = field(default_factory=list)


def write_letters(
    book: BreachRegister,
    register: Register,
    breach_id: str,
    engines: Mapping[str, Engine],
    folder: Path,
    *,
    lang: str | None = None,
) -> Written:
    """Write what is owed: a letter to each person affected by a high-risk breach (Art. 34),
    and, as processor, a notice to each client with its own people and records only
    (Art. 33(2)); recorded in the audit trail. Nothing is written when nothing is owed.

    ``lang`` (fr or en) writes every letter in that language instead of each person's.
    """
    if lang is not None and lang not in letters.LANGS:
        raise BreachError(f"{lang!r} is not a language of the letters", hint="use fr or en")
    breach = book.get(breach_id)
    due = risk.owed(breach.assessment, processor=breach.processor)
    if breach.scope is None:
        raise BreachError(
            f"breach {breach.id} has no scope, so nobody is known to be affected",
            hint=f"state it first: registre breach update {breach.id} --scope TABLE",
        )
    written = Written()
    if due.people:
        affected = counting.count(register, breach.scope, engines)
        persons = counting.people_to_inform(register, affected, engines)
        if lang is not None:
            persons = [replace(p, lang=lang) for p in persons]
        written.people = list(letters.write_letters(folder, breach, register, persons))
    if due.controller:
        notice_lang = lang or register.policy.languages[0]
        from registre.breaches.mailing import client_contacts, client_names

        contacts = client_contacts(register, breach, engines)
        names = client_names(register, breach, engines)
        written.clients = list(
            letters.write_notices(folder, breach, register, notice_lang, contacts, names)
        )
    if written.people or written.clients:
        book.note(
            breach.id, LETTERS, {"people": len(written.people), "clients": len(written.clients)}
        )
    return written


def _open(breach: Breach) -> None:
    if breach.closed_at is not None:
        raise BreachError(
            f"breach {breach.id} is closed",
            hint="a closed breach stays as recorded; open a new one for new facts",
        )
