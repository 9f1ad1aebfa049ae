"""Dates, counts and names of a breach as people read them, in French and English."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from registre.register.model import Register

MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
NBSP = "\u00a0"
NATURES = {
    "confidentiality": {
        "fr": "perte de confidentialité (données divulguées ou consultées sans droit)",
        "en": "loss of confidentiality (data disclosed or accessed without authorisation)",
    },
    "integrity": {
        "fr": "perte d'intégrité (données modifiées sans droit)",
        "en": "loss of integrity (data altered without authorisation)",
    },
    "availability": {
        "fr": "perte de disponibilité (données perdues ou inaccessibles)",
        "en": "loss of availability (data lost or made unavailable)",
    },
}


def moment(value: datetime, register: Register, lang: str) -> str:
    """'27 octobre 2026 à 09 h 00 (CET)' / '27 October 2026 at 09:00 (CET)'."""
    local = value.astimezone(ZoneInfo(register.policy.timezone))
    day = f"{local.day} {MONTHS[lang][local.month - 1]} {local.year}"
    if lang == "fr":
        return f"{day} à {local:%H}{NBSP}h{NBSP}{local:%M} ({local.tzname()})"
    return f"{day} at {local:%H:%M} ({local.tzname()})"


def number(value: int, lang: str) -> str:
    """1 234 (French, with a narrow no-break space) / 1,234."""
    return f"{value:,}".replace(",", "\u202f" if lang == "fr" else ",")


def subject_name(register: Register, subject: str, lang: str) -> str:
    found = register.subjects.get(subject)
    if found is None:
        return {"fr": "personnes non précisées", "en": "unspecified people"}[lang]
    return str(getattr(found.name, lang))


def category_name(register: Register, category: str, lang: str) -> str:
    try:
        return str(getattr(register.data_category(category).name, lang))
    except KeyError:
        return category
