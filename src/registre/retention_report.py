"""What a retention plan finds and what a sweep did, rule by rule: the results of
:func:`registre.plan` and :func:`registre.sweep` (:mod:`registre.retention`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True)
class PlannedRule:
    """One retention rule on one table of a store: the rows it makes due, and those it keeps."""

    store: str
    activity: str
    rule: str
    table: str
    action: str
    """``delete`` or ``anonymize``."""
    fields: tuple[str, ...]
    """The columns an anonymization rewrites; empty for a delete (the whole row)."""
    due: int
    """Rows the sweep changes when it reaches this rule."""
    held: int
    """Rows due but kept: under a legal hold, or of a person who restricted processing."""
    restricted: int
    """Of the held rows, those kept for a restriction of processing (Art. 18)."""
    blocked: int
    """Rows due but still referenced by rows of another table that the register keeps."""
    statements: tuple[str, ...] = ()
    """The equivalent set-based SQL, values inlined (``plan(..., statements=True)`` only)."""


@dataclass(frozen=True)
class PlannedStore:
    """The plan of one store (one database)."""

    store: str
    dialect: str
    database: str
    """The database, without credentials: ``postgresql://host:5432/app``, a SQLite file path."""
    rules: tuple[PlannedRule, ...]
    """In the order a sweep takes them: children before the tables they reference."""


@dataclass(frozen=True)
class Plan:
    """What each retention rule makes due at an instant, without changing anything."""

    at: datetime
    timezone: str
    stores: tuple[PlannedStore, ...]

    @property
    def rules(self) -> tuple[PlannedRule, ...]:
        return tuple(rule for store in self.stores for rule in store.rules)

    @property
    def due(self) -> int:
        """Rows due, all rules together (a row two rules change counts twice)."""
        return sum(rule.due for rule in self.rules)


@dataclass(frozen=True)
class SweptRule:
    """What a sweep did with one retention rule on one table."""

    store: str
    rule: str
    table: str
    action: str
    status: Literal["done", "failed", "not_run"]
    """``not_run``: the sweep stopped before this rule (a failure with
    ``stop_at_first_failure``, a dry run, a declined confirmation, Ctrl-C)."""
    due: int
    """Rows due when the sweep counted them, under its lock."""
    changed: int
    """Rows deleted or anonymized (batches committed before a failure included)."""
    held: int
    restricted: int
    blocked: int
    unlinked: int = 0
    """Rows kept whose reference to a deleted row was set to NULL (``on_delete: unlink``)."""
    batches: int = 0
    longest_batch_seconds: float = 0.0
    """How long the longest write transaction held its locks."""
    seconds: float = 0.0
    error: str | None = None
    hint: str = ""

    @property
    def deleted(self) -> int:
        return self.changed if self.action == "delete" else 0

    @property
    def anonymized(self) -> int:
        return self.changed if self.action == "anonymize" else 0

    @property
    def kept(self) -> int:
        """Rows due but kept: held back or blocked."""
        return self.held + self.blocked


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did, rule by rule; ``ok`` when no rule failed."""

    run_id: int | None
    """The run in the state (``registre audit log``); None for a dry run or a declined one."""
    at: datetime
    dry_run: bool
    rules: tuple[SweptRule, ...]
    seconds: float
    databases: Mapping[str, str] = field(default_factory=dict)
    """Each store's database, without credentials."""
    resumed: tuple[int, ...] = ()
    """Runs a killed sweep left running on these databases, whose work this one finished."""
    consent_ledger: Mapping[str, int] = field(default_factory=dict)
    """The consent ledger's retention: expiries recorded, chains and records deleted
    (:mod:`registre.consent.keeping`)."""

    @property
    def changed(self) -> int:
        return sum(rule.changed for rule in self.rules)

    @property
    def due(self) -> int:
        return sum(rule.due for rule in self.rules)

    @property
    def failed(self) -> tuple[SweptRule, ...]:
        return tuple(rule for rule in self.rules if rule.status == "failed")

    @property
    def not_run(self) -> tuple[SweptRule, ...]:
        return tuple(rule for rule in self.rules if rule.status == "not_run")

    @property
    def ok(self) -> bool:
        return not self.failed


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; :attr:`report` says what it had done (committed batches stay).

    A :class:`KeyboardInterrupt`, so code that lets Ctrl-C through still does. The run is
    recorded as failed, with ``interrupted``; the next sweep of the same databases resumes it.
    """

    def __init__(self, report: SweepReport) -> None:
        super().__init__("the sweep was interrupted")
        self.report = report


def not_run(rule: PlannedRule) -> SweptRule:
    return SweptRule(
        store=rule.store,
        rule=rule.rule,
        table=rule.table,
        action=rule.action,
        status="not_run",
        due=rule.due,
        changed=0,
        held=rule.held,
        restricted=rule.restricted,
        blocked=rule.blocked,
    )


def summary_items(report: SweepReport) -> list[dict[str, Any]]:
    """The rules as the run's summary and the ``sweep.finished`` entry hold them."""
    items = []
    for rule in report.rules:
        entry: dict[str, Any] = {
            "store": rule.store,
            "rule": rule.rule,
            "table": rule.table,
            "action": rule.action,
            "changed": rule.changed,
            "held": rule.held,
            "restricted": rule.restricted,
            "blocked": rule.blocked,
            "unlinked": rule.unlinked,
            "batches": rule.batches,
            "longest_batch_seconds": rule.longest_batch_seconds,
        }
        if rule.status != "done":
            entry["status"] = rule.status
        if rule.error is not None:
            entry["error"] = rule.error
        items.append(entry)
    return items
