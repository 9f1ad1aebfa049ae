"""Commitments checked against the register: a promise the activities contradict is an error.

A policy that says "we do not collect your location" while an activity lists it, or "this data
is processed on your device and never reaches us" while a mapped database column holds it,
makes a false statement (Art. 5(1)(a), 12(1)). The lint cannot see what a register does not
say, so it checks what it can: the activities' data and the stores' columns.
"""

from __future__ import annotations

from collections.abc import Iterator

from registre.lint.finding import Finding, activity_name, category_name, finding, names
from registre.register.model import Register


def check_commitments(register: Register) -> Iterator[Finding]:
    for index, entry in enumerate(register.commitments):
        at = ("commitments", index)
        if entry.kind == "not_collected":
            for category in entry.data:
                users = [a for a, act in register.activities.items() if category in act.data]
                if users:
                    yield finding(
                        "CMT001",
                        (*at, "data"),
                        f"The register promises not to collect "
                        f"{category_name(register, category)}, but "
                        f"{names([activity_name(register, a) for a in users])} collect it: "
                        "remove the promise or the category from those activities.",
                    )
        if entry.kind == "processed_locally":
            stored = {
                column_category
                for store in register.stores.values()
                for table in store.tables.values()
                for column_category in table.columns.values()
            }
            held = [category_name(register, c) for c in entry.data if c in stored]
            if held:
                yield finding(
                    "CMT002",
                    (*at, "data"),
                    f"The register promises that {names(held)} never reaches us, but a mapped "
                    "database column holds it: remove the promise, or the column from the "
                    "mapping if it is not ours.",
                )
        if entry.kind == "used_only_for":
            for category in entry.data:
                users = [a for a, act in register.activities.items() if category in act.data]
                if len(users) > 1:
                    yield finding(
                        "CMT003",
                        (*at, "data"),
                        f"The register promises to use {category_name(register, category)} "
                        f"for one purpose only, but {len(users)} activities process it "
                        f"({names([activity_name(register, a) for a in users])}): check that "
                        "the promise holds for each, or narrow it.",
                    )
