"""The cookie banner built from the register, and the endpoint its choices are posted to.

The banner's behaviour in a browser is in tests/test_cookie_banner_browser.py; here: what it is
built from (the register's words, never its keys), its weight, the command, and the ledger
records the endpoint writes, on the device-management example over a SQLite state.
"""

from __future__ import annotations

import gzip
import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from registre._exceptions import ConsentError
from registre.consent import has_consent
from registre.consent.banner import MAX_GZIPPED, build, categories, notice_digests, notice_text
from registre.consent.banner_choices import IDENTITY_KIND
from registre.demo import load_app, load_demo_data
from registre.register.loader import load_register
from registre.register.taxonomy import CookieCategory
from registre.service import Service, create_app, load_settings, open_service
from registre.state.db import utcnow
from test_service_fixtures import _no_settings_from_outside, bearer  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
DEVICES = ROOT / "examples" / "device-management"
BOOKING = ROOT / "examples" / "booking-platform"


def device_service(folder: Path) -> Service:
    """The service on the device-management example (its cookies: all four categories)."""
    url = f"sqlite:///{folder / 'console.sqlite'}"
    engine = sa.create_engine(url)
    try:
        load_demo_data(load_app(DEVICES), engine, subjects=3, seed=0)
    finally:
        engine.dispose()
    settings = load_settings(
        register=DEVICES / "register.yaml",
        state_url=f"sqlite:///{folder / 'state.sqlite'}",
        store_urls={"console": url},
        out_dir=folder / "letters",
        secret_key="a-test-secret-that-is-long-enough-0123456789",
    )
    return open_service(settings)


@pytest.fixture(scope="module")
def device_running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    running = device_service(tmp_path_factory.mktemp("banner"))
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def devices(device_running: Service) -> tuple[TestClient, Service]:
    """A new app (so a new rate limit) over the module's service; each test its own browser."""
    return TestClient(create_app(device_running), raise_server_exceptions=False), device_running


def post(client: TestClient, body: dict[str, Any], origin: str = "https://parcmobile.example"):
    return client.post(
        "/api/v1/consent/choices",
        content=json.dumps(body),
        headers={"Content-Type": "text/plain", "Origin": origin},
    )


def choice(**given: Any) -> dict[str, Any]:
    register = load_register(DEVICES)
    return {
        "consent_id": secrets.token_hex(16),
        "at": utcnow().isoformat(),
        "lang": "fr",
        "choices": {"statistics": "given", "marketing": "refused", "preferences": "given"},
        "notice": {"version": register.policy.version, "sha256": notice_digests(register)["fr"]},
    } | given


# -- what the banner is built from --------------------------------------------------------------


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        (DEVICES, dict(essential=True, preferences=False, statistics=False, marketing=False)),
        # the booking platform declares its audience measurement exempt (consent_required: false)
        (BOOKING, {"essential": True, "statistics": True}),
        (ROOT / "examples" / "meeting-assistant", {"essential": True, "statistics": False}),
    ],
)
def test_categories_and_which_are_exempt(example: Path, expected: dict[str, bool]) -> None:
    found = {c.id.value: c.exempt for c in categories(load_register(example))}
    assert found == expected


def test_a_marketing_cookie_declared_exempt_is_refused() -> None:
    register = load_register(DEVICES)
    ads = register.cookies["linkedin"].model_copy(update={"consent_required": False})
    broken = register.model_copy(update={"cookies": {**register.cookies, "linkedin": ads}})
    with pytest.raises(ConsentError, match="CKE002"):
        categories(broken)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_text_is_the_registers_words_never_its_keys(lang: str) -> None:
    register = load_register(DEVICES)
    text = notice_text(register, lang)
    for cookie in register.cookies.values():
        assert cookie.name in text and cookie.provider in text
        assert cookie.purpose.get(lang).rstrip(".") in text
    for key in ("consent_required", "statistics", "marketing", "linkedin", "not_stated", "_"):
        assert f" {key} " not in f" {text} ".replace("\n", " ")
    if lang == "fr":
        assert "13\u00a0mois" in text and "Tout refuser" in text and "Mesure d’audience" in text
        assert "cookies de préférences, de mesure d’audience et de publicité" in text
    else:
        assert "13 months" in text and "Refuse all" in text and "Audience measurement" in text
        assert "preference, audience measurement and advertising cookies" in text


def test_the_exempt_measurement_says_it_needs_no_consent_and_can_be_objected_to() -> None:
    text = notice_text(load_register(BOOKING), "fr")
    # French typography: a narrow no-break space before ';', no-break spaces inside « »
    assert "ne demande pas votre accord\u202f; vous pouvez vous y opposer" in text
    assert "«\u00a0Paramètres des cookies\u00a0»" in text
    assert "Avec votre accord" not in text  # nothing else is asked


def test_script_and_stylesheet_weigh_under_15_kB_gzipped_and_fetch_nothing() -> None:
    register = load_register(DEVICES)
    script, stylesheet = build(register, ("fr", "en"), endpoint="https://p.example/api/v1/x")
    size = len(gzip.compress(script.encode())) + len(gzip.compress(stylesheet.encode()))
    assert size < MAX_GZIPPED, size
    assert "/*CONFIG*/" not in script
    # no CDN, no font, no image: the only address is the endpoint it posts to
    for text in (script.replace("https://p.example/api/v1/x", ""), stylesheet):
        assert "http:" not in text and "https://" not in text
        assert "url(" not in text and "@import" not in text and "import(" not in text


