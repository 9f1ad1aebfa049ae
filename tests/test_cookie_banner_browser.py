# ruff: noqa: F811  (the fixtures imported from other test modules are used by name)
"""The generated cookie banner in a real browser: Debian's Chromium driven by Playwright.

A demo site (a static server on one loopback port) carries the banner built from the
device-management register and three scripts of its categories, each setting the cookie the
register names; the service runs on another port (another origin, as in production) with a
SQLite state, and the tests read its ledger. Nothing non-essential is set or loaded before a
choice; refusing and accepting set exactly what they should; GPC means refused; the settings
link reopens the banner; a choice made while the service is down is posted on the next page.
Screenshots go to /tmp/banner-*.png. When Chromium is missing the tests fail, never skip.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect

from registre.consent.banner import write_banner
from registre.consent.decisions import consent_history
from registre.register.loader import load_register
from registre.service import create_app
from test_cookie_banner import BOOKING, DEVICES, device_service
from test_service_fixtures import _no_settings_from_outside, free_port  # noqa: F401
from test_web_browser import browser, serious_violations  # noqa: F401

SCRIPTS = {"preferences": "lang.js", "statistics": "stats.js", "marketing": "ads.js"}
EVERY_COOKIE = {"registre_consent", "pm_lang", "_pk_id.1.a1b2", "li_sugr"}
"""What the scripts set on the device-management site: the register's names (Matomo's id
cookie with its site and hash suffix, as Matomo sets it)."""


def demo_site(folder: Path, register_path: Path, endpoint: str | None) -> None:
    """A page in each language with the banner, a settings link and one script per category."""
    register = load_register(register_path)
    write_banner(register, folder, endpoint=endpoint)
    (folder / "js").mkdir()
    tags = []
    for category, name in SCRIPTS.items():
        named = [c.name for c in register.cookies.values() if c.category == category]
        cookie = (named or ["unnamed"])[0] + (".1.a1b2" if category == "statistics" else "")
        (folder / "js" / name).write_text(
            f'document.cookie = "{cookie}=1; path=/; max-age=3600";\n'
            f"(window.ran = window.ran || []).push({json.dumps(category)});\n"
        )
        tags.append(f'<script type="text/plain" data-category="{category}" src="/js/{name}">')
        tags[-1] += "</script>"
    for lang, title in (("fr", "Parcmobile, la flotte en main"), ("en", "Parcmobile")):
        (folder / f"{lang}.html").write_text(
            f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/registre-cookies.css"></head>
<body><header><a href="#main">Parcmobile</a></header>
<main id="main"><h1>{title}</h1>
<p>Gérez vos téléphones et tablettes professionnels.</p></main>
<footer><a href="#" data-registre-open id="settings"></a></footer>
{"".join(tags)}
<script src="/registre-cookies.js" defer></script>
</body></html>""",
            encoding="utf-8",
        )


