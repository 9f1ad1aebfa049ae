"""The Art. 30 record of processing activities, after the CNIL register model, as tables.

Three tables: the organization (Art. 30(1)(a)), the activities we control (Art. 30(1)), and
those we carry out as a processor (Art. 30(2)), with a fourth, the clients we act for, when
their names are read from the live database (``registre ropa --connect``). Cells hold words,
numbers and dates, never register ids. Writing them as CSV or XLSX is
:mod:`registre.documents.ropa_files`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from registre.documents.naming import Namer
from registre.documents.policy import check_language
from registre.documents.retention import describe_rules, retention_lines
from registre.documents.typography import lower_first, sentence, typeset, upper_first
from registre.documents.wording import (
    REGISTRATION_KINDS,
    in_eea,
    legal_basis_name,
    pick,
    safeguard_name,
    source_name,
    special_condition_name,
)
from registre.register.model import Lang, ProcessingActivity, Register, Transfer
from registre.register.taxonomy import CnilCategory, Role, SecurityHeading

Variant = Literal["controller", "processor", "both"]
Cell = str | int | dt.date
"""A cell: text, a number (written as a number in the XLSX) or a date."""

CNIL_CATEGORY_NAMES: dict[CnilCategory, tuple[str, str]] = {
    CnilCategory.civil_status: ("État civil, identité", "Civil status, identity"),
    CnilCategory.personal_life: ("Vie personnelle", "Personal life"),
    CnilCategory.professional_life: ("Vie professionnelle", "Professional life"),
    CnilCategory.financial: (
        "Informations d’ordre économique et financier",
        "Economic and financial information",
    ),
    CnilCategory.connection: ("Données de connexion", "Connection data"),
    CnilCategory.location: ("Données de localisation", "Location data"),
}
"""The CNIL register model's categories, in its words."""

SECURITY_HEADINGS: dict[SecurityHeading, tuple[str, str]] = {
    SecurityHeading.access_control: ("Contrôle d’accès des utilisateurs", "User access control"),
    SecurityHeading.traceability: ("Mesures de traçabilité", "Traceability"),
    SecurityHeading.software_protection: (
        "Mesures de protection des logiciels",
        "Software protection",
    ),
    SecurityHeading.backup: ("Sauvegarde des données", "Data backup"),
    SecurityHeading.encryption: ("Chiffrement des données", "Data encryption"),
    SecurityHeading.processor_control: ("Contrôle des sous-traitants", "Control of processors"),
    SecurityHeading.other: ("Autres mesures", "Other measures"),
}
"""The CNIL register model's headings of security measures, in its order."""


@dataclass(frozen=True)
class Client:
    """A client company we act for as a processor, as its row in the tenants table says."""

    name: str
    registration: str = ""
    contacts: tuple[str, ...] = ()


@dataclass(frozen=True)
class RopaTable:
    """One sheet of the register: a CSV file, or a worksheet of the XLSX."""

    title: str
    filename: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def ropa_tables(
    register: Register,
    lang: Lang = "fr",
    variant: Variant = "both",
    clients: Sequence[Client] | None = None,
) -> list[RopaTable]:
    """The organization table, then the controller and/or processor activity tables.

    ``clients``: the controllers we act for, read from the live database; they get a table of
    their own, and the processor table points at it.
    """
    n = Namer(register, check_language(register, lang))
    tables = [_organization(n)]
    if variant in ("controller", "both"):
        tables.append(_controller(n))
    if variant in ("processor", "both"):
        tables.append(_processor(n, clients))
        if clients:
            tables.append(_clients(n, clients))
    return [
        RopaTable(
            t.title,
            t.filename,
            tuple(typeset(h, lang) for h in t.header),
            tuple(tuple(_typeset_cell(c, lang) for c in row) for row in t.rows),
        )
        for t in tables
    ]


def _typeset_cell(cell: Cell, lang: Lang) -> Cell:
    return typeset(cell, lang) if isinstance(cell, str) else cell


