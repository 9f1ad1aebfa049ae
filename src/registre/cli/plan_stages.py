"""The stages of a deletion in stages, one line each in `registre plan` (issue 12 §4).

A rule with ``stages`` (trash, live, backups) is swept at the end of its ``live`` stage; the
plan's row for it gives the rows due then. Under it, one line per stage says when that stage
ends: for each clock of the rule, the events before which a row has gone through the stage
at the plan's instant, counted as the sweep counts (:func:`registre.engine.plan.staged_cutoff`).
The ``trash`` stage is the application's (the person can still restore the data), ``backups``
is stated and left to the backups' own rotation: neither is swept.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the register's models are imported only when a plan is printed
    from registre.durations import Duration
    from registre.register.model import Register

_WHAT = {
    "trash": "in the trash (restorable; not swept)",
    "backups": "overwritten in the backups (stated; not swept)",
}


def stage_rows(
    register: Register, activity_id: str, rule_id: str, at: datetime
) -> list[tuple[str, str, str]]:
    """(label, what happens, when it ends) for each stage of the rule; none without stages."""
    from registre.engine.plan import staged_cutoff
    from registre.register.taxonomy import Action

    rule = register.activities[activity_id].retention[rule_id]
    if not rule.stages:
        return []
    tz = ZoneInfo(register.policy.timezone)
    live = "anonymized (swept)" if rule.action is Action.anonymize else "deleted (swept)"
    rows = []
    delays: list[Duration] = []
    for number, stage in enumerate(rule.stages, start=1):
        delays.append(stage.after)
        ended = ", ".join(
            f"{clock.event} before "
            f"{staged_cutoff(at, (clock.period, *delays), tz).astimezone(tz):%Y-%m-%d}"
            for clock in rule.after
        )
        span = f"{stage.after} after the clock" if number == 1 else f"then {stage.after}"
        rows.append(
            (
                f"  stage {number}: {stage.stage}",
                _WHAT.get(stage.stage, live),
                f"{span}; over for rows with {ended}",
            )
        )
    return rows
