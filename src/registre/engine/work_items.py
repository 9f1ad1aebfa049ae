"""What a sweep's plan is made of: work items, their clocks, count caps and holds (no I/O).

:func:`registre.engine.plan.plan_store` builds a :class:`Plan` from the register, one store's
mapping, an instant and the active holds; :mod:`registre.engine.sql` turns its items into SQL.
These types are shared by the planner, the SQL, the sweep and the requests that read rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from registre.durations import Duration
from registre.register.taxonomy import Action


@dataclass(frozen=True)
class Hop:
    """One step through a reference: ``table.column`` points at ``target_table.target_column``."""

    table: str
    column: str
    target_table: str
    target_column: str


@dataclass(frozen=True)
class Path:
    """A column reached from a table through zero or more references."""

    hops: tuple[Hop, ...]
    table: str
    column: str

    def extend(self, hop: Hop, column: str) -> Path:
        return Path((*self.hops, hop), hop.target_table, column)


@dataclass(frozen=True)
class TenantPeriods:
    """Per-client periods of a ``client_agreed`` rule: months value -> cutoff."""

    months: Path
    cutoffs: tuple[tuple[int, datetime], ...]


@dataclass(frozen=True)
class Condition:
    """The event happens only for rows whose column (at ``path``) holds one of ``values``."""

    path: Path
    values: tuple[str | int | bool, ...]


@dataclass(frozen=True)
class ClockCheck:
    """``event < cutoff`` for one clock of a rule on one table."""

    event: str
    period: Duration
    path: Path
    cutoff: datetime
    tenant: TenantPeriods | None = None
    when: Condition | None = None
    """A status-dependent event: the clock runs only for rows meeting it."""
    also: tuple[Path, ...] = ()
    """A derived event, the latest of ``path`` and these (NULLs left out)."""
    stages: tuple[Duration, ...] = ()
    """Stage delays added after ``period`` (a deletion in stages), already in ``cutoff``."""


@dataclass(frozen=True)
class CountCap:
    count: int
    per: str
    order_by: str


@dataclass(frozen=True)
class HoldScope:
    """What makes a row of one table held."""

    primary_key: tuple[str, ...] = ("id",)
    """The key's columns, in order."""
    keys: tuple[str, ...] = ()
    """Primary key values (as text) under a record hold."""
    identity: tuple[tuple[str, str, str], ...] = ()
    """(identity kind, column, value): a person hold matched on this table's identity columns."""
    parents: tuple[Hop, ...] = ()
    """References to tables whose held rows hold this row too."""
    restricted: tuple[tuple[str, str, str], ...] = ()
    """(identity kind, column, value) of people whose data is restricted (Art. 18)."""

    @property
    def empty(self) -> bool:
        return not (self.keys or self.identity or self.restricted)


@dataclass(frozen=True)
class WorkItem:
    """One retention rule applied to one table."""

    activity: str
    rule: str
    table: str
    primary_key: tuple[str, ...]
    """The key's columns, in order (one for most tables)."""
    action: Action
    clocks: tuple[ClockCheck, ...]
    count_cap: CountCap | None = None
    minimum: tuple[ClockCheck, ...] = ()
    """Minimum periods: a row is due only once every one of them has passed."""
    kept_while: Path | None = None
    """A column that holds the row while it is set (an open-ended hold carved out of the rule)."""
    anonymize: tuple[tuple[str, str], ...] = ()
    marker: str | None = None
    dependants: tuple[Hop, ...] = ()
    """For deletes: references from other mapped tables to this one (hop from the child)."""
    unlinks: tuple[Hop, ...] = ()
    """For deletes: the dependants' references marked ``on_delete: unlink``, set to NULL."""
    deleted_first: tuple[WorkItem, ...] = ()
    """For anonymizations: delete items of the same table, whose rows are not anonymized."""

    @property
    def key(self) -> str:
        return f"{self.rule}/{self.table}"

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(column for column, _ in self.anonymize)


@dataclass(frozen=True)
class Plan:
    store: str
    at: datetime
    timezone: str
    items: tuple[WorkItem, ...]
    holds: Mapping[str, HoldScope] = field(default_factory=dict)
    """Hold scope of each mapped table."""


@dataclass(frozen=True)
class RecordHold:
    store: str
    table: str
    key: str


@dataclass(frozen=True)
class PersonHold:
    identity: tuple[tuple[str, str], ...]
    """(identity kind, value) pairs, such as (("email", "a@example.org"),)."""
    reason: Literal["legal_hold", "restriction"] = "legal_hold"
    """A legal hold, or a restriction of processing (Art. 18) recorded by a request."""


Hold = RecordHold | PersonHold