def _organization(n: Namer) -> RopaTable:
    reg = n.register
    org = reg.organization
    registration = ""
    if org.registration is not None:
        kind = pick(n.lang, *REGISTRATION_KINDS[org.registration.kind])
        registration = f"{kind} {org.registration.number}"
        if org.registration.registry:
            registration += f" ({org.registration.registry})"
    dpo = org.dpo
    contact = org.contact
    channels = [
        c
        for c in (
            contact.email,
            contact.web_form,
            n.address(contact.address) if contact.address else None,
        )
        if c
    ]
    not_appointed = n.say("Non désigné", "Not appointed")
    # said missing, not left blank: the CNIL's model asks for both
    missing = n.say("Non renseigné", "Not recorded")
    rows: list[tuple[Cell, ...]] = [
        (n.say("Nom de l’organisme", "Name of the organization"), org.name),
        (n.say("Forme juridique", "Legal form"), n.text(org.legal_form) if org.legal_form else ""),
        (n.say("Immatriculation", "Registration"), registration),
        (n.say("Adresse", "Address"), n.address(org.address)),
        (n.say("Téléphone", "Phone"), org.phone or missing),
        (n.say("Site web", "Website"), org.website or ""),
        (n.say("Représentant légal", "Legal representative"), org.representative or missing),
        (
            n.say("Délégué à la protection des données", "Data protection officer"),
            (dpo.name or n.say("Désigné", "Appointed")) if dpo else not_appointed,
        ),
        (n.say("E-mail du délégué", "DPO email"), (dpo.email or "") if dpo else ""),
        (n.say("Téléphone du délégué", "DPO phone"), (dpo.phone or "") if dpo else ""),
        (
            n.say("Adresse du délégué", "DPO address"),
            n.address(dpo.address) if dpo and dpo.address else "",
        ),
        (
            n.say("Contact pour l’exercice des droits", "Contact to exercise rights"),
            "\n".join(channels),
        ),
        (
            n.say("Autorité de contrôle", "Supervisory authority"),
            upper_first(n.text(org.supervisory_authority.name)),
        ),
        (n.say("Version de la politique", "Policy version"), reg.policy.version),
        (n.say("Date de mise à jour", "Last updated"), reg.policy.date),
    ]
    return RopaTable(
        n.say("Organisme", "Organization"),
        n.say("organisme.csv", "organization.csv"),
        (n.say("Rubrique", "Item"), n.say("Information", "Details")),
        tuple(rows),
    )


def _controller(n: Namer) -> RopaTable:
    header = (
        n.say("N°", "No."),
        n.say("Traitement", "Processing activity"),
        n.say("Date de création", "Created"),
        n.say("Dernière mise à jour", "Last updated"),
        n.say("Finalité", "Purpose"),
        n.say("Base légale", "Legal basis"),
        n.say("Responsable conjoint", "Joint controller"),
        n.say("Catégories de personnes concernées", "Categories of data subjects"),
        n.say("Catégories de données", "Categories of personal data"),
        n.say("Catégories de données (modèle CNIL)", "Categories of data (CNIL model)"),
        n.say("Données sensibles", "Special categories of data"),
        n.say("Origine des données", "Source of the data"),
        n.say("Destinataires", "Recipients"),
        n.say("Sous-traitants et contrats (article 28)", "Processors and contracts (Article 28)"),
        n.say("Transferts hors EEE et garanties", "Transfers outside the EEA and safeguards"),
        n.say("Durées de conservation", "Retention periods"),
        n.say("Mesures de sécurité", "Security measures"),
    )
    rows: list[tuple[Cell, ...]] = []
    activities = [
        (aid, a) for aid, a in n.register.activities.items() if a.role is not Role.processor
    ]
    for number, (activity_id, activity) in enumerate(activities, start=1):
        bases = [upper_first(legal_basis_name(b, n.lang)) for b in activity.legal_basis]
        if activity.legitimate_interest is not None:
            bases.append(
                n.say("Intérêt poursuivi : ", "Interest pursued: ")
                + n.text(activity.legitimate_interest)
            )
        rows.append(
            (
                number,
                n.text(activity.name),
                *_dates(n, activity),
                n.text(activity.purpose),
                "\n".join(bases),
                n.controller(activity.controller) if activity.role is Role.joint_controller else "",
                "\n".join(n.subject(s) for s in activity.subjects),
                _categories(n, activity),
                _cnil_categories(n, activity),
                _sensitive(n, activity),
                "\n".join(
                    upper_first(source_name(s.kind, n.lang, to_the_person=False))
                    for s in activity.sources
                ),
                "\n".join(n.recipient_with_kind(r) for r in activity.recipients)
                or n.say("Aucun", "None"),
                _processors(n, activity),
                _transfers(n, activity),
                _retention(n, activity_id, activity),
                _security(n),
            )
        )
    return RopaTable(
        n.say("Traitements (responsable)", "Controller activities"),
        n.say("traitements-responsable.csv", "controller-activities.csv"),
        header,
        tuple(rows),
    )


