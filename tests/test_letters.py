"""The letters a DPO signs (issue 12 §6), on the online shop's data, against golden files.

Each letter is rendered for real (a request opened, verified, executed, refused or extended
on the shop's SQLite database at the data's anchor) and compared with
``tests/golden/letters/<name>.<lang>.html``, the request id written as ``r-ID``.
``REGISTRE_UPDATE_GOLDEN=1`` rewrites them after a deliberate change; read the diff, and look
at them in a browser, before committing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from _support import check_golden as golden
from registre._exceptions import RequestError
from registre.demo import load_app, load_demo_data
from registre.documents.wording import date as date_words
from registre.durations import Duration, local_date
from registre.register.loader import load_register
from registre.register.model import Register, Text
from registre.register.taxonomy import Right
from registre.requests import RequestDesk, letters
from registre.state import open_state
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import ANCHOR, ROOT

SHOP = ROOT / "examples" / "online-shop"
GOLDEN = Path(__file__).resolve().parent / "golden" / "letters"
CAMILLE = "camille.martin@example.fr"
RIGHTS = ("access", "rectification", "erasure", "restriction", "objection", "portability")


def signed_register() -> Register:
    """The shop's register with a signatory, a backup period and how recipients are told."""
    register = load_register(SHOP / "register.yaml")
    rights = register.rights.model_copy(
        update={
            # pinned: the letters' goldens do not move when the example offers another right
            "offered": [Right(r) for r in RIGHTS],
            "signed_by": Text(
                fr="La déléguée à la protection des données", en="The Data Protection Officer"
            ),
            "backups": Duration.parse("35 days"),
        }
    )
    # a category's description is told where the letter lists the person's data
    categories = dict(register.data_categories)
    categories["orders"] = categories["orders"].model_copy(
        update={
            "description": Text(
                fr="Y compris chaque ligne de commande.", en="Including each order line."
            )
        }
    )
    return register.model_copy(update={"rights": rights, "data_categories": categories})


def check_golden(name: str, html: str, request_id: str) -> None:
    golden(GOLDEN / name, html.replace(request_id, "r-ID"))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u202f", " ")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    with scratch_database("sqlite://", "letters_shop") as url:
        engine = sa.create_engine(url)
        load_demo_data(load_app(SHOP), engine, subjects=40, seed=0)
        yield engine
        engine.dispose()


@pytest.fixture
def desk(shop: sa.Engine, tmp_path: Path) -> Iterator[RequestDesk]:
    with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
        yield RequestDesk(
            signed_register(), state, {"shop": shop}, out_dir=tmp_path / "out", now=ANCHOR
        )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_access_letter_greets_signs_and_names_the_dpo(desk: RequestDesk, lang: str) -> None:
    request = desk.open("access", {"email": CAMILLE}, lang=lang)
    desk.verify(request.id, method="reply from the account's address")
    done = desk.execute(request.id)
    html = Path((done.result or {})["letter"]).read_text(encoding="utf-8")
    check_golden(f"access.{lang}.html", html, request.id)
    words = text_of(html)
    greeting, farewell, role = {
        "fr": (
            "Madame, Monsieur,",
            "Nous vous prions d’agréer, Madame, Monsieur,",
            "La déléguée à la protection des données",
        ),
        "en": ("Dear Sir or Madam,", "Yours faithfully,", "The Data Protection Officer"),
    }[lang]
    assert greeting in words and farewell in words and role in words
    assert ("recours juridictionnel" if lang == "fr" else "judicial remedy") in words


