"""A breach as `breach list` and `breach show` print it: clocks with the time left, late first."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from registre.breaches.clocks import Clock, clocks, duration_text, local, most_urgent
from registre.breaches.model import DELIVERY_STATES, Breach
from registre.breaches.risk import owed
from registre.register.model import Register


def ordered(breaches: list[Breach], register: Register, now: datetime) -> list[Breach]:
    """Open breaches with a running clock by time left (late first), then the others by
    awareness, newest first."""
    running: list[tuple[timedelta, Breach]] = []
    rest: list[tuple[timedelta | None, Breach]] = []
    for breach in breaches:
        left = most_urgent(breach, register, now) if breach.closed_at is None else None
        if left is not None:
            running.append((left, breach))
        else:
            rest.append((left, breach))
    running.sort(key=lambda item: (item[0], item[1].aware_at))
    rest.sort(key=lambda item: item[1].aware_at, reverse=True)
    return [breach for _, breach in running + rest]


def clock_text(breach: Breach, register: Register, now: datetime) -> str:
    """The clocks in a few words: 'authority: 41 h 12 min left'."""
    if breach.closed_at is not None:
        return "closed"
    parts = []
    for clock in clocks(breach, register):
        if not clock.owed:
            parts.append(f"{clock.to}: not owed")
        elif clock.done_at is not None:
            parts.append(f"{clock.to}: notified" + (" late" if clock.late(now) else ""))
        elif clock.due is None:
            parts.append(f"{clock.to}: without undue delay")
        else:
            left = clock.left(now)
            assert left is not None
            parts.append(f"{clock.to}: {duration_text(left)}")
    return "; ".join(parts)


def summary(breach: Breach, register: Register, now: datetime) -> dict[str, Any]:
    """One line of `breach list`."""
    tz = ZoneInfo(register.policy.timezone)
    left = most_urgent(breach, register, now) if breach.closed_at is None else None
    counts = breach.counts
    return {
        "id": breach.id,
        "aware_at": breach.aware_at.isoformat(),
        "aware_local": local(breach.aware_at, tz),
        "risk": breach.assessment.risk.value if breach.assessment else None,
        "clock": clock_text(breach, register, now),
        "seconds_left": int(left.total_seconds()) if left is not None else None,
        "late": left is not None and left < timedelta(0),
        "people": sum(counts["people"].values()) if counts else None,
        "summary": breach.summary,
        "closed": breach.closed_at is not None,
    }


def details(breach: Breach, register: Register, now: datetime) -> dict[str, Any]:
    """Everything recorded about a breach, with its clocks and what is owed, as JSON."""
    tz = ZoneInfo(register.policy.timezone)
    return {
        **summary(breach, register, now),
        "nature": [n.value for n in breach.nature],
        "systems": list(breach.systems),
        "source": breach.source,
        "processor": breach.processor,
        "clocks": [
            {
                "to": c.to,
                "due": c.due.isoformat() if c.due else None,
                "due_local": local(c.due, tz) if c.due else None,
                "owed": c.owed,
                "done_at": c.done_at.isoformat() if c.done_at else None,
                "seconds_left": int(left.total_seconds()) if (left := c.left(now)) else None,
                "late": c.late(now),
            }
            for c in clocks(breach, register)
        ],
        "owed": owed(breach.assessment, processor=breach.processor).as_json(),
        "assessment": breach.assessment.as_json() if breach.assessment else None,
        "phases": [
            {"at": p.at.isoformat(), "text": p.text, "unknown": p.unknown} for p in breach.phases
        ],
        "scope": breach.scope.as_json() if breach.scope else None,
        "counts": breach.counts,
        "notifications": [n.as_json() for n in breach.notifications],
        "deliveries": [d.as_json() for d in breach.deliveries],
        "mail": delivery_counts(breach),
    }


def delivery_counts(breach: Breach) -> dict[str, dict[str, int]]:
    """The letters (to people) and notices (to clients) sent by mail, by state:
    ``{"person": {"sent": 12, "retrying": 1}, "client": {"sent": 3}}``."""
    found: dict[str, dict[str, int]] = {}
    for d in breach.deliveries:
        states = found.setdefault(d.to, {})
        states[d.state] = states.get(d.state, 0) + 1
    return found


_DELIVERY_WORDS = {
    "queued": "queued",
    "retrying": "to be tried again",
    "sent": "sent",
    "failed": "failed",
    "no_address": "no address to send to",
}


def text(breach: Breach, register: Register, now: datetime) -> str:
    """`breach show` for people."""
    tz = ZoneInfo(register.policy.timezone)
    lines = [
        f"breach {breach.id}: {breach.summary}",
        f"  aware:      {local(breach.aware_at, tz)}",
        f"  nature:     {', '.join(n.value for n in breach.nature)}",
    ]
    if breach.systems:
        lines.append(f"  systems:    {', '.join(breach.systems)}")
    if breach.source:
        lines.append(f"  source:     {breach.source}")
    for clock in clocks(breach, register):
        due = local(clock.due, tz) if clock.due else "without undue delay"
        state = clock_text_one(clock, now)
        lines.append(f"  {clock.to + ':':<12}due {due}, {state}")
    a = breach.assessment
    if a is None:
        lines.append("  risk:       not assessed yet (everything is owed until it is)")
    else:
        lines.append(f"  risk:       {a.risk.value}: {a.reasons}")
        if a.people_not_told_reason:
            lines.append(f"  people not told (Art. 34(3)): {a.people_not_told_reason}")
    what = owed(a, processor=breach.processor)
    owed_to = [k for k, v in what.as_json().items() if v and k != "document"]
    lines.append(f"  owed:       documentation{''.join(', ' + k for k in owed_to)}")
    if breach.counts:
        people = ", ".join(f"{s} {n}" for s, n in breach.counts["people"].items()) or "none"
        records = ", ".join(f"{c} {n}" for c, n in breach.counts["records"].items()) or "none"
        lines.append(f"  people:     {people}")
        lines.append(f"  records:    {records}")
        if breach.counts["tenants"]:
            lines.append(f"  clients:    {len(breach.counts['tenants'])}")
    for n in breach.notifications:
        late = f", late: {n.delay_reason}" if n.late else ""
        lines.append(f"  notified {n.to} {local(n.at, tz)}{late}")
    for to, states in delivery_counts(breach).items():
        label = "letters:" if to == "person" else "notices:"
        said = ", ".join(
            f"{states[s]} {_DELIVERY_WORDS[s]}" for s in DELIVERY_STATES if s in states
        )
        lines.append(f"  {label:<12}{said} (by mail)")
    for d in breach.deliveries:
        if d.state in ("retrying", "failed"):
            who = f"client {d.client}" if d.to == "client" else f"person {d.number}"
            lines.append(
                f"    {d.number}. {who}: {_DELIVERY_WORDS[d.state]} after {d.attempts} "
                f"attempt(s): {d.error}"
            )
    for i, phase in enumerate(breach.phases, start=1):
        lines.append(f"  [{i}] {local(phase.at, tz)}: {phase.text}")
        if phase.unknown:
            lines.append(f"      still unknown: {phase.unknown}")
    return "\n".join(lines)


def clock_text_one(clock: Clock, now: datetime) -> str:
    if not clock.owed:
        return "not owed (risk unlikely)"
    if clock.done_at is not None:
        return "notified late" if clock.late(now) else "notified in time"
    left = clock.left(now)
    return duration_text(left) if left is not None else "not yet notified"
