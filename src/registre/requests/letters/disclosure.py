"""What an access letter tells about each processing activity (Art. 15(1)), and the rights.

Per processing activity that holds data about the person: purposes, legal bases, categories of
data, recipients, how long each is kept, where it came from, transfers outside the EEA and
their safeguards, automated decision-making; then the rights and how to complain. Names come
from the register through :mod:`registre.documents`: no id reaches a letter.
"""

from __future__ import annotations

from registre.documents.naming import Namer
from registre.documents.retention import describe_rule
from registre.documents.typography import lower_first, sentence, upper_first
from registre.documents.wording import (
    and_list,
    legal_basis_name,
    right_description,
    safeguard_name,
    source_name,
)
from registre.register.model import Lang, Register
from registre.register.taxonomy import RecipientKind, Source
from registre.requests import scope
from registre.requests.find import Finder, Found
from registre.requests.letters.layout import Block, Section, records


def involved(register: Register, finder: Finder, found: Found) -> dict[str, dict[str, int]]:
    """Activity id -> {data category id: rows}, for the tables where rows were found."""
    out: dict[str, dict[str, int]] = {}
    for rows in found:
        if not rows.rows:
            continue
        mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
        for activity_id in scope.table_activities(register, mapping):
            activity = register.activities[activity_id]
            categories = [c for c in dict.fromkeys(mapping.columns.values()) if c in activity.data]
            for category in categories or activity.data[:1]:
                bucket = out.setdefault(activity_id, {})
                bucket[category] = bucket.get(category, 0) + len(rows.rows)
    return {a: out[a] for a in register.activities if a in out}


def controllers(register: Register, finder: Finder, processed: Found) -> list[str]:
    """The activities (ids) whose controller receives the forwarded request."""
    out: list[str] = []
    for rows in processed:
        if rows.rows:
            mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
            out += scope.processor_activities(register, mapping)
    return [a for a in register.activities if a in set(out)]


def activity_blocks(
    register: Register,
    lang: Lang,
    activities: dict[str, dict[str, int]],
    *,
    to_controller: bool = False,
) -> list[Block]:
    """Art. 15(1)(a) to (h) for each activity, in the register's words.

    Said to the person, or, with ``to_controller``, to the controller we process the data for:
    then the person is « la personne concernée » and the controller « vous ».
    """
    n = Namer(register, lang)
    blocks = []
    for activity_id, categories in activities.items():
        activity = register.activities[activity_id]
        facts = [
            (n.say("Finalité", "Purpose"), sentence(n.text(activity.purpose))),
            (
                n.say("Base légale", "Legal basis"),
                upper_first(
                    and_list([legal_basis_name(b, lang) for b in activity.legal_basis], lang)
                ),
            ),
            (
                n.say("Données de la personne", "Data about the person")
                if to_controller
                else n.say("Données vous concernant", "Data about you"),
                n.say("; ", "; ").join(
                    f"{n.category(c)}{n.say(' : ', ': ')}{records(count, lang)}"
                    for c, count in categories.items()
                ),
            ),
        ]
        # the controller is not told that it receives its own data
        recipients = [
            r
            for r in activity.recipients
            if not (to_controller and _is_the_controller(register, r))
        ]
        if recipients:
            facts.append(
                (
                    n.say("Destinataires", "Recipients"),
                    and_list(
                        [
                            n.recipient_with_kind(r)
                            if i == 0
                            else lower_first(n.recipient_with_kind(r))
                            for i, r in enumerate(recipients)
                        ],
                        lang,
                    ),
                )
            )
        for rule_id, rule in activity.retention.items():
            covered = register.rule_categories(activity_id, rule)
            label = n.say("Durée de conservation", "Retention")
            if len(activity.retention) > 1 and rule.data:
                label += f" ({n.categories(covered)})"
            facts.append((label, upper_first(describe_rule(register, rule, lang))))
            del rule_id
        facts.append(
            (
                n.say("Origine des données", "Source of the data"),
                upper_first(
                    and_list(
                        [
                            _source(n, s.kind, to_controller)
                            + (f" ({n.text(s.detail)})" if s.detail else "")
                            for s in activity.sources
                        ],
                        lang,
                    )
                ),
            )
        )
        transfers = _transfers(register, lang, activity.recipients)
        facts.append(
            (
                n.say("Transferts hors de l’Union européenne", "Transfers outside the EU"),
                transfers or n.say("Aucun.", "None."),
            )
        )
        decision = activity.automated_decision
        facts.append(
            (
                n.say("Décision automatisée", "Automated decision-making"),
                sentence(n.text(decision.description))
                + (" " + sentence(n.text(decision.logic)) if decision and decision.logic else "")
                if decision
                else n.say("Aucune.", "None."),
            )
        )
        if activity.role.value == "processor" and not to_controller:
            facts.append(
                (
                    n.say("Responsable du traitement", "Controller"),
                    upper_first(n.controller(activity.controller))
                    + n.say(
                        " (nous traitons ces données pour son compte).",
                        " (we process this data on its behalf).",
                    ),
                )
            )
        blocks.append(Block(n.activity(activity_id), facts))
    return blocks


def _is_the_controller(register: Register, recipient_id: str) -> bool:
    recipient = register.recipients.get(recipient_id)
    return recipient is not None and recipient.kind in (
        RecipientKind.client,
        RecipientKind.controller,
    )


def _source(n: Namer, kind: Source, to_controller: bool) -> str:
    if to_controller and kind is Source.client:
        return n.say("vous, notre client", "you, our client")
    return source_name(kind, n.lang, to_the_person=not to_controller)


def _transfers(register: Register, lang: Lang, recipients: list[str]) -> str:
    n = Namer(register, lang)
    parts = []
    for recipient_id in recipients:
        holder = register.processors.get(recipient_id) or register.recipients.get(recipient_id)
        if holder is None or not holder.outside_eea or holder.country is None:
            continue
        safeguard = (
            safeguard_name(holder.transfer.safeguard, lang)
            if holder.transfer
            else n.say("sans garantie déclarée", "with no declared safeguard")
        )
        reference = (
            f" ({holder.transfer.reference})"
            if holder.transfer and holder.transfer.reference
            else ""
        )
        parts.append(
            f"{n.recipient(recipient_id)}, {n.country(holder.country)}{n.say(' : ', ': ')}"
            f"{safeguard}{reference}"
        )
    return sentence(n.say(" ; ", "; ").join(parts)) if parts else ""


def rights_section(register: Register, lang: Lang) -> Section:
    """The rights offered and how to complain to the authority (Art. 15(1)(e) and (f))."""
    n = Namer(register, lang)
    authority = register.organization.supervisory_authority
    section = Section(n.say("Vos droits", "Your rights"))
    section.items = [
        sentence(upper_first(right_description(r, lang))) for r in register.rights.offered
    ]
    contact = register.organization.contact
    channel = contact.email or contact.web_form or ""
    section.paragraphs.append(
        n.say(
            f"Pour exercer ces droits, écrivez-nous à {channel}.",
            f"To exercise these rights, write to us at {channel}.",
        )
    )
    where = authority.website or (n.address(authority.address) if authority.address else "")
    complaint = n.say(
        f"Si vous estimez que vos droits ne sont pas respectés, vous pouvez introduire une "
        f"réclamation auprès de {n.text(authority.name)}",
        f"If you believe your rights are not respected, you can lodge a complaint with "
        f"{n.text(authority.name)}",
    )
    section.paragraphs.append(sentence(complaint + (f" ({where})" if where else "")))
    return section
