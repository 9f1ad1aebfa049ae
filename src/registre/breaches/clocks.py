"""The clocks of a breach: 72 hours to the authority, the promised delay to the controller
(``breaches.controller_notification_hours``).

Both start when the organization became aware of the breach (Art. 33(1)). They count elapsed
hours, not wall-clock ones: 72 hours from Saturday 10:00 in Paris on the last weekend of October
end on Tuesday 09:00, the clocks having gone back an hour meanwhile. Deadlines are kept in UTC
and shown in the register's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from registre.breaches.model import Breach, Risk
from registre.register.model import Register

AUTHORITY_HOURS = 72
"""Art. 33(1): the authority is notified within 72 hours of awareness, where feasible."""


@dataclass(frozen=True)
class Clock:
    """One deadline of a breach and where it stands at an instant."""

    to: str
    """'authority' or 'controller'."""
    due: datetime | None
    """None: 'without undue delay', with no delay stated."""
    done_at: datetime | None
    owed: bool
    """False once the risk assessment says it is not owed (documentation only)."""

    def left(self, now: datetime) -> timedelta | None:
        """Time left before the deadline (negative: late); None when stopped or undated."""
        if self.due is None or self.done_at is not None or not self.owed:
            return None
        return self.due - now

    def late(self, now: datetime) -> bool:
        """Whether the deadline passed before it was met (or is passed now, still unmet)."""
        if self.due is None or not self.owed:
            return False
        return (self.done_at or now) > self.due


def clocks(breach: Breach, register: Register) -> list[Clock]:
    """The breach's clocks: the authority's, and the controller's when we are its processor."""
    # in UTC: an aware datetime in a zone adds wall-clock hours, 71 of them across the
    # October change
    start = breach.aware_at.astimezone(UTC)
    risk = breach.assessment.risk if breach.assessment else None
    hours = min(AUTHORITY_HOURS, register.breaches.authority_notification_hours)
    authority_done = breach.notified("authority")
    found = [
        Clock(
            "authority",
            start + timedelta(hours=hours),
            authority_done.at if authority_done else None,
            owed=risk != Risk.unlikely,
        )
    ]
    if breach.processor:
        # Art. 33(2) says "without undue delay"; the register's own promise to clients
        # (breaches.controller_notification_hours; seed 003: 72 hours) gives it a date. A
        # processor tells its controller whatever the risk: the controller assesses it, not us.
        promised = register.breaches.controller_notification_hours
        done = breach.notified("controller")
        dated = promised is not None and register.breaches.notify_clients
        due = start + timedelta(hours=promised) if dated and promised is not None else None
        found.append(Clock("controller", due, done.at if done else None, owed=True))
    return found


def clock(breach: Breach, register: Register, to: str) -> Clock | None:
    return next((c for c in clocks(breach, register) if c.to == to), None)


def most_urgent(breach: Breach, register: Register, now: datetime) -> timedelta | None:
    """The least time left on the breach's running clocks (negative when one is late)."""
    left = [c.left(now) for c in clocks(breach, register)]
    running = [value for value in left if value is not None]
    return min(running) if running else None


def duration_text(left: timedelta) -> str:
    """'41 h 12 min left' or 'late by 3 h 05 min', in whole minutes."""
    minutes = int(abs(left).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours} h {minutes:02d} min"
    return f"{text} left" if left >= timedelta(0) else f"late by {text}"


def local(moment: datetime, tz: ZoneInfo) -> str:
    """An instant as the register's people read it: 2026-10-27 09:00 CET."""
    shown = moment.astimezone(tz)
    return f"{shown:%Y-%m-%d %H:%M} {shown.tzname()}"
