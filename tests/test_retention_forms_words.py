"""The retention forms of issue 12 §4 in the policy's words, and what the lint says of them.

Each case is a rule and the clause the policy prints after its data category, in French and
English (spaces normalized: the typesetter puts non-breaking ones before « : » and in « 6 mois »).
"""

from __future__ import annotations

from typing import Any

import pytest

from registre.documents.retention import describe_rule
from registre.lint import lint
from test_retention_forms import register_for

STAGES = [
    {"stage": "trash", "after": "30 days"},
    {"stage": "live", "after": "1 month"},
    {"stage": "backups", "after": "90 days"},
]

WORDING: list[tuple[dict[str, Any], str, str]] = [
    (
        {"after": "up to 6 months after account_deleted"},
        "effacement jusqu’à 6 mois après la suppression du compte.",
        "deleted up to 6 months after the deletion of the account.",
    ),
    (
        {"after": "immediately after account_deleted", "at_least": "2 years after collected"},
        "effacement dès la suppression du compte. Les données sont conservées au moins 2 ans "
        "après la collecte.",
        "deleted immediately upon the deletion of the account. The data is kept for at least "
        "2 years after collection.",
    ),
    (
        {"after": "immediately after account_deleted", "stages": STAGES},
        "effacement par étapes à partir de la suppression du compte : corbeille vidée au bout "
        "de 30 jours, effacement de nos systèmes en production 1 mois plus tard, puis de nos "
        "sauvegardes 90 jours plus tard.",
        "deleted in stages from the deletion of the account: the trash is emptied after 30 "
        "days, the data leaves our live systems 1 month later, then our backups 90 days later.",
    ),
    (
        {
            "after": "6 months after account_deleted",
            "stages": [
                {"stage": "live", "after": "immediately"},
                {"stage": "backups", "after": "35 days"},
            ],
        },
        "effacement par étapes à partir de 6 mois après la suppression du compte : effacement "
        "de nos systèmes en production aussitôt, puis de nos sauvegardes 35 jours plus tard.",
        "deleted in stages starting 6 months after the deletion of the account: the data leaves "
        "our live systems at once, then our backups 35 days later.",
    ),
    (
        {
            "after": "1 year after account_deleted",
            "kept_while": {"fr": "une enquête est en cours", "en": "an investigation is ongoing"},
        },
        "effacement 1 an après la suppression du compte. Les données sont toutefois conservées "
        "tant qu’une enquête est en cours.",
        "deleted 1 year after the deletion of the account. The data is however kept while an "
        "investigation is ongoing.",
    ),
    (
        {"indefinite": True},
        "conservation sans limitation de durée.",
        "kept indefinitely.",
    ),
]


def _plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.mark.parametrize(("rule", "fr", "en"), WORDING, ids=[str(w[0]) for w in WORDING])
def test_each_form_is_worded(rule: dict[str, Any], fr: str, en: str) -> None:
    register = register_for(rule, {})
    found = register.activities["service"].retention["r"]
    assert _plain(describe_rule(register, found, "fr")) == fr
    assert _plain(describe_rule(register, found, "en")) == en


@pytest.mark.parametrize(
    ("rule", "codes"),
    [
        ({"indefinite": True}, ["RET008"]),
        ({"indefinite": True, "reason": {"fr": "Archives.", "en": "Archives."}}, ["RET009"]),
        (
            {"indefinite": True, "reference": {"fr": "Code du patrimoine.", "en": "Code."}},
            ["RET009"],
        ),
        ({"after": "up to 6 months after account_deleted"}, []),
    ],
)
def test_indefinite_retention_is_flagged(rule: dict[str, Any], codes: list[str]) -> None:
    found = [f.code for f in lint(register_for(rule, {})) if f.code.startswith("RET")]
    assert found == codes
