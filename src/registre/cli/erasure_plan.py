"""An erasure's plan as ``request execute`` shows it before asking, and as ``--dry-run`` prints it.

One line per table and outcome: how many of the person's rows are deleted, anonymized (which
columns, by which method), kept (and why) or forwarded to a controller. The methods are those
the steps will write, so what is shown is what runs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.markup import escape
from rich.table import Table

from registre.requests.erase import ErasurePlan, Outcome

WHY = {
    "legal_obligation": "a legal obligation keeps it",
    "hold": "under a legal hold",
    "shared": "shared with other people: only the person's identity is erased",
    "unlinked": "linked to the person only through an unlinked reference",
    "referenced": "a row that stays references it: its personal columns are anonymized",
    "register": "the register anonymizes this table",
    "processor": "held for a controller, who decides on it: forwarded",
    "organization": "the client organization's record, not the person's",
}


def methods(plan: ErasurePlan) -> dict[tuple[str, str], dict[str, str]]:
    """Per table, each column the plan's anonymizations write and the method they use."""
    out: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for step in plan.steps:
        if step.action == "anonymize":
            out[(step.store, step.table)].update(step.columns)
    return out


def _why(outcome: Outcome) -> str:
    text = WHY.get(outcome.reason, outcome.reason)
    if outcome.rules and outcome.reason in ("legal_obligation", "register"):
        text += " (" + ", ".join(f"{a}/{r}" for a, r in outcome.rules) + ")"
    if outcome.until:
        text += f", until {outcome.until.isoformat()}"
    return text


def plan_table(request_id: str, plan: ErasurePlan) -> Table:
    written = methods(plan)
    count = len(plan.steps)
    steps = f"{count} step{'' if count == 1 else 's'} to run"
    table = Table(title=f"Erasure of request {request_id}: {steps}")
    for header in ("table", "rows", "outcome", "columns written (method)", "why"):
        table.add_column(header, justify="right" if header == "rows" else "left")
    for outcome in plan.outcomes:
        used = written.get((outcome.store, outcome.table), {})
        columns = ", ".join(f"{c} ({used.get(c, '?')})" for c in outcome.columns)
        table.add_row(
            escape(f"{outcome.store}.{outcome.table}"),
            str(outcome.count),
            outcome.action,
            escape(columns or ("whole rows" if outcome.action == "deleted" else "")),
            escape(_why(outcome)),
        )
    return table


def plan_json(request_id: str, plan: ErasurePlan) -> dict[str, Any]:
    written = methods(plan)
    return {
        "request": request_id,
        "dry_run": True,
        "steps": [
            {
                "store": s.store,
                "table": s.table,
                "action": s.action,
                "rows": len(s.keys),
                "columns": s.columns,
            }
            for s in plan.steps
        ],
        "outcomes": [
            {
                **o.as_json(),
                "methods": {c: written.get((o.store, o.table), {}).get(c) for c in o.columns},
            }
            for o in plan.outcomes
        ],
    }
