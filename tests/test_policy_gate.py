"""The gate before publishing, and the page features of the HTML policy (issue 12 §2, §3).

`registre policy` and `registre ropa` refuse a register whose lint finds errors; `--draft`
makes the document anyway and marks every page. The examples are real registers: the clean
ones pass the gate, the ones that keep their seed's flaws are refused.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import registre.cli.documents  # noqa: F401  (registers the commands)
from registre.cli import app
from registre.documents import DocumentError, render_policy
from registre.lint import Severity, lint
from registre.register.loader import load_register

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/register.yaml"))


def has_errors(example: Path) -> bool:
    return any(f.severity is Severity.error for f in lint(load_register(example)))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.parent.name for e in EXAMPLES])
def test_policy_is_refused_exactly_when_the_lint_finds_errors(example: Path) -> None:
    result = CliRunner().invoke(app, ["policy", str(example), "--lang", "fr"])
    if has_errors(example):
        # a RegistreError, which the command line prints as a message and a hint
        assert isinstance(result.exception, DocumentError)
        assert "the lint finds" in str(result.exception) and "--draft" in result.exception.hint
    else:
        assert result.exit_code == 0, result.output
        assert "BROUILLON" not in result.stdout


def test_a_draft_policy_is_marked_and_a_clean_one_is_not(tmp_path: Path) -> None:
    flawed = ROOT / "examples/print-association/register.yaml"
    target = tmp_path / "policy.html"
    result = CliRunner().invoke(
        app, ["policy", str(flawed), "--draft", "--format", "html", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert '<p class="draft" role="note">BROUILLON' in html
    # fixed in print: Chromium repeats it at the top of every printed page
    assert re.search(r"@media print \{[^@]*\.draft \{ position: fixed", html, re.S)
    clean = ROOT / "examples/online-shop/register.yaml"
    result = CliRunner().invoke(app, ["policy", str(clean), "--draft", "--lang", "en"])
    assert result.exit_code == 0 and "DRAFT" not in result.stdout  # nothing to mark


def test_a_draft_ropa_prints_its_mark_on_every_sheet(tmp_path: Path) -> None:
    flawed = ROOT / "examples/meeting-assistant/register.yaml"
    refused = CliRunner().invoke(
        app, ["ropa", str(flawed), "--format", "xlsx", "-o", str(tmp_path)]
    )
    assert isinstance(refused.exception, DocumentError) and "--draft" in refused.exception.hint
    result = CliRunner().invoke(
        app, ["ropa", str(flawed), "--draft", "--format", "xlsx", "-o", str(tmp_path / "r.xlsx")]
    )
    assert result.exit_code == 0, result.output
    workbook = load_workbook(tmp_path / "r.xlsx")
    assert workbook.worksheets
    for sheet in workbook.worksheets:
        assert sheet.oddHeader.center.text.startswith("BROUILLON")


# -- the page: anchors, print, French typography ------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.parent.name for e in EXAMPLES])
def test_anchors_are_the_same_in_both_languages(example: Path) -> None:
    register = load_register(example)
    anchors = {
        lang: re.findall(r'<h2 id="([^"]+)"', render_policy(register, lang, "html"))
        for lang in register.policy.languages
    }
    assert len({tuple(found) for found in anchors.values()}) == 1
    assert "retention" in anchors["fr"] and not any(a.startswith("section-") for a in anchors["fr"])


def test_html_page_rules() -> None:
    register = load_register(ROOT / "examples/device-management/register.yaml")
    fr = render_policy(register, "fr", "html")
    assert "@page { size: A4" in fr and "hyphens: manual" in fr
    assert "1<sup>er</sup>" in fr  # « en vigueur à compter du 1er septembre 2026 »
    assert '<span class="nw">e-mail</span>' in fr
    # printed URLs only where the text does not already show it
    assert '<a href="https://parcmobile.example">https://parcmobile.example</a>' in fr
    assert 'class="print-url"' not in fr.split("<main>")[1].split("English version")[1]
    assert 'a.print-url[href^="http"]::after' in fr
    # each version links to the other
    assert 'href="https://parcmobile.example/en/privacy" hreflang="en"' in fr
    en = render_policy(register, "en", "html")
    assert 'href="https://parcmobile.example/confidentialite" hreflang="fr"' in en


# -- a promise of no extension binds the request desk too -----------------------------------------


def test_no_extension_promised_means_no_extension_granted(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from registre._exceptions import RequestError
    from registre.demo import load_app, load_demo_data
    from registre.durations import Duration
    from registre.requests import RequestDesk
    from registre.state import open_state
    from registre.stores.throwaway import scratch_database
    from test_requests_fixtures import ANCHOR

    shop = ROOT / "examples" / "online-shop"
    register = load_register(shop / "register.yaml")
    rights = register.rights.model_copy(update={"extension": Duration.parse("none")})
    register = register.model_copy(update={"rights": rights})
    with scratch_database("sqlite://", "policy_no_extension") as url:
        engine = sa.create_engine(url)
        load_demo_data(load_app(shop), engine, subjects=5, seed=0)
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            desk = RequestDesk(register, state, {"shop": engine}, out_dir=tmp_path, now=ANCHOR)
            request = desk.open("access", {"email": "camille.martin@example.fr"}, lang="fr")
            with pytest.raises(RequestError, match="no extension"):
                desk.extend(request.id, "complex request")
        engine.dispose()