def _processor(n: Namer, clients: Sequence[Client] | None) -> RopaTable:
    header = (
        n.say("N°", "No."),
        n.say(
            "Responsable du traitement pour le compte duquel nous agissons",
            "Controller on whose behalf we act",
        ),
        n.say("Contact du responsable pour les demandes", "Controller's contact for requests"),
        n.say("Catégorie de traitement", "Category of processing"),
        n.say("Date de création", "Created"),
        n.say("Dernière mise à jour", "Last updated"),
        n.say("Description", "Description"),
        n.say("Catégories de personnes concernées", "Categories of data subjects"),
        n.say("Catégories de données", "Categories of personal data"),
        n.say("Catégories de données (modèle CNIL)", "Categories of data (CNIL model)"),
        n.say("Données sensibles", "Special categories of data"),
        n.say(
            "Sous-traitants ultérieurs et contrats (article 28)",
            "Sub-processors and contracts (Article 28)",
        ),
        n.say("Transferts hors EEE et garanties", "Transfers outside the EEA and safeguards"),
        n.say("Mesures de sécurité", "Security measures"),
    )
    rows: list[tuple[Cell, ...]] = []
    activities = [a for a in n.register.activities.values() if a.role is Role.processor]
    for number, activity in enumerate(activities, start=1):
        controller = upper_first(n.controller(activity.controller))
        if clients:
            count = len(clients)
            controller += "\n" + n.say(
                f"{count}\u00a0client{'s' if count > 1 else ''}, nommé{'s' if count > 1 else ''} "
                "dans la feuille « Clients »",
                f"{count} client{'s' if count != 1 else ''}, named in the sheet “Clients”",
            )
        rows.append(
            (
                number,
                controller,
                (activity.controller.contact or "") if activity.controller else "",
                n.text(activity.name),
                *_dates(n, activity),
                n.text(activity.purpose),
                "\n".join(n.subject(s) for s in activity.subjects),
                _categories(n, activity),
                _cnil_categories(n, activity),
                _sensitive(n, activity),
                _processors(n, activity),
                _transfers(n, activity),
                _security(n),
            )
        )
    return RopaTable(
        n.say("Traitements (sous-traitant)", "Processor activities"),
        n.say("traitements-sous-traitant.csv", "processor-activities.csv"),
        header,
        tuple(rows),
    )


def _clients(n: Namer, clients: Sequence[Client]) -> RopaTable:
    """Each controller we act for (Art. 30(2)(a)), as the live table of clients names it."""
    return RopaTable(
        n.say("Clients", "Clients"),
        n.say("clients.csv", "clients.csv"),
        (
            n.say("N°", "No."),
            n.say("Responsable du traitement", "Controller"),
            n.say("Immatriculation", "Registration"),
            n.say("Coordonnées", "Contact details"),
        ),
        tuple(
            (number, client.name, client.registration, "\n".join(client.contacts))
            for number, client in enumerate(clients, start=1)
        ),
    )


def _dates(n: Namer, activity: ProcessingActivity) -> tuple[Cell, Cell]:
    missing = n.say("Non renseignée", "Not recorded")
    return (activity.created or missing, activity.updated or activity.created or missing)


def _categories(n: Namer, activity: ProcessingActivity) -> str:
    lines = []
    for category_id in activity.data:
        text = n.category(category_id)
        description = n.register.data_category(category_id).description
        if description is not None:
            # « Nom : par exemple … »: one capitalisation rule after a colon
            text += n.colon() + lower_first(n.text(description))
        lines.append(text)
    return "\n".join(lines)


def _cnil_categories(n: Namer, activity: ProcessingActivity) -> str:
    """One line per CNIL category, with the register's categories under it."""
    grouped: dict[CnilCategory | None, list[str]] = {}
    for category_id in activity.data:
        category = n.register.data_category(category_id)
        if category.special:
            continue  # assessed in the column of sensitive data
        grouped.setdefault(category.cnil_category, []).append(n.text(category.name))
    lines = [
        pick(n.lang, *CNIL_CATEGORY_NAMES[cnil]) + n.colon() + n.say(" ; ", "; ").join(names)
        for cnil in CnilCategory
        if (names := grouped.get(cnil))
    ]
    if None in grouped:
        lines.append(
            n.say("Autres catégories", "Other categories")
            + n.colon()
            + n.say(" ; ", "; ").join(grouped[None])
        )
    return "\n".join(lines)


