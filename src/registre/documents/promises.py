"""The promises a policy will make from the register's explicit values, in one short list.

The policy says only what the register states; a default of the format is never printed. So
that a DPO sees at a glance what the published policy will promise (and what it will not),
``registre check`` prints this summary under its OK line.
"""

from __future__ import annotations

from registre.register.model import CNIL, Register


def stated_promises(register: Register) -> list[str]:
    """One line per promise the policy will state, and one per point it will leave out."""
    rights = register.rights
    stated = rights.model_fields_set
    org = register.organization
    said: list[str] = []
    if "offered" in stated:
        said.append(f"rights: {', '.join(r.value for r in rights.offered)}")
    else:
        said.append("rights: not stated (the policy lists none)")
    if "response_deadline" in stated:
        said.append(f"answers within {rights.response_deadline}")
    if "extension" in stated:
        said.append(
            "no extension"
            if rights.extension.is_zero
            else f"deadline extensible by {rights.extension}"
        )
    if "how_to_request" in stated:
        said.append("how to make a request: stated")
    for entry in register.commitments:
        about = f" ({', '.join(entry.data)})" if entry.data else ""
        said.append(f"commitment: {entry.kind.replace('_', ' ')}{about}")
    if "breaches" in register.model_fields_set:
        breaches = register.breaches
        parts = []
        if "authority_notification_hours" in breaches.model_fields_set:
            parts.append(f"authority told within {breaches.authority_notification_hours} hours")
        if breaches.notify_clients and "notify_clients" in breaches.model_fields_set:
            parts.append("clients told")
        if (
            breaches.notify_subjects_when_high_risk
            and "notify_subjects_when_high_risk" in breaches.model_fields_set
        ):
            parts.append("people told of a high risk")
        said.append(f"breaches: {', '.join(parts) or 'section without a promise'}")
    else:
        said.append("breaches: no promise stated")
    if org.data_stays_in is not None:
        said.append(f"data stays in {org.data_stays_in}")
    if "supervisory_authority" in org.model_fields_set:
        authority = org.supervisory_authority
        name = "the CNIL" if authority == CNIL else authority.name.get(register.policy.languages[0])
        said.append(f"complaints: {name}")
    else:
        said.append("complaints: no authority named")
    return said
