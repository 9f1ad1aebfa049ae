"""Plain-language names for the register's fixed vocabulary, in French and English.

Periods, dates, countries and lists come from Babel (CLDR), so plurals and month names are
right in both languages. Names are lower case, to be used inside a sentence; call
:func:`~registre.documents.typography.upper_first` for a table cell or a list item.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Literal

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.units import format_unit

from registre.documents.typography import NBSP
from registre.durations import Duration
from registre.register.model import Lang
from registre.register.taxonomy import (
    EEA,
    CookieCategory,
    LegalBasis,
    RecipientKind,
    Right,
    Role,
    Safeguard,
    Source,
    SpecialCondition,
)

# English is written in American spelling (anonymize, organization, defense) throughout the
# documents, one variant as the issue asks; dates keep the European order of en_GB ("1
# September 2026"), which is a matter of format, not of spelling, and is what EU readers expect.
LOCALES: dict[Lang, str] = {"fr": "fr_FR", "en": "en_GB"}

Pair = tuple[str, str]


def pick(lang: Lang, fr: str, en: str) -> str:
    """The French or the English wording."""
    return fr if lang == "fr" else en


# Babel spells no numbers out; prose only needs the small ones (« prolongé de deux mois »).
SMALL_NUMBERS: dict[Lang, tuple[str, ...]] = {
    "fr": ("un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"),
    "en": ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
}


def duration(period: Duration, lang: Lang, *, spell: bool = False) -> str:
    """'6 mois', '1 an', '2 ans', '15 days'; with ``spell``, 'deux mois' / 'two months' to ten."""
    if period.is_zero:
        return pick(lang, "immédiatement", "immediately")
    text = _unit(period.amount, f"duration-{period.unit[:-1]}", lang)
    if spell and 1 <= period.amount <= len(SMALL_NUMBERS[lang]):
        word = SMALL_NUMBERS[lang][period.amount - 1]
        if lang == "fr" and period.amount == 1 and period.unit == "weeks":
            word = "une"
        text = text.replace(str(period.amount), word, 1)
    # CLDR puts a no-break space in « 1 an » but not in « 2 ans »: one rule for all.
    return text.replace(" ", NBSP) if lang == "fr" else text


def hours(count: int, lang: Lang) -> str:
    text = _unit(count, "duration-hour", lang)
    return text.replace(" ", NBSP) if lang == "fr" else text


def date(day: dt.date, lang: Lang) -> str:
    """'1er septembre 2026' / '1 September 2026'.

    French writes the first day of a month as an ordinal (« le 1er septembre »); CLDR does not.
    """
    text = format_date(day, "long", locale=LOCALES[lang])
    if lang == "fr" and day.day == 1:
        text = "1er" + text[1:]
    return text.replace(" ", NBSP, 1) if lang == "fr" else text


def and_list(items: list[str], lang: Lang) -> str:
    return _list(tuple(items), "standard", lang) if items else ""


def or_list(items: list[str], lang: Lang) -> str:
    return _list(tuple(items), "or", lang) if items else ""


# Babel parses the locale and walks CLDR data on every call (about 0.08 ms each, a few dozen
# per answer letter); the same few periods and lists recur, and the results are plain text.
@functools.lru_cache(maxsize=1024)
def _unit(amount: int, unit: str, lang: Lang) -> str:
    return str(format_unit(amount, unit, length="long", locale=LOCALES[lang]))


@functools.lru_cache(maxsize=4096)
def _list(items: tuple[str, ...], style: Literal["standard", "or"], lang: Lang) -> str:
    return str(format_list(list(items), style=style, locale=LOCALES[lang]))


def country_name(code: str, lang: Lang) -> str:
    """The country's name from its ISO code: 'États-Unis' / 'United States'."""
    return str(Locale.parse(LOCALES[lang]).territories.get(code.upper(), code.upper()))


def in_eea(code: str) -> bool:
    return code.upper() in EEA


