"""A sweep's audit entries and progress, written to the engine's state in as few commits as safe.

Audit-before-act needs one commit before each write to the organization's data: the entry
announcing the batch. Everything written after a batch (how many rows it changed, a count
that differed from the announcement, the progress checkpoint) only reports what already
happened, so it waits and rides in the next announcement's commit, in order, ahead of it.
A sweep killed in between loses only those reports; the next run evaluates the due predicate
again and ends where an uninterrupted sweep does, and the trail still holds the announcement.

Each commit of a SQLite state database waits for the disk (about 5 to 20 ms here), so this
halves the commits of a span-swept rule (see :mod:`registre.engine.range_deletes`).
"""

from __future__ import annotations

from typing import Any

from registre.state import EngineState
from registre.state.db import write_transaction


class Journal:
    """The audit trail and checkpoints of one sweep run."""

    def __init__(self, state: EngineState, run_id: int, actor: str) -> None:
        self.state = state
        self.run_id = run_id
        self.actor = actor
        self._entries: list[tuple[str, dict[str, Any]]] = []
        self._progress: dict[str, int] = {}

    def announce(self, action: str, details: dict[str, Any]) -> None:
        """Commit ``action`` now, before the caller does it, with every report still waiting."""
        self._commit([*self._entries, (action, details)])

    def record(self, action: str, details: dict[str, Any]) -> None:
        """Report something done: written with the next announcement, or by :meth:`flush`."""
        self._entries.append((action, details))

    def checkpoint(self, key: str, done: int) -> None:
        """Set progress counter ``key`` to ``done`` with the next commit."""
        self._progress[key] = done

    def flush(self) -> None:
        """Commit whatever waits (at the end of an item, or when the sweep stops)."""
        if self._entries or self._progress:
            self._commit(list(self._entries))

    def _commit(self, entries: list[tuple[str, dict[str, Any]]]) -> None:
        with write_transaction(self.state.engine) as connection:
            if entries:
                self.state.audit.append_many_in(
                    connection, entries, actor=self.actor, run_id=self.run_id
                )
            for key, done in self._progress.items():
                self.state.runs.progress_in(connection, self.run_id, key, done)
        self._entries.clear()
        self._progress.clear()
