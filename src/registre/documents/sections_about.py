"""Policy sections about us and the data: who we are, what we collect, why, for how long.

Each line records the register fields it says (``src``): a sentence with none would be a
promise the organization never made.
"""

from __future__ import annotations

import re

from registre.documents.blocks import (
    Block,
    Bullets,
    Inline,
    Line,
    Para,
    Section,
    Strong,
    email_link,
    line,
    url_link,
)
from registre.documents.naming import Namer
from registre.documents.retention import describe_rules, retention_lines
from registre.documents.typography import NNBSP, lower_first, sentence, upper_first
from registre.documents.wording import (
    REGISTRATION_KINDS,
    legal_basis_name,
    pick,
    requirement_phrase,
    role_name,
    source_name,
    special_condition_name,
)
from registre.register.model import Person, ProcessingActivity
from registre.register.taxonomy import Action, LegalBasis, Role


def who_we_are(n: Namer) -> list[Section]:
    org = n.register.organization
    facts = [
        line(n.label("Dénomination", "Name"), _name_and_form(n), src="organization.name"),
        line(
            n.label("Siège", "Registered office"),
            n.address(org.address),
            src="organization.address",
        ),
    ]
    if org.registration is not None:
        reg = org.registration
        kind = pick(n.lang, *REGISTRATION_KINDS[reg.kind])
        number = f"{kind} {_grouped(reg.kind, reg.number)}"
        if reg.registry:
            number += f" ({reg.registry})"
        facts.append(
            line(
                n.label("Immatriculation", "Registration"), number, src="organization.registration"
            )
        )
    if org.website:
        facts.append(
            line(n.label("Site web", "Website"), url_link(org.website), src="organization.website")
        )
    if org.phone:
        facts.append(line(n.label("Téléphone", "Phone"), org.phone, src="organization.phone"))
    if org.representative:
        facts.append(
            line(
                n.label("Représentant légal", "Legal representative"),
                org.representative,
                src="organization.representative",
            )
        )
    if org.eu_representative is not None:
        facts.append(
            line(
                n.label(
                    "Représentant dans l’Union européenne (article 27 du RGPD)",
                    "Representative in the European Union (Article 27 GDPR)",
                ),
                *_person(n, org.eu_representative),
                src="organization.eu_representative",
            )
        )
    if org.dpo is not None:
        dpo = org.dpo
        parts: list[Inline] = [
            n.label("Délégué à la protection des données", "Data protection officer")
        ]
        if dpo.name:
            parts.append(dpo.name + (", " if dpo.email or dpo.phone else ""))
        if dpo.email:
            parts.append(email_link(dpo.email))
        if dpo.phone:
            parts.append((", " if dpo.email else "") + dpo.phone)
        facts.append(line(*parts, src="organization.dpo"))
    main = Section(n.say("Qui sommes-nous ?", "Who we are"), 2, [Bullets(tuple(facts))])
    return [main, Section(n.say("Nos rôles", "Our roles"), 3, _roles(n))]


def _person(n: Namer, person: Person) -> list[Inline]:
    """'Name, email, phone, address', from what the register gives."""
    parts: list[Inline] = []
    for value in (person.name, email_link(person.email) if person.email else None, person.phone):
        if value is not None:
            parts += [", ", value] if parts else [value]
    if person.address is not None:
        parts += [", ", n.address(person.address)] if parts else [n.address(person.address)]
    return parts


def _name_and_form(n: Namer) -> str:
    """'Rendivo SAS (SAS au capital de 20 000 euros)', but 'Créneo SAS' rather than '… (SAS)'."""
    org = n.register.organization
    if org.legal_form is None:
        return org.name
    form = n.text(org.legal_form).strip()
    if re.search(rf"(^|[\s,]){re.escape(form)}$", org.name.strip(), re.IGNORECASE):
        return org.name
    return f"{org.name} ({form})"


def _grouped(kind: str, number: str) -> str:
    """SIREN and SIRET numbers as they are printed, in groups of three: '812 345 676'."""
    if kind in ("siren", "siret") and number.isdigit():
        return NNBSP.join(p for p in (number[:3], number[3:6], number[6:9], number[9:]) if p)
    return number


