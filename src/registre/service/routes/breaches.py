"""The register of personal data breaches (Art. 33, 34): open, update, assess, scope, notify,
close; the list late first with the time left; the CNIL draft; the letters and notices.

The same library calls as ``registre breach``: each change is one audit entry, committed with
it, naming the person or token that made it. Times without a zone are in the policy's time
zone, as on the command line. The DPO and operators record; auditors read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from registre._exceptions import BreachError
from registre.breaches.model import Nature, Risk
from registre.breaches.store import BreachRegister
from registre.service.access import Principal
from registre.service.auth import READERS, WORKERS, requires, service
from registre.service.errors import InvalidInput, NotFound
from registre.service.runtime import Service
from registre.state.db import utcnow

router = APIRouter(prefix="/api/v1/breaches", tags=["breaches"])

Recipient = Literal["authority", "controller", "people"]
LETTER_NAME = r"b-[0-9a-f]+-(?:person-[0-9]{6}|client-[A-Za-z0-9._-]+)\.[a-z]{2}\.md"


class OpenBreach(BaseModel):
    aware_at: datetime = Field(
        description="When the organization became aware: the clocks start then. Without a "
        "zone, in the policy's time zone."
    )
    nature: list[Nature] = Field(min_length=1, description="What the breach did to the data.")
    summary: str = Field(min_length=1, description="What happened, as known now.")
    systems: list[str] = Field(default_factory=list, description="The systems affected.")
    source: str = Field("", description="Where it came from: an attack, a mistake, a loss.")
    processor: bool = Field(
        False, description="We process the data for clients, who must be told (Art. 33(2))."
    )


class Update(BaseModel):
    text: str = Field(min_length=1, description="The facts learnt since (Art. 33(4)).")
    unknown: str = Field("", description="What is still unknown after this update.")


class Assess(BaseModel):
    risk: Risk = Field(
        description="unlikely (documented only), risk (notify the authority) or high (and "
        "tell the people)."
    )
    reasons: str = Field(min_length=1, description="Why this level of risk.")
    consequences: str = Field("", description="The likely consequences for the people.")
    measures: str = Field("", description="The measures taken or proposed.")
    advice: str = Field("", description="What people can do to protect themselves.")
    people_not_told: str = Field(
        "", description="Art. 34(3): why people are not told of a high-risk breach."
    )


class ScopeBody(BaseModel):
    targets: list[str] = Field(
        min_length=1,
        description="What the breach reached: STORE, TABLE, STORE.TABLE, TABLE.COLUMN.",
    )
    since: datetime | None = Field(None, description="Only rows created or changed from then.")
    until: datetime | None = Field(None, description="Only rows created or changed before then.")
    tenant: str | None = Field(None, description="Only this client's rows.")


class NotificationBody(BaseModel):
    to: Recipient
    at: datetime | None = Field(None, description="When it was made [default: now].")
    delay_reason: str = Field(
        "", description="Why it came after its deadline (required then, Art. 33(1))."
    )
    reference: str = Field("", description="The authority's case number or an acknowledgement.")


class Close(BaseModel):
    text: str = Field("", description="The last facts.")


class LettersBody(BaseModel):
    lang: Literal["fr", "en"] | None = Field(
        None, description="Every letter in this language [default: each person's]."
    )


class SendBody(LettersBody):
    retry: bool = Field(False, description="Queue again the letters whose sending failed.")


def _book(running: Service, who: Principal, breach_id: str | None = None) -> BreachRegister:
    """The register of breaches acting for ``who``; a 404 when ``breach_id`` is not in it."""
    book = BreachRegister(running.state.engine, running.state.audit, actor=who.actor)
    if breach_id is not None:
        try:
            book.get(breach_id)
        except BreachError:
            raise NotFound(
                f"there is no breach {breach_id}",
                hint="GET /api/v1/breaches lists them",
                breach_id=breach_id,
            ) from None
    return book


@contextmanager
def invalid_input() -> Iterator[None]:
    """What the caller sent is wrong (a target not in the mapping, a time in the future): a
    422, not a conflict with the breach's state."""
    try:
        yield
    except BreachError as error:
        raise InvalidInput(error.message, hint=error.hint) from None


