# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""The pages in a real browser: Debian's Chromium driven by Playwright, never a downloaded one.

``registre serve``'s app runs in a uvicorn thread on a free loopback port, its mail going to a
real SMTP server (aiosmtpd). A person files an access request, reads the code in the mail,
enters it and sees the number and the due date; an operator signs in to the console and
executes it; the status page then says it is done and shows the letter. axe-core (vendored in
tests/fixtures, from the npm registry) finds no serious or critical violation on the pages.
An erasure with a legal hold in place keeps the held data, and the letter says why. Every
main page, in French and in English, passes axe and is photographed to $REGISTRE_SCREENSHOTS
(default /tmp/registre-web).

The browser must start: when Chromium is missing the tests fail (CI installs it with apt, see
scripts/setup.sh), they never skip.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect, sync_playwright

from registre.service import create_app
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    Inbox,
    _no_settings_from_outside,
    free_port,
    service_over,
    shop_url,
)
from test_web_pages import PASSWORD, code_for

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).parent / "fixtures" / "axe.min.js"
SHOTS = Path(os.environ.get("REGISTRE_SCREENSHOTS", "/tmp/registre-web"))


@pytest.fixture(scope="module")
def served(shop_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The service on a free loopback port, and the inbox of its mail."""
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = free_port()
    folder = tmp_path_factory.mktemp("web_browser")
    # an erasure runs here: on a copy of the session's shop database, which others only read
    shutil.copyfile(shop_url.removeprefix("sqlite:///"), folder / "shop.sqlite")
    running = service_over(
        f"sqlite:///{folder / 'shop.sqlite'}",
        folder,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        mail_from="privacy@boutique-lumen.example",
        public_url=f"http://127.0.0.1:{port}",
    )
    running.access.add_user("web-operator", "operator", PASSWORD, actor="test")
    running.access.add_user("web-dpo", "dpo", PASSWORD, actor="test")
    server = uvicorn.Server(
        uvicorn.Config(create_app(running), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start in 15 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", inbox, running
    finally:
        server.should_exit = True
        thread.join(10)
        controller.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=20_000)
        try:
            yield launched
        finally:
            launched.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, as 'rule: target' lines."""
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']}: {node['target']}"
        for v in found
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


def test_a_person_files_verifies_and_an_operator_executes(served: Any, browser: Browser) -> None:
    base, inbox, running = served
    # bypass_csp only to inject axe-core: the pages' own policy is checked in test_web_pages
    person = browser.new_context(
        bypass_csp=True, locale="en-GB", viewport={"width": 390, "height": 844}
    )
    page = person.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/privacy/?lang=en")
    assert serious_violations(page) == []
    shot(page, "privacy-home-en-phone")
    page.get_by_role("link", name="Exercise your rights").first.click()
    assert serious_violations(page) == []
    shot(page, "privacy-request-en-phone")
    page.get_by_label("Access my data (Art. 15)").check()
    page.get_by_label("Email address").fill(CAMILLE)
    page.get_by_role("button", name="Send me the code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    request_id = page.locator("input[name=request_id]").first.input_value()
    assert CAMILLE not in page.url and request_id not in page.url
    page.get_by_label("Six-digit code").fill(code_for(inbox, request_id))
    page.get_by_role("button", name="Confirm my request").click()
    expect(page.locator("#request-number")).to_have_text(request_id)
    due = running.desk.get(request_id).due.isoformat()
    expect(page.locator("#due")).to_have_text(due)
    assert serious_violations(page) == []
    shot(page, "privacy-verified-en-phone")
    status_link = page.locator("#status-link").get_attribute("href")
    assert status_link is not None

    operator = browser.new_context(bypass_csp=True, locale="fr-FR")
    console = operator.new_page()
    console.set_default_timeout(10_000)
    console.goto(f"{base}/console/")
    console.get_by_label("Utilisateur").fill("web-operator")
    console.get_by_label("Mot de passe").fill(PASSWORD)
    console.get_by_role("button", name="Se connecter").click()
    expect(console.get_by_role("heading", name="Demandes")).to_be_visible()
    assert serious_violations(console) == []
    shot(console, "console-queue-fr")
    console.get_by_role("link", name=request_id).click()
    console.get_by_role("button", name="Exécuter").click()
    expect(console.get_by_role("status")).to_contain_text("L'exécution est lancée")
    assert serious_violations(console) == []
    deadline = time.monotonic() + 30
    while running.desk.get(request_id).state.value != "done":
        assert time.monotonic() < deadline, "the execution job did not finish in 30 s"
        time.sleep(0.2)
    console.reload()
    expect(console.locator("#state")).to_have_text("traitée")
    shot(console, "console-request-fr")
    console.goto(f"{base}/console/audit?verify=1")  # the other pages: MAIN_PAGES below
    assert serious_violations(console) == []
    shot(console, "console-audit-verified-fr")

    page.goto(status_link)
    expect(page.locator("#state")).to_have_text("done")
    assert serious_violations(page) == []
    shot(page, "privacy-status-en-phone")
    page.get_by_role("link", name="Read the answer letter").click()
    assert request_id in page.content()
    person.close()
    operator.close()


def test_the_policy_page_in_french_and_a_refused_form_post(served: Any, browser: Browser) -> None:
    base, _, _ = served
    context = browser.new_context(bypass_csp=True, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/privacy/policy")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("main h1")).to_be_visible()
    # a form whose token was tampered with is refused, and the page says what to do
    page.goto(f"{base}/privacy/request")
    page.locator("input[name=csrf]").evaluate("field => field.value = 'forged'")
    page.get_by_label("Adresse électronique").fill("someone@example.org")
    with page.expect_response(re.compile(r"/privacy/request$")) as answer:
        page.get_by_role("button", name="Recevoir le code").click()
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("rechargez la page")
    headers = answer.value.all_headers()
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    context.close()


def sign_in(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/console/login")
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action='/console/login'] button").click()
    expect(page.locator("p.who")).to_contain_text(name)


def test_an_erasure_with_a_hold_keeps_the_held_data_and_the_letter_says_why(
    served: Any, browser: Browser
) -> None:
    base, inbox, running = served
    dpo = browser.new_context(bypass_csp=True, locale="fr-FR")
    console = dpo.new_page()
    console.set_default_timeout(10_000)
    sign_in(console, base, "web-dpo")
    console.goto(f"{base}/console/holds")
    console.get_by_label("Adresse électronique de la personne").fill(CAMILLE)
    console.locator("#hold-reason").fill("litige en cours, dossier 2026-114")
    console.get_by_role("button", name="Placer un gel").click()
    expect(console.get_by_text("litige en cours, dossier 2026-114")).to_be_visible()

    person = browser.new_context(
        bypass_csp=True, locale="fr-FR", viewport={"width": 390, "height": 844}
    )
    page = person.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/privacy/request")
    page.get_by_label("Effacer mes données (art. 17)").check()
    page.get_by_label("Adresse électronique").fill(CAMILLE)
    page.get_by_role("button", name="Recevoir le code").click()
    request_id = page.locator("input[name=request_id]").first.input_value()
    page.get_by_label("Code à six chiffres").fill(code_for(inbox, request_id))
    page.get_by_role("button", name="Confirmer ma demande").click()
    expect(page.locator("#request-number")).to_have_text(request_id)
    status_link = page.locator("#status-link").get_attribute("href")
    assert status_link is not None

    console.goto(f"{base}/console/requests/{request_id}")
    console.get_by_role("button", name="Exécuter").click()
    deadline = time.monotonic() + 30
    while running.desk.get(request_id).state.value != "done":
        assert time.monotonic() < deadline, "the erasure job did not finish in 30 s"
        time.sleep(0.2)
    page.goto(status_link)
    expect(page.locator("#state")).to_have_text("traitée")
    page.get_by_role("link", name="Lire la lettre de réponse").click()
    letter = page.content()
    assert request_id in letter and "gel juridique" in letter
    shot(page, "privacy-erasure-letter-fr-phone")
    kept = [o for o in running.desk.get(request_id).result["outcomes"] if o["action"] == "kept"]
    assert kept and all(o["reason"] == "hold" for o in kept)
    person.close()
    dpo.close()


MAIN_PAGES = [
    "/privacy/",
    "/privacy/policy",
    "/privacy/request",
    "/privacy/withdraw",
    "/privacy/unsubscribe?u=a-link-from-a-message",
    "/console/",
    "/console/holds",
    "/console/audit",
    "/console/plan",
    "/console/sweeps",
    "/console/register",
    "/console/users",
    "/console/tokens",
]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_main_pages_in_each_language_pass_axe(served: Any, browser: Browser, lang: str) -> None:
    base, _, _ = served
    context = browser.new_context(bypass_csp=True, locale="fr-FR" if lang == "fr" else "en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base, "web-dpo")
    problems = {}
    for path in MAIN_PAGES:
        page.goto(f"{base}{path}")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        found = serious_violations(page)
        if found:
            problems[path] = found
        name = path.strip("/").split("?")[0].replace("/", "-") or "home"
        shot(page, f"{name}-{lang}")
    assert problems == {}
    context.close()