def _roles(n: Namer) -> list[Block]:
    blocks: list[Block] = []
    groups = n.activities_by_role()
    if Role.controller in groups:
        blocks.append(
            n.para(
                "Nous déterminons les finalités et les moyens des traitements suivants, dont nous "
                "sommes donc responsables :",
                "We decide why and how the data is processed in the following activities, so we "
                "are their controller:",
                [
                    f"activities.{i}.role" if _role_set(a) else f"activities.{i}"
                    for i, a in groups[Role.controller]
                ],
            )
        )
        blocks.append(_names(n, groups[Role.controller]))
    for role in (Role.joint_controller, Role.processor):
        by_controller: dict[str, list[tuple[str, ProcessingActivity]]] = {}
        for activity_id, activity in groups.get(role, []):
            by_controller.setdefault(n.controller(activity.controller), []).append(
                (activity_id, activity)
            )
        for activities in by_controller.values():
            ref = activities[0][1].controller
            src = [f"activities.{i}.role" for i, _ in activities]
            src += [f"activities.{i}.controller" for i, a in activities if a.controller]
            if role is Role.processor:
                intro = n.say(
                    f"Pour les traitements suivants, nous agissons en tant que sous-traitant, sur "
                    f"instruction et {n.on_behalf_of(ref)}, qui en est le responsable :",
                    f"In the following activities, we act as a processor, on the instructions "
                    f"and {n.on_behalf_of(ref)}, who is their controller:",
                )
            else:
                intro = n.say(
                    f"Nous sommes responsables conjoints, avec {n.controller(ref)}, des "
                    "traitements suivants :",
                    f"We are joint controllers, with {n.controller(ref)}, of the following "
                    "activities:",
                )
            blocks += [Para(line(intro, src=src)), _names(n, activities)]
    return blocks


def _role_set(activity: ProcessingActivity) -> bool:
    return "role" in activity.model_fields_set


def _names(n: Namer, activities: list[tuple[str, ProcessingActivity]]) -> Bullets:
    return Bullets(tuple(line(n.text(a.name), src=f"activities.{i}.name") for i, a in activities))


def what_we_collect(n: Namer) -> list[Section]:
    sections = [
        Section(
            n.say("Les données que nous collectons", "The data we collect"),
            2,
            [
                n.para(
                    "Selon votre situation, nous traitons les données suivantes, pour les "
                    "traitements indiqués.",
                    "Depending on who you are, we process the following data, in the "
                    "activities shown.",
                    "activities",
                )
            ],
        )
    ]
    for subject_id, subject in n.register.subjects.items():
        items = [
            line(
                Strong(n.text(activity.name)),
                n.colon(),
                sentence(n.categories(activity.data_of(subject_id), described=True, lower=True)),
                src=(f"activities.{activity_id}.name", f"activities.{activity_id}.data"),
            )
            for activity_id, activity in n.register.activities.items()
            if subject_id in activity.subjects
        ]
        if items:
            blocks: list[Block] = [Bullets(tuple(items))]
            if subject.description is not None:
                blocks.insert(
                    0,
                    Para(
                        line(
                            sentence(n.text(subject.description)),
                            src=f"subjects.{subject_id}.description",
                        )
                    ),
                )
            sections.append(
                Section(n.subject(subject_id), 3, list(blocks), src=(f"subjects.{subject_id}",))
            )
    return sections


def purposes(n: Namer) -> list[Section]:
    sections = [
        Section(
            n.say("Pourquoi nous utilisons vos données", "Why we use your data"),
            2,
            [
                n.para(
                    "Voici, pour chaque traitement, sa finalité et sa base légale (article 6 du "
                    "RGPD).",
                    "Here is, for each activity, its purpose and its legal basis (Article 6 GDPR).",
                    "activities",
                )
            ],
        )
    ]
    for activity_id, activity in n.register.activities.items():
        at = f"activities.{activity_id}"
        bases = [legal_basis_name(b, n.lang) for b in activity.legal_basis]
        facts: list[Line] = [
            line(
                n.label(
                    "Base légale" if len(bases) == 1 else "Bases légales",
                    "Legal basis" if len(bases) == 1 else "Legal bases",
                ),
                sentence(n.say(" ; ", "; ").join(bases)),
                src=f"{at}.legal_basis",
            )
        ]
        if activity.legal_basis_law is not None:
            facts.append(
                line(
                    n.label("Texte applicable", "Applicable law"),
                    sentence(n.text(activity.legal_basis_law)),
                    src=f"{at}.legal_basis_law",
                )
            )
        if LegalBasis.legitimate_interests in activity.legal_basis and activity.legitimate_interest:
            facts.append(
                line(
                    n.label("Intérêt légitime poursuivi", "Legitimate interest pursued"),
                    sentence(lower_first(n.text(activity.legitimate_interest))),
                    src=f"{at}.legitimate_interest",
                )
            )
        if activity.special_condition is not None:
            facts.append(
                line(
                    n.label(
                        "Condition de traitement des données sensibles",
                        "Condition for special categories of data",
                    ),
                    sentence(special_condition_name(activity.special_condition, n.lang)),
                    src=f"{at}.special_condition",
                )
            )
        facts.append(
            line(
                n.label("Personnes concernées", "People concerned"),
                sentence(
                    n.say(" ; ", "; ").join(lower_first(n.subject(s)) for s in activity.subjects)
                ),
                src=f"{at}.subjects",
            )
        )
        # The person is the usual source, but a policy that does not say so must not be made
        # to: the line is written only from the register's own 'sources'.
        if "sources" in activity.model_fields_set:
            sources = []
            for source in activity.sources:
                name = source_name(source.kind, n.lang)
                if source.detail:
                    name += f" ({n.text(source.detail).rstrip().rstrip('.')})"
                sources.append(name)
            facts.append(
                line(
                    n.label("Origine des données", "Source of the data"),
                    sentence(n.say(" ; ", "; ").join(sources)),
                    src=f"{at}.sources",
                )
            )
        if activity.requirement is not None:
            # Art. 13(2)(e), for this activity.
            facts.append(
                line(
                    n.label("Fourniture des données", "Providing the data"),
                    requirement_phrase(activity.requirement.kind, n.lang),
                    " ",
                    sentence(n.text(activity.requirement.consequence)),
                    src=f"{at}.requirement",
                )
            )
        facts.append(
            line(
                n.label("Notre rôle", "Our role"),
                sentence(_role(n, activity)),
                src=f"{at}.role" if _role_set(activity) else at,
            )
        )
        sections.append(
            Section(
                n.text(activity.name),
                3,
                [
                    Para(line(sentence(n.text(activity.purpose)), src=f"{at}.purpose")),
                    Bullets(tuple(facts)),
                ],
                src=(f"{at}.name",),
            )
        )
    return sections


