"""Accountability checks: who answers for the data, who processes it, and what protects it."""

from __future__ import annotations

from collections.abc import Iterator

from registre.lint.finding import Finding, activity_name, category_name, finding, names, text
from registre.lint.retention import is_location
from registre.register.model import Register
from registre.register.taxonomy import EEA, LegalBasis, Role


def check_special_categories(register: Register) -> Iterator[Finding]:
    for activity_id, activity in register.activities.items():
        special = [c for c in activity.data if register.data_category(c).special]
        if special and activity.special_condition is None:
            labels = names([category_name(register, c) for c in special])
            yield finding(
                "SPC001",
                ("activities", activity_id, "data"),
                f"Activity {activity_name(register, activity_id)} processes {labels}, "
                "a special category of data: give the Art. 9(2) condition that allows "
                "it in 'special_condition'.",
            )


def check_national_ids(register: Register) -> Iterator[Finding]:
    allowed = {LegalBasis.legal_obligation, LegalBasis.public_task}
    for activity_id, activity in register.activities.items():
        numbers = [c for c in activity.data if register.data_category(c).national_id]
        if numbers and not set(activity.legal_basis) & allowed:
            yield finding(
                "SPC002",
                ("activities", activity_id, "data"),
                f"Activity {activity_name(register, activity_id)} processes "
                f"{names([category_name(register, c) for c in numbers])} on neither a legal "
                "obligation nor a public task: in France the NIR serves only the purposes the "
                "décret-cadre lists; check the purpose, or stop collecting it.",
            )


def check_representative(register: Register) -> Iterator[Finding]:
    org = register.organization
    if org.public_body and org.dpo is None:
        yield finding(
            "CTC004",
            ("organization", "public_body"),
            "The organization is a public body but declares no DPO: a public authority or "
            "body must appoint one (Art. 37(1)(a)); declare it under 'organization.dpo'.",
        )
    if org.address.country not in EEA and org.eu_representative is None:
        yield finding(
            "CTC005",
            ("organization", "address"),
            f"The organization is established outside the Union ({org.address.country}) and "
            "names no representative in it (Art. 27): name it under "
            "'organization.eu_representative', unless its processing is occasional.",
        )


def check_contacts(register: Register) -> Iterator[Finding]:
    dpo = register.organization.dpo
    if dpo is not None:
        if not (dpo.email or dpo.phone or dpo.address):
            yield finding(
                "CTC001",
                ("organization", "dpo"),
                "The DPO is named but cannot be reached: give an email, a phone "
                "number or a postal address.",
            )
        return
    if register.organization.public_body:
        return  # CTC004: a DPO is mandatory whatever is processed
    reasons = []
    special = sorted(
        {
            c
            for a in register.activities.values()
            for c in a.data
            if register.data_category(c).special
        }
    )
    if special:
        reasons.append(
            "special-category data (" + names([category_name(register, c) for c in special]) + ")"
        )
    if any(is_location(register, c) for a in register.activities.values() for c in a.data):
        reasons.append("location data")
    if any(a.automated_decision is not None for a in register.activities.values()):
        reasons.append("automated decisions")
    if reasons:
        yield finding(
            "CTC002",
            ("organization",),
            f"No DPO is declared, yet the register processes {names(reasons)}: a DPO "
            "is mandatory when this is done on a large scale; appoint one under "
            "'organization.dpo', or record why it is not large-scale.",
        )
        return
    # The rights contact itself cannot be missing: the model requires one channel at least.
    yield finding(
        "CTC003",
        ("organization",),
        "No DPO is declared: if one is appointed, give their contact details under "
        "'organization.dpo'; if not, people's privacy questions go to the rights contact in "
        "'organization.contact'.",
    )


def check_breaches(register: Register) -> Iterator[Finding]:
    breaches = register.breaches
    if breaches.authority_notification_hours > 72:
        yield finding(
            "BRH001",
            ("breaches", "authority_notification_hours"),
            f"Breaches are notified to the authority within "
            f"{breaches.authority_notification_hours} hours, beyond the 72 hours of "
            "Art. 33(1): promise 72 hours or less.",
        )
    if not breaches.notify_subjects_when_high_risk:
        yield finding(
            "BRH002",
            ("breaches", "notify_subjects_when_high_risk"),
            "People are not told of breaches that put them at high risk, which "
            "Art. 34 requires: set 'notify_subjects_when_high_risk' to true.",
        )
    acting_for = [i for i, a in register.activities.items() if a.role == Role.processor]
    if acting_for and not breaches.notify_clients:
        yield finding(
            "BRH003",
            ("breaches", "notify_clients"),
            "We act as processor for some activities, yet clients are not told of "
            "breaches: a processor notifies its controller without undue delay; set "
            "'notify_clients' to true.",
        )
    promised = breaches.controller_notification_hours
    if acting_for and breaches.notify_clients and promised is not None and promised > 72:
        yield finding(
            "BRH005",
            ("breaches", "controller_notification_hours"),
            f"Clients are told of a breach within {promised} hours, longer than the 72 hours "
            "the authority has: a processor tells its controller without undue delay "
            "(Art. 33(2)), so that the controller can notify in time; promise 72 hours or less.",
        )
    stated = "breaches" in register.model_fields_set and (
        "notify_clients" in breaches.model_fields_set
        or "controller_notification_hours" in breaches.model_fields_set
    )
    if not stated:
        for activity_id in acting_for:
            yield finding(
                "BRH004",
                ("activities", activity_id, "role"),
                f"In activity {activity_name(register, activity_id)} we act as processor, "
                "yet the register makes no commitment to tell the controller of a breach "
                "(Art. 33(2): without undue delay): state 'breaches.notify_clients: true'.",
            )


def check_processors(register: Register) -> Iterator[Finding]:
    for activity_id, activity in register.activities.items():
        if activity.role != Role.controller and activity.controller is None:
            role = "processor" if activity.role == Role.processor else "joint controller"
            yield finding(
                "PRC001",
                ("activities", activity_id, "role"),
                f"In activity {activity_name(register, activity_id)} we act as {role},"
                " but the controller is not named: fill in 'controller' (at least its "
                "'kind').",
            )
    used = {r for a in register.activities.values() for r in a.recipients}
    for processor_id, processor in register.processors.items():
        if processor.dpa is None:
            yield finding(
                "PRC002",
                ("processors", processor_id),
                f"No data processing agreement is recorded for processor "
                f"{processor.name}: give its reference or URL in 'dpa'.",
            )
        if processor_id not in used:
            yield finding(
                "PRC003",
                ("processors", processor_id),
                f"Processor {processor.name} receives data from no activity: add it "
                "to the 'recipients' of the activities it serves, or remove it.",
            )
    for recipient_id, recipient in register.recipients.items():
        if recipient_id not in used:
            yield finding(
                "PRC003",
                ("recipients", recipient_id),
                f"Recipient “{text(recipient.name)}” receives data from no activity: "
                "add it to the 'recipients' of the activities that share data with "
                "it, or remove it.",
            )


def check_security(register: Register) -> Iterator[Finding]:
    if not register.security:
        yield finding(
            "SEC001",
            ("security",),
            "No security measure is described: list the technical and organisational "
            "measures (access control, encryption, backups) under 'security'.",
        )