LEGAL_BASES: dict[LegalBasis, tuple[Pair, Pair]] = {
    # basis: ((fr name, en name), (fr article, en article))
    LegalBasis.consent: (("consentement", "consent"), ("6.1.a", "6(1)(a)")),
    LegalBasis.contract: (
        ("exécution d’un contrat", "performance of a contract"),
        ("6.1.b", "6(1)(b)"),
    ),
    LegalBasis.legal_obligation: (("obligation légale", "legal obligation"), ("6.1.c", "6(1)(c)")),
    LegalBasis.vital_interests: (
        ("sauvegarde des intérêts vitaux", "protection of vital interests"),
        ("6.1.d", "6(1)(d)"),
    ),
    LegalBasis.public_task: (
        ("mission d’intérêt public", "task carried out in the public interest"),
        ("6.1.e", "6(1)(e)"),
    ),
    LegalBasis.legitimate_interests: (
        ("intérêt légitime", "legitimate interests"),
        ("6.1.f", "6(1)(f)"),
    ),
}
NOT_STATED_BASIS: Pair = ("non précisée", "not stated")


def legal_basis_name(basis: LegalBasis, lang: Lang, *, article: bool = True) -> str:
    """'exécution d’un contrat (article 6.1.b du RGPD)' / 'performance of a contract (...)'."""
    if basis is LegalBasis.not_stated:
        return pick(lang, *NOT_STATED_BASIS)
    (fr, en), (fr_art, en_art) = LEGAL_BASES[basis]
    name = pick(lang, fr, en)
    if not article:
        return name
    return pick(lang, f"{name} (article {fr_art} du RGPD)", f"{name} (Article {en_art} GDPR)")


SPECIAL_CONDITIONS: dict[SpecialCondition, tuple[str, str, str]] = {
    # condition: (fr, en, point of Art. 9(2))
    SpecialCondition.explicit_consent: ("consentement explicite", "explicit consent", "a"),
    SpecialCondition.employment: (
        "obligations en matière de droit du travail et de la protection sociale",
        "obligations under employment and social security law",
        "b",
    ),
    SpecialCondition.vital_interests: (
        "sauvegarde des intérêts vitaux",
        "protection of vital interests",
        "c",
    ),
    SpecialCondition.not_for_profit: (
        "activités légitimes d’un organisme à but non lucratif",
        "legitimate activities of a not-for-profit body",
        "d",
    ),
    SpecialCondition.made_public: (
        "données manifestement rendues publiques par la personne",
        "data manifestly made public by the person",
        "e",
    ),
    SpecialCondition.legal_claims: (
        "constatation, exercice ou défense d’un droit en justice",
        "establishment, exercise or defense of legal claims",
        "f",
    ),
    SpecialCondition.substantial_public_interest: (
        "motifs d’intérêt public important",
        "reasons of substantial public interest",
        "g",
    ),
    SpecialCondition.health_care: (
        "médecine préventive, diagnostics médicaux et prise en charge sanitaire ou sociale",
        "preventive medicine, medical diagnosis, health or social care",
        "h",
    ),
    SpecialCondition.public_health: (
        "motifs d’intérêt public dans le domaine de la santé publique",
        "reasons of public interest in the area of public health",
        "i",
    ),
    SpecialCondition.archiving: (
        "archivage dans l’intérêt public, recherche scientifique ou historique, ou statistiques",
        "archiving in the public interest, scientific or historical research, or statistics",
        "j",
    ),
}


def special_condition_name(condition: SpecialCondition, lang: Lang) -> str:
    fr, en, point = SPECIAL_CONDITIONS[condition]
    return pick(lang, f"{fr} (article 9.2.{point} du RGPD)", f"{en} (Article 9(2)({point}) GDPR)")


ROLES: dict[Role, Pair] = {
    Role.controller: ("responsable du traitement", "controller"),
    Role.processor: ("sous-traitant", "processor"),
    Role.joint_controller: ("responsable conjoint du traitement", "joint controller"),
}


