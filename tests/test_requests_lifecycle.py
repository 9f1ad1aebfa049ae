"""The life of a request: its Art. 12(3) deadline and the moves allowed between its states."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registre._exceptions import RequestError
from registre.durations import Duration
from registre.register.loader import load_register
from registre.register.model import Lang
from registre.requests.letters.disclosure import activity_blocks
from registre.requests.lifecycle import (
    ALLOWED,
    RequestState,
    check_extension,
    check_transition,
    deadline,
    start_day,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

MONTH = Duration(1, "months")
TWO_MONTHS = Duration(2, "months")
PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("received", "response", "due"),
    [
        (date(2026, 1, 31), MONTH, date(2026, 2, 28)),
        (date(2028, 1, 31), MONTH, date(2028, 2, 29)),  # leap year
        (date(2026, 1, 30), MONTH, date(2026, 2, 28)),
        (date(2026, 3, 31), MONTH, date(2026, 4, 30)),
        (date(2026, 12, 15), MONTH, date(2027, 1, 15)),
        (date(2026, 2, 28), MONTH, date(2026, 3, 28)),
        # Art. 12(3) says one month: a longer deadline in the register is cut to it
        (date(2026, 1, 31), Duration(30, "days"), date(2026, 2, 28)),
        (date(2026, 1, 31), Duration(6, "weeks"), date(2026, 2, 28)),
        (date(2026, 3, 1), Duration(45, "days"), date(2026, 4, 1)),
        # a shorter one stays shorter
        (date(2026, 1, 31), Duration(15, "days"), date(2026, 2, 15)),
        (date(2026, 2, 1), Duration(30, "days"), date(2026, 3, 1)),  # February has 28 days
    ],
)
def test_due_date_is_one_calendar_month_after_receipt(
    received: date, response: Duration, due: date
) -> None:
    assert deadline(received, response).due == due


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 4, 30)),  # counted from receipt, not from 28 February
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),
    ],
)
def test_an_extension_adds_two_months_to_the_first(received: date, due: date) -> None:
    extended = deadline(received, MONTH, TWO_MONTHS)
    assert (extended.first_due, extended.due) == (deadline(received, MONTH).due, due)


@pytest.mark.parametrize(
    ("response", "extension", "due"),
    [
        (Duration(30, "days"), TWO_MONTHS, date(2026, 4, 28)),  # two months after 28 February
        (MONTH, Duration(3, "months"), date(2026, 4, 30)),  # three months in all, at most
        (Duration(30, "days"), Duration(90, "days"), date(2026, 4, 30)),
        (MONTH, MONTH, date(2026, 3, 31)),  # a shorter extension stays shorter
    ],
)
def test_an_extension_never_runs_past_three_months_from_receipt(
    response: Duration, extension: Duration, due: date
) -> None:
    extended = deadline(date(2026, 1, 31), response, extension)
    assert extended.first_due == date(2026, 2, 28) and extended.due == due


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 1, 31, 22, 59, tzinfo=UTC), date(2026, 1, 31)),  # 23:59 in Paris
        (datetime(2026, 1, 31, 23, 0, tzinfo=UTC), date(2026, 2, 1)),  # midnight in Paris
        (datetime(2026, 7, 31, 21, 59, tzinfo=UTC), date(2026, 7, 31)),  # summer time
        (datetime(2026, 7, 31, 22, 0, tzinfo=UTC), date(2026, 8, 1)),
    ],
)
def test_receipt_is_the_local_day_in_the_policy_time_zone(moment: datetime, day: date) -> None:
    assert start_day(moment, PARIS) == day


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)))
def test_due_date_properties(received: date) -> None:
    due = deadline(received, MONTH).due
    # the next month, on the same day, or on its last day when it is shorter
    assert (due.year * 12 + due.month) - (received.year * 12 + received.month) == 1
    assert due.day == received.day or (due.day < received.day and (due + timedelta(1)).day == 1)
    extended = deadline(received, MONTH, TWO_MONTHS)
    assert extended.first_due == due < extended.due
    assert (extended.due.year * 12 + extended.due.month) - (due.year * 12 + due.month) == 2


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["Europe/Paris", "America/New_York", "Pacific/Kiritimati", "UTC"]),
)
def test_deadline_never_depends_on_the_zone_beyond_the_local_day(
    naive: datetime, zone: str
) -> None:
    moment = naive.replace(tzinfo=UTC)
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz).date()
    assert start_day(moment, tz) == local
    assert deadline(start_day(moment, tz), MONTH).due == MONTH.add_to(local)


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2026, 2, 10), "on_time"),
        (date(2026, 2, 21), "due_soon"),
        (date(2026, 2, 28), "due_soon"),
        (date(2026, 3, 1), "late"),
    ],
)
def test_status_for_the_list(today: date, status: str) -> None:
    due = deadline(date(2026, 1, 31), MONTH)
    assert due.status(today, RequestState.in_progress) == status
    assert due.status(today, RequestState.done) == "closed"


@pytest.mark.parametrize("state", list(RequestState))
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_transitions_are_allowed_only_from_their_states(state: RequestState, action: str) -> None:
    if state in ALLOWED[action]:
        check_transition("r-1", state, action)
    else:
        with pytest.raises(RequestError) as raised:
            check_transition("r-1", state, action)
        assert raised.value.hint  # says what to do next


@pytest.mark.parametrize(
    ("today", "already", "allowed"),
    [
        (date(2026, 2, 28), False, True),  # the last day of the first month
        (date(2026, 3, 1), False, False),  # too late
        (date(2026, 2, 1), True, False),  # only once
    ],
)
def test_extension_only_once_and_during_the_first_month(
    today: date, already: bool, allowed: bool
) -> None:
    current = deadline(date(2026, 1, 31), MONTH, TWO_MONTHS if already else None)
    if allowed:
        check_extension("r-1", today, current)
    else:
        with pytest.raises(RequestError):
            check_extension("r-1", today, current)


DM_FOUND = ("device-management", "device_management", {"device_name": 2, "directory_user": 1})
SHOP_FOUND = (
    "online-shop",
    "customer_accounts",
    {"identity": 1, "contact": 1, "account": 1, "postal_address": 1},
)


@pytest.mark.parametrize(
    ("found", "lang", "expected"),
    [
        (
            DM_FOUND,
            "fr",
            (
                "Nom des appareils\u202f: effacement dès la réinitialisation effective "
                "de l’appareil. Anonymisation 6\xa0mois après la suppression du compte ou "
                "2\xa0ans après la fin de l’abonnement, à la première de ces échéances.",
                "Utilisateurs (e-mail, nom, nom du répertoire, appareil associé, champs "
                "personnalisés)\u202f: effacement dès la suppression de l’utilisateur par le "
                "client. Anonymisation 6\xa0mois après la suppression du compte ou 2\xa0ans "
                "après la fin de l’abonnement, à la première de ces échéances.",
            ),
        ),
        (
            DM_FOUND,
            "en",
            (
                "Device names: deleted "
                "immediately upon the effective reset of the device. Anonymized 6 months after "
                "the deletion of the account or 2 years after the end of the subscription, "
                "whichever comes first.",
                "Users (email, name, directory name, assigned device, custom fields): deleted "
                "immediately upon the deletion of the user by the client. Anonymized 6 months "
                "after the deletion of the account or 2 years after the end of the subscription, "
                "whichever comes first.",
            ),
        ),
        # a rule keeping several categories alike names them all on its line
        (
            SHOP_FOUND,
            "fr",
            (
                "Identité (nom, prénom, civilité) ; Coordonnées (e-mail, téléphone, adresse) ; "
                "Données de compte (identifiants, mot de passe chiffré)\u202f: anonymisation "
                "3\xa0ans après la dernière activité ou dès la suppression du compte, à la "
                "première de ces échéances.",
                "Adresses de livraison et domicile\u202f: effacement 3\xa0ans après la dernière "
                "activité.",
            ),
        ),
        (
            SHOP_FOUND,
            "en",
            (
                "Identity (name, first name, title); Contact details (email, phone, address); "
                "Account data (login, hashed password): anonymized 3 years after the last "
                "activity or immediately upon the deletion of the account, whichever comes "
                "first.",
                "Delivery and home addresses: deleted 3 years after the last activity.",
            ),
        ),
    ],
)
def test_a_letter_gives_each_group_of_data_its_own_retention_line(
    found: tuple[str, str, dict[str, int]], lang: Lang, expected: tuple[str, ...]
) -> None:
    """One label, one line per group of categories kept alike, in lower case after the colon."""
    example, activity, categories = found
    register = load_register(EXAMPLES / example / "register.yaml")
    [block] = activity_blocks(register, lang, {activity: categories})
    retention = [
        value for label, value in block.facts if label in ("Durée de conservation", "Retention")
    ]
    assert retention == [expected]
