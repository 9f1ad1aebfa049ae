"""Built-in vocabulary: data categories, trigger events and the GDPR's fixed lists.

Registers may use these ids without declaring them, and may declare their own next to them.
Labels are written to be inserted in sentences: French event names carry their article
("la suppression du compte") so that "6 mois après la suppression du compte" reads right.
"""

from __future__ import annotations

from enum import StrEnum

# id -> (French name, English name, special category under Art. 9)
DATA_CATEGORIES: dict[str, tuple[str, str, bool]] = {
    "identity": ("Identité (nom, prénom, civilité)", "Identity (name, first name, title)", False),
    "contact": (
        "Coordonnées (e-mail, téléphone, adresse)",
        "Contact details (email, phone, address)",
        False,
    ),
    "professional": (
        "Vie professionnelle (fonction, employeur)",
        "Professional details (job title, employer)",
        False,
    ),
    "account": (
        "Données de compte (identifiants, mot de passe chiffré)",
        "Account data (login, hashed password)",
        False,
    ),
    "connection_logs": (
        "Données de connexion (journaux, adresse IP)",
        "Connection data (logs, IP address)",
        False,
    ),
    "device_identifiers": ("Identifiants d'appareil", "Device identifiers", False),
    "location": ("Données de localisation", "Location data", False),
    "payment": ("Moyens de paiement", "Payment details", False),
    "billing": ("Données de facturation", "Billing data", False),
    "content": ("Contenus (messages, fichiers, notes)", "Content (messages, files, notes)", False),
    "usage": ("Données d'utilisation du service", "Service usage data", False),
    "calendar": (
        "Données d'agenda (événements, participants)",
        "Calendar data (events, attendees)",
        False,
    ),
    "credentials": ("Jetons d'authentification", "Authentication tokens", False),
    "browsing": ("Historique de navigation", "Browsing history", False),
    "cookies": ("Identifiants de cookies et traceurs", "Cookie and tracker identifiers", False),
    "application": (
        "Candidature (CV, lettre de motivation)",
        "Job application (CV, cover letter)",
        False,
    ),
    "nir": (
        "Numéro de sécurité sociale (NIR)",
        "French social security number (NIR)",
        False,
    ),
    "health": ("Données de santé", "Health data", True),
    "racial_ethnic_origin": ("Origine raciale ou ethnique", "Racial or ethnic origin", True),
    "political_opinions": ("Opinions politiques", "Political opinions", True),
    "religious_beliefs": (
        "Convictions religieuses ou philosophiques",
        "Religious or philosophical beliefs",
        True,
    ),
    "trade_union": ("Appartenance syndicale", "Trade union membership", True),
    "genetic": ("Données génétiques", "Genetic data", True),
    "biometric": ("Données biométriques", "Biometric data", True),
    "sex_life": ("Vie ou orientation sexuelle", "Sex life or sexual orientation", True),
}

# id -> (French name with article, English name with article)
EVENTS: dict[str, tuple[str, str]] = {
    "collected": ("la collecte", "collection"),
    "last_activity": ("la dernière activité", "the last activity"),
    "account_deleted": ("la suppression du compte", "the deletion of the account"),
    "subscription_ended": ("la fin de l'abonnement", "the end of the subscription"),
    "contract_ended": (
        "la fin de la relation contractuelle",
        "the end of the contractual relationship",
    ),
    "item_deleted": (
        "la suppression de l'élément par le client",
        "the deletion of the item by the client",
    ),
    "consent_withdrawn": ("le retrait du consentement", "the withdrawal of consent"),
    "last_purchase": ("le dernier achat", "the last purchase"),
}


class LegalBasis(StrEnum):
    """Art. 6(1)(a) to (f)."""

    consent = "consent"
    contract = "contract"
    legal_obligation = "legal_obligation"
    vital_interests = "vital_interests"
    public_task = "public_task"
    legitimate_interests = "legitimate_interests"
    not_stated = "not_stated"
    """The policy names no basis: the register says so instead of inventing one; the lint reports it
    (Art. 13(1)(c))."""


class SpecialCondition(StrEnum):
    """Art. 9(2)(a) to (j)."""

    explicit_consent = "explicit_consent"
    employment = "employment"
    vital_interests = "vital_interests"
    not_for_profit = "not_for_profit"
    made_public = "made_public"
    legal_claims = "legal_claims"
    substantial_public_interest = "substantial_public_interest"
    health_care = "health_care"
    public_health = "public_health"
    archiving = "archiving"


class Role(StrEnum):
    controller = "controller"
    processor = "processor"
    joint_controller = "joint_controller"


class Source(StrEnum):
    data_subject = "data_subject"
    client = "client"
    public_sources = "public_sources"
    third_party = "third_party"
    automatic = "automatic"


class Safeguard(StrEnum):
    """Chapter V grounds for a transfer outside the EEA."""

    adequacy = "adequacy"
    scc = "scc"
    bcr = "bcr"
    dpf = "dpf"
    derogation = "derogation"
    privacy_shield = "privacy_shield"
    none = "none"


class Right(StrEnum):
    access = "access"
    rectification = "rectification"
    erasure = "erasure"
    restriction = "restriction"
    portability = "portability"
    objection = "objection"
    withdraw_consent = "withdraw_consent"
    automated_decision = "automated_decision"
    post_mortem = "post_mortem"
    information = "information"
    """The right to be informed (Art. 13 and 14)."""
    notification = "notification"
    """Recipients told of a rectification, erasure or restriction, and named on request (Art.
    19)."""


class CookieCategory(StrEnum):
    essential = "essential"
    preferences = "preferences"
    statistics = "statistics"
    marketing = "marketing"


class Action(StrEnum):
    delete = "delete"
    anonymize = "anonymize"


class RecipientKind(StrEnum):
    internal = "internal"
    client = "client"
    partner = "partner"
    supplier = "supplier"
    authority = "authority"
    controller = "controller"
    public = "public"
    """Anyone: data published in a directory, a public register or a transparency log."""


class CnilCategory(StrEnum):
    """The data categories of the CNIL's Art. 30 register model."""

    civil_status = "civil_status"
    personal_life = "personal_life"
    professional_life = "professional_life"
    financial = "financial"
    connection = "connection"
    location = "location"


class SecurityHeading(StrEnum):
    """The headings of security measures in the CNIL's Art. 30 register model."""

    access_control = "access_control"
    traceability = "traceability"
    software_protection = "software_protection"
    backup = "backup"
    encryption = "encryption"
    processor_control = "processor_control"
    other = "other"


# built-in data category id -> its CNIL category (special categories have none: they are
# assessed in the record's column of sensitive data)
CNIL_CATEGORIES: dict[str, CnilCategory] = {
    "identity": CnilCategory.civil_status,
    "contact": CnilCategory.civil_status,
    "professional": CnilCategory.professional_life,
    "account": CnilCategory.connection,
    "connection_logs": CnilCategory.connection,
    "device_identifiers": CnilCategory.connection,
    "location": CnilCategory.location,
    "payment": CnilCategory.financial,
    "billing": CnilCategory.financial,
    "content": CnilCategory.personal_life,
    "usage": CnilCategory.connection,
    "calendar": CnilCategory.personal_life,
    "credentials": CnilCategory.connection,
    "browsing": CnilCategory.connection,
    "cookies": CnilCategory.connection,
    "application": CnilCategory.professional_life,
}

# EEA member states (EU 27 + Iceland, Liechtenstein, Norway), ISO 3166-1 alpha-2.
EEA = frozenset(
    (
        "EU",  # a place given only as "in the European Union" (a host, a processor)
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    )
)
