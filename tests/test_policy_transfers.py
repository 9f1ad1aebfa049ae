"""Sharing as real policies describe it (issue 12 §4): several safeguards on one transfer, a
safeguard for the organization's own processing outside the EEA, the public as a recipient, and
requests from the police and courts. Golden sentences and cells, each traced to its field;
then what the lint makes of several safeguards.
"""

from __future__ import annotations

from typing import Any

import pytest

from registre.documents import render_policy
from registre.documents.policy import build_policy
from registre.lint import lint
from test_policy_sources import lines, small_register, text_of


def t(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


def _plain(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
    return " ".join(text.split())


def _traced(register: Any, lang: str) -> dict[str, tuple[str, ...]]:
    document = build_policy(register, lang)
    found: dict[str, tuple[str, ...]] = {}
    for section in document.sections:
        found.update({_plain(text_of(item)): item.src for item in lines(section.blocks)})
    return found


def processor(**transfer: Any) -> dict[str, Any]:
    return {
        "processors": {
            "mailer": {
                "name": "Mailer Inc.",
                "service": t("Envoi d’e-mails", "Sending emails"),
                "country": "US",
                "transfer": transfer,
            }
        },
        "activities__orders__recipients": ["mailer"],
    }


CASES: list[tuple[dict[str, Any], str, str, tuple[str, ...]]] = [
    (
        processor(safeguard="dpf", also=["scc"]),
        "Cadre de protection des données UE–États-Unis (Data Privacy Framework) ; clauses "
        "contractuelles types de la Commission européenne (article 46 du RGPD)",
        "EU–US Data Privacy Framework; standard contractual clauses of the European Commission "
        "(Article 46 GDPR)",
        ("processors.mailer.transfer.safeguard", "processors.mailer.transfer.also"),
    ),
    (
        {
            "organization__hosting": [
                {"country": "CH", "transfer": {"safeguard": "adequacy", "reference": "2000/518"}}
            ]
        },
        "Hébergement : Suisse — décision d'adéquation de la Commission européenne (article 45 "
        "du RGPD), 2000/518",
        "Hosting: Switzerland — adequacy decision of the European Commission (Article 45 GDPR), "
        "2000/518",
        ("organization.hosting.0", "organization.hosting.0.transfer.safeguard"),
    ),
    (
        {
            "recipients": {
                "directory": {
                    "name": t("Les visiteurs de l’annuaire", "Directory visitors"),
                    "kind": "public",
                }
            },
            "activities__orders__recipients": ["directory"],
        },
        "Les visiteurs de l'annuaire (public) : « Commandes ».",
        "Directory visitors (public): “Orders”.",
        ("recipients.directory", "activities.orders.recipients"),
    ),
    (
        {
            "authority_requests": {
                "policy": t(
                    "Nous ne communiquons vos données que sur réquisition judiciaire.",
                    "We disclose your data only on a court order.",
                ),
                "notify_person": True,
            }
        },
        "Sauf si la loi l'interdit, nous vous informons d'une telle demande avant d'y répondre.",
        "Unless the law forbids it, we tell you of such a request before answering it.",
        ("authority_requests.notify_person",),
    ),
    (
        {
            "authority_requests": {
                "policy": t(
                    "Nous ne communiquons vos données que sur réquisition judiciaire.",
                    "We disclose your data only on a court order.",
                ),
            }
        },
        "Nous ne communiquons vos données que sur réquisition judiciaire.",
        "We disclose your data only on a court order.",
        ("authority_requests.policy",),
    ),
]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    ("extra", "fr", "en", "src"),
    CASES,
    ids=["several-safeguards", "own-hosting", "public", "authority-notify", "authority"],
)
def test_sharing_lines(
    extra: dict[str, Any], fr: str, en: str, src: tuple[str, ...], lang: str
) -> None:
    traced = _traced(small_register(**extra), lang)
    assert traced[_plain(fr if lang == "fr" else en)] == src


def test_a_further_valid_safeguard_covers_an_invalid_one() -> None:
    shield = small_register(**processor(safeguard="privacy_shield"))
    assert "TRF002" in {f.code for f in lint(shield)}
    covered = small_register(**processor(safeguard="privacy_shield", also=["scc"]))
    assert not {f.code for f in lint(covered)} & {"TRF001", "TRF002"}
    text = " ".join(_traced(covered, "en"))
    assert "Each transfer relies on the safeguard shown." in text
    assert "You can get a copy of the standard contractual clauses" in text


def test_own_hosting_with_a_safeguard_is_checked_not_reported_as_a_missing_processor() -> None:
    hosted = small_register(organization__hosting=[{"country": "CH"}])
    assert "TRF007" in {f.code for f in lint(hosted)}
    covered = small_register(
        organization__hosting=[{"country": "CH", "transfer": {"safeguard": "adequacy"}}]
    )
    assert not {f.code for f in lint(covered)} & {"TRF001", "TRF007"}


@pytest.mark.parametrize(
    ("lang", "title", "said"),
    [
        (
            "fr",
            "Autre responsable du traitement : PayPal Europe",
            [
                "PayPal Europe est responsable de ses propres traitements, décrits ci-dessous, "
                "et y répond seul.",
                "PayPal traite vos données de paiement pour son propre compte.",
                "Pour exercer vos droits auprès de PayPal Europe : <https://paypal.com/privacy>.",
            ],
        ),
        (
            "en",
            "Another controller: PayPal Europe",
            [
                "PayPal Europe is the controller of its own processing, described below, and "
                "answers for it alone.",
                "PayPal processes your payment data on its own account.",
                "To exercise your rights with PayPal Europe: <https://paypal.com/privacy>.",
            ],
        ),
    ],
)
def test_another_controller_has_its_own_notice_on_the_page(
    lang: str, title: str, said: list[str]
) -> None:
    register = small_register(
        other_controllers={
            "paypal": {
                "name": "PayPal Europe",
                "notice": t(
                    "PayPal traite vos données de paiement pour son propre compte.",
                    "PayPal processes your payment data on its own account.",
                ),
                "contact": "https://paypal.com/privacy",
            }
        }
    )
    document = build_policy(register, lang)  # type: ignore[arg-type]
    (section,) = [s for s in document.sections if s.anchor == "other-controllers"]
    assert (_plain(section.title), section.src) == (
        _plain(title),
        ("other_controllers.paypal.name",),
    )
    found = lines(section.blocks)
    assert [s for item in found for s in item.src] == [
        "other_controllers.paypal.name",
        "other_controllers.paypal.notice",
        "other_controllers.paypal.contact",
    ]
    text = _plain(render_policy(register, lang, "md"))  # type: ignore[arg-type]
    for sentence in said:
        assert _plain(sentence) in text


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("fr", "Mailer Inc. : journaux d'envoi effacés 30 jours après l'envoi."),
        ("en", "Mailer Inc.: sending logs deleted 30 days after sending."),
    ],
)
def test_retention_on_the_processor_side_is_stated(lang: str, said: str) -> None:
    extra = processor(safeguard="dpf")
    extra["processors"]["mailer"]["retention"] = t(
        "journaux d’envoi effacés 30 jours après l’envoi",
        "sending logs deleted 30 days after sending",
    )
    assert _traced(small_register(**extra), lang)[said] == ("processors.mailer.retention",)
