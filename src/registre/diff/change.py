"""A change between two versions of a register, and the base of the comparison."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from registre.diff.words import Words
from registre.register.model import Lang, Register

Loc = tuple[str | int, ...]


class ChangeKind(StrEnum):
    """What kind of change; the ones marked (R) affect people's rights."""

    activity_added = "activity_added"  # (R)
    activity_removed = "activity_removed"
    purpose_changed = "purpose_changed"  # (R)
    legal_basis_changed = "legal_basis_changed"  # (R)
    role_changed = "role_changed"  # (R)
    subjects_added = "subjects_added"  # (R)
    subjects_removed = "subjects_removed"
    data_added = "data_added"  # (R)
    data_removed = "data_removed"
    retention_longer = "retention_longer"  # (R)
    retention_shorter = "retention_shorter"
    retention_reworded = "retention_reworded"
    recipient_added = "recipient_added"  # (R)
    recipient_removed = "recipient_removed"
    sharing_added = "sharing_added"  # (R)
    sharing_removed = "sharing_removed"
    transfer_added = "transfer_added"  # (R)
    transfer_weakened = "transfer_weakened"  # (R)
    transfer_changed = "transfer_changed"
    automated_decision_added = "automated_decision_added"  # (R)
    right_removed = "right_removed"  # (R)
    right_added = "right_added"
    deadline_longer = "deadline_longer"  # (R)
    deadline_shorter = "deadline_shorter"
    cookie_added = "cookie_added"  # (R) when it needs consent
    cookie_removed = "cookie_removed"
    cookie_changed = "cookie_changed"  # (R) when longer-lived or no longer asking consent
    breach_commitment_weakened = "breach_commitment_weakened"  # (R)
    controller_changed = "controller_changed"  # (R)
    contact_changed = "contact_changed"
    text_changed = "text_changed"


@dataclass(frozen=True)
class Change:
    """One difference between two versions, described for a DPO in each language."""

    kind: ChangeKind
    affects_rights: bool
    location: Loc
    """Path in the new register (in the old one for what was removed)."""
    fr: str
    en: str

    def describe(self, lang: Lang) -> str:
        return self.fr if lang == "fr" else self.en


class Differ:
    """Collects the changes from ``old`` to ``new``; the comparisons are mixed in."""

    def __init__(self, old: Register, new: Register) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []

    def add(self, kind: ChangeKind, rights: bool, loc: Loc, fr: str, en: str) -> None:
        self.changes.append(Change(kind, rights, loc, fr, en))

    def words(self, register: Register) -> tuple[Words, Words]:
        return Words(register, "fr"), Words(register, "en")
