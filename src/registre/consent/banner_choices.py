"""A choice made in the cookie banner, recorded in the ledger as proof (issue 16 §4).

The banner names the browser by a random id it keeps in its own cookie (the identity kind
``consent_id``): the ledger then holds, per category that needs consent, the decision, when it
was made, the banner's text (version and sha256) and where (the page's origin, Global Privacy
Control). Posting the same choice again records nothing more, so a banner that could not tell
whether its post arrived may post it again; a refusal of a consent in force is a withdrawal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from registre._exceptions import ConsentError
from registre.consent import ledger
from registre.consent.banner import categories, notice_digests
from registre.consent.decisions import record_consent, withdraw_consent
from registre.consent.model import COOKIE_PREFIX, ConsentRecord, Decision, Method
from registre.register.model import Register
from registre.state import EngineState
from registre.state.db import to_utc, utcnow

IDENTITY_KIND = "consent_id"
"""How the ledger names a browser: the banner's random id, not a person's identity."""
_ID = re.compile(r"^[0-9a-f]{32}$")
CLOCK_SKEW = timedelta(minutes=5)
"""A browser's clock may run this much ahead; later instants are taken as the server's now."""
OLDEST = timedelta(days=183)
"""A choice posted later than the six months it lasts is dated when it arrives."""


@dataclass(frozen=True)
class BannerChoice:
    """What the banner posts: the browser's id, a decision per category, and its context."""

    consent_id: str
    choices: dict[str, Decision]
    at: datetime | None = None
    notice_version: str | None = None
    notice_sha256: str | None = None
    gpc: bool = False
    dnt: bool = False
    """Refused by the browser's Do Not Track signal (where the register honors it)."""
    origin: str | None = None


def record_banner_choice(
    state: EngineState,
    register: Register,
    choice: BannerChoice,
    *,
    now: datetime | None = None,
    actor: str = "banner",
) -> list[ConsentRecord]:
    """Record each decision of ``choice``; return the records written (none for a repeat)."""
    if not _ID.match(choice.consent_id):
        raise ConsentError(
            f"{choice.consent_id!r} is not a banner's consent id",
            hint="the banner makes 32 hexadecimal characters; regenerate the banner",
        )
    asked = {c.id.value for c in categories(register) if c.asked}
    unknown = sorted(set(choice.choices) - asked)
    if unknown:
        raise ConsentError(
            f"the register asks no consent for cookies of category {', '.join(unknown)}",
            hint=f"the categories asked: {', '.join(sorted(asked)) or 'none'}; regenerate the "
            "banner from the register (registre cookies banner)",
        )
    current = to_utc(now) if now else utcnow()
    at = to_utc(choice.at) if choice.at else current
    if at > current + CLOCK_SKEW or at < current - OLDEST:
        at = current
    note = _note(register, choice)
    identity = {IDENTITY_KIND: choice.consent_id}
    written = []
    for category, decision in sorted(choice.choices.items()):
        purpose = COOKIE_PREFIX + category
        prior = ledger.latest(state, identity, purpose)
        if prior is not None and _same(prior, decision, at):
            continue
        if decision is Decision.refused and prior is not None and prior.in_force(current):
            record = withdraw_consent(
                state, identity, purpose, method=Method.banner, register=register, at=at,
                note=note, actor=actor,
            )  # fmt: skip
        else:
            record = record_consent(
                state, identity, purpose, decision=decision, method=Method.banner,
                register=register, at=at, notice_version=choice.notice_version,
                notice_sha256=choice.notice_sha256, note=note, actor=actor,
            )  # fmt: skip
        written.append(record)
    return written


def _same(prior: ConsentRecord, decision: Decision, at: datetime) -> bool:
    """The post repeats the latest record (same decision, same instant to the millisecond)."""
    repeated = prior.decision is decision or (
        decision is Decision.refused and prior.decision is Decision.withdrawn
    )
    return repeated and abs(prior.at - at) < timedelta(milliseconds=1)


def _note(register: Register, choice: BannerChoice) -> str:
    parts = [f"cookie banner on {choice.origin}" if choice.origin else "cookie banner"]
    if choice.gpc:
        parts.append("Global Privacy Control: refused without being asked")
    elif choice.dnt:
        parts.append("Do Not Track: refused without being asked")
    if choice.notice_sha256 and choice.notice_sha256 not in notice_digests(register).values():
        parts.append("the banner's text is not the register's current one")
    return "; ".join(parts)
