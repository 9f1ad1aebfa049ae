"""Checks on what people are offered: rights, consent, automated decisions, contacts, breaches.

Rights are owed by the controller. Activities where we act as processor follow the controller's
choices (its legal basis, its answers to requests), so the checks tied to a legal basis only
look at activities where we are controller or joint controller.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from registre.durations import Duration
from registre.lint.finding import Finding, activity_name, finding, longer_than, names
from registre.register.model import ProcessingActivity, Register
from registre.register.taxonomy import LegalBasis, Right, Role, SpecialCondition

BASIC_RIGHTS = (Right.access, Right.rectification, Right.erasure, Right.restriction)
# The legal bases as they read in a sentence ("relies on ..."), after Art. 6(1).
BASES = {
    LegalBasis.consent: "consent",
    LegalBasis.contract: "a contract",
    LegalBasis.legal_obligation: "a legal obligation",
    LegalBasis.vital_interests: "vital interests",
    LegalBasis.public_task: "a task in the public interest",
    LegalBasis.legitimate_interests: "legitimate interests",
    LegalBasis.not_stated: "a basis not stated",
}
ONE_MONTH = Duration(1, "months")
TWO_MONTHS = Duration(2, "months")

# Direct marketing is recognised from the words of the activity: the register has no flag for
# it, and a missed objection right on a newsletter is the finding a DPO least wants to miss.
_MARKETING = re.compile(
    r"newsletter|marketing|prospect|advertis|publicit|promotion|commercial offer|"
    r"offres? commerciale|lettre d.information|d[ée]marchage|mailing",
    re.IGNORECASE,
)
_EMPLOYEES = re.compile(
    r"employee|staff|worker|salari[ée]|employ[ée]s?\b|personnel|agents? (?:de|du|des)",
    re.IGNORECASE,
)


def is_direct_marketing(activity_id: str, activity: ProcessingActivity) -> bool:
    words = [
        activity_id,
        activity.name.fr,
        activity.name.en,
        activity.purpose.fr,
        activity.purpose.en,
    ]
    return any(w and _MARKETING.search(w) for w in words)


def concerns_employees(register: Register, activity: ProcessingActivity) -> bool:
    for subject_id in activity.subjects:
        subject = register.subjects[subject_id]
        words = [subject_id, subject.name.fr, subject.name.en]
        if any(w and _EMPLOYEES.search(w) for w in words):
            return True
    return False


def _controlled(register: Register) -> list[tuple[str, ProcessingActivity]]:
    return [(i, a) for i, a in register.activities.items() if a.role != Role.processor]


def _using(register: Register, *bases: LegalBasis) -> list[str]:
    return [i for i, a in _controlled(register) if set(a.legal_basis) & set(bases)]


def check_rights(register: Register) -> Iterator[Finding]:
    rights = register.rights
    offered = set(rights.offered)
    at = ("rights", "offered")
    missing = [r.value for r in BASIC_RIGHTS if r not in offered]
    if missing:
        yield finding(
            "RGT001",
            at,
            f"The rights offered leave out {names(missing)}, which "
            f"{'applies' if len(missing) == 1 else 'apply'} whatever the legal basis: add "
            f"{'it' if len(missing) == 1 else 'them'} to 'rights.offered'.",
        )
    portable = _using(register, LegalBasis.consent, LegalBasis.contract)
    if portable and Right.portability not in offered:
        yield finding(
            "RGT002",
            at,
            f"{_listed(register, portable)} on consent or a "
            "contract, so people may take their data elsewhere: add 'portability' to "
            "'rights.offered'.",
        )
    if Right.objection not in offered:
        marketing = [
            i
            for i, a in _controlled(register)
            if LegalBasis.legitimate_interests in a.legal_basis and is_direct_marketing(i, a)
        ]
        for activity_id in marketing:
            yield finding(
                "RGT004",
                ("activities", activity_id, "legal_basis"),
                f"Activity {activity_name(register, activity_id)} is direct marketing "
                "based on legitimate interests, and people may object to it at any "
                "time: add 'objection' to 'rights.offered'.",
            )
        others = [
            i
            for i in _using(register, LegalBasis.legitimate_interests, LegalBasis.public_task)
            if i not in marketing
        ]
        if others:
            yield finding(
                "RGT003",
                at,
                f"{_listed(register, others)} on legitimate "
                "interests or a public task, so people may object: add 'objection' to "
                "'rights.offered'.",
            )
    if longer_than(rights.response_deadline, ONE_MONTH):
        yield finding(
            "RGT005",
            ("rights", "response_deadline"),
            f"Requests are answered within {rights.response_deadline}, more than the "
            "one month of Art. 12(3): set the deadline to '1 month' or less.",
        )
    if longer_than(rights.extension, TWO_MONTHS):
        yield finding(
            "RGT006",
            ("rights", "extension"),
            f"The deadline may be extended by {rights.extension}, more than the two "
            "months of Art. 12(3): set the extension to '2 months' or less.",
        )


def check_consent(register: Register) -> Iterator[Finding]:
    consenting = _using(register, LegalBasis.consent)
    if consenting and register.rights.consent_withdrawal is None:
        yield finding(
            "CNS001",
            ("rights",),
            f"{_listed(register, consenting)} on consent "
            "but the register does not say how to withdraw it: describe the link, "
            "setting or address in 'rights.consent_withdrawal'.",
        )
    if consenting and Right.withdraw_consent not in register.rights.offered:
        yield finding(
            "CNS002",
            ("rights", "offered"),
            f"{_listed(register, consenting)} on "
            "consent, but withdrawing it is not among the rights offered: add "
            "'withdraw_consent' to 'rights.offered'.",
        )
    for activity_id, activity in _controlled(register):
        if LegalBasis.consent not in activity.legal_basis:
            continue
        label = activity_name(register, activity_id)
        at = ("activities", activity_id, "legal_basis")
        if len(activity.legal_basis) > 1:
            others = [BASES[b] for b in activity.legal_basis if b != LegalBasis.consent]
            yield finding(
                "CNS003",
                at,
                f"Activity {label} relies on {names(['consent', *others])} at once: a "
                "purpose has one basis, and one cannot fall back on another when "
                "consent is withdrawn; split the activity by purpose or keep one basis.",
            )
        if concerns_employees(register, activity):
            yield finding(
                "CNS004",
                at,
                f"Activity {label} asks employees for their consent, "
                "which they can rarely refuse freely: rely on another basis.",
            )


def check_automated_decisions(register: Register) -> Iterator[Finding]:
    allowed = {LegalBasis.contract, LegalBasis.legal_obligation, LegalBasis.consent}
    for activity_id, activity in register.activities.items():
        decision = activity.automated_decision
        if decision is None:
            continue
        at = ("activities", activity_id, "automated_decision")
        label = activity_name(register, activity_id)
        if decision.logic is None:
            yield finding(
                "ADM001",
                at,
                f"Activity {label} makes automated decisions without "
                "explaining the logic involved: describe it in 'logic'.",
            )
        if Right.automated_decision not in register.rights.offered:
            # A processor designs the decision too: it must let the controller offer the review.
            also = (
                ", so that the controller can offer it (Art. 28(3)(e))"
                if activity.role == Role.processor
                else ""
            )
            yield finding(
                "ADM002",
                at,
                f"Activity {label} makes automated decisions, but people are not offered "
                f"human intervention: add 'automated_decision' to 'rights.offered'{also}.",
            )
        if activity.role != Role.processor and not set(activity.legal_basis) & allowed:
            yield finding(
                "ADM003",
                at,
                f"Activity {label} makes automated decisions on "
                "legitimate interests, a public task or vital interests: if they "
                "have legal or similarly significant effects, only a contract, a "
                "law or explicit consent can ground them.",
            )
        special = [c for c in activity.data if register.data_category(c).special]
        if special and activity.special_condition not in (
            SpecialCondition.explicit_consent,
            SpecialCondition.substantial_public_interest,
        ):
            yield finding(
                "ADM004",
                at,
                f"Activity {label} makes automated decisions on "
                "special-category data, allowed only with explicit consent or for a "
                "substantial public interest.",
            )


def _listed(register: Register, activity_ids: list[str]) -> str:
    """'Activity “A” relies', 'Activities “A” and “B” rely'."""
    labels = [activity_name(register, i) for i in activity_ids]
    if len(labels) == 1:
        return f"Activity {labels[0]} relies"
    return f"Activities {names(labels)} rely"
