"""The exceptions registre raises.

One tree, rooted in :class:`RegistreError`, so a caller can catch broadly or narrowly::

    RegistreError
    ├── RegisterError            the register file cannot be loaded (carries every Problem)
    ├── MappingError             the register does not match a live database
    ├── StoreError               a data store is unreachable or refused an operation
    │   └── ErasureStepError     an erasure stopped at a step it resumes from
    ├── StateError               the engine's own database is unusable
    ├── AuditError               the audit trail failed verification
    ├── RequestError             a data-subject request cannot move to the asked state
    ├── BreachError              a breach cannot be recorded, assessed or notified as asked
    ├── ConsentError             a consent cannot be recorded, withdrawn or a link verified
    └── DocumentError            a policy or register export cannot be produced or written

Every exception carries the context that caused it. They are translated for people only at the
edges: the CLI prints ``file:line:col: message`` and a hint, the API one JSON error shape.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a register, located in its source file."""

    file: str
    line: int
    column: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class RegistreError(Exception):
    """Base of every error registre raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint


class RegisterError(RegistreError):
    """The register cannot be loaded; ``problems`` lists everything wrong at once."""

    def __init__(self, problems: list[Problem], *, total: int | None = None) -> None:
        self.problems = sorted(problems)
        count = len(self.problems) if total is None else total  # more than listed
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"the register has {count} {noun}")


class MappingError(RegistreError):
    """The register's mapping does not match the live database; nothing was written."""

    def __init__(self, message: str, *, hint: str = "", problems: list[str] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []


class StoreError(RegistreError):
    """A data store is unreachable, or refused an operation."""


class ErasureStepError(StoreError):
    """A step of an erasure failed while writing; the request resumes at that step."""

    def __init__(
        self, message: str, *, hint: str = "", request_id: str, step: int, table: str
    ) -> None:
        super().__init__(message, hint=hint)
        self.request_id = request_id
        self.step = step
        self.table = table


class StateError(RegistreError):
    """The engine's own state database is unusable."""


class AuditError(RegistreError):
    """The audit trail is altered, reordered or truncated."""


class RequestError(RegistreError):
    """A data-subject request cannot be opened or cannot move to the asked state."""


class DocumentError(RegistreError):
    """A document (policy, Art. 30 export) cannot be produced in the asked form, or written."""


class BreachError(RegistreError):
    """A personal data breach cannot be recorded, assessed, scoped or notified as asked."""


class ConsentError(RegistreError):
    """A consent decision cannot be recorded or withdrawn, or an unsubscribe link is not valid."""
