"""The confirmation a person gets when their withdrawal of consent is enforced, FR or EN.

It says what was withdrawn and when, that the processing stopped, what became of the data
processed on that consent alone (erased, anonymized, or kept and why), that the processing
before the withdrawal stays lawful (Art. 7(3)), and whom to write to. Pure: no I/O.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from registre.documents.wording import and_list
from registre.register.model import Lang, Register

if TYPE_CHECKING:
    from registre.consent.withdrawal import Enforcement

MONTHS_FR = (
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
)

KEPT_REASONS = {
    "hold": ("une conservation imposée par une procédure (gel juridique)", "a legal hold"),
    "legal_obligation": ("une obligation légale", "a legal obligation"),
    "shared": ("elles concernent aussi d'autres personnes", "they concern other people too"),
    "processor": (
        "nous les traitons pour le compte d'un client, à qui la demande est transmise",
        "we process them on behalf of a client, to whom the request goes",
    ),
}


def _day(register: Register, enforcement: Enforcement, lang: Lang) -> str:
    at = enforcement.withdrawal.at.astimezone(ZoneInfo(register.policy.timezone)).date()
    if lang == "fr":
        first = "1er" if at.day == 1 else str(at.day)
        return f"{first} {MONTHS_FR[at.month - 1]} {at.year}"
    return f"{at.day} {at:%B} {at.year}"


def _purpose(register: Register, enforcement: Enforcement, lang: Lang) -> str:
    purpose = enforcement.withdrawal.purpose
    activity = register.activities.get(purpose)
    if activity is not None:
        return activity.name.get(lang)
    category = purpose.removeprefix("cookie:")
    return f"les traceurs « {category} »" if lang == "fr" else f"the “{category}” trackers"


def _counts(enforcement: Enforcement) -> tuple[int, int, list[tuple[int, str]]]:
    deleted = anonymized = 0
    kept: list[tuple[int, str]] = []
    for outcome in enforcement.outcomes:
        if outcome["action"] == "deleted":
            deleted += outcome["count"]
        elif outcome["action"] == "anonymized":
            anonymized += outcome["count"]
        elif outcome["count"]:
            kept.append((outcome["count"], outcome.get("reason", "")))
    return deleted, anonymized, kept


def _records(count: int, lang: Lang) -> str:
    if lang == "fr":
        return f"{count} enregistrement" + ("s" if count > 1 else "")
    return f"{count} record" + ("s" if count != 1 else "")


def withdrawal_letter(register: Register, enforcement: Enforcement, lang: Lang) -> str:
    """The letter as a self-contained HTML page."""
    fr = lang == "fr"
    day = _day(register, enforcement, lang)
    purpose = _purpose(register, enforcement, lang)
    org = register.organization.name
    paragraphs = [
        (
            f"Nous avons enregistré le {day} le retrait de votre consentement pour : {purpose}. "
            "Ce traitement a cessé pour vous à cette date."
        )
        if fr
        else (
            f"On {day} we recorded the withdrawal of your consent to: {purpose}. This processing "
            "stopped for you on that day."
        )
    ]
    if enforcement.reason == "erased":
        deleted, anonymized, kept = _counts(enforcement)
        if not deleted and not anonymized and not kept:
            paragraphs.append(
                "Nous ne détenions plus de données traitées sur la seule base de ce consentement."
                if fr
                else "We no longer held any data processed on that consent alone."
            )
        if deleted:
            paragraphs.append(
                f"Les données traitées sur la seule base de ce consentement ont été effacées "
                f"({_records(deleted, lang)})."
                if fr
                else f"The data processed on that consent alone was erased "
                f"({_records(deleted, lang)})."
            )
        if anonymized:
            paragraphs.append(
                f"Certaines de ces données ont été anonymisées, comme le prévoient nos règles "
                f"de conservation ({_records(anonymized, lang)}) : elles ne vous désignent plus."
                if fr
                else f"Some of it was anonymized, as our retention rules provide "
                f"({_records(anonymized, lang)}): it no longer identifies you."
            )
        for count, reason in kept:
            why = KEPT_REASONS.get(reason, ("une autre raison légale", "another legal reason"))
            paragraphs.append(
                f"Nous conservons {_records(count, lang)}, car {why[0]}."
                if fr
                else f"We keep {_records(count, lang)}, because of {why[1]}."
            )
    elif enforcement.reason == "forwarded":
        clients = and_list(enforcement.controllers, lang) if enforcement.controllers else None
        if fr:
            who = clients or "l'entreprise cliente pour laquelle nous le réalisons"
            paragraphs.append(
                f"Nous réalisons ce traitement pour le compte de {who}, responsable du "
                "traitement : nous lui avons transmis votre demande d'effacement des données "
                "traitées sur la base de ce consentement. C'est elle qui en décide et qui vous "
                "répond ; nous les effacerons sur ses instructions."
            )
        else:
            who = clients or "the client company we carry it out for"
            paragraphs.append(
                f"We carry out this processing on behalf of {who}, the controller: we have "
                "passed on to them your request to erase the data processed on that consent. "
                "They decide and answer you; we will erase it on their instructions."
            )
    elif enforcement.reason == "other_basis":
        paragraphs.append(
            "Les données concernées restent traitées pour les autres finalités que notre "
            "politique de confidentialité décrit, sur leur propre base légale."
            if fr
            else "The data concerned is still processed for the other purposes our privacy "
            "policy describes, on their own legal basis."
        )
    elif enforcement.reason == "cookie":
        paragraphs.append(
            "Ces traceurs ne seront plus déposés ni lus sur votre appareil."
            if fr
            else "These trackers will no longer be set or read on your device."
        )
    paragraphs.append(
        "Le retrait ne remet pas en cause la licéité du traitement effectué avant lui "
        "(article 7, paragraphe 3, du RGPD). Vous pouvez donner à nouveau votre consentement "
        "à tout moment."
        if fr
        else "Withdrawing consent does not affect the lawfulness of the processing carried out "
        "before it (Article 7(3) GDPR). You may give your consent again at any time."
    )
    contact = register.organization.contact.email or (
        register.organization.dpo.email if register.organization.dpo else None
    )
    if contact:
        paragraphs.append(
            f"Pour toute question, écrivez-nous à {contact}."
            if fr
            else f"For any question, write to us at {contact}."
        )
    title = "Retrait de votre consentement" if fr else "Withdrawal of your consent"
    greeting = "Madame, Monsieur," if fr else "Dear Sir or Madam,"
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body>\n<p>{escape(org)}</p>\n"
        f"<h1>{escape(title)}</h1>\n<p>{escape(greeting)}</p>\n{body}\n"
        f"<p>{escape(org)}</p>\n</body>\n</html>\n"
    )
