"""A finding: one thing the lint reports, located by its path in the register."""

from __future__ import annotations

from dataclasses import dataclass

from registre.durations import Duration
from registre.lint.catalogue import RULES, Rule, Severity
from registre.register.model import Register, RetentionRule, Text

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """One weakness of a register.

    ``location`` is a path into the register's data, such as
    ``("activities", "newsletter", "retention", "r1")``; the CLI turns it into file:line:col.
    ``message`` says what is wrong and what to do, for a DPO.
    """

    code: str
    severity: Severity
    location: Loc
    message: str
    reference: str

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    def sort_key(self) -> tuple[tuple[tuple[int, int, str], ...], str, str]:
        path = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.location)
        return path, self.code, self.message


def finding(code: str, location: Loc, message: str) -> Finding:
    """A finding of a catalogued code; its severity and reference come from the catalogue."""
    rule = RULES[code]
    return Finding(code, rule.severity, location, message, rule.reference)


def text(value: Text | None) -> str:
    """The English text of a register text, the French one when there is no English."""
    if value is None:
        return ""
    return value.en or value.fr or ""


def activity_name(register: Register, activity_id: str) -> str:
    return f"“{text(register.activities[activity_id].name)}”"


def category_name(register: Register, category_id: str) -> str:
    return f"“{text(register.data_category(category_id).name)}”"


def names(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def shortest(rule: RetentionRule, event: str | None = None) -> Duration | None:
    """The shortest period of the rule's clocks (those starting at ``event`` if given)."""
    periods = [c.period for c in rule.after if event is None or c.event == event]
    return min(periods, key=Duration.approx_days) if periods else None


def longer_than(period: Duration | None, limit: Duration) -> bool:
    """True when ``period`` is unknown or exceeds ``limit``; equal periods in other units pass."""
    if period is None:
        return True
    if period.unit == limit.unit:
        return period.amount > limit.amount
    return period.approx_days() > limit.approx_days() + 1