def _role(n: Namer, activity: ProcessingActivity) -> str:
    name = role_name(activity.role, n.lang)
    if activity.role is Role.processor:
        return f"{name} {n.on_behalf_of(activity.controller)}"
    if activity.role is Role.joint_controller:
        return f"{name} {n.say('avec', 'with')} {n.controller(activity.controller)}"
    return name


def retention(n: Namer) -> list[Section]:
    rules = n.register.rules()
    intro: list[Block] = [
        n.para(
            "Vos données sont conservées pendant les durées indiquées ci-dessous, pour chaque "
            "traitement ; à l’échéance, elles sont effacées ou anonymisées, comme indiqué.",
            "Your data is kept for the periods shown below, for each activity; when that time "
            "is up, it is deleted or anonymized, as shown.",
            [f"activities.{a}.retention.{r}" for a, r, _ in rules] or "activities",
        )
    ]
    sections = [
        Section(
            n.say("Combien de temps nous conservons vos données", "How long we keep your data"),
            2,
            intro,
        )
    ]
    for activity_id, activity in n.register.activities.items():
        items = []
        for entry in retention_lines(n.register, activity_id):
            parts: list[Inline] = [
                Strong(upper_first(n.categories(list(entry.categories), lower=True))),
                n.colon(),
                describe_rules(n.register, list(entry.rules), n.lang),
            ]
            reasons = [n.text(r.reason) for r in entry.rules if r.reason is not None]
            references = [n.text(r.reference) for r in entry.rules if r.reference is not None]
            for reason in dict.fromkeys(reasons):
                parts.append(" " + n.label("Motif", "Reason") + sentence(lower_first(reason)))
            for reference in dict.fromkeys(references):
                parts.append(
                    " " + n.label("Référence", "Reference") + sentence(lower_first(reference))
                )
            ids = [
                f"activities.{activity_id}.retention.{rid}"
                for rid, rule in activity.retention.items()
                if any(rule is r for r in entry.rules)
            ]
            items.append(line(*parts, src=ids))
        if not items:
            # Art. 13(2)(a) requires the period: its absence is said (and the lint reports it).
            items.append(
                line(
                    n.say(
                        "Aucune durée de conservation n’est encore définie pour ce traitement.",
                        "No retention period is defined for this activity yet.",
                    ),
                    src=f"activities.{activity_id}",
                )
            )
        sections.append(
            Section(
                n.text(activity.name),
                3,
                [Bullets(tuple(items))],
                src=(f"activities.{activity_id}.name",),
            )
        )
    anonymized = [
        f"activities.{a}.retention.{r}.action"
        for a, r, rule in rules
        if rule.action is Action.anonymize
    ]
    if anonymized:
        intro.append(
            n.para(
                "Anonymiser des données, c’est supprimer de façon irréversible tout ce qui permet "
                "de vous identifier : les données anonymisées ne sont plus des données "
                "personnelles.",
                "Anonymizing data means irreversibly removing everything that could identify you: "
                "anonymized data is no longer personal data.",
                anonymized,
            )
        )
    return sections
