"""Commitments, further rights and how to make a request, in the policy (issue 12 §4).

Each structured promise of the register's ``commitments`` reads as one fixed sentence, traced to
its entry; the rights to be informed and to have recipients notified (Art. 19) and how to make
a request read only when the register states them. Golden sentences in both languages, spaces
normalized (the typesetter puts non-breaking ones before « : »).
"""

from __future__ import annotations

from typing import Any

import pytest

from registre.documents import render_policy
from registre.documents.policy import build_policy
from registre.documents.promises import stated_promises
from registre.register.model import Register
from test_policy_sources import lines, small_register, text_of


def t(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


COMMITMENTS: list[tuple[dict[str, Any], str, str]] = [
    (
        {"kind": "not_sold"},
        "Nous ne vendons pas vos données.",
        "We do not sell your data.",
    ),
    (
        {"kind": "not_sold", "data": ["identity"]},
        "Nous ne vendons pas ces données : identité",
        "We do not sell this data: identity",
    ),
    (
        {"kind": "not_collected", "what": t("votre carnet d’adresses", "your address book")},
        "Nous ne collectons pas votre carnet d’adresses.",
        "We do not collect your address book.",
    ),
    (
        {"kind": "not_collected", "data": ["location"]},
        "Nous ne collectons pas ces données : ",
        "We do not collect this data: ",
    ),
    (
        {
            "kind": "used_only_for",
            "data": ["identity"],
            "purpose": t("l’envoi de votre commande", "sending your order"),
        },
        "Nous utilisons ces données uniquement pour l’envoi de votre commande : identité",
        "We use this data only for sending your order: identity",
    ),
    (
        {"kind": "processed_locally", "where": t("sur votre téléphone", "on your phone")},
        "Vos données sont traitées uniquement sur votre téléphone et ne nous parviennent jamais.",
        "Your data is processed only on your phone and never reaches us.",
    ),
    (
        {"kind": "processed_locally", "data": ["identity"]},
        "Ces données sont traitées uniquement sur votre appareil et ne nous parviennent jamais "
        ": identité",
        "This data is processed only on your device and never reaches us: identity",
    ),
    (
        {
            "kind": "no_human_reads",
            "detail": t(
                "Sauf si vous nous le demandez pour l’assistance.",
                "Unless you ask us to for support.",
            ),
        },
        "Aucun membre de notre personnel ne lit vos données. Sauf si vous nous le demandez pour "
        "l’assistance.",
        "No one on our staff reads your data. Unless you ask us to for support.",
    ),
]


def _plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def _register(**extra: Any) -> Register:
    return small_register(**extra)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(("entry", "fr", "en"), COMMITMENTS, ids=[str(c[0]) for c in COMMITMENTS])
def test_each_commitment_reads_as_one_traced_sentence(
    entry: dict[str, Any], fr: str, en: str, lang: str
) -> None:
    document = build_policy(_register(commitments=[entry]), lang)  # type: ignore[arg-type]
    (section,) = [s for s in document.sections if s.anchor == "commitments"]
    (said,) = lines(section.blocks)
    assert said.src == ("commitments.0",)
    assert (fr if lang == "fr" else en) in _plain(text_of(said))


def test_no_commitment_no_section() -> None:
    document = build_policy(_register(), "fr")
    assert all(s.anchor != "commitments" for s in document.sections)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kind": "used_only_for"}, "needs the 'purpose'"),
        ({"kind": "not_collected"}, "needs 'what'"),
        ({"kind": "not_sold", "purpose": t("x", "x")}, "belongs to a 'used_only_for'"),
    ],
)
def test_incomplete_commitments_are_refused(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _register(commitments=[entry])


@pytest.mark.parametrize(
    ("extra", "fr", "en"),
    [
        (
            {"rights__offered": ["access", "information", "notification"]},
            "Droit d’être informé de la manière dont vos données sont traitées",
            "Right to have us tell the recipients of your data of its rectification, erasure or "
            "restriction, and to be told who they are (Article 19 GDPR)",
        ),
        (
            {
                "rights__how_to_request": t(
                    "Indiquez le droit que vous exercez et l’adresse e-mail de votre compte.",
                    "Say which right you exercise and the email address of your account.",
                )
            },
            "Indiquez le droit que vous exercez et l’adresse e-mail de votre compte.",
            "Say which right you exercise and the email address of your account.",
        ),
        (
            {"rights__response_deadline": "15 days", "rights__extension": "none"},
            "Nous vous répondons dans un délai de 15 jours à compter de la réception de "
            "votre demande. Ce délai n’est jamais prolongé.",
            "We answer within 15 days of receiving your request. This period is never extended.",
        ),
    ],
    ids=["rights", "how-to-request", "shorter-no-extension"],
)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_rights_beyond_the_list(extra: dict[str, Any], fr: str, en: str, lang: str) -> None:
    text = _plain(render_policy(_register(**extra), lang, "md"))  # type: ignore[arg-type]
    assert _plain(fr if lang == "fr" else en) in text


def test_check_summary_lists_commitments() -> None:
    register = _register(
        commitments=[{"kind": "not_sold"}, {"kind": "no_human_reads", "data": ["identity"]}],
        rights__how_to_request=t("Écrivez-nous.", "Write to us."),
    )
    said = stated_promises(register)
    assert "commitment: not sold" in said
    assert "commitment: no human reads (identity)" in said
    assert "how to make a request: stated" in said
