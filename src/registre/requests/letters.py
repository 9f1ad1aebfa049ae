"""The letters that answer a request, in HTML, in French or English, from the register.

The access letter gives what Art. 15(1) requires, per processing activity that holds data about
the person: purposes, legal bases, categories of data, recipients, how long each is kept, where
it came from, transfers outside the EEA and their safeguards, automated decision-making; then
the rights and how to complain. The erasure letter says what was deleted, anonymized, kept (why,
until when) and forwarded. Refusals state the reason and the right to complain (Art. 12(4)).
Names come from the register through :mod:`registre.documents`: no id reaches a letter.
The same input gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from registre.documents.naming import Namer
from registre.documents.retention import describe_rule
from registre.documents.typography import lower_first, sentence, typeset, upper_first
from registre.documents.wording import (
    and_list,
    duration,
    legal_basis_name,
    right_description,
    safeguard_name,
    source_name,
)
from registre.documents.wording import (
    date as date_words,
)
from registre.register.model import Lang, Register
from registre.requests import scope
from registre.requests.erase import Outcome
from registre.requests.find import Finder, Found

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    keep_trailing_newline=True,
    trim_blocks=False,
)

_KIND_TITLES = {
    "access": ("Réponse à votre demande d’accès", "Answer to your access request"),
    "portability": (
        "Réponse à votre demande de portabilité",
        "Answer to your data portability request",
    ),
    "erasure": ("Réponse à votre demande d’effacement", "Answer to your erasure request"),
    "rectification": (
        "Réponse à votre demande de rectification",
        "Answer to your rectification request",
    ),
    "restriction": (
        "Réponse à votre demande de limitation",
        "Answer to your request for restriction",
    ),
    "objection": ("Réponse à votre opposition", "Answer to your objection"),
}


@dataclass
class Block:
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Letter:
    """A letter's content, before layout."""

    register: Register
    lang: Lang
    title: str
    reference: str
    day: date
    opening: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)

    def render(self) -> str:
        n = Namer(self.register, self.lang)
        org = self.register.organization
        lang = self.lang

        def t(text: str) -> str:
            return typeset(text, lang)

        return _ENV.get_template("letter.html.j2").render(
            lang=self.lang,
            title=t(self.title),
            organization=org.name,
            address=n.address(org.address),
            reference_label=n.label("Référence", "Reference"),
            reference=self.reference,
            date_label=n.label("Date", "Date"),
            date=date_words(self.day, self.lang),
            opening=[t(p) for p in self.opening],
            sections=[
                Section(
                    t(s.title),
                    [t(p) for p in s.paragraphs],
                    [t(i) for i in s.items],
                    [Block(t(b.title), [(t(k), t(v)) for k, v in b.facts]) for b in s.blocks],
                )
                for s in self.sections
            ],
            closing=[t(p) for p in self.closing],
            signature=n.say(f"L’équipe de {org.name}", f"The {org.name} team"),
        )


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


def base_letter(register: Register, lang: Lang, kind: str, reference: str, day: date) -> Letter:
    fr, en = _KIND_TITLES[kind]
    return Letter(register, lang, fr if lang == "fr" else en, reference, day)