def _zoned(running: Service, moment: datetime | None) -> datetime | None:
    """A time the caller sent, in the policy's time zone when it names none."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(running.register.policy.timezone))


def _shown(running: Service, breach: Any) -> dict[str, Any]:
    from registre.breaches.view import details

    return details(breach, running.register, utcnow())


def _folder(running: Service, breach_id: str) -> Path:
    return running.desk.out_dir / "breaches" / breach_id


@router.get("")
def list_breaches(
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> list[dict[str, Any]]:
    """The breaches, late first, then by time left on their clocks (``seconds_left``)."""
    from registre.breaches.view import ordered, summary

    now = utcnow()
    breaches = ordered(_book(running, who).all(), running.register, now)
    return [summary(b, running.register, now) for b in breaches]


@router.post("", status_code=201)
def open_breach(
    body: OpenBreach,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Record a breach; its clocks start at ``aware_at``."""
    from registre.breaches import operations

    aware = _zoned(running, body.aware_at)
    assert aware is not None
    with invalid_input():
        breach = operations.open_breach(
            _book(running, who),
            aware_at=aware,
            now=utcnow(),
            nature=[n.value for n in body.nature],
            summary=body.summary,
            systems=body.systems,
            source=body.source,
            processor=body.processor,
        )
    return _shown(running, breach)


