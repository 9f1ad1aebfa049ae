"""What the policy must say and the register leaves unsaid, or promises and then breaks.

The policy says only what the register says, so a register silent where the law requires a
point (a legal basis, the rights, the authority to complain to) publishes a policy with a gap.
The register can say "not stated" (``not_stated``) rather than invent a value; these checks
are what makes that silence visible.
"""

from __future__ import annotations

from collections.abc import Iterator

from registre.lint.finding import Finding, activity_name, finding
from registre.register.model import Register
from registre.register.taxonomy import EEA, LegalBasis, Right


def check_statements(register: Register) -> Iterator[Finding]:
    org = register.organization
    for activity_id, activity in register.activities.items():
        if LegalBasis.not_stated in activity.legal_basis:
            yield finding(
                "STM001",
                ("activities", activity_id, "legal_basis"),
                f"The legal basis of {activity_name(register, activity_id)} is not stated: "
                "name the basis of Art. 6(1) the activity relies on.",
            )
        decision = activity.automated_decision
        if decision is not None and (decision.significance is None or decision.safeguards is None):
            missing = [
                key
                for key, value in (
                    ("significance", decision.significance),
                    ("safeguards", decision.safeguards),
                )
                if value is None
            ]
            yield finding(
                "STM007",
                ("activities", activity_id, "automated_decision"),
                f"Activity {activity_name(register, activity_id)} makes automated decisions "
                f"without saying its {' and '.join(repr(m) for m in missing)}: say what it "
                "means for the person and how to obtain human intervention and contest it.",
            )
    for processor_id, processor in register.processors.items():
        if processor.country is None:
            yield finding(
                "STM002",
                ("processors", processor_id, "country"),
                f"Where processor {processor.name} processes the data is not stated: give its "
                "country, so that a transfer outside the EEA can be seen.",
            )
    for cookie_id, cookie in register.cookies.items():
        if cookie.lifetime is None and not cookie.session:
            yield finding(
                "STM003",
                ("cookies", cookie_id, "lifetime"),
                f"The lifetime of cookie {cookie.label} is not stated: give it, such as "
                "'13 months'.",
            )
    if "supervisory_authority" not in org.model_fields_set:
        yield finding(
            "STM004",
            ("organization", "name"),
            "The policy names no supervisory authority to complain to: add "
            "'supervisory_authority: cnil' (or the authority's name and addresses).",
        )
    if "offered" not in register.rights.model_fields_set:
        yield finding(
            "STM005",
            ("rights",) if "rights" in register.model_fields_set else ("organization", "name"),
            "The policy lists no rights: list them in 'rights.offered', such as [access, "
            "rectification, erasure, restriction, objection, portability].",
        )
    yield from _stays_in(register)
    if (
        org.address.country == "FR"
        and "offered" in register.rights.model_fields_set
        and Right.post_mortem not in register.rights.offered
    ):
        yield finding(
            "STM008",
            ("rights", "offered"),
            "A French policy tells people they may give directives on their data after their "
            "death: add 'post_mortem' to 'rights.offered'.",
        )
    consented = [c for c in register.cookies.values() if c.needs_consent]
    if consented and register.rights.cookie_settings is None:
        yield finding(
            "STM009",
            ("cookies",),
            "Some cookies need consent, but the policy does not say where to withdraw it: give "
            "the URL of the cookie settings in 'rights.cookie_settings'.",
        )


def _stays_in(register: Register) -> Iterator[Finding]:
    """A promise that data stays in a place, against every place the register sends it."""
    place = register.organization.data_stays_in
    if place is None:
        return
    allowed = EEA if place == "EEA" else frozenset({place})
    where = "the EEA" if place == "EEA" else place
    flows: list[tuple[tuple[str | int, ...], str, str | None]] = [
        (("processors", pid, "country"), p.name, p.country)
        for pid, p in register.processors.items()
    ]
    flows += [
        (("recipients", rid, "country"), rid, r.country)
        for rid, r in register.recipients.items()
        if r.country is not None
    ]
    flows += [
        (("organization", "hosting", i), h.provider or "the host", h.country)
        for i, h in enumerate(register.organization.hosting)
    ]
    for at, who, country in flows:
        if country is None or country not in allowed:
            yield finding(
                "STM006",
                at,
                f"The policy promises that data stays in {where}, but {who} is "
                f"{'in ' + country if country else 'somewhere not stated'}: correct the "
                "promise ('organization.data_stays_in') or the place.",
            )
