"""Typography for documents read by people: French spacing, apostrophes, quotes, contractions.

Every string that reaches a policy or a register export goes through :func:`typeset`, the
organization's own texts included: registers are typed on keyboards, with straight
apostrophes and ordinary spaces before colons, and a published policy should not show it.
The passes are idempotent, so text typeset twice is unchanged.
"""

from __future__ import annotations

import re

from registre.register.model import Lang

NBSP = "\u00a0"
"""No-break space: between a number and its unit, inside « »."""
NNBSP = "\u202f"
"""Narrow no-break space: before ; : ! ? in French."""

_SPACES = f"[ {NBSP}{NNBSP}]"
# After a letter, a straight quote is an apostrophe (l'appareil, clients' devices).
_APOSTROPHE = re.compile(r"(?<=\w)'")
_DOUBLE_QUOTED = re.compile(r'"([^"\n]*)"')
# A colon with no space before it is a URL or a time (https:, 10:30): left alone.
_FR_COLON = re.compile(rf"(?<=\S){_SPACES}+:(?=\s|$)")
_FR_HIGH_PUNCT = re.compile(rf"(?<=[^\s{NBSP}{NNBSP}]){_SPACES}*([;!?])(?=\s|$|[)»])")
_FR_OPEN_QUOTE = re.compile(rf"«{_SPACES}*")
_FR_CLOSE_QUOTE = re.compile(rf"{_SPACES}*»")
_EN_SPACE_BEFORE_PUNCT = re.compile(rf"(?<=\S){_SPACES}+([;:!?])(?=\s|$)")
# « 20 % », but not the %20 of an encoded URL.
_PERCENT = re.compile(rf"(?<=\d){_SPACES}?%(?![0-9A-Fa-f]{{2}})")
# « 20 000 »: the groups of a number, as CLDR prints French numbers (never inside a longer number).
_FR_THOUSANDS = re.compile(rf"(?<![\d.,])\d{{1,3}}(?:{_SPACES}\d{{3}})+(?![\d])")
_VOWEL_START = re.compile(r"^[aeiouyàâäéèêëîïôöùûüœæh]", re.IGNORECASE)
# Words starting with an h that does not elide (h aspiré) in the phrases registers use.
_H_ASPIRE = ("hache", "haut", "handicap", "hasard", "hausse", "héros", "hiérarchie", "honte")


def typeset(text: str, lang: Lang) -> str:
    """Apply the typographic conventions of ``lang`` to a sentence."""
    text = _APOSTROPHE.sub("’", text)
    if lang == "fr":
        text = _DOUBLE_QUOTED.sub(lambda m: f"«{NBSP}{m.group(1).strip()}{NBSP}»", text)
        text = _FR_OPEN_QUOTE.sub(f"«{NBSP}", text)
        text = _FR_CLOSE_QUOTE.sub(f"{NBSP}»", text)
        text = _FR_COLON.sub(f"{NNBSP}:", text)
        text = _FR_HIGH_PUNCT.sub(lambda m: f"{NNBSP}{m.group(1)}", text)
        text = _PERCENT.sub(f"{NNBSP}%", text)
        text = _FR_THOUSANDS.sub(lambda m: re.sub(_SPACES, NNBSP, m.group(0)), text)
    else:
        text = _DOUBLE_QUOTED.sub(lambda m: f"“{m.group(1)}”", text)
        text = _EN_SPACE_BEFORE_PUNCT.sub(lambda m: m.group(1), text)
        text = _PERCENT.sub("%", text)
    return text


def colon(lang: Lang) -> str:
    """The separator between a label and its value: ' : ' in French, ': ' in English."""
    return f"{NNBSP}: " if lang == "fr" else ": "


def sentence(text: str) -> str:
    """``text`` ending with a full stop, unless it already ends a sentence."""
    text = text.rstrip()
    if not text or text[-1] in ".!?…":
        return text
    if text[-1] in "»)" and len(text) > 1 and text[-2] in ".!?":
        return text
    return text + "."


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """Lower the first letter of one of our own phrases (never of a proper noun or acronym)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _elides(word: str) -> bool:
    return bool(_VOWEL_START.match(word)) and not word.lower().startswith(_H_ASPIRE)


def de(phrase: str) -> str:
    """French « de » before a noun phrase: du, des, de la, de l’, d’."""
    lowered = phrase.lower()
    if lowered.startswith("le "):
        return "du " + phrase[3:]
    if lowered.startswith("les "):
        return "des " + phrase[4:]
    if _elides(phrase):
        return "d’" + phrase
    return "de " + phrase


def que(phrase: str) -> str:
    """French « que » before a phrase: « qu’une enquête », « que le dossier »."""
    return "qu’" + phrase if _elides(phrase) else "que " + phrase


def a(phrase: str) -> str:
    """French « à » before a noun phrase: au, aux, à la, à l’."""
    lowered = phrase.lower()
    if lowered.startswith("le "):
        return "au " + phrase[3:]
    if lowered.startswith("les "):
        return "aux " + phrase[4:]
    return "à " + phrase


def markdown_escape(text: str) -> str:
    """Escape the characters that Markdown would read as formatting."""
    text = re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)
    # A value that starts a line must not start a heading, a list or a quote.
    return re.sub(r"^(#|[-+>]\s|\d+[.)]\s)", r"\\\1", text)
