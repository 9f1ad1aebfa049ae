"""The table of letter kinds: who each letter goes to, what it answers, and the law it cites.

One row per letter registre writes. The docs' table of letters is this table, and a test
checks that each row's builder is exported by :mod:`registre.requests.letters`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class LetterKind:
    """One kind of letter."""

    name: str
    """The file name the letter is written under (``<name>-<lang>.html``)."""
    addressee: Literal["person", "controller"]
    builder: str
    """The function of :mod:`registre.requests.letters` that writes it."""
    articles: str
    """The GDPR articles it answers under or cites."""
    says: str
    """What it says, in a line."""


LETTER_KINDS: tuple[LetterKind, ...] = (
    LetterKind(
        "answer",
        "person",
        "outcome_letter",
        "12(3), 15, 16, 17, 18, 19, 20, 21",
        "What was found and done for an executed request: for an access, the copy and, per "
        "activity, Art. 15(1) and which retention clocks have started; for an erasure, the "
        "records deleted, anonymized and kept (why, until when), the recipients told (Art. 19), "
        "the backups; data held for a client names that controller, without volumes.",
    ),
    LetterKind(
        "refusal",
        "person",
        "refusal_letter",
        "11(2), 12(2), 12(4), 12(5), 12(6)",
        "The legal ground of the refusal and the evidence recorded, the right to complain and "
        "to a judicial remedy; a request whose identity is not verified learns nothing of "
        "earlier requests or data.",
    ),
    LetterKind(
        "extension",
        "person",
        "extension_letter",
        "12(3)",
        "That the time to answer is extended, by how much, until when, and why (complexity, "
        "number of requests).",
    ),
    LetterKind(
        "lift",
        "person",
        "lift_letter",
        "18(3)",
        "That a restriction is lifted, from when and why, before it is.",
    ),
    LetterKind(
        "forward",
        "controller",
        "forward_letter",
        "28(3)(e)",
        "A request about data we process for a client, to the contact the register names for "
        "its requests: who asked, how identity was checked, the deadline, the data concerned.",
    ),
    LetterKind(
        "instruction",
        "controller",
        "instruction_letter",
        "28(3)(a)",
        "What we did, on the controller's instructions, with the data we hold for it.",
    ),
)