def _sensitive(n: Namer, activity: ProcessingActivity) -> str:
    """An assessment, yes or no, from each category's ``special`` flag, and the condition."""
    special = [c for c in activity.data if n.register.data_category(c).special]
    national = [c for c in activity.data if n.register.data_category(c).national_id]
    if national:
        names = n.say(" ; ", "; ").join(n.text(n.register.data_category(c).name) for c in national)
        label = n.label(
            "Numéro d’identification national (article 87 du RGPD)",
            "National identification number (Article 87 GDPR)",
        )
        flagged = "\n" + label + names
    else:
        flagged = ""
    if not special:
        return (
            n.say(
                "Non : aucune des catégories de données de ce traitement n’est une catégorie "
                "particulière de données (article 9 du RGPD).",
                "No: none of the categories of data of this activity is a special category of "
                "data (Article 9 GDPR).",
            )
            + flagged
        )
    names = n.say(" ; ", "; ").join(n.text(n.register.data_category(c).name) for c in special)
    condition = (
        upper_first(special_condition_name(activity.special_condition, n.lang))
        if activity.special_condition is not None
        else n.say("non précisée", "not stated")
    )
    return (
        n.say("Oui", "Yes")
        + n.colon()
        + names
        + "\n"
        + n.label("Condition (article 9.2 du RGPD)", "Condition (Article 9(2) GDPR)")
        + condition
        + flagged
    )


def _processors(n: Namer, activity: ProcessingActivity) -> str:
    """Each processor of the activity with the reference of its contract (Art. 28(3))."""
    lines = []
    for rid in activity.recipients:
        processor = n.register.processors.get(rid)
        if processor is None:
            continue
        contract = processor.dpa or n.say("référence non renseignée", "reference not recorded")
        lines.append(f"{processor.name} ({n.label('contrat', 'contract')}{contract})")
    return "\n".join(lines) or n.say("Aucun", "None")


def _transfers(n: Namer, activity: ProcessingActivity) -> str:
    lines = []
    for rid in activity.recipients:
        country: str | None
        transfer: Transfer | None
        if rid in n.register.processors:
            country, transfer = (
                n.register.processors[rid].country,
                n.register.processors[rid].transfer,
            )
        else:
            country, transfer = (
                n.register.recipients[rid].country,
                n.register.recipients[rid].transfer,
            )
        if country is None or in_eea(country):
            continue
        safeguard = (
            upper_first(
                n.say(" ; ", "; ").join(
                    safeguard_name(s, n.lang) for s in (transfer.safeguard, *transfer.also)
                )
            )
            if transfer
            else n.say("Garantie non précisée", "Safeguard not stated")
        )
        if transfer is not None:
            safeguard += n.say(" ; document : ", "; document: ") + (
                transfer.reference or n.say("non renseigné", "not recorded")
            )
        lines.append(f"{n.recipient(rid)} ({n.country(country)}){n.colon()}{safeguard}")
    return "\n".join(lines) or n.say("Aucun", "None")


def _retention(n: Namer, activity_id: str, activity: ProcessingActivity) -> str:
    lines = []
    for entry in retention_lines(n.register, activity_id):
        text = (
            n.categories(list(entry.categories))
            + n.colon()
            + describe_rules(n.register, list(entry.rules), n.lang)
        )
        references = [n.text(r.reference) for r in entry.rules if r.reference is not None]
        for reference in dict.fromkeys(references):
            text += " " + n.label("Référence", "Reference") + sentence(reference)
        lines.append(text)
    return "\n".join(lines) or n.say("Non définie", "Not defined")


def _security(n: Namer) -> str:
    """The measures under the CNIL's headings, in its order; a measure without one is 'other'."""
    grouped: dict[SecurityHeading, list[str]] = {}
    for measure in n.register.security:
        grouped.setdefault(measure.heading or SecurityHeading.other, []).append(
            sentence(n.text(measure))
        )
    return "\n".join(
        pick(n.lang, *SECURITY_HEADINGS[heading]) + n.colon() + " ".join(grouped[heading])
        for heading in SecurityHeading
        if heading in grouped
    )


def cell_text(cell: Cell, lang: Lang) -> str:
    """A cell as CSV text: a date as French Excel reads one (01/09/2026), or ISO in English."""
    if isinstance(cell, dt.date):
        return cell.strftime("%d/%m/%Y") if lang == "fr" else cell.isoformat()
    return str(cell)
