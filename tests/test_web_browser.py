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
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import uvicorn
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect, sync_playwright

from registre.service import Service, create_app, load_settings, open_service
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import DM, load_dm
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    SECRET,
    SHOP,
    Inbox,
    _no_settings_from_outside,
    free_port,
    shop_url,
)
from test_web_pages import PASSWORD, code_for

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).parent / "fixtures" / "axe.min.js"
SHOTS = Path(os.environ.get("REGISTRE_SCREENSHOTS", "/tmp/registre-web"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The state database's kind: each module's servers run once on each (a server URL for
    PostgreSQL, None for SQLite); PostgreSQL is skipped when REGISTRE_TEST_POSTGRES_URL is
    unset."""
    if request.param == "sqlite":
        yield None
        return
    server = os.environ.get("REGISTRE_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("REGISTRE_TEST_POSTGRES_URL is not set")
    yield server


@contextmanager
def serving(
    register: Path, store_urls: dict[str, str], folder: Path, server: str | None
) -> Iterator[tuple[str, Inbox, Service]]:
    """``registre serve``'s app on a free loopback port, its mail going to a real SMTP server,
    its state on SQLite in ``folder`` or in a database of its own on ``server``."""
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = free_port()
    with ExitStack() as stack:
        state_url = (
            stack.enter_context(scratch_database(server, "web_browser"))
            if server
            else f"sqlite:///{folder / 'state.sqlite'}"
        )
        settings = load_settings(
            register=register,
            state_url=state_url,
            store_urls=store_urls,
            out_dir=folder / "letters",
            secret_key=SECRET,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            mail_from="privacy@boutique-lumen.example",
            public_url=f"http://127.0.0.1:{port}",
        )
        running = open_service(settings)
        stack.callback(running.close)
        running.access.add_user("web-operator", "operator", PASSWORD, actor="test")
        running.access.add_user("web-dpo", "dpo", PASSWORD, actor="test")
        running.access.add_user("web-auditor", "auditor", PASSWORD, actor="test")
        server_ = uvicorn.Server(
            uvicorn.Config(create_app(running), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server_.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server_.started:
            assert time.monotonic() < deadline, "the service did not start in 15 s"
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}", inbox, running
        finally:
            server_.should_exit = True
            thread.join(10)
            controller.stop()


@pytest.fixture(scope="module")
def served(
    backend: str | None, shop_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """The shop's service, and the inbox of its mail."""
    folder = tmp_path_factory.mktemp("web_browser")
    # an erasure runs here: on a copy of the session's shop database, which others only read
    shutil.copyfile(shop_url.removeprefix("sqlite:///"), folder / "shop.sqlite")
    shop = {"shop": f"sqlite:///{folder / 'shop.sqlite'}"}
    with serving(SHOP / "register.yaml", shop, folder, backend) as running:
        yield running


@pytest.fixture(scope="module")
def dm_served(backend: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The device-management service (we are a processor for its clients): a forwarded
    request and the client's instruction."""
    folder = tmp_path_factory.mktemp("web_browser_dm")
    url = f"sqlite:///{folder / 'console.sqlite'}"
    load_dm(url)
    with serving(DM / "register.yaml", {"console": url}, folder, backend) as running:
        yield (*running, url)


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


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the pages do not vary by it
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


PHONE = {"width": 390, "height": 844}
LABELS = {
    "en": {
        "access": "Access my data (Art. 15)",
        "erasure": "Erase my data (Art. 17)",
        "email": "Email address",
        "send": "Send me the code",
        "code": "Six-digit code",
        "confirm": "Confirm my request",
    },
    "fr": {
        "access": "Accéder à mes données (art. 15)",
        "erasure": "Effacer mes données (art. 17)",
        "email": "Adresse électronique",
        "send": "Recevoir le code",
        "code": "Code à six chiffres",
        "confirm": "Confirmer ma demande",
    },
}


def file_and_verify(page: Page, base: str, inbox: Inbox, lang: str, kind: str, email: str) -> Any:
    """File a request on the privacy center in ``lang``, enter the code read from the mail;
    the request's number and its status link."""
    words = LABELS[lang]
    page.goto(f"{base}/privacy/request?lang={lang}")
    page.get_by_label(words[kind]).check()
    page.get_by_label(words["email"]).fill(email)
    page.get_by_role("button", name=words["send"]).click()
    request_id = page.locator("input[name=request_id]").first.input_value()
    page.get_by_label(words["code"]).fill(code_for(inbox, request_id))
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.locator("#request-number")).to_have_text(request_id)
    link = page.locator("#status-link").get_attribute("href")
    assert link is not None
    return request_id, link


def test_an_extension_and_a_refusal_reach_the_person(served: Any, browser: Browser) -> None:
    base, inbox, running = served
    person = browser.new_context(bypass_csp=True, locale="en-GB", viewport=PHONE)
    page = person.new_page()
    page.set_default_timeout(10_000)
    extended, extended_link = file_and_verify(
        page, base, inbox, "en", "access", "extension.case@example.org"
    )
    refused, refused_link = file_and_verify(
        page, base, inbox, "fr", "erasure", "refusal.case@example.org"
    )
    first_due = running.desk.get(extended).due

    operator = browser.new_context(bypass_csp=True, locale="en-GB")
    console = operator.new_page()
    console.set_default_timeout(10_000)
    sign_in(console, base, "web-operator")
    console.goto(f"{base}/console/requests/{extended}?lang=en")
    console.locator("#extend-reason").fill("several systems to search, some archived")
    console.get_by_role("button", name="Extend the deadline").click()
    expect(console.get_by_role("status")).to_have_text("Done.")
    expect(console.locator("#state")).to_have_text("extended")
    expect(console.get_by_text("one-time code emailed to extension.case@")).to_be_visible()
    assert serious_violations(console) == []
    shot(console, "console-request-extended-en")
    new_due = running.desk.get(extended).due
    assert new_due > first_due

    page.goto(extended_link + "?lang=en")
    expect(page.locator("#state")).to_have_text("extended")
    expect(page.get_by_text("several systems to search, some archived")).to_be_visible()
    expect(page.locator("time")).to_have_text(new_due.isoformat())
    assert serious_violations(page) == []
    shot(page, "privacy-status-extended-en-phone")

    console.goto(f"{base}/console/requests/{refused}?lang=fr")
    console.locator("#refuse-reason").fill("quatrième demande identique ce mois-ci")
    console.get_by_role("button", name="Refuser").click()
    expect(console.locator("#state")).to_have_text("refusée")
    page.goto(refused_link + "?lang=fr")
    expect(page.locator("#state")).to_have_text("refusée")
    expect(page.get_by_text("quatrième demande identique ce mois-ci")).to_be_visible()
    assert serious_violations(page) == []
    shot(page, "privacy-status-refused-fr-phone")
    page.get_by_role("link", name="Lire la lettre de réponse").click()
    letter = page.content()
    assert refused in letter and "quatrième demande identique ce mois-ci" in letter
    assert "CNIL" in letter  # the right to complain (Art. 12(4))
    shot(page, "privacy-refusal-letter-fr-phone")
    person.close()
    operator.close()


def _shared_contact(url: str) -> str:
    """A shared contact who is nobody else: all we hold of them is held for a client."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            email: str = connection.execute(
                sa.text(
                    "SELECT c.email FROM shared_contacts c WHERE c.email IS NOT NULL "
                    "AND c.deleted_at IS NULL "
                    "AND c.email NOT IN (SELECT email FROM managers) "
                    "AND c.email NOT IN (SELECT email FROM account_holders) "
                    "AND c.email NOT IN "
                    "(SELECT email FROM directory_users WHERE email IS NOT NULL) "
                    "AND (SELECT count(*) FROM shared_contacts o WHERE o.email = c.email) = 1 "
                    "ORDER BY c.id"
                )
            ).first()[0]
    finally:
        engine.dispose()
    return email


def _rows_of(url: str, email: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            found: int = connection.execute(
                sa.text("SELECT count(*) FROM shared_contacts WHERE email = :email"),
                {"email": email},
            ).scalar_one()
    finally:
        engine.dispose()
    return found


def test_a_forwarded_erasure_carried_out_on_the_clients_instruction(
    dm_served: Any, browser: Browser
) -> None:
    base, inbox, running, url = dm_served
    email = _shared_contact(url)
    assert _rows_of(url, email) == 1
    person = browser.new_context(bypass_csp=True, locale="fr-FR", viewport=PHONE)
    page = person.new_page()
    page.set_default_timeout(10_000)
    request_id, link = file_and_verify(page, base, inbox, "fr", "erasure", email)

    operator = browser.new_context(bypass_csp=True, locale="fr-FR")
    console = operator.new_page()
    console.set_default_timeout(10_000)
    sign_in(console, base, "web-operator")
    console.goto(f"{base}/console/requests/{request_id}")
    console.get_by_role("button", name="Transmettre au responsable du traitement").click()
    expect(console.locator("#state")).to_have_text("transmise au responsable")
    expect(console.get_by_text("code à usage unique envoyé par courriel")).to_be_visible()
    assert serious_violations(console) == []
    shot(console, "console-request-forwarded-fr")
    page.goto(link)
    expect(page.locator("#state")).to_have_text("transmise au responsable")
    shot(page, "privacy-status-forwarded-fr-phone")
    assert _rows_of(url, email) == 1  # nothing is erased before the client says so

    console.get_by_label("Instruction du responsable (où, quand)").fill(
        "courriel du client du 2 décembre 2026"
    )
    console.get_by_role("button", name="Enregistrer l'instruction").click()
    expect(console.locator("#state")).to_have_text("en cours")
    console.get_by_role("button", name="Exécuter").click()
    deadline = time.monotonic() + 30
    while running.desk.get(request_id).state.value != "done":
        assert time.monotonic() < deadline, "the instructed erasure did not finish in 30 s"
        time.sleep(0.2)
    assert _rows_of(url, email) == 0
    console.reload()
    expect(console.locator("#state")).to_have_text("traitée")
    history = console.locator("table").last.inner_text()
    assert "user:web-operator" in history
    page.goto(link)
    expect(page.locator("#state")).to_have_text("traitée")
    actions = [e.action for e in running.state.audit.entries() if e.request_id == request_id]
    assert actions.index("request.forwarded") < actions.index("request.instructed")
    person.close()
    operator.close()


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_a_breach_recorded_scoped_assessed_and_read_in_the_console(
    served: Any, browser: Browser
) -> None:
    base, _, running = served
    tz = ZoneInfo(running.register.policy.timezone)
    now = datetime.now(tz)
    dpo = browser.new_context(bypass_csp=True, locale="fr-FR")
    console = dpo.new_page()
    console.set_default_timeout(15_000)
    sign_in(console, base, "web-dpo")
    opened = []
    for aware, summary in (
        (now - timedelta(hours=2), "Ordinateur portable volé avec un export des clients"),
        (now - timedelta(hours=80), "Boîte de messagerie d'un vendeur compromise"),
    ):
        console.goto(f"{base}/console/breaches")
        console.locator("#aware_at").fill(_local(aware))
        console.get_by_label("perte de confidentialité", exact=False).check()
        console.locator("#summary").fill(summary)
        console.locator("#systems").fill("export CRM")
        console.get_by_role("button", name="Enregistrer une violation").click()
        expect(console.locator("#breach-state")).to_have_text("ouverte")
        opened.append(console.url.split("/")[-1].split("?")[0])
    recent, late = opened

    console.goto(f"{base}/console/breaches")
    rows = console.locator("#breaches tbody tr")
    expect(rows.first).to_contain_text(late)  # late first
    expect(rows.first).to_contain_text("en retard de")
    expect(rows.nth(1)).to_contain_text("reste")
    assert serious_violations(console) == []
    shot(console, "console-breaches-fr")

    console.goto(f"{base}/console/breaches/{recent}")
    console.locator("#targets").fill("shop.customers")
    console.get_by_role("button", name="Compter les personnes").click()
    engine = sa.create_engine(running.settings.store_urls["shop"])
    try:
        with engine.connect() as connection:
            customers = connection.execute(sa.text("SELECT count(*) FROM customers")).scalar_one()
    finally:
        engine.dispose()
    expect(console.locator("#people tbody tr").first).to_contain_text(str(customers))
    console.get_by_label("risque élevé", exact=False).check()
    console.locator("#reasons").fill("adresses et téléphones, non chiffrés")
    console.locator("#consequences").fill("hameçonnage ciblé")
    console.locator("#advice").fill("se méfier des messages demandant un paiement")
    console.get_by_role("button", name="Évaluer le risque").click()
    expect(console.locator("#assessment")).to_contain_text("risque élevé")
    console.get_by_role("button", name="Écrire les lettres").click()
    expect(console.locator("#letters summary")).to_contain_text(f"{customers} lettre(s)")
    expect(console.locator("#clocks")).to_contain_text("reste")
    assert serious_violations(console) == []
    shot(console, "console-breach-fr")

    console.get_by_role("link", name="Brouillon de notification à la CNIL").click()
    expect(console.locator("pre.document")).to_contain_text("Notification d'une violation")
    expect(console.locator("pre.document")).to_contain_text(str(customers))
    assert serious_violations(console) == []
    shot(console, "console-breach-cnil-fr")
    console.goto(f"{base}/console/breaches/{recent}")
    console.locator("#letters summary").click()
    letter = console.locator("#letters a").first.get_attribute("href")
    assert letter is not None
    console.locator("#letters a").first.click()
    expect(console.locator("pre.document")).to_contain_text("hameçonnage ciblé")
    assert serious_violations(console) == []
    shot(console, "console-breach-letter-fr")

    for path, name in (
        ("/console/breaches", "console-breaches-en"),
        (f"/console/breaches/{recent}", "console-breach-en"),
        (f"/console/breaches/{recent}/cnil", "console-breach-cnil-en"),
        (letter, "console-breach-letter-en"),
    ):
        console.goto(f"{base}{path}?lang=en")
        expect(console.locator("html")).to_have_attribute("lang", "en")
        assert serious_violations(console) == []
        shot(console, name)
    console.goto(f"{base}/console/breaches?lang=en")
    expect(console.locator("#breaches tbody tr").first).to_contain_text("late by")
    expect(console.locator("#breaches tbody tr").nth(1)).to_contain_text("left")

    auditor = browser.new_context(bypass_csp=True, locale="en-GB")
    reader = auditor.new_page()
    reader.set_default_timeout(10_000)
    sign_in(reader, base, "web-auditor")
    reader.goto(f"{base}/console/breaches/{recent}")
    expect(reader.locator("#people")).to_be_visible()
    assert reader.locator(f"form[action^='/console/breaches/{recent}/']").count() == 0
    expect(reader.get_by_text("Your role allows no action here.")).to_be_visible()
    assert serious_violations(reader) == []
    shot(reader, "console-breach-auditor-en")

    entries = [e for e in running.state.audit.entries() if e.action.startswith("breach.")]
    assert {e.actor for e in entries} == {"user:web-dpo"}
    assert running.state.audit.verify() == []
    dpo.close()
    auditor.close()
