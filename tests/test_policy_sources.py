"""Every sentence of a generated policy comes from a register field, and nothing else is said.

The generator records, on each line it writes, the dotted paths of the register fields the
line says (``Line.src``). These tests render every example in each of its languages and fail
on a line with no source, or on a source that is not in the register's file: a sentence
without a field is a promise the organization never made (issue 12 §1).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from registre.documents import render_policy
from registre.documents.blocks import Bullets, Line, Para, Section, Table
from registre.documents.policy import build_policy
from registre.register.loader import load_register
from registre.register.model import Register

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/register.yaml"))

# The fixed structure of the document: the anchors of its parts, whose titles say no more than
# "here is the part about ..." (the part itself is left out when the register says nothing),
# and the headings of the sub-parts that hold the ways to exercise rights and complain.
STRUCTURE_ANCHORS = {
    "who-we-are", "data", "purposes", "retention", "recipients", "transfers", "security",
    "cookies", "rights", "consent", "automated-decisions", "changes",
}  # fmt: skip
STRUCTURE_TITLES = {
    "Nos rôles", "Our roles", "Nos sous-traitants", "Our processors",
    "Comment exercer vos droits", "How to exercise your rights", "Réclamation", "Complaints",
}  # fmt: skip


def raw(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def resolve(data: Any, path: str) -> Any:
    """The value at a dotted path of the register's file; ``KeyError`` when it is not there."""
    node = data
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(path)
    return node


def text_of(item: Line) -> str:
    return "".join(p if isinstance(p, str) else p.text for p in item)


def lines(section_blocks: list[Any]) -> list[Line]:
    found: list[Line] = []
    for block in section_blocks:
        if isinstance(block, Para):
            found.append(block.parts)
        elif isinstance(block, Bullets):
            found += block.items
        elif isinstance(block, Table):
            found += [cell for row in block.rows for cell in row]
    return found


def cases() -> list[Any]:
    return [
        pytest.param(example, lang, id=f"{example.parent.name}-{lang}")
        for example in EXAMPLES
        for lang in load_register(example).policy.languages
    ]


@pytest.mark.parametrize(("example", "lang"), cases())
def test_every_line_names_fields_that_are_in_the_register(example: Path, lang: str) -> None:
    register = load_register(example)
    data = raw(example)
    document = build_policy(register, lang)  # type: ignore[arg-type]
    unsourced: list[str] = []
    missing: list[str] = []
    every: list[tuple[str, Line | Section]] = [("intro", item) for item in lines(document.intro)]
    for section in document.sections:
        every.append((section.title, section))
        every += [(section.title, item) for item in lines(section.blocks)]
    for where, item in every:
        if isinstance(item, Section):
            if item.anchor in STRUCTURE_ANCHORS or item.title in STRUCTURE_TITLES:
                continue
            said, src = item.title, item.src
        else:
            said, src = text_of(item), item.src
        if not re.search(r"\w", said):  # a dash in an empty cell
            continue
        if not src:
            unsourced.append(f"[{where}] {said}")
        for path in src:
            try:
                value = resolve(data, path)
            except (KeyError, IndexError, ValueError):
                missing.append(f"[{where}] {path}: {said[:60]}")
                continue
            if value in (None, "", [], {}):
                missing.append(f"[{where}] {path} is empty: {said[:60]}")
    assert unsourced == [], "lines that no register field says:\n" + "\n".join(unsourced)
    assert missing == [], "sources that are not in the register file:\n" + "\n".join(missing)


@pytest.mark.parametrize(("example", "lang"), cases())
def test_the_title_and_version_come_from_the_register(example: Path, lang: str) -> None:
    register = load_register(example)
    document = build_policy(register, lang)  # type: ignore[arg-type]
    assert register.policy.version in document.subtitle
    assert register.organization.name in document.title or (
        register.organization.name_in_text is not None
    )


# -- what a register that says little gets: no sentence of the generator's own ---------------


def small_register(**extra: Any) -> Register:
    data: dict[str, Any] = {
        "registre": 1,
        "organization": {
            "name": "Exemple SAS",
            "address": {"street": "1 rue de la Paix", "postal_code": "75002", "city": "Paris"},
            "contact": {"email": "rgpd@exemple.fr"},
        },
        "policy": {"version": "1.0", "date": "2026-01-01"},
        "subjects": {"customer": {"name": {"fr": "Clients", "en": "Customers"}}},
        "activities": {
            "orders": {
                "name": {"fr": "Commandes", "en": "Orders"},
                "purpose": {"fr": "Traiter les commandes.", "en": "Process orders."},
                "legal_basis": "contract",
                "subjects": ["customer"],
                "data": ["identity"],
                "retention": {"r1": {"after": "3 years after contract_ended"}},
            }
        },
    }
    for path, value in extra.items():
        *parents, last = path.split("__")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return Register.model_validate(data)