def role_name(role: Role, lang: Lang) -> str:
    return pick(lang, *ROLES[role])


SAFEGUARDS: dict[Safeguard, Pair] = {
    Safeguard.adequacy: (
        "décision d’adéquation de la Commission européenne (article 45 du RGPD)",
        "adequacy decision of the European Commission (Article 45 GDPR)",
    ),
    Safeguard.scc: (
        "clauses contractuelles types de la Commission européenne (article 46 du RGPD)",
        "standard contractual clauses of the European Commission (Article 46 GDPR)",
    ),
    Safeguard.bcr: (
        "règles d’entreprise contraignantes (article 47 du RGPD)",
        "binding corporate rules (Article 47 GDPR)",
    ),
    Safeguard.dpf: (
        "cadre de protection des données UE–États-Unis (Data Privacy Framework)",
        "EU–US Data Privacy Framework",
    ),
    Safeguard.derogation: (
        "dérogation pour une situation particulière (article 49 du RGPD)",
        "derogation for a specific situation (Article 49 GDPR)",
    ),
    Safeguard.privacy_shield: (
        "Privacy Shield UE–États-Unis, invalidé par la Cour de justice de l’Union européenne "
        "le 16 juillet 2020",
        "EU–US Privacy Shield, invalidated by the Court of Justice of the European Union "
        "on 16 July 2020",
    ),
    Safeguard.none: ("aucune garantie", "no safeguard"),
}


def safeguard_name(safeguard: Safeguard, lang: Lang) -> str:
    return pick(lang, *SAFEGUARDS[safeguard])


RECIPIENT_KINDS: dict[RecipientKind, Pair] = {
    RecipientKind.internal: ("service interne", "internal team"),
    RecipientKind.client: ("client", "client"),
    RecipientKind.partner: ("partenaire", "partner"),
    RecipientKind.supplier: ("fournisseur", "supplier"),
    RecipientKind.authority: ("autorité", "authority"),
    RecipientKind.controller: ("responsable du traitement", "controller"),
    RecipientKind.public: ("public", "public"),
}


def recipient_kind_name(kind: RecipientKind, lang: Lang) -> str:
    return pick(lang, *RECIPIENT_KINDS[kind])


SOURCES: dict[Source, Pair] = {
    Source.data_subject: ("vous-même", "you"),
    Source.client: ("notre client", "our client"),
    Source.public_sources: ("des sources accessibles au public", "publicly available sources"),
    Source.third_party: ("des tiers", "third parties"),
    Source.automatic: (
        "collecte automatique lors de l’utilisation du service",
        "automatic collection when the service is used",
    ),
}


def source_name(source: Source, lang: Lang, *, to_the_person: bool = True) -> str:
    """Where data comes from, said to the person ('vous-même') or in a register (not)."""
    if source is Source.data_subject and not to_the_person:
        return pick(lang, "la personne concernée", "the data subject")
    return pick(lang, *SOURCES[source])


COOKIE_CATEGORIES: dict[CookieCategory, Pair] = {
    CookieCategory.essential: ("strictement nécessaire", "strictly necessary"),
    CookieCategory.preferences: ("préférences", "preferences"),
    CookieCategory.statistics: ("mesure d’audience", "audience measurement"),
    CookieCategory.marketing: ("publicité", "advertising"),
}


def cookie_category_name(category: CookieCategory, lang: Lang) -> str:
    return pick(lang, *COOKIE_CATEGORIES[category])


# Read after « Fourniture des données : » / "Providing the data: " (Art. 13(2)(e)).
REQUIREMENTS: dict[str, Pair] = {
    "statutory": ("imposée par la loi.", "required by law."),
    "contractual": ("obligation contractuelle.", "a contractual requirement."),
    "contract_prerequisite": (
        "nécessaire à la conclusion du contrat.",
        "necessary to enter into the contract.",
    ),
    "optional": ("facultative.", "optional."),
}


