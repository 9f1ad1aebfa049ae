"""The letters that answer a request, in HTML, in French or English, from the register.

:mod:`~registre.requests.letters.layout` lays a letter out; :mod:`.disclosure` writes what
Art. 15(1) requires per processing activity and the rights; :mod:`.person` writes the letters
to the person (answers, refusals, extensions, lifting of a restriction); :mod:`.controller`
the letters to a controller we process data for; :mod:`.outcomes` what an erasure or a
rectification did; :mod:`.kinds` is the table of letter kinds. Names come from the register
through :mod:`registre.documents`: no id reaches a letter. The same input gives the same bytes.
"""

from registre.requests.letters.controller import (
    controller_name,
    forward_letter,
    instruction_letter,
)
from registre.requests.letters.disclosure import controllers
from registre.requests.letters.kinds import LETTER_KINDS, LetterKind
from registre.requests.letters.layout import Letter, base_letter, extension_paragraph
from registre.requests.letters.person import (
    REFUSAL_GROUNDS,
    extension_letter,
    lift_letter,
    outcome_letter,
    refusal_letter,
)

__all__ = [
    "LETTER_KINDS",
    "REFUSAL_GROUNDS",
    "Letter",
    "LetterKind",
    "base_letter",
    "controller_name",
    "controllers",
    "extension_letter",
    "extension_paragraph",
    "forward_letter",
    "instruction_letter",
    "lift_letter",
    "outcome_letter",
    "refusal_letter",
]