HIDDEN = [
    # (what the generator used to say on the register's silence, in French and English)
    ("72 heures", "72 hours"),
    ("prolongé", "extended"),
    ("aucune décision fondée exclusivement", "no decision based solely"),
    ("toute nouvelle version de cette politique", "every new version of this policy"),
    ("ne sont pas transférées", "not transferred outside"),
    ("Origine des données", "Source of the data"),
    ("Vous disposez des droits suivants", "You have the following rights"),
    ("Commission nationale", "Commission nationale"),
    ("nous répondons dans un délai", "We answer within"),
    ("aucun destinataire", "do not share your data with anyone"),
]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(("fr", "en"), HIDDEN, ids=[fr for fr, _ in HIDDEN])
def test_silence_gives_no_sentence(lang: str, fr: str, en: str) -> None:
    text = render_policy(small_register(), lang, "md")  # type: ignore[arg-type]
    assert (fr if lang == "fr" else en).lower() not in text.lower()


@pytest.mark.parametrize(
    ("extra", "fr", "en"),
    [
        (
            {"breaches__authority_notification_hours": 72},
            "dans les 72\u00a0heures suivant le moment où nous en avons pris connaissance",
            "within 72 hours of becoming aware of it",
        ),
        ({"rights__extension": "none"}, "Ce délai n’est jamais prolongé.", "never extended"),
        (
            {"rights__extension": "2 months"},
            "Ce délai peut être prolongé de deux\u00a0mois",
            "extended by two months",
        ),
        (
            {"organization__data_stays_in": "FR"},
            "Vos données ne sont pas transférées hors de France.",
            "Your data is not transferred outside France.",
        ),
        (
            {"organization__data_stays_in": "EEA"},
            "hors de l’Espace économique européen (EEE)",
            "outside the European Economic Area (EEA)",
        ),
        (
            {"organization__supervisory_authority": "cnil"},
            "Commission nationale de l’informatique et des libertés",
            "the French data protection authority",
        ),
        ({"rights__offered": ["access", "post_mortem"]}, "article 85", "Article 85"),
    ],
    ids=["breach", "no-extension", "extension", "stays-in-france", "stays-in-eea", "cnil", "pm"],
)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_stated_field_gives_its_sentence(
    extra: dict[str, Any], fr: str, en: str, lang: str
) -> None:
    text = render_policy(small_register(**extra), lang, "md")  # type: ignore[arg-type]
    assert (fr if lang == "fr" else en) in text


def test_a_data_category_description_is_printed() -> None:
    register = small_register(
        data_categories={
            "loyalty": {
                "name": {"fr": "Carte de fidélité", "en": "Loyalty card"},
                "description": {"fr": "numéro et points cumulés", "en": "number and points"},
            }
        },
        activities__orders__data=["identity", "loyalty"],
    )
    assert "carte de fidélité (numéro et points cumulés)" in render_policy(register, "fr", "md")
    assert "loyalty card (number and points)" in render_policy(register, "en", "md")


def test_a_draft_says_so_on_every_page() -> None:
    register = small_register()
    html = render_policy(register, "fr", "html", draft=True)
    assert 'class="draft"' in html and "position: fixed" in html  # repeated on printed pages
    markdown = render_policy(register, "en", "md", draft=True)
    assert markdown.startswith("# DRAFT")
    assert "draft" not in render_policy(register, "en", "html").split("<main>")[1].lower()


# -- values the generator could only garble are refused by check, with a hint ------------------


@pytest.mark.parametrize(
    ("extra", "hint"),
    [
        ({"rights__offered": []}, "lists no right"),
        ({"rights__response_deadline": "immediately"}, "cannot be met"),
        (
            {
                "cookies": {
                    "c": {
                        "name": "_c",
                        "provider": "Exemple",
                        "category": "essential",
                        "purpose": {"fr": "Session.", "en": "Session."},
                        "lifetime": "immediately",
                    }
                }
            },
            "never kept",
        ),
    ],
    ids=["no-right", "deadline-immediately", "cookie-immediately"],
)
def test_a_value_that_reads_as_nonsense_is_refused(extra: dict[str, Any], hint: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=hint):
        small_register(**extra)


def test_not_stated_is_said_as_not_stated() -> None:
    register = small_register(
        activities__orders__legal_basis="not_stated",
        processors={
            "acme": {
                "name": "Acme",
                "service": {"fr": "Envoi", "en": "Sending"},
                "country": "not_stated",
            }
        },
        activities__orders__recipients=["acme"],
    )
    fr = render_policy(register, "fr", "md")
    assert "Base légale : non précisée." in fr.replace("\u202f", " ")
    assert "| Acme | Envoi | non précisé |" in fr
    assert "Transferts" not in fr  # an unknown country is not presumed a transfer
