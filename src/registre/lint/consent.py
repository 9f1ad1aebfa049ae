"""Consent checks that need the mapping: what a withdrawal does to the data (issue 16 §5).

The other consent checks (no withdrawal channel CNS001, the right not offered CNS002, consent
next to another basis CNS003, employees CNS004) are in :mod:`.rights`; the cookie ones (a
lifetime over 13 months CKE001, a category needing consent declared exempt CKE002, CKE003) in
:mod:`.cookies`.
"""

from __future__ import annotations

from collections.abc import Iterator

from registre.lint.finding import Finding, activity_name, finding
from registre.register.model import ProcessingActivity, Register
from registre.register.taxonomy import LegalBasis, Role

WITHDRAWN = "consent_withdrawn"


def _mapped(register: Register, activity_id: str, activity: ProcessingActivity) -> bool:
    """Whether a store holds the activity's data: a table bound to one of its rules, or, for a
    table bound to none, holding one of its categories."""
    own_rules = set(activity.retention)
    categories = set(activity.data)
    for store in register.stores.values():
        for mapping in store.tables.values():
            if mapping.rules:
                if own_rules & set(mapping.rules):
                    return True
            elif categories & set(mapping.columns.values()):
                return True
    return False


def check_withdrawal_rules(register: Register) -> Iterator[Finding]:
    for activity_id, activity in register.activities.items():
        if activity.role == Role.processor or set(activity.legal_basis) != {LegalBasis.consent}:
            continue
        clocks = [c for rule in activity.retention.values() for c in rule.after]
        if any(c.event == WITHDRAWN for c in clocks):
            continue
        if not _mapped(register, activity_id, activity):
            continue
        yield finding(
            "CNS005",
            ("activities", activity_id, "retention"),
            f"Activity {activity_name(register, activity_id)} relies on consent alone and its "
            "data is in a store, but no retention rule says what happens to it when consent "
            "is withdrawn: add a clock such as 'immediately after consent_withdrawn' (and the "
            "table's consent_withdrawn event), so a withdrawal erases it.",
        )
