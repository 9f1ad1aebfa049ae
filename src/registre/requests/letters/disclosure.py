"""What an access letter tells about each processing activity (Art. 15(1)), and the rights.

Per processing activity that holds data about the person: purposes, legal bases, categories of
data, recipients, how long each is kept, where it came from, transfers outside the EEA and
their safeguards, automated decision-making; then the rights and how to complain. Names come
from the register through :mod:`registre.documents`: no id reaches a letter.
"""

from __future__ import annotations

import re

from registre.documents.naming import Namer
from registre.documents.retention import describe_rule
from registre.documents.typography import sentence, upper_first
from registre.documents.wording import (
    and_list,
    legal_basis_name,
    pick,
    right_description,
    safeguard_name,
    source_name,
)
from registre.register.model import Lang, Register
from registre.register.taxonomy import RecipientKind, Source
from registre.requests import table_activities
from registre.requests.find import Finder, Found
from registre.requests.letters.clocks import Statuses, status_lines
from registre.requests.letters.layout import Block, Section, records


def involved(register: Register, finder: Finder, found: Found) -> dict[str, dict[str, int]]:
    """Activity id -> {data category id: rows}, for the tables where rows were found."""
    out: dict[str, dict[str, int]] = {}
    for rows in found:
        if not rows.count:
            continue
        mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
        for activity_id in table_activities.table_activities(register, mapping):
            activity = register.activities[activity_id]
            categories = [c for c in dict.fromkeys(mapping.columns.values()) if c in activity.data]
            for category in categories or activity.data[:1]:
                bucket = out.setdefault(activity_id, {})
                bucket[category] = bucket.get(category, 0) + rows.count
    return {a: out[a] for a in register.activities if a in out}


def controllers(register: Register, finder: Finder, processed: Found) -> list[str]:
    """The activities (ids) whose controller receives the forwarded request."""
    out: list[str] = []
    for rows in processed:
        if rows.count:
            mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
            out += table_activities.processor_activities(register, mapping)
    return [a for a in register.activities if a in set(out)]


def activity_blocks(
    register: Register,
    lang: Lang,
    activities: dict[str, dict[str, int]],
    *,
    to_controller: bool = False,
    statuses: Statuses | None = None,
) -> list[Block]:
    """Art. 15(1)(a) to (h) for each activity, in the register's words.

    Said to the person, or, with ``to_controller``, to the controller we process the data for:
    then the person is « la personne concernée » and the controller « vous ». ``statuses``
    (:func:`registre.requests.letters.clocks.evaluate`): where each retention clock stands for
    the person's records, told after how long the data is kept.
    """
    n = Namer(register, lang)
    blocks = []
    for activity_id, categories in activities.items():
        activity = register.activities[activity_id]
        facts: list[tuple[str, str | tuple[str, ...]]] = [
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
                    f"{n.category(c, described=True)}{n.say(' : ', ': ')}{records(count, lang)}"
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
            names = [n.recipient_with_kind(r) for r in recipients]
            facts.append(
                (
                    n.say("Destinataires", "Recipients"),
                    and_list(names[:1] + [_within(name) for name in names[1:]], lang),
                )
            )
        facts += _retention(register, lang, activity_id, categories)
        lines = status_lines(
            register, lang, (statuses or {}).get(activity_id, []), list(categories)
        )
        if lines:
            facts.append(
                (
                    n.say("Où en est la conservation", "Where retention stands"),
                    lines[0] if len(lines) == 1 else tuple(lines),
                )
            )
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


_ARTICLES = frozenset(
    {"le", "la", "les", "l’", "l'", "un", "une", "des", "nos", "notre", "the", "a", "an", "our"}
)


def _within(name: str) -> str:
    """A name inside a sentence: « Les équipes… » becomes « les équipes… » after « et ».

    Only a name that starts with an article is lowered: any other may be a company's
    (« Google LLC », « Sendinblue SAS ») and keeps its capital.
    """
    first = name.split(" ", 1)[0].lower()
    if first in _ARTICLES or first[:2] in ("l’", "l'"):
        return name[:1].lower() + name[1:]
    return name


def _retention(
    register: Register, lang: Lang, activity_id: str, categories: dict[str, int]
) -> list[tuple[str, str | tuple[str, ...]]]:
    """How long the person's data is kept: only the rules covering categories found.

    Rules covering the same categories found (deleted at a reset, anonymized later) share one
    line; when there are several lines, each starts with the categories it is about.
    """
    n = Namer(register, lang)
    activity = register.activities[activity_id]
    lines: dict[tuple[str, ...], list[str]] = {}
    for rule in activity.retention.values():
        covered = register.rule_categories(activity_id, rule)
        shown = tuple(c for c in covered if c in categories) if rule.data else ()
        if rule.data and not shown:
            continue  # the person has no data of this rule's categories
        lines.setdefault(shown, []).append(sentence(describe_rule(register, rule, lang)))
    label = n.say("Durée de conservation", "Retention")
    if len(lines) == 1:
        return [(label, " ".join(map(upper_first, texts))) for texts in lines.values()]
    # « Appareils : effacement dès … Anonymisation 6 mois après … »: lower case after the colon
    return [
        (
            label,
            tuple(
                (f"{n.categories(list(shown))}{n.colon()}{first}" if shown else upper_first(first))
                + "".join(" " + upper_first(text) for text in rest)
                for shown, (first, *rest) in lines.items()
            ),
        )
    ]


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
            f" ({eu_act(holder.transfer.reference, lang)})"
            if holder.transfer and holder.transfer.reference
            else ""
        )
        parts.append(
            f"{n.recipient(recipient_id)}, {n.country(holder.country)}{n.say(' : ', ': ')}"
            f"{safeguard}{reference}"
        )
    return sentence(n.say(" ; ", "; ").join(parts)) if parts else ""


