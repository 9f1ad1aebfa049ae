"""Retention rules, periods, dates, countries and French typography, in the words people read.

In the expected strings, ``~`` stands for a no-break space and ``^`` for a narrow no-break
space, so that the typography is part of the specification and still readable.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from registre.documents import (
    country_name,
    describe_retention,
    duration,
    legal_basis_name,
    safeguard_name,
    typeset,
    wording,
)
from registre.documents.typography import a, de
from registre.durations import Duration
from registre.register.model import Register
from registre.register.taxonomy import (
    CookieCategory,
    LegalBasis,
    RecipientKind,
    Right,
    Role,
    Safeguard,
    Source,
    SpecialCondition,
)


def spaces(text: str) -> str:
    return text.replace("~", "\u00a0").replace("^", "\u202f")


def register_with(rule: dict[str, Any]) -> Register:
    """A one-activity register whose only retention rule is ``rule``."""
    return register_with_rules({"rule": rule})


def register_with_rules(rules: dict[str, Any]) -> Register:
    """A one-activity register, on identity and contact data, with these retention rules."""
    return Register.model_validate(
        {
            "organization": {
                "name": "Exemple SAS",
                "address": {"street": "1 rue de la Paix", "postal_code": "75002", "city": "Paris"},
                "contact": {"email": "rgpd@exemple.fr"},
            },
            "policy": {"version": "1", "date": "2026-01-01"},
            "subjects": {"clients": {"name": {"fr": "Clients", "en": "Clients"}}},
            "events": {
                "device_reset": {
                    "name": {
                        "fr": "la réinitialisation de l'appareil",
                        "en": "the reset of the device",
                    }
                },
            },
            "activities": {
                "service": {
                    "name": {"fr": "Service", "en": "Service"},
                    "purpose": {"fr": "Fournir le service.", "en": "Provide the service."},
                    "legal_basis": "contract",
                    "subjects": ["clients"],
                    "data": ["identity", "contact"],
                    "retention": rules,
                }
            },
        }
    )


PER_DEVICE = {"fr": "par appareil", "en": "per device"}

RETENTION = [
    pytest.param(
        {"after": "6 months after account_deleted"},
        "effacement 6~mois après la suppression du compte.",
        "deleted 6 months after the deletion of the account.",
        id="one clock",
    ),
    pytest.param(
        {"after": ["6 months after account_deleted", "2 years after subscription_ended"]},
        "effacement 6~mois après la suppression du compte ou 2~ans après la fin de l’abonnement,"
        " à la première de ces échéances.",
        "deleted 6 months after the deletion of the account or 2 years after the end of the "
        "subscription, whichever comes first.",
        id="earliest of two clocks",
    ),
    pytest.param(
        {
            "after": [
                "immediately after device_reset",
                "6 months after account_deleted",
                "2 years after subscription_ended",
            ]
        },
        "effacement dès la réinitialisation de l’appareil, 6~mois après la suppression du compte "
        "ou 2~ans après la fin de l’abonnement, à la première de ces échéances.",
        "deleted immediately upon the reset of the device, 6 months after the deletion of the "
        "account or 2 years after the end of the subscription, whichever comes first.",
        id="earliest of three clocks, one immediate",
    ),
    pytest.param(
        {"after": "immediately after last_purchase"},
        "effacement dès le dernier achat.",
        "deleted immediately upon the last purchase.",
        id="immediately",
    ),
    pytest.param(
        {"after": "1 year after last_activity"},
        "effacement 1~an après la dernière activité.",
        "deleted 1 year after the last activity.",
        id="singular year",
    ),
    pytest.param(
        {"after": "15 days after collected"},
        "effacement 15~jours après la collecte.",
        "deleted 15 days after collection.",
        id="days",
    ),
    pytest.param(
        {"after": "1 week after consent_withdrawn"},
        "effacement 1~semaine après le retrait du consentement.",
        "deleted 1 week after the withdrawal of consent.",
        id="singular week",
    ),
    pytest.param(
        {"after": "5 years after contract_ended", "action": "anonymize"},
        "anonymisation 5~ans après la fin de la relation contractuelle.",
        "anonymized 5 years after the end of the contractual relationship.",
        id="anonymize",
    ),
    pytest.param(
        {"after": "2 months after collected", "keep_last": {"count": 50, "per": PER_DEVICE}},
        "seuls les 50 derniers enregistrements par appareil sont conservés, au plus 2~mois après "
        "la collecte^; au-delà, les données sont supprimées.",
        "only the last 50 records per device are kept, for at most 2 months after collection; "
        "beyond that, the data is deleted.",
        id="count cap with a period",
    ),
    pytest.param(
        {
            "after": "2 months after collected",
            "keep_last": {
                "count": 50,
                "per": PER_DEVICE,
                "items": {"fr": "points de géolocalisation", "en": "geolocation points"},
            },
        },
        "nous ne conservons que les 50 derniers points de géolocalisation par appareil, au plus "
        "2~mois après la collecte^; au-delà, les données sont supprimées.",
        "we keep only the latest 50 geolocation points per device, for at most 2 months after "
        "collection; beyond that, the data is deleted.",
        id="count cap naming what is counted",
    ),
    pytest.param(
        {
            "keep_last": {
                "count": 3,
                "per": PER_DEVICE,
                "items": {"fr": "positions", "en": "positions"},
                "feminine": True,
            },
        },
        "nous ne conservons que les 3 dernières positions par appareil^; au-delà, les données "
        "sont supprimées.",
        "we keep only the latest 3 positions per device; beyond that, the data is deleted.",
        id="count cap with a feminine noun",
    ),
    pytest.param(
        {"keep_last": {"count": 1, "per": PER_DEVICE}, "action": "anonymize"},
        "seul le dernier enregistrement par appareil est conservé^; au-delà, les données sont "
        "anonymisées.",
        "only the last record per device is kept; beyond that, the data is anonymized.",
        id="count cap of one, anonymized",
    ),
    pytest.param(
        {"after": "3 months after contract_ended", "client_agreed": True},
        "effacement à l’issue de la durée convenue avec chaque client^; à défaut, 3~mois après la "
        "fin de la relation contractuelle.",
        "deleted at the end of the period agreed with each client; failing that, 3 months after "
        "the end of the contractual relationship.",
        id="per-client period with its default",
    ),
    pytest.param(
        {
            "statement": {
                "fr": "Conservées tant que l'association en a besoin",
                "en": "Kept as long as the association needs them",
            }
        },
        "Conservées tant que l’association en a besoin.",
        "Kept as long as the association needs them.",
        id="statement rendered as written",
    ),
]


@pytest.mark.parametrize(("rule", "fr", "en"), RETENTION)
def test_retention_rule_in_words(rule: dict[str, Any], fr: str, en: str) -> None:
    register = register_with(rule)
    assert describe_retention(register, "service", "rule", "fr") == spaces(fr)
    assert describe_retention(register, "service", "rule", "en") == en


RESET = "immediately after device_reset"
DELETED = "6 months after account_deleted"

MERGED = [
    pytest.param(
        {"a": {"after": RESET}, "b": {"after": DELETED, "action": "anonymize"}},
        [
            (
                ("identity", "contact"),
                "effacement dès la réinitialisation de l’appareil^; à défaut, anonymisation "
                "6~mois après la suppression du compte.",
                "deleted immediately upon the reset of the device; failing that, anonymized "
                "6 months after the deletion of the account.",
            )
        ],
        id="deleted, failing that anonymized: one line",
    ),
    pytest.param(
        {"a": {"after": RESET}, "b": {"after": DELETED}},
        [
            (
                ("identity", "contact"),
                "effacement dès la réinitialisation de l’appareil ou 6~mois après la suppression "
                "du compte, à la première de ces échéances.",
                "deleted immediately upon the reset of the device or 6 months after the deletion "
                "of the account, whichever comes first.",
            )
        ],
        id="two deletions share their clocks",
    ),
    pytest.param(
        {"a": {"data": ["identity"], "after": RESET}, "b": {"data": ["contact"], "after": DELETED}},
        [
            (("identity",), "effacement dès la réinitialisation de l’appareil.", None),
            (("contact",), "effacement 6~mois après la suppression du compte.", None),
        ],
        id="one rule per category: one line per rule",
    ),
    pytest.param(
        {
            "a": {"after": DELETED},
            "b": {"data": ["contact"], "after": RESET, "action": "anonymize"},
        },
        [
            (("identity",), "effacement 6~mois après la suppression du compte.", None),
            (
                ("contact",),
                "effacement 6~mois après la suppression du compte^; à défaut, anonymisation dès "
                "la réinitialisation de l’appareil.",
                None,
            ),
        ],
        id="overlapping rules: the shared category on its own line",
    ),
    pytest.param(
        {
            "a": {"after": DELETED},
            "b": {"keep_last": {"count": 1, "per": PER_DEVICE}},
        },
        [
            (
                ("identity", "contact"),
                "effacement 6~mois après la suppression du compte. Seul le dernier enregistrement "
                "par appareil est conservé^; au-delà, les données sont supprimées.",
                "deleted 6 months after the deletion of the account. Only the last record per "
                "device is kept; beyond that, the data is deleted.",
            )
        ],
        id="a count cap keeps its own sentence",
    ),
]


@pytest.mark.parametrize(("rules", "lines"), MERGED)
def test_rules_on_the_same_data_read_as_one_line(
    rules: dict[str, Any], lines: list[tuple[tuple[str, ...], str, str | None]]
) -> None:
    from registre.documents.retention import describe_rules, retention_lines

    register = register_with_rules(rules)
    found = retention_lines(register, "service")
    assert [
        (entry.categories, describe_rules(register, list(entry.rules), "fr")) for entry in found
    ] == [(categories, spaces(fr)) for categories, fr, _ in lines]
    for entry, (_, _, en) in zip(found, lines, strict=True):
        if en is not None:
            assert describe_rules(register, list(entry.rules), "en") == en


def test_describe_retention_names_the_missing_rule() -> None:
    register = register_with({"after": "1 year after collected"})
    with pytest.raises(KeyError):
        describe_retention(register, "service", "no-such-rule", "fr")


@pytest.mark.parametrize(
    ("period", "fr", "en"),
    [
        ("1 year", "1~an", "1 year"),
        ("2 years", "2~ans", "2 years"),
        ("6 months", "6~mois", "6 months"),
        ("1 month", "1~mois", "1 month"),
        ("1 day", "1~jour", "1 day"),
        ("30 days", "30~jours", "30 days"),
        ("2 weeks", "2~semaines", "2 weeks"),
        ("immediately", "immédiatement", "immediately"),
    ],
)
def test_periods(period: str, fr: str, en: str) -> None:
    assert duration(Duration.parse(period), "fr") == spaces(fr)
    assert duration(Duration.parse(period), "en") == en


@pytest.mark.parametrize(
    ("period", "fr", "en"),
    [
        ("1 month", "un~mois", "one month"),
        ("1 week", "une~semaine", "one week"),
        ("2 months", "deux~mois", "two months"),
        ("3 weeks", "trois~semaines", "three weeks"),
        ("1 year", "un~an", "one year"),
        ("10 days", "dix~jours", "ten days"),
        ("11 months", "11~mois", "11 months"),
        ("30 days", "30~jours", "30 days"),
        ("immediately", "immédiatement", "immediately"),
    ],
)
def test_periods_spelled_in_prose(period: str, fr: str, en: str) -> None:
    assert duration(Duration.parse(period), "fr", spell=True) == spaces(fr)
    assert duration(Duration.parse(period), "en", spell=True) == en


@pytest.mark.parametrize(
    ("day", "fr", "en"),
    [
        (dt.date(2026, 9, 1), "1er~septembre 2026", "1 September 2026"),
        (dt.date(2026, 3, 15), "15~mars 2026", "15 March 2026"),
        (dt.date(2024, 2, 29), "29~février 2024", "29 February 2024"),
    ],
)
def test_dates(day: dt.date, fr: str, en: str) -> None:
    assert wording.date(day, "fr") == spaces(fr)
    assert wording.date(day, "en") == en


@pytest.mark.parametrize(
    ("code", "fr", "en"),
    [
        ("US", "États-Unis", "United States"),
        ("IE", "Irlande", "Ireland"),
        ("GB", "Royaume-Uni", "United Kingdom"),
        ("ch", "Suisse", "Switzerland"),
    ],
)
def test_country_names_never_codes(code: str, fr: str, en: str) -> None:
    assert country_name(code, "fr") == fr
    assert country_name(code, "en") == en


@pytest.mark.parametrize(
    ("lang", "raw", "typeset_text"),
    [
        ("fr", "Fournir le service : connexion", "Fournir le service^: connexion"),
        ("fr", "Vraiment ? Oui ! Puis ; fin", "Vraiment^? Oui^! Puis^; fin"),
        ("fr", "Vraiment? Oui!", "Vraiment^? Oui^!"),
        ("fr", 'le "cookie" de session', "le «~cookie~» de session"),
        ("fr", "« mal espacé »", "«~mal espacé~»"),
        ("fr", "l'abonnement", "l’abonnement"),
        ("fr", "https://exemple.fr/page?x=1 à 10:30", "https://exemple.fr/page?x=1 à 10:30"),
        ("fr", "déjà^: typographié^; ok", "déjà^: typographié^; ok"),
        (
            "fr",
            "20 % des appareils, 20% des utilisateurs",
            "20^% des appareils, 20^% des utilisateurs",
        ),
        ("fr", "https://exemple.fr/a%20b?p=20%2C5", "https://exemple.fr/a%20b?p=20%2C5"),
        (
            "fr",
            "capital de 20 000 euros, 1~250~000 lignes",
            "capital de 20^000 euros, 1^250^000 lignes",
        ),
        (
            "fr",
            "en 2026 100 appareils, 4 derniers chiffres",
            "en 2026 100 appareils, 4 derniers chiffres",
        ),
        ("en", "20 % of devices", "20% of devices"),
        ("en", "Provide the service : login", "Provide the service: login"),
        ("en", "the clients' employees", "the clients’ employees"),
        ("en", 'the "session" cookie', "the “session” cookie"),
    ],
)
def test_typography(lang: str, raw: str, typeset_text: str) -> None:
    assert typeset(spaces(raw), lang) == spaces(typeset_text)  # type: ignore[arg-type]
    assert typeset(typeset(spaces(raw), lang), lang) == spaces(typeset_text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("phrase", "with_de", "with_a"),
    [
        ("le dernier achat", "du dernier achat", "au dernier achat"),
        ("les clients", "des clients", "aux clients"),
        ("la collecte", "de la collecte", "à la collecte"),
        ("l’abonnement", "de l’abonnement", "à l’abonnement"),
        ("Acme", "d’Acme", "à Acme"),
        ("un mois", "d’un mois", "à un mois"),
        ("30 jours", "de 30 jours", "à 30 jours"),
    ],
)
def test_french_contractions(phrase: str, with_de: str, with_a: str) -> None:
    assert de(phrase) == with_de
    assert a(phrase) == with_a


VOCABULARY = [
    (LegalBasis, lambda v, lang: legal_basis_name(v, lang)),
    (SpecialCondition, wording.special_condition_name),
    (Safeguard, safeguard_name),
    (Role, wording.role_name),
    (RecipientKind, wording.recipient_kind_name),
    (Source, wording.source_name),
    (CookieCategory, wording.cookie_category_name),
    (Right, wording.right_description),
]


@pytest.mark.parametrize(("enum", "name"), VOCABULARY, ids=lambda v: getattr(v, "__name__", ""))
def test_every_vocabulary_word_has_a_name_in_each_language(enum: Any, name: Any) -> None:
    for member in enum:
        for lang in ("fr", "en"):
            text = name(member, lang)
            assert text, (member, lang)
            assert "_" not in text, (member, lang, text)


def test_legitimate_interests_and_article_references() -> None:
    assert legal_basis_name(LegalBasis.legitimate_interests, "fr") == (
        "intérêt légitime (article 6.1.f du RGPD)"
    )
    assert legal_basis_name(LegalBasis.legitimate_interests, "en") == (
        "legitimate interests (Article 6(1)(f) GDPR)"
    )
    assert "16 juillet 2020" in safeguard_name(Safeguard.privacy_shield, "fr")
