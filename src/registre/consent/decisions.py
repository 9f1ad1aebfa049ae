"""Recording, withdrawing and asking about consent: what a host application calls.

::

    from registre.consent import has_consent, record_consent, withdraw_consent

    record_consent(state, "camille@example.fr", "newsletter", method="form",
                   controller="Boutique Lumen SAS", notice_version="1.0", notice_text=text)
    if has_consent(state, "camille@example.fr", "newsletter"):
        send_the_newsletter()

``person`` is named as :func:`registre.requests.is_restricted` names them: an email, or
identity values by kind. A record about a value of the identity counts for the person.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from registre._exceptions import ConsentError
from registre.consent import ledger
from registre.consent.model import (
    COOKIE_CHOICE,
    COOKIE_PREFIX,
    ConsentRecord,
    Decision,
    Method,
    is_cookie_category,
    notice_digest,
)
from registre.durations import Duration
from registre.register.model import Register
from registre.requests.identity import Identity, as_identity
from registre.state import EngineState
from registre.state.db import to_utc, utcnow


def _method(value: Method | str) -> Method:
    try:
        return Method(value)
    except ValueError:
        methods = ", ".join(m.value for m in Method)
        raise ConsentError(
            f"{value!r} is not a way of collecting consent", hint=f"use one of {methods}"
        ) from None


def check_purpose(register: Register, purpose: str) -> None:
    """Refuse a purpose that is neither an activity nor a cookie category of the register."""
    if is_cookie_category(purpose):
        category = purpose.removeprefix(COOKIE_PREFIX)
        known = sorted({c.category.value for c in register.cookies.values()})
        if category not in known:
            raise ConsentError(
                f"the register declares no cookie of category {category!r}",
                hint=f"name one of {', '.join(COOKIE_PREFIX + k for k in known) or '(none)'}",
            )
        return
    if purpose not in register.activities:
        raise ConsentError(
            f"the register has no activity {purpose!r}",
            hint=f"name an activity by its id ({', '.join(register.activities)}), or a cookie "
            "category as cookie:CATEGORY",
        )


def _identity(person: Mapping[str, str] | str) -> Identity:
    identity = as_identity(person)
    if not identity:
        raise ConsentError(
            "a consent record needs the person's identity", hint="give an email or a phone"
        )
    return identity


def record_consent(
    state: EngineState,
    person: Mapping[str, str] | str,
    activity: str,
    *,
    decision: Decision | str = Decision.given,
    method: Method | str,
    controller: str | None = None,
    register: Register | None = None,
    at: datetime | None = None,
    notice_version: str | None = None,
    notice_text: str | None = None,
    notice_sha256: str | None = None,
    expires_at: datetime | None = None,
    lifetime: Duration | None = None,
    note: str | None = None,
    actor: str = "registre",
) -> ConsentRecord:
    """Record a consent given or refused, with its proof; return the record.

    ``activity`` is an activity id of the register, or ``cookie:CATEGORY``. With ``register``
    the purpose is checked and the controller defaults to the organization. The notice the
    person saw is given by its text (its sha256 is recorded, not the text) or its sha256. A
    cookie choice expires after six months unless ``lifetime`` or ``expires_at`` says
    otherwise; a consent to an activity expires only when told.
    """
    chosen = Decision(decision)
    if chosen not in (Decision.given, Decision.refused):
        raise ConsentError(
            f"record_consent records a consent given or refused, not {chosen.value}",
            hint="withdraw a consent with withdraw_consent (registre consent withdraw)",
        )
    if register is not None:
        check_purpose(register, activity)
        controller = controller or register.organization.name
    if not controller:
        raise ConsentError(
            "a consent record names the controller who collected it",
            hint="pass the organization's name, or the register",
        )
    if notice_text is not None:
        digest = notice_digest(notice_text)
        if notice_sha256 is not None and notice_sha256 != digest:
            raise ConsentError(
                "the notice's text and the sha256 given do not match",
                hint="give one of them, the text or its sha256",
            )
        notice_sha256 = digest
    when = to_utc(at) if at is not None else utcnow()
    if expires_at is None:
        period = lifetime or (COOKIE_CHOICE if is_cookie_category(activity) else None)
        if period is not None:
            expires_at = period.add_to(when)
    return ledger.append(
        state,
        _identity(person),
        activity,
        chosen,
        method=_method(method),
        controller=controller,
        at=when,
        notice_version=notice_version,
        notice_sha256=notice_sha256,
        expires_at=expires_at,
        note=note,
        actor=actor,
    )


def withdraw_consent(
    state: EngineState,
    person: Mapping[str, str] | str,
    activity: str,
    *,
    method: Method | str,
    controller: str | None = None,
    register: Register | None = None,
    at: datetime | None = None,
    note: str | None = None,
    actor: str = "registre",
) -> ConsentRecord:
    """Record the withdrawal of the person's consent to ``activity``; return the record.

    From now on :func:`has_consent` is False for it. A withdrawal already recorded (the
    latest record says withdrawn) is returned as it is, so a link clicked twice records one
    withdrawal. Enforcing it on the data is :func:`registre.consent.enforce_withdrawal`.
    """
    identity = _identity(person)
    if register is not None:
        check_purpose(register, activity)
        controller = controller or register.organization.name
    previous = ledger.latest(state, identity, activity)
    if previous is not None and previous.decision is Decision.withdrawn:
        return previous
    controller = controller or (previous.controller if previous else None)
    if not controller:
        raise ConsentError(
            "a withdrawal names the controller it is addressed to",
            hint="pass the organization's name, or the register",
        )
    return ledger.append(
        state,
        identity,
        activity,
        Decision.withdrawn,
        method=_method(method),
        controller=controller,
        at=at,
        replaces=previous.id if previous else None,
        note=note,
        actor=actor,
    )


def has_consent(
    state: EngineState,
    person: Mapping[str, str] | str,
    activity: str,
    *,
    at: datetime | None = None,
) -> bool:
    """True when the person's latest decision about ``activity`` is a consent still in force.

    False with no record, after a refusal, a withdrawal, or once the consent expired (whether
    or not ``registre consent expire`` has recorded it yet).
    """
    record = ledger.latest(state, _identity(person), activity)
    return record is not None and record.in_force(to_utc(at) if at else utcnow())


def consent_history(
    state: EngineState, person: Mapping[str, str] | str, activity: str | None = None
) -> list[ConsentRecord]:
    """Every record about the person, oldest first (only about ``activity`` when given)."""
    return ledger.records(state, _identity(person), activity)


def expire_consents(
    state: EngineState, *, at: datetime | None = None, actor: str = "registre"
) -> list[ConsentRecord]:
    """Record an expiry for each decision past its expiry date; return the new records.

    Idempotent: a decision whose expiry is recorded is no longer the latest, so a second run
    records nothing.
    """
    now = to_utc(at) if at else utcnow()
    expired = []
    for record in ledger.due_to_expire(state, now):
        assert record.expires_at is not None
        expired.append(
            ledger.append(
                state,
                record.identity,
                record.purpose,
                Decision.expired,
                method=record.method,
                controller=record.controller,
                at=record.expires_at,
                replaces=record.id,
                actor=actor,
            )
        )
    return expired
