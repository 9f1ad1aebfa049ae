"""What the risk assessment makes owed (Art. 33, 34), and the checks on a decision.

* unlikely to result in a risk: documented in the register only (Art. 33(5)); the decision not
  to notify the authority is recorded with its reasons;
* a risk: the authority is notified within 72 hours (Art. 33(1));
* a high risk: the authority is notified and the people are told without undue delay
  (Art. 34(1)), unless one of Art. 34(3)'s conditions holds, recorded with its reasons.

When we process the data for a controller, we tell it in every case (Art. 33(2)): the
controller makes this assessment for its own people.
"""

from __future__ import annotations

from dataclasses import dataclass

from registre._exceptions import BreachError
from registre.breaches.model import Assessment, Risk


@dataclass(frozen=True)
class Owed:
    """What a breach calls for, once assessed."""

    document: bool
    authority: bool
    people: bool
    controller: bool

    def as_json(self) -> dict[str, bool]:
        return {
            "document": self.document,
            "authority": self.authority,
            "people": self.people,
            "controller": self.controller,
        }


def owed(assessment: Assessment | None, *, processor: bool) -> Owed:
    """What is owed; before any assessment, everything a breach may call for."""
    risk = assessment.risk if assessment else Risk.high
    people = risk == Risk.high and not (assessment and assessment.people_not_told_reason)
    return Owed(
        document=True,
        authority=risk != Risk.unlikely,
        people=people,
        controller=processor,
    )


def check(assessment: Assessment) -> None:
    """Refuse an assessment that does not say why, or that skips people without a reason."""
    if not assessment.reasons.strip():
        raise BreachError(
            f"an assessment of {assessment.risk.value} risk needs its reasons",
            hint="give --reasons: the data and people concerned, what can happen to them, "
            "how likely; a decision not to notify is kept with them (Art. 33(5))",
        )
    if assessment.people_not_told_reason and assessment.risk != Risk.high:
        raise BreachError(
            "a reason not to tell the people applies only to a high-risk breach",
            hint="people are told only of a high risk (Art. 34(1)); drop --people-not-told",
        )
