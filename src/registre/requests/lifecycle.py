"""The life of a data-subject request: its kinds, its states, and its deadline (Art. 12(3)).

A request is answered within the register's ``rights.response_deadline`` (one month by
default), counted in calendar months from the day it was received, in the organization's time
zone: received on 31 January, it is due on 28 February (29 in a leap year). Art. 12(3) says
"within one month": a register's deadline never takes it further (``30 days`` from 31 January
is 2 March, so the request is due on 28 February), and a shorter one stays shorter. The deadline
may be extended once, by ``rights.extension`` (two months), and only while the first period
runs, to three months from receipt at most; the reason is recorded. When identity was in
doubt, the period runs from the day the missing information arrived (EDPB Guidelines 01/2022,
point 159).

Everything here is pure: no I/O, no clock. The caller passes ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from registre._exceptions import RequestError
from registre.durations import Duration, local_date

DUE_SOON_DAYS = 7
"""A request is listed as due soon this many days before its due date."""


class RequestKind(StrEnum):
    """The rights a request exercises (Art. 15 to 21)."""

    access = "access"
    portability = "portability"
    erasure = "erasure"
    rectification = "rectification"
    restriction = "restriction"
    objection = "objection"


class RequestState(StrEnum):
    """Where a request stands."""

    received = "received"
    identity_to_verify = "identity_to_verify"
    in_progress = "in_progress"
    extended = "extended"
    done = "done"
    refused = "refused"
    forwarded = "forwarded"


CLOSED = frozenset({RequestState.done, RequestState.refused, RequestState.forwarded})

# action -> states it may start from; the state it leads to is decided by the action itself.
ALLOWED: dict[str, frozenset[RequestState]] = {
    "verify": frozenset({RequestState.received, RequestState.identity_to_verify}),
    "doubt": frozenset({RequestState.received, RequestState.identity_to_verify}),
    "execute": frozenset({RequestState.in_progress, RequestState.extended}),
    "extend": frozenset(
        {RequestState.received, RequestState.identity_to_verify, RequestState.in_progress}
    ),
    "refuse": frozenset(
        {
            RequestState.received,
            RequestState.identity_to_verify,
            RequestState.in_progress,
            RequestState.extended,
        }
    ),
    "forward": frozenset(
        {
            RequestState.received,
            RequestState.identity_to_verify,
            RequestState.in_progress,
            RequestState.extended,
        }
    ),
    # the controller of the data we forwarded the request about tells us to carry it out: a
    # request forwarded whole, or answered by us for our part and forwarded for the rest
    "instruct": frozenset({RequestState.forwarded, RequestState.done}),
}

_NEXT_STEP: dict[RequestState, str] = {
    RequestState.received: "verify the requester's identity first: `registre request verify ID "
    "--method TEXT`",
    RequestState.identity_to_verify: "wait for the information asked, then `registre request "
    "verify ID --method TEXT`",
    RequestState.in_progress: "execute it: `registre request execute ID`",
    RequestState.extended: "execute it: `registre request execute ID`",
    RequestState.done: "the request is closed; open a new one if the person asks again (a client "
    "it was forwarded to instructs with `registre request instruct ID --reference TEXT`)",
    RequestState.refused: "the request is closed; open a new one if the person asks again",
    RequestState.forwarded: "the controller answers it; if it instructs us to erase or rectify "
    "its data: `registre request instruct ID --reference TEXT`; if the person asks again, open a "
    "new one",
}


def check_transition(request_id: str, state: RequestState, action: str) -> None:
    """Raise :class:`RequestError` unless ``action`` may be taken in ``state``."""
    if state not in ALLOWED[action]:
        raise RequestError(
            f"request {request_id} is {state.value.replace('_', ' ')}: "
            f"it cannot be {_past(action)}",
            hint=_NEXT_STEP[state],
        )


def _past(action: str) -> str:
    return {
        "verify": "verified",
        "doubt": "put on hold for identity",
        "execute": "executed",
        "extend": "extended",
        "refuse": "refused",
        "forward": "forwarded",
        "instruct": "carried out on a controller's instruction (only a request forwarded to a "
        "client can)",
    }[action]


@dataclass(frozen=True)
class Deadline:
    """The dates that bound a request, as local calendar days (inclusive)."""

    starts: date
    """The day the period starts: receipt, or the day missing identity information arrived."""
    first_due: date
    """The last day of the first period; an extension must be decided by then."""
    due: date
    """The last day to answer, extension included."""
    extended: bool

    def status(self, today: date, state: RequestState) -> str:
        """``closed``, ``late``, ``due_soon`` or ``on_time``."""
        if state in CLOSED:
            return "closed"
        if today > self.due:
            return "late"
        if today >= self.due - timedelta(days=DUE_SOON_DAYS):
            return "due_soon"
        return "on_time"


LEGAL_RESPONSE = Duration(1, "months")
"""Art. 12(3): information is provided "within one month of receipt of the request"."""
LEGAL_TOTAL = Duration(3, "months")
"""Art. 12(3): the month "may be extended by two further months"."""


def deadline(starts: date, response: Duration, extension: Duration | None = None) -> Deadline:
    """The deadline of a request whose period starts on ``starts``.

    The first period ends at the earlier of ``response`` and one calendar month; with an
    extension, the total is counted from the start when both periods share a unit (received
    31 January: one month then two more is 30 April, not 28 April), chained otherwise, and
    never ends later than three calendar months from the start.
    """
    first = min(response.add_to(starts), LEGAL_RESPONSE.add_to(starts))
    if extension is None:
        return Deadline(starts, first, first, extended=False)
    if response.unit == extension.unit:
        due = Duration(response.amount + extension.amount, response.unit).add_to(starts)
    else:
        due = extension.add_to(first)
    due = min(due, LEGAL_TOTAL.add_to(starts))
    return Deadline(starts, first, max(due, first), extended=True)


def start_day(moment: datetime, tz: ZoneInfo) -> date:
    """The local day a request was received on (or identity information arrived on)."""
    return local_date(moment, tz)


def check_extension(request_id: str, today: date, current: Deadline) -> None:
    """Refuse an extension decided after the first period, or a second one."""
    if current.extended:
        raise RequestError(
            f"request {request_id} was already extended; Art. 12(3) allows one extension",
            hint="answer it by its due date, or refuse it with a reason",
        )
    if today > current.first_due:
        raise RequestError(
            f"request {request_id} can no longer be extended: the first period ended on "
            f"{current.first_due.isoformat()}",
            hint="Art. 12(3) requires the extension to be decided and told within the first month",
        )