def test_access_letter_tells_where_each_clock_stands(desk: RequestDesk, shop: sa.Engine) -> None:
    """The dates come from the person's rows: the last activity read from the database, plus
    the rule's three years; an event that did not happen is said not to have happened."""
    with shop.connect() as connection:
        last_active = connection.execute(
            sa.text(
                "SELECT last_active_at FROM customers "
                "WHERE lower(trim(email)) = :e OR lower(trim(alt_email)) = :e"
            ),
            {"e": CAMILLE},
        ).scalar_one()
    day = last_active if isinstance(last_active, date) else datetime.fromisoformat(last_active)
    day = local_date(day, ZoneInfo("Europe/Paris")) if isinstance(day, datetime) else day
    request = desk.open("access", {"email": CAMILLE}, lang="fr")
    desk.verify(request.id, method="reply from the account's address")
    words = text_of(Path((desk.execute(request.id).result or {})["letter"]).read_text("utf-8"))
    later = Duration.parse("3 years").add_to(day)
    assert f"la dernière activité a eu lieu le {date_words(day, 'fr')}".replace(
        "\u00a0", " "
    ) in words.replace("\u00a0", " ")
    assert f"jusqu’au {date_words(later, 'fr')}".replace("\u00a0", " ") in words.replace(
        "\u00a0", " "
    )
    assert "La suppression du compte n’a pas encore eu lieu" not in words  # told after « ; »
    assert "la suppression du compte n’a pas encore eu lieu" in words
    assert "Le retrait du consentement n’a pas encore eu lieu" in words
    # the category's description, where the letter lists the data
    assert (
        "Commandes (date, articles, quantités, prix) (y compris chaque ligne de commande)" in words
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_refusals_cite_their_ground(desk: RequestDesk, lang: str) -> None:
    unverified = desk.open("access", {"email": CAMILLE}, lang=lang)
    with pytest.raises(RequestError, match="earlier requests exist"):
        desk.refuse(unverified.id, "third request this month, see r-123", "excessive")
    refused = desk.refuse(unverified.id, "third request this month, see r-123", "identity")
    html = Path((refused.result or {})["letter"]).read_text(encoding="utf-8")
    check_golden(f"refusal-identity.{lang}.html", html, unverified.id)
    assert "r-123" not in html and "third request" not in html  # an impostor learns nothing
    assert ("11.2" if lang == "fr" else "11(2)") in html

    verified = desk.open("erasure", {"email": CAMILLE}, lang=lang)
    desk.verify(verified.id, method="reply from the account's address")
    refused = desk.refuse(
        verified.id, "Third identical request in a month (r-1, r-2).", "excessive"
    )
    html = Path((refused.result or {})["letter"]).read_text(encoding="utf-8")
    check_golden(f"refusal-excessive.{lang}.html", html, verified.id)
    assert ("article 12.5" if lang == "fr" else "Article 12(5)") in html
    assert "Third identical request in a month" in html  # the evidence recorded


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_extension_cites_article_12_3(desk: RequestDesk, lang: str) -> None:
    request = desk.open("access", {"email": CAMILLE}, lang=lang)
    extended = desk.extend(request.id, "the data sits in four systems, two of them archived")
    html = (desk.out_dir / request.id / f"extension-{lang}.html").read_text(encoding="utf-8")
    check_golden(f"extension.{lang}.html", html, extended.id)
    assert ("article 12.3" if lang == "fr" else "Article 12(3)") in html


def test_unknown_ground_is_refused_with_the_list() -> None:
    with pytest.raises(RequestError) as caught:
        letters.refusal_letter(signed_register(), object(), "x", ANCHOR.date(), "rude")
    assert "unfounded, excessive, identity, other" in (caught.value.hint or "")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_erasure_letter_counts_tells_recipients_and_backups(
    shop: sa.Engine, tmp_path: Path, lang: str
) -> None:
    """Last: it erases Camille from the module's database."""
    with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
        desk = RequestDesk(
            signed_register(), state, {"shop": shop}, out_dir=tmp_path / "out", now=ANCHOR
        )
        email = CAMILLE if lang == "fr" else _another_customer(shop)
        request = desk.open("erasure", {"email": email}, lang=lang)
        desk.verify(request.id, method="reply from the account's address")
        done = desk.execute(request.id)
    html = Path((done.result or {})["letter"]).read_text(encoding="utf-8")
    if lang == "fr":
        check_golden("erasure.fr.html", html, request.id)
    words = text_of(html)
    assert ("35 jours" if lang == "fr" else "35 days") in words
    assert ("article 19" if lang == "fr" else "Article 19") in words
    assert re.search(r"\d+ (enregistrement|record)", words)


def _another_customer(engine: sa.Engine) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                sa.text(
                    "SELECT email FROM customers WHERE lower(email) <> :c AND email LIKE '%@%' "
                    "ORDER BY id LIMIT 1"
                ),
                {"c": CAMILLE},
            ).scalar_one()
        )


def test_every_letter_kind_has_its_builder() -> None:
    assert {k.builder for k in letters.LETTER_KINDS} <= set(letters.__all__)
    assert len({k.name for k in letters.LETTER_KINDS}) == len(letters.LETTER_KINDS)


@pytest.mark.parametrize(
    ("agreed", "expected"),
    [
        (False, "vos données sont conservées jusqu’au 2 mars 2036"),
        (True, "vos données sont conservées pendant la durée convenue avec chaque client"),
    ],
)
def test_a_period_agreed_per_client_is_not_dated(agreed: bool, expected: str) -> None:
    """The client's agreed period may differ from the register's: no date is made up."""
    from datetime import date as day

    from registre.register.taxonomy import Action
    from registre.requests.letters.clocks import EventStatus, RuleStatus, status_lines

    placed = day(2026, 3, 2)
    status = RuleStatus(
        "orders",
        "orders",
        Action.delete,
        records=1,
        events={"collected": EventStatus("collected", 1, placed, placed)},
        kept_from=day(2036, 3, 2),
        kept_to=day(2036, 3, 2),
        dated=1,
        agreed=agreed,
    )
    (line,) = status_lines(signed_register(), "fr", [status])
    assert line.replace("\u00a0", " ") == f"La collecte a eu lieu le 2 mars 2026 : {expected}."
