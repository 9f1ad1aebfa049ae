"""What goes out about a breach besides the CNIL draft: letters to the people (Art. 34(2)) and,
when we process the data for clients, a notice to each client (Art. 33(2)).

A letter says, in clear words and in the person's language: what happened, which of their data,
the likely consequences, what we did, what they can do, and who to contact. The DPO's own texts
(the assessment's consequences, measures and advice) go in as written. A client's notice holds
only that client's people and records, never another client's.

Each letter and notice is written to a file here; :mod:`.mailing` sends them by the service's
mail.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registre.breaches import words
from registre.breaches.counting import PersonToInform
from registre.breaches.model import Breach
from registre.owner_only import write_text
from registre.register.model import Register

LANGS = ("fr", "en")


@dataclass(frozen=True)
class Letter:
    to: str
    """The address the letter goes to (an email, else the first identity known)."""
    lang: str
    text: str


def _contact(register: Register, lang: str) -> str:
    org = register.organization
    dpo = org.dpo
    parts = []
    if dpo and dpo.name:
        who = {
            "fr": "notre délégué à la protection des données",
            "en": "our data protection officer",
        }[lang]
        parts.append(f"{who}, {dpo.name}")
    email = (dpo.email if dpo else None) or org.contact.email
    if email:
        parts.append(email)
    phone = (dpo.phone if dpo else None) or org.phone
    if phone:
        parts.append(phone)
    return ", ".join(parts) or str(org.contact.web_form or org.name)


_PERSON = {
    "fr": {
        "subject": "Objet\u00a0: une violation de vos données personnelles",
        "greeting": "Madame, Monsieur,",
        "aware": "Le {aware}, {org} a constaté un incident de sécurité qui touche certaines de "
        "vos données personnelles\u00a0: {nature}.",
        "what": "Ce qui s'est passé",
        "data": "Vos données concernées",
        "consequences": "Les conséquences possibles pour vous",
        "measures": "Ce que nous avons fait",
        "advice": "Ce que vous pouvez faire",
        "contact": "Pour toute question, vous pouvez écrire à {contact}. Vous pouvez aussi "
        "adresser une réclamation à la CNIL (www.cnil.fr).",
        "closing": "Nous vous prions de bien vouloir nous excuser pour cet incident.",
        "none": "nous vous tiendrons informé dès que nous en saurons plus.",
    },
    "en": {
        "subject": "Subject: a breach of your personal data",
        "greeting": "Dear Sir or Madam,",
        "aware": "On {aware}, {org} found a security incident affecting some of your personal "
        "data: {nature}.",
        "what": "What happened",
        "data": "Your data concerned",
        "consequences": "What it may mean for you",
        "measures": "What we have done",
        "advice": "What you can do",
        "contact": "If you have any questions, write to {contact}. You may also lodge a "
        "complaint with the CNIL, the French data protection authority (www.cnil.fr).",
        "closing": "We apologise for this incident.",
        "none": "we will tell you as soon as we know more.",
    },
}


def person_letter(
    breach: Breach, register: Register, person: PersonToInform, lang: str | None = None
) -> Letter:
    """The Art. 34(2) letter to one person, in their language."""
    lang = lang or person.lang
    w = _PERSON[lang]
    assessment = breach.assessment
    natures = "; ".join(words.NATURES[n.value][lang] for n in breach.nature)
    categories = [words.category_name(register, c, lang) for c in person.categories]
    sections = [
        w["subject"],
        "",
        w["greeting"],
        "",
        w["aware"].format(
            aware=_day(words.moment(breach.aware_at, register, lang)),
            org=register.organization.name,
            nature=natures,
        ),
        "",
        f"**{w['what']}**\u00a0: " if lang == "fr" else f"**{w['what']}**: ",
    ]
    sections[-1] += breach.summary
    sections += ["", f"**{w['data']}**" + ("\u00a0:" if lang == "fr" else ":"), ""]
    sections += [f"- {name}" for name in categories]
    for key, text in (
        ("consequences", assessment.consequences if assessment else ""),
        ("measures", assessment.measures if assessment else ""),
        ("advice", assessment.advice if assessment else ""),
    ):
        label = f"**{w[key]}**" + ("\u00a0: " if lang == "fr" else ": ")
        sections += ["", label + (text.strip() or w["none"])]
    sections += [
        "",
        w["contact"].format(contact=_contact(register, lang)),
        "",
        w["closing"],
        "",
        register.organization.name,
        "",
    ]
    to = person.identities.get("email") or next(iter(person.identities.values()), "")
    return Letter(to=to, lang=lang, text="\n".join(sections))


def _day(moment: str) -> str:
    """The date of a moment as words.moment writes it, without the time."""
    for joint in (" à", " at"):
        if joint in moment:
            return moment.split(joint)[0]
    return moment


_CLIENT = {
    "fr": {
        "title": "Notification d'une violation de données personnelles (article 33(2) du RGPD)",
        "to": "Au client {client}",
        "to_named": "À {name} (client {client})",
        "intro": "En tant que sous-traitant, {org} vous informe d'une violation de données "
        "personnelles qui touche des données que nous traitons pour votre compte. Vous en êtes "
        "le responsable de traitement : il vous revient d'évaluer le risque pour vos personnes "
        "et, le cas échéant, de notifier la CNIL dans les 72 heures.",
        "aware": "Prise de connaissance",
        "nature": "Nature",
        "facts": "Faits connus",
        "people": "Vos personnes concernées",
        "records": "Vos enregistrements concernés",
        "measures": "Mesures prises ou envisagées",
        "unknown": "Ce qui reste inconnu",
        "contact": "Contact",
        "none": "inconnu à ce jour",
    },
    "en": {
        "title": "Notification of a personal data breach (GDPR Art. 33(2))",
        "to": "To client {client}",
        "to_named": "To {name} (client {client})",
        "intro": "As your processor, {org} informs you of a personal data breach affecting "
        "data we process on your behalf. You are its controller: it is for you to assess the "
        "risk to your people and, where required, to notify your authority within 72 hours.",
        "aware": "Became aware",
        "nature": "Nature",
        "facts": "Facts known",
        "people": "Your people concerned",
        "records": "Your records concerned",
        "measures": "Measures taken or proposed",
        "unknown": "Still unknown",
        "contact": "Contact",
        "none": "unknown so far",
    },
}


def client_notice(
    breach: Breach, register: Register, client: str, lang: str, name: str | None = None
) -> str:
    """The notice to one client: its own people and records only; addressed by ``name`` (as
    its row of the tenants table gives it) when known, else by its key."""
    w = _CLIENT[lang]
    mine: dict[str, Any] = (breach.counts or {}).get("tenants", {}).get(client, {})
    colon = "\u00a0:" if lang == "fr" else ":"
    unknown = [p.unknown for p in breach.phases if p.unknown]
    measures = breach.assessment.measures if breach.assessment else ""
    lines = [
        f"# {w['title']} — {breach.id}",
        "",
        w["to_named"].format(name=name, client=client) if name else w["to"].format(client=client),
        "",
        w["intro"].format(org=register.organization.name),
        "",
        f"- {w['aware']}{colon} {words.moment(breach.aware_at, register, lang)}",
        f"- {w['nature']}{colon} " + "; ".join(words.NATURES[n.value][lang] for n in breach.nature),
        "",
        f"## {w['facts']}",
        "",
        *[f"- {words.moment(p.at, register, lang)}{colon} {p.text}" for p in breach.phases],
        "",
        f"## {w['people']}",
        "",
        *[
            f"- {words.subject_name(register, s, lang)}{colon} {words.number(n, lang)}"
            for s, n in mine.get("people", {}).items()
        ],
        "",
        f"## {w['records']}",
        "",
        *[
            f"- {words.category_name(register, c, lang)}{colon} {words.number(n, lang)}"
            for c, n in mine.get("records", {}).items()
        ],
        "",
        f"## {w['measures']}",
        "",
        measures.strip() or w["none"],
        "",
    ]
    if unknown and unknown[-1]:
        lines += [f"## {w['unknown']}", "", unknown[-1], ""]
    lines += [f"## {w['contact']}", "", _contact(register, lang), ""]
    return "\n".join(lines)


def clients(breach: Breach) -> list[str]:
    """The clients whose data the breach reaches, as counted."""
    return sorted((breach.counts or {}).get("tenants", {}), key=_natural)


def _natural(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 62, value)


def write_letters(
    folder: Path, breach: Breach, register: Register, people: list[PersonToInform]
) -> Iterator[Path]:
    """Write one file per person (readable by the owner only: it holds their address)."""
    for number, person in enumerate(people, start=1):
        letter = person_letter(breach, register, person)
        path = folder / f"{breach.id}-person-{number:06d}.{letter.lang}.md"
        write_text(path, f"To: {letter.to}\n\n{letter.text}")
        yield path


def write_notices(
    folder: Path,
    breach: Breach,
    register: Register,
    lang: str,
    contacts: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> Iterator[Path]:
    """Write one notice per client the breach reaches, headed by the contact it goes to when
    the client's row holds one (``contacts``, see :func:`.mailing.client_contacts`)."""
    for client in clients(breach):
        path = folder / f"{breach.id}-client-{client}.{lang}.md"
        notice = client_notice(breach, register, client, lang, (names or {}).get(client))
        contact = (contacts or {}).get(client)
        write_text(path, f"To: {contact}\n\n{notice}" if contact else notice)
        yield path
