"""Cookies as real policies describe them (issue 12 §4): session cookies, the CNIL's exempt
audience measurement, refusing cookies in the browser, Do Not Track and Global Privacy Control.

Each case adds cookies or settings to a small register and checks the sentence or table cell
the policy prints, in French and English, and the line's source; then what the lint says.
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


def cookie(**extra: Any) -> dict[str, Any]:
    return {
        "name": "_pk_id",
        "provider": "Exemple SAS",
        "category": "statistics",
        "purpose": t("Mesurer l’audience.", "Measure the audience."),
        "lifetime": "13 months",
        **extra,
    }


def _plain(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
    return " ".join(text.split())


def _cells(register: Any, lang: str) -> dict[str, tuple[str, ...]]:
    document = build_policy(register, lang)
    (section,) = [s for s in document.sections if s.anchor == "cookies"]
    return {_plain(text_of(item)): item.src for item in lines(section.blocks)}


@pytest.mark.parametrize(
    ("extra", "fr", "en", "src"),
    [
        (
            {"lifetime": "session", "category": "essential"},
            "Session (supprimé à la fermeture du navigateur)",
            "Session (deleted when the browser closes)",
            "cookies.c.lifetime",
        ),
        (
            {"cnil_exempt": True},
            "Non requis (mesure d'audience exemptée selon les conditions de la CNIL)",
            "Not required (audience measurement exempt under the CNIL's conditions)",
            "cookies.c.cnil_exempt",
        ),
    ],
    ids=["session", "exempt"],
)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_cookie_cells(extra: dict[str, Any], fr: str, en: str, src: str, lang: str) -> None:
    cells = _cells(small_register(cookies={"c": cookie(**extra)}), lang)
    assert cells[fr if lang == "fr" else en] == (src,)


@pytest.mark.parametrize(
    ("extra", "fr", "en"),
    [
        (
            {
                "rights__browser_refusal": t(
                    "Votre navigateur permet aussi de bloquer les cookies.",
                    "Your browser also lets you block cookies.",
                )
            },
            "Votre navigateur permet aussi de bloquer les cookies.",
            "Your browser also lets you block cookies.",
        ),
        (
            {"rights__browser_signals": ["gpc"]},
            "Nous traitons le signal Global Privacy Control (GPC) de votre navigateur comme un "
            "refus des cookies soumis à consentement.",
            "We treat your browser's Global Privacy Control (GPC) signal as a refusal of the "
            "cookies that require consent.",
        ),
        (
            {"rights__browser_signals": ["dnt", "gpc"]},
            "Nous traitons les signaux Do Not Track (DNT) et Global Privacy Control (GPC) de "
            "votre navigateur",
            "We treat your browser's Do Not Track (DNT) and Global Privacy Control (GPC) signals",
        ),
    ],
    ids=["browser", "gpc", "dnt-gpc"],
)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_refusing_in_the_browser(extra: dict[str, Any], fr: str, en: str, lang: str) -> None:
    register = small_register(cookies={"c": cookie()}, **extra)
    text = _plain(render_policy(register, lang, "md"))  # type: ignore[arg-type]
    assert _plain(fr if lang == "fr" else en) in text


def test_an_exempt_statistics_cookie_needs_no_consent() -> None:
    register = small_register(cookies={"c": cookie(cnil_exempt=True)})
    assert not register.cookies["c"].needs_consent


@pytest.mark.parametrize(
    ("extra", "codes"),
    [
        ({"cnil_exempt": True}, set()),
        ({"cnil_exempt": True, "lifetime": "25 months"}, {"CKE001", "CKE004"}),
        ({"cnil_exempt": True, "lifetime": "not_stated"}, {"CKE004", "STM003"}),
        ({"cnil_exempt": True, "lifetime": "session"}, set()),
        ({"cnil_exempt": True, "consent_required": False}, set()),
        ({"consent_required": False}, {"CKE003"}),
        ({"lifetime": "session"}, set()),
    ],
)
def test_what_the_lint_says(extra: dict[str, Any], codes: set[str]) -> None:
    register = small_register(cookies={"c": cookie(**extra)})
    found = {f.code for f in lint(register) if f.code.startswith("CKE") or f.code == "STM003"}
    assert found == codes


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"category": "marketing", "cnil_exempt": True}, "statistics' cookies only"),
    ],
)
def test_refused_forms(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        small_register(cookies={"c": cookie(**extra)})


def test_trackers_described_by_kind() -> None:
    kind = t("traceurs de mesure d'audience", "audience measurement trackers")
    register = small_register(
        cookies={"c": cookie(name=None, kind=kind, lifetime="not_stated", provider="Matomo")}
    )
    for lang, said in (
        ("fr", "Traceurs de mesure d'audience"),
        ("en", "Audience measurement trackers"),
    ):
        assert _cells(register, lang)[said] == ("cookies.c.kind",)
    messages = [f.message for f in lint(register) if f.code == "STM003"]
    assert messages == [
        "The lifetime of cookie “audience measurement trackers” of Matomo is not stated: give "
        "it, such as '13 months'."
    ]


def test_a_cookie_needs_a_name_or_a_kind() -> None:
    with pytest.raises(ValueError, match="or its 'kind'"):
        small_register(cookies={"c": cookie(name=None)})
