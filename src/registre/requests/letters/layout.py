"""The layout of a letter answering a request: its parts, and their rendering in HTML.

A :class:`Letter` holds the text (title, opening, sections, closing); :meth:`Letter.render`
typesets it for the letter's language (French non-breaking spaces, apostrophes) and lays it
out with the ``letter.html.j2`` template. The template is loaded once per process and typeset
texts are remembered (keyed by the text itself); the same letter gives the same bytes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from registre.documents.naming import Namer
from registre.documents.typography import sentence, typeset
from registre.documents.wording import date as date_words
from registre.documents.wording import duration
from registre.durations import local_date
from registre.register.model import Lang, Register

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=True,
    keep_trailing_newline=True,
    trim_blocks=False,
    # the template ships with the package: no need to stat it on every letter
    auto_reload=False,
)

# Most of a letter's text is the register's, the same from one letter to the next; typesetting
# is a pure function of the text, so a bounded cache of it cannot serve a stale result.
_typeset = functools.lru_cache(maxsize=4096)(typeset)

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


REQUEST_WORDS = {
    "access": ("une demande d’accès", "an access request"),
    "portability": ("une demande de portabilité", "a data portability request"),
    "erasure": ("une demande d’effacement", "an erasure request"),
    "rectification": ("une demande de rectification", "a rectification request"),
    "restriction": (
        "une demande de limitation du traitement",
        "a request for restriction of processing",
    ),
    "objection": ("une opposition", "an objection"),
}
"""A request of each kind, with its article: « une demande d’accès », “an erasure request”."""


@dataclass
class Block:
    title: str
    facts: list[tuple[str, str | tuple[str, ...]]] = field(default_factory=list)
    """(label, value): several values are shown as several lines under one label."""


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    """Paragraphs after the items and blocks (« Pour exercer ces droits… » after the rights)."""


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
    addressee: list[str] = field(default_factory=list)
    """Lines above the title: who the letter is for (a controller's contact)."""

    def render(self) -> str:
        n = Namer(self.register, self.lang)
        org = self.register.organization
        lang = self.lang

        def t(text: str) -> str:
            return _typeset(text, lang)

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
                    [
                        Block(t(b.title), [(t(k), _typeset_all(v, lang)) for k, v in b.facts])
                        for b in s.blocks
                    ],
                    [t(p) for p in s.after],
                )
                for s in self.sections
            ],
            closing=[t(p) for p in self.closing],
            addressee=[t(p) for p in self.addressee],
            greeting=t(n.say("Madame, Monsieur,", "Dear Sir or Madam,")),
            farewell=t(
                n.say(
                    "Nous vous prions d’agréer, Madame, Monsieur, l’expression de nos salutations "
                    "distinguées.",
                    "Yours faithfully,",
                )
            ),
            signature=[t(line) for line in signature(self.register, lang)],
        )


def signature(register: Register, lang: Lang) -> list[str]:
    """Who signs: the role ``rights.signed_by`` names, for the organization; else its team."""
    n = Namer(register, lang)
    org = register.organization
    if register.rights.signed_by is None:
        return [n.say(f"L’équipe de {org.name}", f"The {org.name} team")]
    return [n.text(register.rights.signed_by), n.say(f"Pour {org.name}", f"For {org.name}")]


def _typeset_all(value: str | tuple[str, ...], lang: Lang) -> str | tuple[str, ...]:
    if isinstance(value, str):
        return _typeset(value, lang)
    return tuple(_typeset(v, lang) for v in value)


def base_letter(register: Register, lang: Lang, kind: str, reference: str, day: date) -> Letter:
    fr, en = _KIND_TITLES[kind]
    return Letter(register, lang, fr if lang == "fr" else en, reference, day)


def records(count: int, lang: Lang) -> str:
    if lang == "fr":
        return f"{count}\u00a0enregistrement" + ("s" if count > 1 else "")
    return f"{count} record" + ("s" if count != 1 else "")


def received_day(register: Register, request: Any) -> date:
    """The day the request was received, in the register's time zone (as the person saw it)."""
    return local_date(request.received_at, ZoneInfo(register.policy.timezone))


def opening(register: Register, request: Any) -> str:
    n = Namer(register, request.lang)
    received = date_words(received_day(register, request), request.lang)
    return n.say(
        f"Nous avons bien reçu votre demande du {received} et y répondons ci-dessous.",
        f"We received your request of {received} and answer it below.",
    )


def deadline_sentence(register: Register, lang: Lang, due: date) -> str:
    n = Namer(register, lang)
    return n.say(
        f"Nous devons y répondre au plus tard le {date_words(due, lang)}.",
        f"We must answer it by {date_words(due, lang)}.",
    )


def extension_paragraph(register: Register, lang: Lang, due: date, reason: str) -> str:
    """The extension, its length, its end and its reason, under Art. 12(3)."""
    n = Namer(register, lang)
    months = duration(register.rights.extension, lang)
    return n.say(
        "L’article 12.3 du RGPD permet de prolonger le délai de réponse lorsque c’est "
        "nécessaire, compte tenu de la complexité et du nombre de demandes. Le délai de réponse "
        f"à votre demande est prolongé de {months}, jusqu’au {date_words(due, lang)}, pour la "
        f"raison suivante : {sentence(reason)}",
        "Article 12(3) GDPR allows the time to answer to be extended where necessary, taking "
        "into account the complexity and number of the requests. The time to answer your "
        f"request is extended by {months}, until {date_words(due, lang)}, for the following "
        f"reason: {sentence(reason)}",
    )


def render_context(letter: Letter) -> dict[str, Any]:
    """The letter's text as plain data (for ``--json`` and the API)."""
    return {
        "title": letter.title,
        "sections": [s.title for s in letter.sections],
    }