_EU_ACT = re.compile(
    r"^(?:commission\s+)?(?P<implementing>implementing\s+)?"
    r"(?P<kind>d[ée]cision|decision|r[èe]glement|regulation|directive)"
    r"(?P<execution>\s+d[’']ex[ée]cution)?(?:\s+de\s+la\s+commission)?"
    r"\s*\((?:UE|EU)\)\s*(?:n[°o]\s*)?(?P<number>\d{4}/\d+)$",
    re.IGNORECASE,
)
_ACT_NAMES = {
    "decision": ("Décision", "Decision"),
    "regulation": ("Règlement", "Regulation"),
    "directive": ("Directive", "Directive"),
}


def eu_act(reference: str, lang: Lang) -> str:
    """A transfer's reference in the letter's language when it names an EU act; else as written.

    The register holds one text for both languages, usually the author's: « Décision
    d’exécution (UE) 2021/914 » becomes “Commission Implementing Decision (EU) 2021/914” in
    an English letter. Anything else is quoted as written.
    """
    match = _EU_ACT.match(reference.strip())
    if match is None:
        return reference
    kind = match["kind"].lower().replace("é", "e").replace("è", "e")
    kind = {"reglement": "regulation"}.get(kind, kind)
    fr, en = _ACT_NAMES[kind]
    number = match["number"]
    if match["implementing"] or match["execution"]:
        return pick(
            lang, f"{fr} d’exécution (UE) {number}", f"Commission Implementing {en} (EU) {number}"
        )
    return pick(lang, f"{fr} (UE) {number}", f"{en} (EU) {number}")


def rights_section(register: Register, lang: Lang) -> Section:
    """The rights offered and how to complain to the authority (Art. 15(1)(e) and (f))."""
    n = Namer(register, lang)
    section = Section(n.say("Vos droits", "Your rights"))
    section.items = [
        sentence(upper_first(right_description(r, lang))) for r in register.rights.offered
    ]
    contact = register.organization.contact
    channel = contact.email or contact.web_form or ""
    section.after.append(
        n.say(
            f"Pour exercer ces droits, écrivez-nous à {channel}.",
            f"To exercise these rights, write to us at {channel}.",
        )
    )
    dpo = dpo_contact(register, lang)
    if dpo:
        section.after.append(dpo)
    section.after.append(remedies(register, lang))
    return section


def dpo_contact(register: Register, lang: Lang) -> str:
    """How to reach the data protection officer, when one is appointed (Art. 13(1)(b))."""
    n = Namer(register, lang)
    dpo = register.organization.dpo
    if dpo is None:
        return ""
    ways = [w for w in (dpo.email, dpo.phone) if w]
    if dpo.address is not None:
        ways.append(n.address(dpo.address))
    if not ways:
        return ""
    who = [dpo.name] if dpo.name else []
    return sentence(
        n.label("Délégué à la protection des données", "Data protection officer")
        + ", ".join(who + ways)
    )


def remedies(register: Register, lang: Lang) -> str:
    """The complaint to the authority (Art. 77) and the judicial remedy (Art. 79)."""
    n = Namer(register, lang)
    authority = register.organization.supervisory_authority
    where = authority.website or (n.address(authority.address) if authority.address else "")
    return n.say(
        "Si vous estimez que vos droits ne sont pas respectés, vous pouvez introduire une "
        f"réclamation auprès de {n.text(authority.name)}"
        + (f" ({where})" if where else "")
        + " et former un recours juridictionnel (articles 77 et 79 du RGPD).",
        "If you believe your rights are not respected, you can lodge a complaint with "
        f"{n.text(authority.name)}"
        + (f" ({where})" if where else "")
        + " and seek a judicial remedy (Articles 77 and 79 GDPR).",
    )
