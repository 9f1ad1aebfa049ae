"""The register of breaches (issue 17): the clocks, the assessment, the audit trail, the letters.

The counts on live databases are in test_breach_counts.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from _support import check_golden as golden
from registre._exceptions import BreachError
from registre.breaches import cnil, letters, operations
from registre.breaches.clocks import clock, clocks, duration_text
from registre.breaches.counting import PersonToInform
from registre.breaches.model import Assessment, Breach, Nature, Phase, Risk
from registre.breaches.store import ACTIONS, BreachRegister
from registre.breaches.view import ordered, summary
from registre.register.loader import load_register
from registre.state import open_state

ROOT = Path(__file__).resolve().parent.parent
DM = ROOT / "examples" / "device-management" / "register.yaml"
GOLDEN = Path(__file__).parent / "golden" / "breaches"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def register():  # type: ignore[no-untyped-def]
    return load_register(DM)


@pytest.fixture
def book(tmp_path: Path):  # type: ignore[no-untyped-def]
    state = open_state(f"sqlite:///{tmp_path / 'state.sqlite'}")
    yield BreachRegister(state.engine, state.audit, actor="dpo"), state
    state.close()


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def opened(book_state, aware: str, now: str, *, processor: bool = False) -> Breach:  # type: ignore[no-untyped-def]
    book, _ = book_state
    return operations.open_breach(
        book,
        aware_at=paris(aware),
        now=paris(now),
        nature=["confidentiality"],
        summary="A laptop with an export of the console was stolen.",
        systems=["console"],
        source="theft",
        processor=processor,
    )


# -- the clocks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aware", "due_local", "now", "left"),
    [
        # the clocks go back on Sunday 25 October 2026 at 03:00: 72 hours end at 09:00, not 10:00
        ("2026-10-24T10:00", "2026-10-27T09:00", "2026-10-26T09:00", timedelta(hours=24)),
        ("2026-10-24T10:00", "2026-10-27T09:00", "2026-10-24T10:00", timedelta(hours=72)),
        # across the night of the change itself: 10 hours of wall clock are 11 elapsed hours
        ("2026-10-24T10:00", "2026-10-27T09:00", "2026-10-25T09:00", timedelta(hours=48)),
        # in spring, 72 hours from Saturday 10:00 end on Tuesday 11:00
        ("2026-03-28T10:00", "2026-03-31T11:00", "2026-03-30T11:00", timedelta(hours=24)),
        # late: the time left is negative
        ("2026-10-24T10:00", "2026-10-27T09:00", "2026-10-27T12:30", -timedelta(hours=3.5)),
    ],
)
def test_the_authority_clock_counts_elapsed_hours_across_a_change_of_time(
    book, register, aware: str, due_local: str, now: str, left: timedelta
) -> None:  # type: ignore[no-untyped-def]
    breach = opened(book, aware, aware)
    authority = clock(breach, register, "authority")
    assert authority is not None and authority.due is not None
    assert authority.due == paris(due_local).astimezone(UTC)
    assert authority.due.astimezone(PARIS).replace(tzinfo=None) == datetime.fromisoformat(due_local)
    assert authority.left(paris(now)) == left


def test_time_left_is_written_for_people() -> None:
    assert duration_text(timedelta(hours=41, minutes=12)) == "41 h 12 min left"
    assert duration_text(-timedelta(hours=3, minutes=5)) == "late by 3 h 05 min"


def test_a_processor_tells_its_controller_within_the_promised_delay(book, register) -> None:  # type: ignore[no-untyped-def]
    breach = opened(book, "2026-10-24T10:00", "2026-10-24T11:00", processor=True)
    found = {c.to: c for c in clocks(breach, register)}
    assert set(found) == {"authority", "controller"}
    assert register.breaches.controller_notification_hours == 72  # seed 003's promise
    assert found["controller"].due == paris("2026-10-24T10:00").astimezone(UTC) + timedelta(
        hours=72
    )


@pytest.mark.parametrize(("promised", "hours"), [(24, 24), (None, None)])
def test_the_controller_clock_is_the_registers_own_delay_to_clients(
    book, register, promised: int | None, hours: int | None
) -> None:  # type: ignore[no-untyped-def]
    """Distinct from the authority's: 24 hours promised to clients leaves the authority's 72;
    no promise leaves 'without undue delay', undated."""
    changed = register.model_copy(
        update={
            "breaches": register.breaches.model_copy(
                update={"controller_notification_hours": promised}
            )
        }
    )
    breach = opened(book, "2026-10-24T10:00", "2026-10-24T11:00", processor=True)
    found = {c.to: c for c in clocks(breach, changed)}
    aware = paris("2026-10-24T10:00").astimezone(UTC)
    assert found["authority"].due == aware + timedelta(hours=72)
    expected = aware + timedelta(hours=hours) if hours is not None else None
    assert found["controller"].due == expected


def test_a_clock_cannot_start_in_the_future(book) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BreachError, match="later than now"):
        opened(book, "2026-10-24T10:00", "2026-10-24T09:00")


# -- notifications ------------------------------------------------------------------------------


def test_a_late_notification_needs_the_reasons_for_the_delay(book, register) -> None:  # type: ignore[no-untyped-def]
    b, state = book
    breach = opened(book, "2026-10-24T10:00", "2026-10-24T11:00")
    late = paris("2026-10-27T10:00")
    with pytest.raises(BreachError, match=r"1 h 00 min after its deadline.*Art\. 33\(1\)") as error:
        operations.record_notification(b, register, breach.id, to="authority", at=late, now=late)
    assert "--delay-reason" in error.value.hint
    assert b.get(breach.id).notifications == []  # nothing was recorded
    done = operations.record_notification(
        b, register, breach.id, to="authority", at=late, now=late, delay_reason="forensics first"
    )
    (notification,) = done.notifications
    assert notification.late and notification.delay_reason == "forensics first"
    entries = [e for e in state.audit.entries() if e.action == "breach.notify"]
    assert [e.details["late"] for e in entries] == [True]


def test_a_notification_in_time_needs_no_reason(book, register) -> None:  # type: ignore[no-untyped-def]
    b, _ = book
    breach = opened(book, "2026-10-24T10:00", "2026-10-24T11:00")
    at = paris("2026-10-27T08:59")
    done = operations.record_notification(b, register, breach.id, to="authority", at=at, now=at)
    assert not done.notifications[0].late
    with pytest.raises(BreachError, match="already recorded"):
        operations.record_notification(b, register, breach.id, to="authority", at=at, now=at)


def test_a_controller_is_told_only_by_a_processor(book, register) -> None:  # type: ignore[no-untyped-def]
    b, _ = book
    breach = opened(book, "2026-10-24T10:00", "2026-10-24T11:00")
    at = paris("2026-10-24T12:00")
    with pytest.raises(BreachError, match="no controller to tell"):
        operations.record_notification(b, register, breach.id, to="controller", at=at, now=at)


# -- the assessment and what it makes owed ------------------------------------------------------


@pytest.mark.parametrize(
    ("risk", "not_told", "authority", "people"),
    [
        (Risk.unlikely, "", False, False),
        (Risk.risk, "", True, False),
        (Risk.high, "", True, True),
        (Risk.high, "the data was encrypted with a key that was not taken", True, False),
    ],
)
def test_the_risk_decides_what_is_owed(
    book, register, risk: Risk, not_told: str, authority: bool, people: bool
) -> None:  # type: ignore[no-untyped-def]
    b, state = book
    breach = opened(book, "2026-10-24T10:00", "2026-10-24T11:00")
    assessed = operations.assess(
        b, breach.id, Assessment(risk, "what is known", people_not_told_reason=not_told)
    )
    owed = [e for e in state.audit.entries() if e.action == "breach.assess"][-1].details["owed"]
    assert owed == {"document": True, "authority": authority, "people": people, "controller": False}
    (authority_clock,) = clocks(assessed, register)
    assert authority_clock.owed is authority


def test_a_decision_not_to_notify_keeps_its_reasons(book) -> None:  # type: ignore[no-untyped-def]
    b, _ = book
    breach = opened(book, "2026-10-24T10:00", "2026-10-24T11:00")
    with pytest.raises(BreachError, match="needs its reasons"):
        operations.assess(b, breach.id, Assessment(Risk.unlikely, "  "))
    with pytest.raises(BreachError, match="only to a high-risk breach"):
        operations.assess(
            b, breach.id, Assessment(Risk.risk, "x", people_not_told_reason="encrypted")
        )


def test_the_list_shows_late_breaches_first(book, register) -> None:  # type: ignore[no-untyped-def]
    b, _ = book
    recent = opened(book, "2026-10-26T10:00", "2026-10-26T11:00")
    old = opened(book, "2026-10-20T10:00", "2026-10-20T11:00")
    unlikely = opened(book, "2026-10-19T10:00", "2026-10-19T11:00")
    operations.assess(b, unlikely.id, Assessment(Risk.unlikely, "encrypted laptop"))
    now = paris("2026-10-27T12:00")
    listed = ordered(b.all(), register, now)
    assert [x.id for x in listed] == [old.id, recent.id, unlikely.id]
    rows = [summary(x, register, now) for x in listed]
    assert rows[0]["late"] and rows[0]["clock"].startswith("authority: late by")
    assert rows[1]["clock"] == "authority: 46 h 00 min left"
    assert rows[2]["clock"] == "authority: not owed"


def test_every_change_is_in_the_audit_trail(book, register) -> None:  # type: ignore[no-untyped-def]
    b, state = book
    breach = opened(book, "2026-10-24T10:00", "2026-10-24T11:00")
    operations.add_phase(
        b, breach.id, now=paris("2026-10-24T15:00"), text="The disk was encrypted.", unknown="x"
    )
    operations.assess(b, breach.id, Assessment(Risk.unlikely, "encrypted"))
    operations.close(b, breach.id, now=paris("2026-10-25T15:00"), text="laptop found")
    actions = [e.action for e in state.audit.entries()]
    assert actions == ["breach.open", "breach.update", "breach.assess", "breach.close"]
    assert set(actions) <= set(ACTIONS)
    assert state.audit.verify() == []
    with pytest.raises(BreachError, match="is closed"):
        operations.add_phase(b, breach.id, now=paris("2026-10-26T15:00"), text="more")


def test_an_unknown_breach_is_named(book) -> None:  # type: ignore[no-untyped-def]
    b, _ = book
    with pytest.raises(BreachError, match="no breach 'b-nope'") as error:
        b.get("b-nope")
    assert "registre breach list" in error.value.hint


# -- what goes out ------------------------------------------------------------------------------


TEXTS = {
    "en": (
        "A console manager's session was stolen; device locations were exported.",
        "Someone may know where your phone was in October.",
        "The session was revoked and every manager's password reset.",
        "Be wary of messages claiming to come from your employer's IT team.",
    ),
    "fr": (
        "La session d'un gestionnaire de la console a été volée ; les positions des appareils "
        "ont été exportées.",
        "Un tiers peut savoir où se trouvait votre téléphone en octobre.",
        "La session a été fermée et les mots de passe de tous les gestionnaires changés.",
        "Méfiez-vous des messages qui se présentent comme venant du service informatique de "
        "votre employeur.",
    ),
}


def golden_breach(lang: str = "en") -> Breach:
    """A breach as the DPO records it; its free texts are in the language of the letters."""
    summary_text, consequences, measures, advice = TEXTS[lang]
    aware = paris("2026-10-24T10:00").astimezone(UTC)
    return Breach(
        id="b-golden",
        aware_at=aware,
        opened_at=aware + timedelta(hours=1),
        nature=(Nature.confidentiality,),
        summary=summary_text,
        systems=("console",),
        source="phishing",
        processor=True,
        phases=[
            Phase(aware + timedelta(hours=1), "Session stolen, locations exported."),
            Phase(aware + timedelta(hours=8), "Export limited to October.", "who ran it"),
        ],
        assessment=Assessment(
            Risk.high,
            "precise locations of employees",
            consequences=consequences,
            measures=measures,
            advice=advice,
        ),
        counts={
            "people": {"end_user": 5},
            "records": {"location": 72, "device_inventory": 1},
            "rows": {"console.geolocation_points": 72, "console.devices": 1},
            "unattributed": {},
            "tenants": {
                "3": {"people": {"end_user": 1}, "records": {"location": 1}},
                "9": {"people": {"end_user": 4}, "records": {"location": 71}},
            },
        },
    )


def check_golden(name: str, text: str) -> None:
    golden(GOLDEN / name, text)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_letter_to_a_person(register, lang: str) -> None:  # type: ignore[no-untyped-def]
    person = PersonToInform(
        "end_user", "9", {"email": "camille@example.fr"}, lang, ("device_inventory", "location")
    )
    letter = letters.person_letter(golden_breach(lang), register, person)
    assert letter.to == "camille@example.fr" and letter.lang == lang
    check_golden(f"letter.{lang}.md", letter.text)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_client_notice_holds_only_its_own_people(register, lang: str) -> None:  # type: ignore[no-untyped-def]
    breach = golden_breach(lang)
    assert letters.clients(breach) == ["3", "9"]
    three = letters.client_notice(breach, register, "3", lang)
    nine = letters.client_notice(breach, register, "9", lang)
    assert ": 71" not in three and ": 4\n" not in three
    assert ": 1\n" in three
    assert ": 71" in nine
    check_golden(f"client-notice.{lang}.md", nine)


def test_the_cnil_draft(register) -> None:  # type: ignore[no-untyped-def]
    breach = golden_breach("fr")
    now = paris("2026-10-25T12:00")
    data = cnil.draft(breach, register, now)
    assert data["type"].startswith("initiale")  # something is still unknown
    assert data["reste_inconnu"] == "who ran it"
    assert data["personnes_concernees"]["nombre_approximatif"] == 5
    assert data["enregistrements_concernes"]["nombre_approximatif"] == 73
    assert data["violation"]["echeance_72_heures"] == "27 octobre 2026 à 09\u00a0h\u00a000 (CET)"
    assert data["justification_du_retard"] is None
    check_golden("cnil.fr.md", cnil.markdown(data))
