"""Calendar arithmetic of retention periods and deadlines: month ends, leap years, time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registre.durations import Duration, cutoff, due_at, is_due

PARIS = ZoneInfo("Europe/Paris")

durations = st.builds(
    Duration,
    amount=st.integers(min_value=0, max_value=40),
    unit=st.sampled_from(["days", "weeks", "months", "years"]),
)
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)
zones = st.sampled_from(["Europe/Paris", "UTC", "America/New_York", "Pacific/Auckland"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6 months", Duration(6, "months")),
        ("1 month", Duration(1, "months")),
        ("2 years", Duration(2, "years")),
        ("15 days", Duration(15, "days")),
        ("2 weeks", Duration(2, "weeks")),
        ("immediately", Duration(0, "days")),
        ("P6M", Duration(6, "months")),
        ("p10y", Duration(10, "years")),
        ("  3   Years ", Duration(3, "years")),
    ],
)
def test_parse_accepted_forms(text: str, expected: Duration) -> None:
    assert Duration.parse(text) == expected


@pytest.mark.parametrize("text", ["6 mois", "6", "six months", "-1 days", "P6", "1.5 years", ""])
def test_parse_rejects_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="'6 months'"):
        Duration.parse(text)


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        (date(2026, 1, 31), Duration(1, "months"), date(2026, 2, 28)),
        (date(2024, 1, 31), Duration(1, "months"), date(2024, 2, 29)),
        (date(2024, 2, 29), Duration(1, "years"), date(2025, 2, 28)),
        (date(2024, 2, 29), Duration(4, "years"), date(2028, 2, 29)),
        (date(2026, 8, 31), Duration(6, "months"), date(2027, 2, 28)),
        (date(2026, 3, 31), Duration(1, "months"), date(2026, 4, 30)),
        (date(2026, 12, 15), Duration(2, "months"), date(2027, 2, 15)),
        (date(2026, 1, 1), Duration(15, "days"), date(2026, 1, 16)),
    ],
)
def test_calendar_months_clamp_at_month_end(start: date, period: Duration, expected: date) -> None:
    assert period.add_to(start) == expected


@given(durations, dates)
def test_str_round_trips(period: Duration, day: date) -> None:
    assert Duration.parse(str(period)) == period
    assert Duration.parse(period.iso()) == period


@given(durations, dates, dates)
def test_latest_start_is_the_exact_inverse_of_add_to(period: Duration, d: date, t: date) -> None:
    assert (period.add_to(d) <= t) == (d <= period.latest_start(t))


@given(durations, instants, instants, zones)
def test_cutoff_agrees_with_is_due(
    period: Duration, event: datetime, now: datetime, zone: str
) -> None:
    tz = ZoneInfo(zone)
    assert is_due(event, period, now, tz) == (event < cutoff(now, period, tz))


@given(durations.filter(lambda p: not p.is_zero), instants, zones)
def test_never_due_before_the_period_has_elapsed(
    period: Duration, event: datetime, zone: str
) -> None:
    tz = ZoneInfo(zone)
    local_event_day = event.astimezone(tz).date()
    # Still kept during the whole local day on which the period ends.
    last_kept_day = period.add_to(local_event_day)
    end_of_that_day = datetime.combine(last_kept_day, datetime.max.time(), tzinfo=tz)
    assert not is_due(event, period, end_of_that_day, tz)
    assert is_due(event, period, end_of_that_day + timedelta(microseconds=1), tz)


def test_account_deleted_in_utc_with_a_rule_stated_in_paris_time() -> None:
    # Deleted at 23:30 UTC on 31 March = 01:30 on 1 April in Paris (summer time).
    deleted = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    six_months = Duration(6, "months")
    assert due_at(deleted, six_months, PARIS) == datetime(2026, 10, 1, 22, 0, tzinfo=UTC)
    # In UTC the same event counts from 31 March: kept until the end of 30 September.
    assert due_at(deleted, six_months, ZoneInfo("UTC")) == datetime(2026, 10, 1, 0, 0, tzinfo=UTC)


def test_naive_timestamps_are_read_as_utc() -> None:
    naive = datetime(2026, 1, 10, 12, 0)
    aware = naive.replace(tzinfo=UTC)
    assert due_at(naive, Duration(15, "days"), PARIS) == due_at(aware, Duration(15, "days"), PARIS)


def test_immediately_is_due_as_soon_as_the_event_happened() -> None:
    reset = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    zero = Duration.parse("immediately")
    assert not is_due(reset, zero, reset - timedelta(seconds=1), PARIS)
    assert is_due(reset, zero, reset, PARIS)


@pytest.mark.parametrize(
    ("now", "period", "expected"),
    [
        (datetime(150, 1, 1, tzinfo=UTC), Duration(200, "years"), datetime.min.replace(tzinfo=UTC)),
        (datetime(1, 1, 1, tzinfo=UTC), Duration(1, "days"), datetime.min.replace(tzinfo=UTC)),
    ],
    ids=["200 years before year 150", "a day before year 1"],
)
def test_a_cutoff_before_the_calendar_makes_nothing_due(
    now: datetime, period: Duration, expected: datetime
) -> None:
    """plan --at 0150-01-01 with a 200-year rule raised 'year -51 is out of range'."""
    assert cutoff(now, period, ZoneInfo("Europe/Paris")) == expected


def test_a_period_ending_past_the_calendar_is_never_due() -> None:
    event = datetime(9900, 6, 1, tzinfo=UTC)
    assert due_at(event, Duration(200, "years"), ZoneInfo("Europe/Paris")) == datetime.max.replace(
        tzinfo=UTC
    )
    assert not is_due(
        event, Duration(200, "years"), datetime(9999, 12, 31, tzinfo=UTC), ZoneInfo("UTC")
    )