def test_a_register_text_cannot_close_an_inline_script() -> None:
    register = load_register(DEVICES)
    cookie = register.cookies["analytics"].model_copy(
        update={"provider": "</script><script>alert(1)</script>"}
    )
    tricked = register.model_copy(update={"cookies": {**register.cookies, "analytics": cookie}})
    script, _ = build(tricked, ("fr",))
    assert "</script>" not in script


def test_the_command_writes_both_files(tmp_path: Path) -> None:
    answer = subprocess.run(
        [sys.executable, "-m", "registre", "cookies", "banner", str(DEVICES), "--lang", "en",
         "--output", str(tmp_path / "public"), "--notice"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert answer.returncode == 0, answer.stderr
    assert (tmp_path / "public" / "registre-cookies.js").is_file()
    assert (tmp_path / "public" / "registre-cookies.css").is_file()
    assert "bytes gzipped" in answer.stdout and "no --endpoint" in answer.stdout
    assert notice_text(load_register(DEVICES), "en") in answer.stdout
    wrong = subprocess.run(
        [sys.executable, "-m", "registre", "cookies", "banner", str(DEVICES), "--lang", "de",
         "--output", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert wrong.returncode == 2 and "fr or en" in wrong.stderr and "Traceback" not in wrong.stderr


# -- the endpoint -----------------------------------------------------------------------------


def test_a_choice_is_recorded_with_its_proof_and_readable_by_operators(devices: Any) -> None:
    client, running = devices
    browser = secrets.token_hex(16)
    answer = post(client, choice(consent_id=browser, gpc=False))
    assert answer.status_code == 201, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    recorded = {r["purpose"]: r for r in answer.json()["recorded"]}
    assert {p: r["decision"] for p, r in recorded.items()} == {
        "cookie:marketing": "refused",
        "cookie:preferences": "given",
        "cookie:statistics": "given",
    }
    stats = recorded["cookie:statistics"]
    assert stats["method"] == "banner" and stats["controller"] == "Parcmobile SAS"
    assert stats["notice"]["sha256"] == notice_digests(load_register(DEVICES))["fr"]
    assert stats["note"] == "cookie banner on https://parcmobile.example"
    assert stats["expires_at"] is not None  # six months
    person = {IDENTITY_KIND: browser}
    assert has_consent(running.state, person, "cookie:statistics")
    assert not has_consent(running.state, person, "cookie:marketing")
    # the same post again (the banner did not hear the answer) records nothing more
    assert post(client, choice(consent_id=browser, at=stats["at"])).json()["recorded"] == []
    # operators read them; the public cannot
    assert client.get(f"/api/v1/consent/choices/{browser}").status_code == 401
    listed = client.get(f"/api/v1/consent/choices/{browser}", headers=bearer(running, "auditor"))
    assert [r["purpose"] for r in listed.json()] == sorted(recorded)


def test_refusing_a_category_consented_to_withdraws_it(devices: Any) -> None:
    client, running = devices
    browser = secrets.token_hex(16)
    post(client, choice(consent_id=browser))
    later = (utcnow() + timedelta(seconds=1)).isoformat()
    refusal = choice(consent_id=browser, at=later, choices={"statistics": "refused"}, gpc=True)
    answer = post(client, refusal)
    [withdrawal] = answer.json()["recorded"]
    assert withdrawal["decision"] == "withdrawn" and withdrawal["replaces"]
    assert "Global Privacy Control" in withdrawal["note"]
    assert not has_consent(running.state, {IDENTITY_KIND: browser}, "cookie:statistics")


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"consent_id": "not-an-id"}, 422, "consent_id"),
        (choice(choices={}), 422, "choices"),
        (choice(choices={"essential": "given"}), 400, "asks no consent for cookies of category"),
        (choice(choices={"statistics": "maybe"}), 422, "choices.statistics"),
        (choice(notice={"sha256": "abc"}), 422, "notice.sha256"),
    ],
)
def test_a_wrong_choice_is_refused_with_the_error_shape(
    devices: Any, body: dict[str, Any], status: int, says: str
) -> None:
    client, _ = devices
    answer = post(client, body)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["message"]
    assert answer.headers["access-control-allow-origin"] == "*"  # the banner reads it: drops it


def test_a_choice_dated_in_the_future_is_dated_on_arrival(devices: Any) -> None:
    client, _ = devices
    future = (utcnow() + timedelta(days=3)).isoformat()
    [one, *_] = post(client, choice(at=future)).json()["recorded"]
    assert one["at"] < (utcnow() + timedelta(minutes=1)).isoformat()


def test_posts_are_limited_per_source(tmp_path: Path) -> None:
    from registre.service.routes.consent import POSTS_PER_HOUR

    running = device_service(tmp_path)  # its own state: the other tests' posts count too
    try:
        client = TestClient(create_app(running), raise_server_exceptions=False)
        statuses = [
            post(client, {"consent_id": "bad"}).status_code for _ in range(POSTS_PER_HOUR + 1)
        ]
    finally:
        running.close()
    assert statuses[:-1] == [422] * POSTS_PER_HOUR
    assert statuses[-1] == 429


def test_a_banner_text_other_than_the_registers_is_noted(devices: Any) -> None:
    client, _ = devices
    body = choice(notice={"version": "0.9", "sha256": "0" * 64})
    [one, *_] = post(client, body).json()["recorded"]
    assert "not the register's current one" in one["note"]


def test_categories_constant_is_ordered() -> None:
    assert [c.id for c in categories(load_register(DEVICES))] == list(CookieCategory)