def serve_folder(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Quiet, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The service (device-management) and the demo sites of two registers."""
    running = device_service(tmp_path_factory.mktemp("banner_service"))
    port = free_port()
    api = uvicorn.Server(
        uvicorn.Config(create_app(running), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=api.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not api.started:
        assert time.monotonic() < deadline, "the service did not start in 15 s"
        time.sleep(0.05)
    endpoint = f"http://127.0.0.1:{port}/api/v1/consent/choices"
    devices = tmp_path_factory.mktemp("banner_devices_site")
    demo_site(devices, DEVICES, endpoint)
    booking = tmp_path_factory.mktemp("banner_booking_site")
    demo_site(booking, BOOKING, None)
    servers = [serve_folder(devices), serve_folder(booking)]
    try:
        yield {
            "devices": servers[0][1],
            "booking": servers[1][1],
            "endpoint": endpoint,
            "running": running,
        }
    finally:
        for server, _ in servers:
            server.shutdown()
            server.server_close()
        api.should_exit = True
        thread.join(10)


def open_page(
    browser: Browser, url: str, *, gpc: bool = False, locale: str = "fr-FR"
) -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(locale=locale, viewport={"width": 1000, "height": 800})
    if gpc:
        context.add_init_script(
            "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', "
            "{get: () => true, configurable: true})"
        )
    page = context.new_page()
    page.set_default_timeout(10_000)
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url.rsplit("/", 1)[-1]))
    page.goto(url)
    return context, page, loaded


def cookies(context: BrowserContext) -> set[str]:
    return {c["name"] for c in context.cookies()}


def scripts(loaded: list[str]) -> set[str]:
    return {name for name in loaded if name in SCRIPTS.values()}


def consent_id(context: BrowserContext) -> str:
    [value] = [c["value"] for c in context.cookies() if c["name"] == "registre_consent"]
    found: str = json.loads(unquote(value))["i"]
    return found


def ledger(sites: dict[str, Any], browser_id: str, count: int) -> dict[str, str]:
    """The latest decision per category once the ledger holds ``count`` records."""
    deadline = time.monotonic() + 10
    while True:
        records = consent_history(sites["running"].state, {"consent_id": browser_id})
        if len(records) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(records) == count, [r.as_json() for r in records]
    return {r.purpose.removeprefix("cookie:"): r.decision.value for r in records}


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"/tmp/banner-{name}.png")


def test_refuse_with_the_keyboard_then_accept_one_category_then_withdraw_it(
    sites: dict[str, Any], browser: Browser
) -> None:
    context, page, loaded = open_page(browser, f"{sites['devices']}/fr.html")
    banner = page.get_by_role("dialog", name="Vos choix sur les cookies")
    expect(banner).to_be_visible()
    page.wait_for_load_state("networkidle")
    # before a choice: no cookie at all, none of the category scripts fetched
    assert cookies(context) == set() and scripts(loaded) == set()
    assert page.evaluate("window.ran") is None
    assert serious_violations(page) == []
    shot(page, "fr")
    # refuse, with the keyboard: the banner's buttons come first in the page
    refuse = page.get_by_role("button", name="Tout refuser")
    for _ in range(6):
        page.keyboard.press("Tab")
        if refuse.evaluate("b => b === document.activeElement"):
            break
    page.keyboard.press("Enter")
    expect(banner).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text("Vos choix sont enregistrés.")
    assert cookies(context) == {"registre_consent"} and scripts(loaded) == set()
    browser_id = consent_id(context)
    assert ledger(sites, browser_id, 3) == dict.fromkeys(SCRIPTS, "refused")

    # the settings link reopens it, with the choices made; accept audience measurement only
    page.locator("#settings").focus()
    expect(page.locator("#settings")).to_have_text("Paramètres des cookies")
    page.keyboard.press("Enter")
    expect(banner).to_be_visible()
    stats = page.get_by_role("checkbox", name="Accepter Mesure d’audience")
    expect(stats).not_to_be_checked()
    assert serious_violations(page) == []
    page.get_by_text("Voir les cookies (1)").nth(2).click()
    shot(page, "fr-settings")
    stats.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Enregistrer mes choix").press("Enter")
    expect(banner).to_be_hidden()
    expect(page.locator("#settings")).to_be_focused()  # back where the person was
    page.wait_for_function("window.ran && window.ran.length === 1")
    assert page.evaluate("window.ran") == ["statistics"]
    assert cookies(context) == {"registre_consent", "_pk_id.1.a1b2"}
    assert ledger(sites, browser_id, 6)["statistics"] == "given"  # every category again

    # withdrawn: the page starts again without the script, its cookie deleted
    page.locator("#settings").click()
    with page.expect_navigation():
        stats.uncheck()
        page.get_by_role("button", name="Enregistrer mes choix").click()
    page.wait_for_load_state("networkidle")
    assert cookies(context) == {"registre_consent"}
    assert page.evaluate("window.ran") is None
    assert ledger(sites, browser_id, 9)["statistics"] == "withdrawn"
    context.close()


def test_accept_all_while_the_service_is_down_posts_on_the_next_page(
    sites: dict[str, Any], browser: Browser
) -> None:
    context, page, loaded = open_page(browser, f"{sites['devices']}/en.html", locale="en-GB")
    page.route(sites["endpoint"], lambda route: route.abort("connectionrefused"))
    banner = page.get_by_role("dialog", name="Your choices about cookies")
    expect(banner).to_be_visible()
    shot(page, "en")
    page.get_by_role("button", name="Choose").click()
    expect(page.get_by_role("checkbox", name="Accept Preferences")).to_be_focused()
    page.get_by_text("See the cookies (2)").click()
    assert serious_violations(page) == []
    shot(page, "en-settings")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("window.ran && window.ran.length === 3")
    assert cookies(context) == EVERY_COOKIE
    assert scripts(loaded) == {"lang.js", "stats.js", "ads.js"}
    pending = page.evaluate("JSON.parse(localStorage.getItem('registre_consent_pending'))")
    assert len(pending) == 1 and pending[0]["choices"]["marketing"] == "given"
    browser_id = consent_id(context)
    assert consent_history(sites["running"].state, {"consent_id": browser_id}) == []
    # the service is back: the next page posts what was kept, and the banner stays away
    page.unroute(sites["endpoint"])
    page.reload()
    assert ledger(sites, browser_id, 3) == dict.fromkeys(SCRIPTS, "given")
    page.wait_for_function("localStorage.getItem('registre_consent_pending') === '[]'")
    expect(banner).to_have_count(0)
    page.wait_for_function("window.ran && window.ran.length === 3")
    context.close()


def test_global_privacy_control_is_a_refusal(sites: dict[str, Any], browser: Browser) -> None:
    context, page, loaded = open_page(browser, f"{sites['devices']}/fr.html", gpc=True)
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert cookies(context) == {"registre_consent"} and scripts(loaded) == set()
    browser_id = consent_id(context)
    assert ledger(sites, browser_id, 3) == dict.fromkeys(SCRIPTS, "refused")
    [one, *_] = consent_history(sites["running"].state, {"consent_id": browser_id})
    assert "Global Privacy Control" in (one.note or "")
    context.close()


def test_exempt_audience_measurement_runs_before_a_choice_until_objected_to(
    sites: dict[str, Any], browser: Browser
) -> None:
    context, page, loaded = open_page(browser, f"{sites['booking']}/fr.html")
    page.wait_for_function("window.ran && window.ran.length === 1")
    assert page.evaluate("window.ran") == ["statistics"]
    assert cookies(context) == {"rdv_stats.1.a1b2"} and scripts(loaded) == {"stats.js"}
    # nothing to consent to: no banner; the settings link lets the person object
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.locator("#settings").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Tout refuser").click()
    page.wait_for_load_state("networkidle")
    assert cookies(context) == {"registre_consent"}
    assert page.evaluate("window.ran") is None
    context.close()


# -- iframes and images of a category; Do Not Track --------------------------------------------

# a 1x1 transparent GIF
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


def media_page(folder: Path) -> None:
    """A page with a video of the advertising category and a pixel of audience measurement,
    held back the documented way: no ``src``, the address in ``data-src``."""
    (folder / "frame.html").write_text("<!doctype html><title>video</title><p>video</p>")
    (folder / "pixel.gif").write_bytes(PIXEL)
    (folder / "media.html").write_text(
        """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Vidéo</title>
<link rel="stylesheet" href="/registre-cookies.css"></head>
<body><main><h1>Vidéo</h1>
<iframe title="Présentation" data-category="marketing" data-src="/frame.html"></iframe>
<img alt="" width="1" height="1" data-category="statistics" data-src="/pixel.gif"></main>
<footer><a href="#" data-registre-open id="settings"></a></footer>
<script src="/registre-cookies.js" defer></script>
</body></html>""",
        encoding="utf-8",
    )


def test_iframes_and_images_of_a_category_load_only_once_it_is_accepted(
    sites: dict[str, Any], browser: Browser, tmp_path: Path
) -> None:
    media_page(tmp_path)
    write_banner(load_register(DEVICES), tmp_path, endpoint=sites["endpoint"])
    server, base = serve_folder(tmp_path)
    try:
        context, page, loaded = open_page(browser, f"{base}/media.html")
        banner = page.get_by_role("dialog", name="Vos choix sur les cookies")
        expect(banner).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert "frame.html" not in loaded and "pixel.gif" not in loaded
        assert page.locator("iframe").get_attribute("src") is None
        assert page.locator("img").get_attribute("src") is None

        # audience measurement accepted: its pixel loads, the advertising video does not
        page.get_by_role("button", name="Choisir").click()
        page.get_by_role("checkbox", name="Accepter Mesure d’audience").check()
        page.get_by_role("button", name="Enregistrer mes choix").click()
        expect(banner).to_be_hidden()
        page.wait_for_function("document.querySelector('img').complete")
        assert page.locator("img").get_attribute("src") == "/pixel.gif"
        assert page.evaluate("document.querySelector('img').naturalWidth") == 1
        assert "pixel.gif" in loaded and "frame.html" not in loaded
        assert page.locator("iframe").get_attribute("src") is None

        # everything accepted from the settings link: the video loads in its frame
        page.locator("#settings").click()
        page.get_by_role("button", name="Tout accepter").click()
        expect(page.frame_locator("iframe").get_by_text("video")).to_be_visible()
        assert "frame.html" in loaded
        assert page.locator("iframe").get_attribute("data-src") is None

        # withdrawn: the page starts again, and the video stays out
        page.locator("#settings").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Tout refuser").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("iframe").get_attribute("src") is None
        assert page.locator("img").get_attribute("src") is None
        context.close()
    finally:
        server.shutdown()
        server.server_close()


def do_not_track(context: BrowserContext) -> None:
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'doNotTrack', "
        "{get: () => '1', configurable: true})"
    )


def test_do_not_track_is_a_refusal_where_the_register_honors_it(
    sites: dict[str, Any], browser: Browser, tmp_path: Path
) -> None:
    honoring = tmp_path / "register.yaml"
    text = DEVICES.joinpath("register.yaml").read_text(encoding="utf-8")
    assert text.count("\nrights:\n") == 1
    honoring.write_text(text.replace("\nrights:\n", "\nrights:\n  browser_signals: [dnt]\n"))
    site = tmp_path / "site"
    site.mkdir()
    demo_site(site, honoring, sites["endpoint"])
    server, base = serve_folder(site)
    try:
        # the register says Do Not Track is a refusal: nothing asked, nothing run, recorded
        context = browser.new_context(locale="fr-FR")
        do_not_track(context)
        page = context.new_page()
        loaded: list[str] = []
        page.on("request", lambda r: loaded.append(r.url.rsplit("/", 1)[-1]))
        page.goto(f"{base}/fr.html")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("navigator.doNotTrack") == "1"
        expect(page.get_by_role("dialog")).to_have_count(0)
        assert cookies(context) == {"registre_consent"} and scripts(loaded) == set()
        browser_id = consent_id(context)
        assert ledger(sites, browser_id, 3) == dict.fromkeys(SCRIPTS, "refused")
        notes = {
            r.note for r in consent_history(sites["running"].state, {"consent_id": browser_id})
        }
        assert all("Do Not Track" in (n or "") for n in notes), notes
        # a choice the person makes later in the settings is theirs
        page.locator("#settings").click()
        page.get_by_role("button", name="Tout accepter").click()
        page.wait_for_function("window.ran && window.ran.length === 3")
        assert ledger(sites, browser_id, 6) == dict.fromkeys(SCRIPTS, "given")
        context.close()
    finally:
        server.shutdown()
        server.server_close()

    # the device-management register says nothing of Do Not Track: the banner asks
    context = browser.new_context(locale="fr-FR")
    do_not_track(context)
    page = context.new_page()
    page.goto(f"{sites['devices']}/fr.html")
    expect(page.get_by_role("dialog", name="Vos choix sur les cookies")).to_be_visible()
    assert cookies(context) == set()
    context.close()


def test_the_meeting_assistants_banner_asks_for_its_one_category(
    browser: Browser, tmp_path: Path
) -> None:
    """Issue 16's done-means on the meeting assistant: its banner, built from its register
    (one audience-measurement cookie needing consent), on a demo page."""
    register = Path(__file__).resolve().parent.parent / "examples" / "meeting-assistant"
    demo_site(tmp_path, register / "register.yaml", None)
    server, base = serve_folder(tmp_path)
    try:
        context, page, loaded = open_page(browser, f"{base}/fr.html")
        banner = page.get_by_role("dialog", name="Vos choix sur les cookies")
        expect(banner).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert cookies(context) == set() and scripts(loaded) == set()
        assert serious_violations(page) == []
        page.get_by_role("button", name="Choisir").click()
        expect(page.get_by_role("checkbox")).to_have_count(1)  # audience measurement only
        expect(page.get_by_role("checkbox", name="Accepter Mesure d’audience")).to_be_visible()
        expect(banner).to_contain_text("_plume_id")
        shot(page, "meeting-assistant")
        page.get_by_role("button", name="Tout accepter").click()
        page.wait_for_function("window.ran && window.ran.length === 1")
        assert page.evaluate("window.ran") == ["statistics"]  # no script of another category
        assert cookies(context) == {"registre_consent", "_plume_id.1.a1b2"}
        assert scripts(loaded) == {"stats.js"}
        context.close()
    finally:
        server.shutdown()
        server.server_close()
