"""A consent record: who decided what about which processing, when, how, after reading what.

The fields follow ISO/IEC TS 27560 (consent record information structure) as the W3C Data
Privacy Vocabulary's consent guide lays them out, so that :meth:`ConsentRecord.as_dpv` gives a
record in that shape: the person (``dpv:hasDataSubject``, named by a digest), what it covers
(``dpv:hasPurpose``: an activity of the register or a cookie category), the decision
(``dpv:hasConsentStatus``), when (``dpv:isIndicatedAtTime``), how
(``dpv:hasIndicationMethod``), the notice seen (``dpv:hasNotice``: its version and sha256), the
controller (``dpv:hasDataController``) and the expiry (``dpv:hasExpiry``).

A record is never changed: a correction, a withdrawal or an expiry is a new record. Refusals
are records too, kept as long as consents (the CNIL's recommendation: the proof that a refusal
was respected is asked for as often as the proof of a consent). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from registre.durations import Duration


class Decision(StrEnum):
    """What the person decided, or what became of their decision."""

    given = "given"
    refused = "refused"
    withdrawn = "withdrawn"
    expired = "expired"


class Method(StrEnum):
    """How the decision was collected (ISO/IEC TS 27560's "indication method")."""

    form = "form"
    banner = "banner"
    unsubscribe_link = "unsubscribe_link"
    operator = "operator"
    api = "api"


COOKIE_PREFIX = "cookie:"
"""What a cookie category's purpose starts with (``cookie:statistics``); the rest are activities."""

COOKIE_CHOICE = Duration(6, "months")
"""How long a cookie choice is kept before asking again: the CNIL recommends six months, for a
refusal as for a consent (recommendation on cookies of 17 September 2020, Art. 2)."""

DPV_STATUS = {
    Decision.given: "dpv:ConsentGiven",
    Decision.refused: "dpv:ConsentRefused",
    Decision.withdrawn: "dpv:ConsentWithdrawn",
    Decision.expired: "dpv:ConsentExpired",
}
DPV_METHOD = {
    Method.form: "web form",
    Method.banner: "cookie banner",
    Method.unsubscribe_link: "one-click unsubscribe link (RFC 8058)",
    Method.operator: "recorded by an operator",
    Method.api: "host application's API call",
}


def notice_digest(text: str) -> str:
    """The sha256 of the text the person saw (the policy or the banner's text), in hex."""
    return hashlib.sha256(text.encode()).hexdigest()


def is_cookie_category(purpose: str) -> bool:
    return purpose.startswith(COOKIE_PREFIX)


@dataclass(frozen=True)
class ConsentRecord:
    """One decision of the ledger, as recorded (the trail's entry holds the same fields)."""

    id: str
    person: str
    """The digest of the person's identity, as the audit trail names them."""
    purpose: str
    """An activity id of the register, or ``cookie:`` and a cookie category."""
    decision: Decision
    at: datetime
    method: Method
    controller: str
    notice_version: str | None = None
    notice_sha256: str | None = None
    expires_at: datetime | None = None
    replaces: str | None = None
    """The record this one withdraws, corrects or lets expire."""
    note: str | None = None
    audit_seq: int = 0
    request_id: str | None = None
    """The erasure request opened to enforce a withdrawal, once opened."""
    identity: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def in_force(self, now: datetime) -> bool:
        """True for a consent given and not expired at ``now``."""
        return self.decision is Decision.given and (
            self.expires_at is None or now < self.expires_at
        )

    def trail_details(self) -> dict[str, Any]:
        """What the audit entry records: never the identity in clear, only its digest."""
        return {
            "consent": self.id,
            "person": self.person,
            "purpose": self.purpose,
            "decision": self.decision.value,
            "at": self.at.isoformat(),
            "method": self.method.value,
            "controller": self.controller,
            "notice": {"version": self.notice_version, "sha256": self.notice_sha256},
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "replaces": self.replaces,
            "note": self.note,
        }

    def as_json(self) -> dict[str, Any]:
        """The record as plain JSON values, for ``consent history --json`` and the export."""
        return {**self.trail_details(), "audit_seq": self.audit_seq, "request": self.request_id}

    def as_dpv(self) -> dict[str, Any]:
        """The record in the ISO/IEC TS 27560 shape of the DPV consent guide (JSON-LD)."""
        cookie = is_cookie_category(self.purpose)
        record: dict[str, Any] = {
            "@context": "https://w3id.org/dpv/owl",
            "@type": "dpv:ConsentRecord",
            "dct:identifier": self.id,
            "dpv:hasDataSubject": {"@type": "dpv:DataSubject", "dct:identifier": self.person},
            "dpv:hasPurpose": {
                "@type": "dpv:Purpose",
                "dct:identifier": self.purpose,
                "dct:description": "cookie category" if cookie else "processing activity",
            },
            "dpv:hasConsentStatus": DPV_STATUS[self.decision],
            "dpv:isIndicatedAtTime": self.at.isoformat(),
            "dpv:hasIndicationMethod": DPV_METHOD[self.method],
            "dpv:hasDataController": {"@type": "dpv:DataController", "foaf:name": self.controller},
        }
        if self.notice_version or self.notice_sha256:
            record["dpv:hasNotice"] = {
                "@type": "dpv:PrivacyNotice",
                "dct:hasVersion": self.notice_version,
                "dpv:hasHashValue": self.notice_sha256,
            }
        if self.expires_at:
            record["dpv:hasExpiry"] = {"dpv:hasExpiryTime": self.expires_at.isoformat()}
        if self.replaces:
            record["dct:replaces"] = self.replaces
        return record
