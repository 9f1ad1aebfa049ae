"""An erasure limited to some activities: what a withdrawal of consent erases (Art. 17(1)(b)).

Withdrawing consent to an activity ends the processing done on that consent, not the rest: the
erasure that enforces it is given only the person's rows in tables that those activities alone
process (the register binds the table to their retention rules, or only they process its
columns' categories). A table another activity also processes (on a contract, a legal
obligation, another consent) is left as it is: another basis covers it, or another decision of
the person does. The rows kept are then decided as in any erasure: holds, legal obligations,
shared rows and references apply (:mod:`registre.requests.erase`).

What this does not do yet: erase, inside a table several activities share, the columns that
only the withdrawn activities process. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from registre.register.model import Register
from registre.requests import table_activities
from registre.requests.find import Finder, Found


def limited_to(
    register: Register, finder: Finder, found: Found, activities: Iterable[str]
) -> Found:
    """``found`` narrowed to the tables that only ``activities`` process."""
    allowed = set(activities)
    narrowed = Found(found.identity)
    narrowed.queries = found.queries
    for key, rows in found.tables.items():
        mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
        theirs = table_activities.table_activities(register, mapping)
        if theirs and set(theirs) <= allowed:
            narrowed.tables[key] = rows
    return narrowed