@router.get("/{breach_id}")
def show_breach(
    breach_id: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> dict[str, Any]:
    """One breach: facts in phases, clocks with the time left, assessment, scope and counts,
    notifications, and what is owed."""
    return _shown(running, _book(running, who, breach_id).get(breach_id))


@router.post("/{breach_id}/update")
def update_breach(
    breach_id: str,
    body: Update,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Add the facts learnt since, and what is still unknown (Art. 33(4))."""
    from registre.breaches import operations

    breach = operations.add_phase(
        _book(running, who, breach_id),
        breach_id,
        now=utcnow(),
        text=body.text,
        unknown=body.unknown,
    )
    return _shown(running, breach)


@router.post("/{breach_id}/assess")
def assess_breach(
    breach_id: str,
    body: Assess,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Record the risk assessment, which decides what is owed; a decision not to notify is
    kept with its reasons."""
    from registre.breaches.model import Assessment
    from registre.breaches.operations import assess
    from registre.breaches.risk import check

    assessment = Assessment(
        body.risk,
        body.reasons,
        body.consequences,
        body.measures,
        body.advice,
        body.people_not_told,
    )
    book = _book(running, who, breach_id)
    with invalid_input():
        check(assessment)
    return _shown(running, assess(book, breach_id, assessment))


@router.post("/{breach_id}/scope")
def scope_breach(
    breach_id: str,
    body: ScopeBody,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """State what the breach reached; the people and records are counted again on the live
    databases (``counts``)."""
    from registre.breaches import operations
    from registre.breaches.scope import Scope, parse_targets

    book = _book(running, who, breach_id)
    with invalid_input():
        stated = Scope(
            parse_targets(running.register, body.targets),
            since=_zoned(running, body.since),
            until=_zoned(running, body.until),
            tenant=body.tenant,
        )
    breach = operations.rescope(
        book, running.register, breach_id, stated, running.engines, now=utcnow()
    )
    return _shown(running, breach)


@router.post("/{breach_id}/notifications")
def record_notification(
    breach_id: str,
    body: NotificationBody,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Record that the authority, the controller or the people were told; after its deadline,
    with the reasons for the delay."""
    from registre.breaches import operations

    now = utcnow()
    breach = operations.record_notification(
        _book(running, who, breach_id),
        running.register,
        breach_id,
        to=body.to,
        at=_zoned(running, body.at) or now,
        now=now,
        delay_reason=body.delay_reason,
        reference=body.reference,
    )
    return _shown(running, breach)


@router.post("/{breach_id}/close")
def close_breach(
    breach_id: str,
    body: Close,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Close a breach; it stays in the register (Art. 33(5))."""
    from registre.breaches import operations

    breach = operations.close(
        _book(running, who, breach_id), breach_id, now=utcnow(), text=body.text
    )
    return _shown(running, breach)


@router.get(
    "/{breach_id}/cnil",
    responses={200: {"content": {"application/json": {}, "text/markdown": {}}}},
)
def cnil_draft(
    breach_id: str,
    format: Literal["json", "markdown"] = "json",
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> Response:
    """The draft of the notification to the CNIL, in French, with the fields its form asks;
    recorded in the audit trail as drafted, by whom."""
    from fastapi.responses import JSONResponse

    from registre.breaches import cnil
    from registre.breaches.store import DRAFTED

    book = _book(running, who, breach_id)
    breach = book.get(breach_id)
    data = cnil.draft(breach, running.register, utcnow())
    book.note(breach.id, DRAFTED, {"format": format, "type": data["type"]})
    if format == "markdown":
        return PlainTextResponse(cnil.markdown(data), media_type="text/markdown; charset=utf-8")
    return JSONResponse(data)


@router.post("/{breach_id}/letters")
def write_letters(
    breach_id: str,
    body: LettersBody,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Write what is owed: a letter to each person of a high-risk breach (Art. 34), a notice
    to each client when we are the processor (Art. 33(2)); nothing when nothing is owed."""
    from registre.breaches.operations import write_letters as write

    written = write(
        _book(running, who, breach_id),
        running.register,
        breach_id,
        running.engines,
        _folder(running, breach_id),
        lang=body.lang,
    )
    return {
        "breach": breach_id,
        "people": len(written.people),
        "clients": len(written.clients),
        "letters": [p.name for p in written.people + written.clients],
    }


@router.post("/{breach_id}/send", status_code=202)
def send_letters(
    breach_id: str,
    body: SendBody,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Queue what is owed to be sent by the service's mail (letters to the people of a
    high-risk breach, notices to each client when we are the processor), once; ``retry``
    queues the failed ones again. Each delivery is followed in the breach's ``deliveries``."""
    from registre.breaches import mailing

    book = _book(running, who, breach_id)
    if body.retry:
        mailing.retry(book, breach_id, running.jobs.queue, now=utcnow())
    else:
        mailing.queue(
            book,
            running.register,
            breach_id,
            running.engines,
            running.jobs.queue,
            now=utcnow(),
            lang=body.lang,
        )
    return _shown(running, book.get(breach_id))


@router.get("/{breach_id}/letters")
def list_letters(
    breach_id: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> list[dict[str, Any]]:
    """The letters and notices written for a breach."""
    import re

    _book(running, who, breach_id).get(breach_id)
    folder = _folder(running, breach_id)
    found = sorted(folder.iterdir()) if folder.is_dir() else []
    return [
        {
            "name": path.name,
            "to": "client" if "-client-" in path.name else "person",
            "url": f"/api/v1/breaches/{breach_id}/letters/{path.name}",
        }
        for path in found
        if path.is_file() and re.fullmatch(LETTER_NAME, path.name)
    ]


@router.get(
    "/{breach_id}/letters/{name}",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}}}},
)
def show_letter(
    breach_id: str,
    name: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> PlainTextResponse:
    """One letter or notice, in Markdown, as written."""
    listed = list_letters(breach_id, running, who)
    if name not in {item["name"] for item in listed}:
        raise NotFound(
            f"breach {breach_id} has no letter {name!r}",
            hint=f"GET /api/v1/breaches/{breach_id}/letters lists them",
            breach_id=breach_id,
        )
    text = (_folder(running, breach_id) / name).read_text(encoding="utf-8")
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")
