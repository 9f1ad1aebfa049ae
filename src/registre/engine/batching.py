"""What every way of sweeping shares: the pace of the batches, their results, the audit hook.

Used by :mod:`registre.engine.sweep` (keyset batches), :mod:`registre.engine.range_deletes`
(key and count-cap ranges) and :mod:`registre.engine.page_deletes` (PostgreSQL pages).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registre.engine.work_items import WorkItem

Audit = Callable[[str, dict[str, Any]], None]
"""Writes an audit entry (action, details): committed before the action it announces, or, for
what a write already did, with the next such commit (:class:`registre.engine.journal.Journal`)."""

MAX_BATCH = 100_000
"""The largest batch the adaptive size grows to when the batch's keys are digested."""
MAX_SPAN_BATCH = 1_000_000
"""The largest span of a plain delete: no keys are digested, so only the time bounds it."""
TARGET_SECONDS = 0.3
"""How long a batch's write transaction may hold its locks before the batch size shrinks."""


class Pace:
    """The batch size: grows while writes stay well under the target, shrinks past it."""

    def __init__(self, minimum: int, maximum: int = MAX_BATCH) -> None:
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
        self.size = minimum

    def update(self, seconds: float) -> None:
        if seconds > TARGET_SECONDS:
            # aim below the target: the next range may hold slower rows
            scaled = int(self.size * 0.7 * TARGET_SECONDS / seconds)
            self.size = max(self.minimum, min(self.size // 2 or 1, scaled))
        elif seconds < TARGET_SECONDS / 2:
            # far under the target, grow faster: the first batches are small on purpose
            factor = 4 if seconds < TARGET_SECONDS / 8 else 2
            self.size = min(self.maximum, self.size * factor)


@dataclass
class ItemResult:
    item: WorkItem
    changed: int = 0
    batches: int = 0
    longest_batch: float = 0.0
    """Seconds the longest write transaction held its locks."""
    unlinked: int = 0
    """Rows kept whose reference to a deleted row was set to NULL (``on_delete: unlink``)."""