def requirement_phrase(kind: str, lang: Lang) -> str:
    return pick(lang, *REQUIREMENTS[kind])


RIGHTS: dict[Right, Pair] = {
    Right.access: (
        "droit d’accès : savoir si nous traitons vos données et en obtenir une copie "
        "(article 15 du RGPD)",
        "right of access: to know whether we process your data and to get a copy of it "
        "(Article 15 GDPR)",
    ),
    Right.rectification: (
        "droit de rectification : faire corriger des données inexactes ou compléter des données "
        "incomplètes (article 16 du RGPD)",
        "right to rectification: to have inaccurate data corrected and incomplete data "
        "completed (Article 16 GDPR)",
    ),
    Right.erasure: (
        "droit à l’effacement : obtenir la suppression de vos données (article 17 du RGPD)",
        "right to erasure: to have your data deleted (Article 17 GDPR)",
    ),
    Right.restriction: (
        "droit à la limitation : faire suspendre l’utilisation de vos données, par exemple le "
        "temps de vérifier leur exactitude (article 18 du RGPD)",
        "right to restriction: to have the use of your data suspended, for instance while its "
        "accuracy is checked (Article 18 GDPR)",
    ),
    Right.portability: (
        "droit à la portabilité : recevoir les données que vous nous avez fournies dans un format "
        "structuré et lisible par machine, ou les faire transmettre à un autre organisme "
        "(article 20 du RGPD)",
        "right to data portability: to receive the data you gave us in a structured, "
        "machine-readable format, or have it sent to another organization (Article 20 GDPR)",
    ),
    Right.objection: (
        "droit d’opposition : vous opposer à un traitement fondé sur notre intérêt légitime, et "
        "à tout moment à la prospection (article 21 du RGPD)",
        "right to object: to object to processing based on our legitimate interests, and at any "
        "time to direct marketing (Article 21 GDPR)",
    ),
    Right.withdraw_consent: (
        "droit de retirer votre consentement à tout moment (article 7 du RGPD)",
        "right to withdraw your consent at any time (Article 7 GDPR)",
    ),
    Right.automated_decision: (
        "droit de ne pas faire l’objet d’une décision fondée exclusivement sur un traitement "
        "automatisé, et d’obtenir une intervention humaine (article 22 du RGPD)",
        "right not to be subject to a decision based solely on automated processing, and to "
        "obtain human intervention (Article 22 GDPR)",
    ),
    Right.post_mortem: (
        "droit de définir des directives sur le sort de vos données après votre décès "
        "(article 85 de la loi Informatique et Libertés)",
        "right to give instructions on what happens to your data after your death "
        "(Article 85 of the French Data Protection Act, the loi Informatique et Libertés)",
    ),
    Right.information: (
        "droit d’être informé de la manière dont vos données sont traitées, ce que fait cette "
        "politique (articles 13 et 14 du RGPD)",
        "right to be informed of how your data is processed, which this policy does "
        "(Articles 13 and 14 GDPR)",
    ),
    Right.notification: (
        "droit à ce que nous informions les destinataires de vos données de leur rectification, "
        "de leur effacement ou de leur limitation, et à connaître ces destinataires "
        "(article 19 du RGPD)",
        "right to have us tell the recipients of your data of its rectification, erasure or "
        "restriction, and to be told who they are (Article 19 GDPR)",
    ),
}


def right_description(right: Right, lang: Lang) -> str:
    return pick(lang, *RIGHTS[right])


REGISTRATION_KINDS: dict[str, Pair] = {
    "siren": ("SIREN", "SIREN"),
    "siret": ("SIRET", "SIRET"),
    "rna": ("RNA", "RNA"),
    "vat": ("numéro de TVA intracommunautaire", "VAT number"),
    "other": ("numéro d’immatriculation", "registration number"),
}
