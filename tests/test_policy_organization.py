"""The organization as real policies describe it (issue 12 §4): an EU representative (Art. 27),
the law behind a legal basis, the scope of the policy, a national identification number (NIR)
flagged like special categories, in the policy and the Art. 30 record. Golden sentences in
both languages, each traced to its field.
"""

from __future__ import annotations

from typing import Any

import pytest

from registre.documents import render_policy
from registre.documents.naming import Namer
from registre.documents.policy import build_policy
from registre.documents.ropa import _sensitive
from test_policy_sources import lines, small_register, text_of


def t(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


def _plain(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
    return " ".join(text.split())


def _traced(register: Any, lang: str) -> dict[str, tuple[str, ...]]:
    document = build_policy(register, lang)
    found = {_plain(text_of(item)): item.src for item in lines(document.intro)}
    for section in document.sections:
        found.update({_plain(text_of(item)): item.src for item in lines(section.blocks)})
    return found


CASES: list[tuple[dict[str, Any], str, str, str]] = [
    (
        {
            "organization__eu_representative": {
                "name": "Rep Europe SARL",
                "email": "rep@exemple.eu",
            }
        },
        "Représentant dans l'Union européenne (article 27 du RGPD) : Rep Europe SARL, "
        "<rep@exemple.eu>",
        "Representative in the European Union (Article 27 GDPR): Rep Europe SARL, <rep@exemple.eu>",
        "organization.eu_representative",
    ),
    (
        {
            "activities__orders__legal_basis": "legal_obligation",
            "activities__orders__legal_basis_law": t(
                "Code de commerce, article L. 123-22", "French Commercial Code, Article L. 123-22"
            ),
        },
        "Texte applicable : Code de commerce, article L. 123-22.",
        "Applicable law: French Commercial Code, Article L. 123-22.",
        "activities.orders.legal_basis_law",
    ),
    (
        {
            "policy__scope": t(
                "le site exemple.fr et l'application", "the exemple.fr website and app"
            )
        },
        "Elle s'applique au site exemple.fr et l'application.",
        "It applies to the exemple.fr website and app.",
        "policy.scope",
    ),
]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(("extra", "fr", "en", "src"), CASES, ids=["rep", "law", "scope"])
def test_organization_lines(extra: dict[str, Any], fr: str, en: str, src: str, lang: str) -> None:
    register = small_register(**extra)
    traced = _traced(register, lang)
    said = fr if lang == "fr" else en
    if "<" in said:  # an email link renders as <address> in Markdown only
        assert said in _plain(render_policy(register, lang, "md"))  # type: ignore[arg-type]
    else:
        assert traced[said] == (src,)


@pytest.mark.parametrize(
    ("lang", "flag"),
    [("fr", "(numéro d'identification national)"), ("en", "(national identification number)")],
)
def test_a_national_id_is_flagged(lang: str, flag: str) -> None:
    register = small_register(
        activities__orders__data=["identity", "nir"],
        activities__orders__legal_basis="legal_obligation",
    )
    text = _plain(render_policy(register, lang, "md"))  # type: ignore[arg-type]
    assert flag in text
    sensitive = _plain(_sensitive(Namer(register, lang), register.activities["orders"]))  # type: ignore[arg-type]
    assert sensitive.endswith(
        "Numéro d'identification national (article 87 du RGPD) : Numéro de sécurité sociale (NIR)"
        if lang == "fr"
        else "National identification number (Article 87 GDPR): French social security number (NIR)"
    )