def activity_blocks(
    register: Register, lang: Lang, activities: dict[str, dict[str, int]]
) -> list[Block]:
    """Art. 15(1)(a) to (h) for each activity, in the register's words."""
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
                n.say("Données vous concernant", "Data about you"),
                n.say("; ", "; ").join(
                    f"{n.category(c)}{n.say(' : ', ': ')}{_records(count, lang)}"
                    for c, count in categories.items()
                ),
            ),
        ]
        if activity.recipients:
            facts.append(
                (
                    n.say("Destinataires", "Recipients"),
                    and_list(
                        [
                            n.recipient_with_kind(r)
                            if i == 0
                            else lower_first(n.recipient_with_kind(r))
                            for i, r in enumerate(activity.recipients)
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
                            source_name(s.kind, lang)
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
        if activity.role.value == "processor":
            facts.append(
                (
                    n.say("Responsable du traitement", "Controller"),
                    upper_first(n.controller(activity.controller))
                    + n.say(
                        ", pour le compte duquel nous traitons ces données.",
                        ", on whose behalf we process this data.",
                    ),
                )
            )
        blocks.append(Block(n.activity(activity_id), facts))
    return blocks


def _records(count: int, lang: Lang) -> str:
    if lang == "fr":
        return f"{count}\u00a0enregistrement" + ("s" if count > 1 else "")
    return f"{count} record" + ("s" if count != 1 else "")


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


def outcome_items(
    register: Register,
    finder: Finder,
    lang: Lang,
    outcomes: list[Outcome],
    action: str,
    until: dict[tuple[str, str], date | None] | None = None,
) -> list[str]:
    """One line per table of outcomes with ``action``, in words (categories, count, why)."""
    n = Namer(register, lang)
    items = []
    for outcome in outcomes:
        if outcome.action != action:
            continue
        mapping = finder.graphs_by_id[outcome.store].mapping(outcome.table)
        categories = list(dict.fromkeys(mapping.columns.values()))
        what = n.categories(categories) if categories else n.say("Données", "Data")
        line = f"{upper_first(what)}{n.say(' : ', ': ')}{_records(outcome.count, lang)}"
        if action == "kept":
            line += n.say(" ; ", "; ") + _why(register, finder, lang, outcome, until or {})
        elif action == "forwarded":
            activity_id = scope.table_activities(register, mapping)[0]
            controller = n.controller(register.activities[activity_id].controller)
            line += n.say(
                f" ; nous traitons ces données pour le compte {_de(controller)}, "
                "à qui nous transmettons votre demande",
                f"; we process this data on behalf of {controller}, "
                "to whom we forward your request",
            )
        items.append(sentence(line))
    return items


def _de(phrase: str) -> str:
    from registre.documents.typography import de

    return de(phrase)


def _why(
    register: Register,
    finder: Finder,
    lang: Lang,
    outcome: Outcome,
    until: dict[tuple[str, str], date | None],
) -> str:
    n = Namer(register, lang)
    mapping = finder.graphs_by_id[outcome.store].mapping(outcome.table)
    kept_fields = [mapping.columns[c] for c in mapping.columns if c not in outcome.columns]
    if outcome.reason == "hold":
        return n.say(
            "conservées en l’état en raison d’une procédure ou d’une réclamation en cours "
            "(gel juridique), jusqu’à sa clôture",
            "kept as they are because of pending proceedings or an open claim (legal hold), "
            "until it is closed",
        )
    if outcome.reason == "shared":
        return n.say(
            "conservées car elles concernent aussi d’autres personnes ; les informations qui "
            "vous identifient y ont été effacées",
            "kept because they also concern other people; the details identifying you were "
            "erased from them",
        )
    reasons = []
    for activity_id, rule_id in outcome.rules:
        rule = register.activities[activity_id].retention[rule_id]
        text = describe_rule(register, rule, lang).rstrip(".")
        reference = f" ({n.text(rule.reference)})" if rule.reference else ""
        reasons.append(text + reference)
    day = until.get((outcome.store, outcome.table))
    when = (
        n.say(
            f", soit jusqu’au {date_words(day, lang)}", f", that is until {date_words(day, lang)}"
        )
        if day
        else ""
    )
    fields = n.categories(list(dict.fromkeys(kept_fields)))
    return n.say(
        f"conservées pour respecter une obligation légale ({fields}){when} : "
        + " ; ".join(reasons),
        f"kept to comply with a legal obligation ({fields}){when}: " + "; ".join(reasons),
    )


def deadline_sentence(register: Register, lang: Lang, due: date) -> str:
    n = Namer(register, lang)
    return n.say(
        f"Nous devons y répondre au plus tard le {date_words(due, lang)}.",
        f"We must answer it by {date_words(due, lang)}.",
    )


def extension_paragraph(register: Register, lang: Lang, due: date, reason: str) -> str:
    n = Namer(register, lang)
    months = duration(register.rights.extension, lang)
    return n.say(
        f"Le délai de réponse est prolongé de {months}, jusqu’au {date_words(due, lang)}, pour la "
        f"raison suivante : {reason}",
        f"The time to answer is extended by {months}, until {date_words(due, lang)}, for the "
        f"following reason: {reason}",
    )


def render_context(letter: Letter) -> dict[str, Any]:
    """The letter's text as plain data (for ``--json`` and the API)."""
    return {
        "title": letter.title,
        "sections": [s.title for s in letter.sections],
    }


_KIND_WORDS = {
    "access": ("d’accès", "access"),
    "portability": ("de portabilité", "data portability"),
    "erasure": ("d’effacement", "erasure"),
    "rectification": ("de rectification", "rectification"),
    "restriction": ("de limitation du traitement", "restriction of processing"),
    "objection": ("d’opposition", "objection"),
}


def _opening(register: Register, request: Any) -> str:
    n = Namer(register, request.lang)
    received = date_words(request.received_at.date(), request.lang)
    return n.say(
        f"Nous avons bien reçu votre demande du {received} et y répondons ci-dessous.",
        f"We received your request of {received} and answer it below.",
    )


def controllers(register: Register, finder: Finder, processed: Found) -> list[str]:
    """The activities (ids) whose controller receives the forwarded request."""
    out: list[str] = []
    for rows in processed:
        if rows.rows:
            mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
            out += scope.table_activities(register, mapping)
    return [a for a in register.activities if a in set(out)]


def outcome_letter(
    register: Register,
    finder: Finder,
    request: Any,
    mine: Found,
    processed: Found,
    result: dict[str, Any],
    day: date,
) -> Letter:
    """The answer to an executed request, for each kind of request."""
    lang: Lang = request.lang
    n = Namer(register, lang)
    kind = request.kind.value
    letter = base_letter(register, lang, kind, request.id, day)
    letter.opening.append(_opening(register, request))
    if mine.empty and processed.empty:
        letter.opening.append(
            n.say(
                "Nous avons recherché vos données dans l’ensemble de nos systèmes à partir des "
                "informations que vous nous avez données : nous ne détenons aucune donnée vous "
                "concernant.",
                "We searched all our systems with the details you gave us: we hold no data "
                "about you.",
            )
        )
    elif kind in ("access", "portability") and not mine.empty:
        section = Section(n.say("Les données que nous détenons", "The data we hold"))
        if kind == "portability":
            section.paragraphs.append(
                n.say(
                    "Vous trouverez ci-joint les données que vous nous avez fournies, traitées sur "
                    "la base de votre consentement ou d’un contrat, dans un format structuré, "
                    "couramment utilisé et lisible par machine (JSON et CSV).",
                    "Attached are the data you provided to us, processed on the basis of your "
                    "consent or of a contract, in a structured, commonly used and machine-readable "
                    "format (JSON and CSV).",
                )
            )
        else:
            section.paragraphs.append(
                n.say(
                    "Vous trouverez ci-joint une copie de vos données (un document JSON et un "
                    "fichier CSV par table). Voici, pour chaque traitement, les informations "
                    "prévues par l’article 15 du RGPD.",
                    "Attached is a copy of your data (one JSON document and one CSV file per "
                    "table). For each processing activity, here is the information Article 15 "
                    "GDPR provides for.",
                )
            )
        section.blocks = activity_blocks(register, lang, involved(register, finder, mine))
        letter.sections.append(section)
    elif kind == "erasure":
        outcomes = [_outcome(o) for o in result.get("outcomes", [])]
        until = {(o["store"], o["table"]): _day(o.get("until")) for o in result.get("outcomes", [])}
        for action, fr, en in (
            ("deleted", "Données effacées", "Data erased"),
            ("anonymized", "Données anonymisées", "Data anonymised"),
            ("kept", "Données conservées", "Data kept"),
        ):
            items = outcome_items(register, finder, lang, outcomes, action, until)
            if items:
                letter.sections.append(Section(n.say(fr, en), items=items))
    elif kind == "rectification":
        changed = sorted({u["column"] for u in result.get("updated", [])})
        letter.sections.append(
            Section(
                n.say("Données rectifiées", "Data rectified"),
                paragraphs=[
                    n.say(
                        "Nous avons corrigé les informations suivantes partout où nous "
                        "les détenons :",
                        "We corrected the following information everywhere we hold it:",
                    )
                ],
                items=[_field_name(register, column, lang) for column in changed]
                or [
                    n.say(
                        "aucune information à corriger n’a été trouvée.",
                        "no information to correct was found.",
                    )
                ],
            )
        )
    elif kind == "restriction":
        letter.sections.append(
            Section(
                n.say("Limitation du traitement", "Restriction"),
                [
                    n.say(
                        "Vos données sont désormais conservées sans être utilisées, sauf "
                        "avec votre consentement, pour la défense de droits en justice ou "
                        "pour un motif important d’intérêt public. Nous vous informerons "
                        "avant de lever cette limitation.",
                        "Your data is now stored without being used, except with your "
                        "consent, for legal claims or for important reasons of public "
                        "interest. We will tell you before lifting this restriction.",
                    )
                ],
            )
        )
    elif kind == "objection":
        names = [n.quoted(n.activity(a)) for a in request.options.get("activities", [])]
        letter.sections.append(
            Section(
                n.say("Votre opposition", "Your objection"),
                [
                    n.say(
                        f"Vos données ne sont plus traitées pour {and_list(names, lang)}.",
                        f"Your data is no longer processed for {and_list(names, lang)}.",
                    )
                ],
            )
        )
    if not processed.empty:
        outcomes = [
            Outcome(r.store, r.table, "forwarded", len(r.rows), "processor")
            for r in processed
            if r.rows
        ]
        letter.sections.append(
            Section(
                n.say(
                    "Données traitées pour le compte de nos clients",
                    "Data processed on behalf of our clients",
                ),
                items=outcome_items(register, finder, lang, outcomes, "forwarded"),
            )
        )
    letter.sections.append(rights_section(register, lang))
    return letter


def _outcome(data: dict[str, Any]) -> Outcome:
    rules = [tuple(r.split("/", 1)) for r in data.get("rules", [])]
    return Outcome(
        data["store"],
        data["table"],
        data["action"],
        data["count"],
        data.get("reason", ""),
        list(data.get("columns", [])),
        [(a, r) for a, r in rules],
    )


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _field_name(register: Register, column: str, lang: Lang) -> str:
    n = Namer(register, lang)
    if "email" in column:
        return n.say("adresse e-mail", "email address")
    if "phone" in column:
        return n.say("numéro de téléphone", "phone number")
    for store in register.stores.values():
        for mapping in store.tables.values():
            if column in mapping.columns:
                return n.category(mapping.columns[column])
    return n.say("autre information", "other information")


def refusal_letter(register: Register, request: Any, reason: str, day: date) -> Letter:
    """A refusal: the reason, the right to complain and to a judicial remedy (Art. 12(4))."""
    lang: Lang = request.lang
    n = Namer(register, lang)
    authority = register.organization.supervisory_authority
    letter = base_letter(register, lang, request.kind.value, request.id, day)
    letter.opening.append(_opening(register, request))
    letter.sections.append(
        Section(
            n.say("Notre décision", "Our decision"),
            [
                n.say(
                    f"Nous ne pouvons pas donner suite à votre demande, pour la raison suivante : "
                    f"{sentence(reason)}",
                    f"We cannot act on your request, for the following reason: {sentence(reason)}",
                ),
                n.say(
                    f"Vous pouvez introduire une réclamation auprès de {n.text(authority.name)}"
                    + (f" ({authority.website})" if authority.website else "")
                    + " et former un recours juridictionnel.",
                    f"You may lodge a complaint with {n.text(authority.name)}"
                    + (f" ({authority.website})" if authority.website else "")
                    + " and seek a judicial remedy.",
                ),
            ],
        )
    )
    return letter


def forward_letter(
    register: Register, finder: Finder, request: Any, processed: Found, day: date
) -> Letter:
    """To the controller: the request, who made it, and which of its data we hold for it."""
    lang: Lang = request.lang
    n = Namer(register, lang)
    fr_kind, en_kind = _KIND_WORDS[request.kind.value]
    letter = Letter(
        register,
        lang,
        n.say(f"Transmission d’une demande {fr_kind}", f"Forwarding of a {en_kind} request"),
        request.id,
        day,
    )
    received = date_words(request.received_at.date(), lang)
    who = ", ".join(f"{v}" for k, v in sorted(request.identity.items()))
    letter.opening += [
        n.say(
            f"Le {received}, nous avons reçu une demande {fr_kind} de la personne identifiée "
            f"par : {who}. Elle concerne des données que nous traitons pour votre compte, en "
            "qualité de sous-traitant : en tant que responsable du traitement, il vous "
            "appartient d’y répondre.",
            f"On {received} we received a {en_kind} request from the person identified by: "
            f"{who}. It concerns data we process on your behalf as a processor: as the "
            "controller, it is for you to answer it.",
        ),
        n.say(
            "Le délai de réponse d’un mois court à compter de la réception de la demande. Nous "
            "vous assistons pour y répondre (article 28.3.e du RGPD) : indiquez-nous les "
            "opérations à effectuer sur ces données.",
            "The one-month time limit runs from the receipt of the request. We assist you in "
            "answering it (Article 28(3)(e) GDPR): tell us what to do with this data.",
        ),
    ]
    section = Section(n.say("Données concernées", "Data concerned"))
    section.blocks = activity_blocks(register, lang, involved(register, finder, processed))
    letter.sections.append(section)
    return letter
