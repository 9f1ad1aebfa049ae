"""The letters that answer a request, in HTML, in French or English, from the register.

:mod:`~registre.requests.letters.layout` lays a letter out; :mod:`.disclosure` writes what
Art. 15(1) requires per processing activity and the rights; :mod:`.answers` writes the answer
to each kind of request, refusals, and the letter forwarding a request to its controller.
Names come from the register through :mod:`registre.documents`: no id reaches a letter. The
same input gives the same bytes.
"""

from registre.requests.letters.answers import (
    controller_name,
    extension_letter,
    forward_letter,
    instruction_letter,
    lift_letter,
    outcome_letter,
    refusal_letter,
)
from registre.requests.letters.disclosure import controllers
from registre.requests.letters.layout import Letter, base_letter, extension_paragraph

__all__ = [
    "Letter",
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
