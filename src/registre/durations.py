"""Periods of time as the GDPR and retention schedules state them, and their calendar arithmetic.

A :class:`Duration` is a whole number of days, weeks, months or years. Months and years are
calendar units: one month after 31 January is the last day of February, one year after 29
February is 28 February. That is how Art. 12(3) deadlines and retention periods are read in law.

Retention is decided per local day, in the organization's time zone, and never early: an event
that happened on day ``d`` with a period ``P`` makes the data due from the start of the day
after ``d + P``. A zero period ("immediately") is due as soon as the event has happened.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

_Day = TypeVar("_Day", bound=date)  # a date, or a datetime (a subclass of date)

Unit = Literal["days", "weeks", "months", "years"]

UNITS: dict[str, Unit] = {
    "day": "days",
    "days": "days",
    "d": "days",
    "week": "weeks",
    "weeks": "weeks",
    "w": "weeks",
    "month": "months",
    "months": "months",
    "m": "months",
    "year": "years",
    "years": "years",
    "y": "years",
}
_ISO_UNITS: dict[str, Unit] = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}
_TEXT = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$")
_ISO = re.compile(r"^P(\d+)([DWMY])$")
ZERO_WORDS = frozenset({"immediately", "0", "none"})

ACCEPTED_FORMS = (
    "'15 days', '2 weeks', '6 months', '10 years', 'immediately', or ISO 8601 such as 'P6M'"
)
MAX_YEARS = 200
"""The longest period a register may state. The longest retention in French law (a few
archives kept for a century, a medical file for 20 years after the last stay) is well below;
past it a period is a typo, and a date that far from today soon leaves the calendar (year 1 to
9999) that the engine and the databases compute in."""


@dataclass(frozen=True, order=True)
class Duration:
    """A whole number of calendar units."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a duration cannot be negative")
        if self.amount == 0 and self.unit != "days":
            object.__setattr__(self, "unit", "days")  # every zero period is the same period

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Read '6 months', '1 year', '15 days', 'immediately' or 'P6M'; raise ValueError."""
        raw = str(text).strip()
        if raw.lower() in ZERO_WORDS:
            return cls(0, "days")
        iso = _ISO.match(raw.upper())
        match = _TEXT.match(raw.lower())
        if iso:
            digits, unit = iso.group(1), _ISO_UNITS[iso.group(2)]
        elif match and match.group(2) in UNITS:
            digits, unit = match.group(1), UNITS[match.group(2)]
        else:
            raise ValueError(f"{raw!r} is not a duration; write it as {ACCEPTED_FORMS}")
        # the digit count first: int() refuses more than 4,300 digits with its own message
        period = cls(int(digits), unit) if len(digits.lstrip("0")) <= 6 else None
        if period is None or period.approx_days() > MAX_YEARS * 365.2425:
            raise ValueError(
                f"{raw!r} is longer than {MAX_YEARS} years; no retention or deadline is that "
                f"long: check for a typo, or write at most '{MAX_YEARS} years'"
            )
        return period

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        if self.is_zero:
            return "immediately"
        unit = self.unit if self.amount != 1 else self.unit[:-1]
        return f"{self.amount} {unit}"

    def iso(self) -> str:
        return f"P{self.amount}{self.unit[0].upper()}"

    def approx_days(self) -> float:
        """Length in days, for comparing periods (a month is 30.44 days, a year 365.25)."""
        factor = {"days": 1.0, "weeks": 7.0, "months": 30.436875, "years": 365.2425}[self.unit]
        return self.amount * factor

    def add_to(self, day: _Day) -> _Day:
        """The calendar date (or instant) this period after ``day`` (month ends clamp).

        Past the end of the calendar (year 9999) it is the calendar's last day, at the same
        time of day: a row dated 9995 by an import kept ten years, a request received in
        December 9999 answered within a month. Nothing registre keeps lasts that long, and
        every caller reads that day as "not before the end of time".
        """
        try:
            if self.unit in ("days", "weeks"):
                return day + timedelta(days=self.amount * (7 if self.unit == "weeks" else 1))
            months = self.amount * (12 if self.unit == "years" else 1)
            return _shift_months(day, months)
        except (ValueError, OverflowError):  # 'year 10005 is out of range'
            return day.replace(year=MAXYEAR, month=12, day=31)

    def latest_start(self, day: date) -> date:
        """The latest date ``d`` such that ``self.add_to(d) <= day``.

        The inverse of :meth:`add_to`, which is not one-to-one across month ends: 29, 30 and
        31 January all reach 28 February, so on 28 February all three have reached it.
        """
        if self.unit in ("days", "weeks"):
            days = self.amount * (7 if self.unit == "weeks" else 1)
            return day - timedelta(days=days)
        months = self.amount * (12 if self.unit == "years" else 1)
        start = _shift_months(day, -months)
        if day.day == _month_length(day.year, day.month):
            start = start.replace(day=_month_length(start.year, start.month))
        return start


def _month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _shift_months(day: _Day, months: int) -> _Day:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    # replace keeps a datetime's time of day and zone
    return day.replace(year=year, month=month, day=min(day.day, _month_length(year, month)))


NEVER = datetime.max.replace(tzinfo=UTC)
"""When data is due whose period ends past the calendar (year 9999)."""
EARLIEST = datetime.min.replace(tzinfo=UTC)
"""The cutoff of a period that reaches back before year 1: no event is that old."""


def as_utc(moment: datetime) -> datetime:
    """A timestamp in UTC; naive timestamps are taken as UTC, as databases usually store them."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return as_utc(moment).astimezone(tz).date()


def due_at(event: datetime, period: Duration, tz: ZoneInfo) -> datetime:
    """The instant (UTC) from which data whose event happened at ``event`` is due."""
    if period.is_zero:
        return as_utc(event)
    try:
        last_kept_day = period.add_to(local_date(event, tz))
        return start_of_day(last_kept_day + timedelta(days=1), tz)
    except (ValueError, OverflowError):  # past year 9999, where the calendar ends: never
        return NEVER


def is_due(event: datetime, period: Duration, now: datetime, tz: ZoneInfo) -> bool:
    return due_at(event, period, tz) <= as_utc(now)


def cutoff(now: datetime, period: Duration, tz: ZoneInfo) -> datetime:
    """The UTC instant ``c`` such that an event is due at ``now`` exactly when ``event < c``.

    This turns a retention period into one comparison a database can run on an index.
    """
    if period.is_zero:
        return as_utc(now) + timedelta(microseconds=1)
    today = local_date(now, tz)
    # due when add_to(d) + 1 day <= today, i.e. add_to(d) <= today - 1 day
    try:
        last_due_day = period.latest_start(today - timedelta(days=1))
        return start_of_day(last_due_day + timedelta(days=1), tz)
    except (ValueError, OverflowError):  # before year 1 (200 years before 0150-01-01): none
        return EARLIEST


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
