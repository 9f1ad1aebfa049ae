"""Enforcing a withdrawal of consent on the data, through the erasure machinery.

Recording the withdrawal (:func:`registre.consent.withdraw_consent`) stops the processing: the
host asks :func:`~registre.consent.has_consent` before it processes. Enforcing it erases the
data processed on that consent alone (Art. 17(1)(b)): an erasure request is opened for the
person, limited to the activity (:mod:`registre.requests.activity_scope`), verified by the
way the withdrawal came (a signed link reached the person's own mailbox), then executed as
every erasure is: planned and stored first, each step audited before it is written, holds and
legal obligations respected, deleted or anonymized as the register's rules say, resumable
where it stopped. The person then gets a confirmation in their language.

Nothing is erased when another legal basis covers the activity (consent next to a contract),
or when the withdrawal is about a cookie category (its data is in the browser). Running it
again for the same withdrawal resumes or re-answers the same request, never opens a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registre import owner_only
from registre._exceptions import ConsentError
from registre.consent import ledger
from registre.consent.letter import withdrawal_letter
from registre.consent.model import ConsentRecord, Decision, Method, is_cookie_category
from registre.register.model import Lang
from registre.register.taxonomy import LegalBasis
from registre.requests.lifecycle import RequestState
from registre.requests.service import RequestDesk
from registre.requests.store import SubjectRequest

VERIFIED_BY = {
    Method.unsubscribe_link: "the person followed a signed unsubscribe link sent to their address",
    Method.banner: "the choice was made in the person's own browser",
    Method.form: "the person withdrew through a form of their account",
    Method.api: "the host application authenticated the person",
    Method.operator: "an operator checked the person's identity",
}


@dataclass
class Enforcement:
    """What a withdrawal changed: the erasure request, its outcomes, the letter."""

    withdrawal: ConsentRecord
    erased: bool
    reason: str
    """erased | forwarded | other_basis | cookie | no_activity"""
    request: SubjectRequest | None = None
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    letter: Path | None = None
    controllers: list[str] = field(default_factory=list)
    """The clients the erasure went to, when we process the data on their behalf."""

    def as_json(self) -> dict[str, Any]:
        return {
            "consent": self.withdrawal.id,
            "activity": self.withdrawal.purpose,
            "erased": self.erased,
            "reason": self.reason,
            "request": self.request.id if self.request else None,
            "outcomes": self.outcomes,
            "letter": str(self.letter) if self.letter else None,
            "controllers": self.controllers,
        }


def enforce_withdrawal(
    desk: RequestDesk,
    withdrawal: ConsentRecord,
    *,
    lang: Lang | None = None,
    verified_by: str | None = None,
) -> Enforcement:
    """Erase what the withdrawn consent alone allowed, and write the person's confirmation."""
    if withdrawal.decision is not Decision.withdrawn:
        raise ConsentError(
            f"consent record {withdrawal.id} is a consent {withdrawal.decision.value}, not a "
            "withdrawal",
            hint="record the withdrawal first (registre consent withdraw)",
        )
    lang = lang or desk.register.policy.languages[0]
    activity = desk.register.activities.get(withdrawal.purpose)
    if is_cookie_category(withdrawal.purpose) or activity is None:
        reason = "cookie" if is_cookie_category(withdrawal.purpose) else "no_activity"
        return _answer(desk, Enforcement(withdrawal, False, reason), lang)
    if set(activity.legal_basis) != {LegalBasis.consent}:
        return _answer(desk, Enforcement(withdrawal, False, "other_basis"), lang)
    request = _request(desk, withdrawal, lang, verified_by)
    if request.state in (RequestState.in_progress, RequestState.extended):
        request = desk.execute(request.id)  # or resumes it at the step it stopped
    result = request.result or {}
    outcomes = list(result.get("outcomes", []))
    if request.state is RequestState.forwarded:
        # an activity we carry out for a client (device-management's geolocation): the
        # erasure went to the client, the controller, who decides and answers
        forwarded = Enforcement(withdrawal, False, "forwarded", request, outcomes)
        forwarded.controllers = [str(name) for name in result.get("controllers", [])]
        return _answer(desk, forwarded, lang)
    return _answer(desk, Enforcement(withdrawal, True, "erased", request, outcomes), lang)


def _request(
    desk: RequestDesk, withdrawal: ConsentRecord, lang: Lang, verified_by: str | None
) -> SubjectRequest:
    """The erasure request enforcing the withdrawal: the one opened before, else a new one."""
    request = None
    if withdrawal.request_id:
        request = desk.get(withdrawal.request_id)
    else:
        # opened, then killed before it was linked to the withdrawal
        for listed in desk.list():
            if listed.request.options.get("consent") == withdrawal.id:
                request = listed.request
                break
    if request is None:
        request = desk.open(
            "erasure",
            withdrawal.identity,
            lang=lang,
            options={"activities": [withdrawal.purpose], "consent": withdrawal.id},
        )
    if withdrawal.request_id != request.id:
        ledger.link_request(desk.state, withdrawal, request.id)
    if request.state is RequestState.received:
        request = desk.verify(request.id, method=verified_by or VERIFIED_BY[withdrawal.method])
    return request


def _answer(desk: RequestDesk, enforcement: Enforcement, lang: Lang) -> Enforcement:
    html = withdrawal_letter(desk.register, enforcement, lang)
    folder = desk.out_dir / (
        enforcement.request.id if enforcement.request else enforcement.withdrawal.id
    )
    path = folder / f"consent-withdrawal-{lang}.html"
    owner_only.write_text(path, html)  # 0600: it names the person
    enforcement.letter = path
    return enforcement
