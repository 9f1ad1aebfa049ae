"""A personal data breach as the register of breaches keeps it (Art. 33(5)).

Pure data: no database, no clock reading. The state tables are in :mod:`.store`, the deadlines
in :mod:`.clocks`, what the risk makes owed in :mod:`.risk`, who is affected in :mod:`.counting`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from registre.breaches.scope import Scope


class Nature(StrEnum):
    """What the breach did to the data (the CNIL's and the EDPB's three kinds)."""

    confidentiality = "confidentiality"
    """Disclosed to, or accessed by, someone who should not have."""
    integrity = "integrity"
    """Altered without authorisation."""
    availability = "availability"
    """Lost or made unavailable, for a time or for good."""


class Risk(StrEnum):
    """The risk to people's rights and freedoms (Art. 33(1), 34(1))."""

    unlikely = "unlikely"
    """Unlikely to result in a risk: documented only (Art. 33(5))."""
    risk = "risk"
    """A risk: the authority is notified (Art. 33(1))."""
    high = "high"
    """A high risk: the authority is notified and the people are told (Art. 34(1))."""


@dataclass(frozen=True)
class Assessment:
    """The risk assessment and what it makes owed; a decision not to notify keeps its reasons."""

    risk: Risk
    reasons: str
    consequences: str = ""
    """The likely consequences for the people, as the CNIL form and the letters say them."""
    measures: str = ""
    """The measures taken or proposed to address the breach and mitigate its effects."""
    advice: str = ""
    """What people can do to protect themselves (change a password, watch for phishing); the
    letters say it."""
    people_not_told_reason: str = ""
    """Art. 34(3): why people are not told of a high-risk breach (encrypted data, measures
    taken since, a public communication instead)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "risk": self.risk.value,
            "reasons": self.reasons,
            "consequences": self.consequences,
            "measures": self.measures,
            "advice": self.advice,
            "people_not_told_reason": self.people_not_told_reason,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Assessment:
        return cls(
            risk=Risk(value["risk"]),
            reasons=value["reasons"],
            consequences=value.get("consequences", ""),
            measures=value.get("measures", ""),
            advice=value.get("advice", ""),
            people_not_told_reason=value.get("people_not_told_reason", ""),
        )


@dataclass(frozen=True)
class Notification:
    """That someone was told of the breach: the authority, the controller, the people."""

    to: str
    """'authority', 'controller' or 'people'."""
    at: datetime
    late: bool
    delay_reason: str = ""
    """Art. 33(1): the reasons for a notification made after its deadline."""
    reference: str = ""
    """The authority's case number, the controller's acknowledgement, the mailing's job."""

    def as_json(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "at": self.at.isoformat(),
            "late": self.late,
            "delay_reason": self.delay_reason,
            "reference": self.reference,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Notification:
        return cls(
            to=value["to"],
            at=datetime.fromisoformat(value["at"]),
            late=value["late"],
            delay_reason=value.get("delay_reason", ""),
            reference=value.get("reference", ""),
        )


@dataclass(frozen=True)
class Phase:
    """One update of the facts as they arrive (Art. 33(4): information in phases)."""

    at: datetime
    text: str
    unknown: str = ""
    """What is still unknown after this update; the CNIL draft of a phased notification
    says it."""


DELIVERY_STATES = ("queued", "retrying", "sent", "failed", "no_address")
"""Where a mailed letter or notice stands: queued (not tried yet), retrying (an attempt failed,
another comes later), sent, failed (out of attempts, or refused for good), no_address (nobody
to mail it to: a person without an email, a client without a contact)."""


@dataclass(frozen=True)
class Delivery:
    """One letter (to a person) or notice (to a client) sent by mail, as a job of the service.

    The breach keeps no address: the job's arguments hold it (``registre jobs``, the API's
    ``/api/v1/jobs``); the audit trail names the delivery by its number and job."""

    number: int
    to: str
    """'person' or 'client'."""
    client: str | None
    """The client's key for a notice (and the person's client, when the mapping names one)."""
    lang: str
    job: str | None
    """The job that sends it; None when there was no address to send it to."""
    state: str
    queued_at: datetime
    attempts: int = 0
    error: str = ""
    """Why the last attempt failed (the mail server's answer), kept until it is sent."""
    sent_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "to": self.to,
            "client": self.client,
            "lang": self.lang,
            "job": self.job,
            "state": self.state,
            "queued_at": self.queued_at.isoformat(),
            "attempts": self.attempts,
            "error": self.error,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Delivery:
        return cls(
            number=value["number"],
            to=value["to"],
            client=value.get("client"),
            lang=value["lang"],
            job=value.get("job"),
            state=value["state"],
            queued_at=datetime.fromisoformat(value["queued_at"]),
            attempts=value.get("attempts", 0),
            error=value.get("error", ""),
            sent_at=datetime.fromisoformat(value["sent_at"]) if value.get("sent_at") else None,
        )


@dataclass
class Breach:
    """One breach of the register, with everything recorded about it so far."""

    id: str
    aware_at: datetime
    """When the organization became aware of it: the start of every clock (aware, UTC)."""
    opened_at: datetime
    nature: tuple[Nature, ...]
    summary: str
    systems: tuple[str, ...] = ()
    source: str = ""
    """Where it came from: an attack, an employee's mistake, a lost device, a processor."""
    processor: bool = False
    """We process the data for a controller (a client), which we must tell (Art. 33(2))."""
    phases: list[Phase] = field(default_factory=list)
    assessment: Assessment | None = None
    scope: Scope | None = None
    counts: dict[str, Any] | None = None
    """What :func:`registre.breaches.counting.count` found for the scope, as JSON."""
    notifications: list[Notification] = field(default_factory=list)
    closed_at: datetime | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    """The letters and notices sent by mail (:mod:`.mailing`), each with where it stands."""

    def notified(self, to: str) -> Notification | None:
        """The first notification recorded to ``to``, if any."""
        return next((n for n in self.notifications if n.to == to), None)
