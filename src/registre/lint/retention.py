"""Retention checks: every datum has a limit, the limit can be measured, and it is not excessive.

The CNIL's periods (location, job applications, logs) are recommendations: a rule that gives a
``reason`` (or a ``reference``) for going beyond them is taken as a documented choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from registre.durations import Duration
from registre.lint.finding import (
    Finding,
    activity_name,
    category_name,
    finding,
    longer_than,
    names,
    shortest,
    text,
)
from registre.register.model import Register, RetentionRule

TWO_MONTHS = Duration(2, "months")
TWO_YEARS = Duration(2, "years")
ONE_YEAR = Duration(1, "years")
TEN_YEARS = Duration(10, "years")

# Declared categories are recognised by their id ("device_location", "gps_points") or by a name
# that says geolocation; "location" alone in a name is too often a meeting place or an address.
_LOCATION_ID = re.compile(r"(?:^|_|-)(?:location|geoloc\w*|gps)(?:$|_|-)")
_GEOLOCATION = re.compile(r"g[ée]o-?loc", re.IGNORECASE)


def is_location(register: Register, category_id: str) -> bool:
    """The built-in ``location`` category, or a declared one that says it holds locations."""
    if category_id == "location":
        return True
    declared = register.data_categories.get(category_id)
    if declared is None:
        return False
    label = f"{declared.name.fr or ''} {declared.name.en or ''}"
    return bool(_LOCATION_ID.search(category_id) or _GEOLOCATION.search(label))


def check_retention(register: Register) -> Iterator[Finding]:
    stated: dict[str, str] = {}  # an unmeasurable statement -> the activity it was first seen in
    for activity_id, activity in register.activities.items():
        at = ("activities", activity_id)
        label = activity_name(register, activity_id)
        if not activity.retention:
            yield finding(
                "RET001",
                at,
                f"Activity {label} says nothing about how long its data "
                "is kept: add a retention rule, such as '3 years after last_activity'.",
            )
            continue
        covered = {c for rule in activity.retention.values() for c in rule.data}
        if all(rule.data for rule in activity.retention.values()):
            for index, category in enumerate(activity.data):
                if category not in covered:
                    yield finding(
                        "RET002",
                        (*at, "data", index),
                        f"Activity {label} collects {category_name(register, category)}"
                        " but none of its retention rules covers it: add it to a rule's "
                        "'data', or add a rule for it.",
                    )
        for rule_id, rule in activity.retention.items():
            yield from _check_rule(register, activity_id, rule_id, rule, stated)


def _check_rule(
    register: Register,
    activity_id: str,
    rule_id: str,
    rule: RetentionRule,
    stated: dict[str, str],
) -> Iterator[Finding]:
    at = ("activities", activity_id, "retention", rule_id)
    label = activity_name(register, activity_id)
    if rule.indefinite:
        if rule.reason is None and rule.reference is None:
            yield finding(
                "RET008",
                (*at, "indefinite"),
                f"Activity {label} keeps data indefinitely without saying why: give the need "
                "in 'reason' or the text in 'reference' (archiving in the public interest, "
                "Art. 89), or give the rule a period such as '10 years after contract_ended'.",
            )
        else:
            yield finding(
                "RET009",
                (*at, "indefinite"),
                f"Activity {label} keeps data indefinitely: review from time to time that the "
                "need stated in its 'reason' or 'reference' still holds.",
            )
        return
    if not rule.measurable:
        said = text(rule.statement).rstrip(".")
        # One boilerplate sentence pasted under every activity is quoted once, not each time.
        first = stated.setdefault(said, label)
        if first is not label:
            same = f"that of {first}" if first != label else "another of its rules"
            yield finding(
                "RET003",
                (*at, "statement"),
                f"The retention of {label} is stated only in the same words as {same}, "
                "which is not a period: give it clocks too.",
            )
            return
        yield finding(
            "RET003",
            (*at, "statement"),
            f"The retention of {label} is only stated as “{said}”, which is not a "
            "period: give clocks such as '2 years after contract_ended' so people know "
            "when their data goes and registre can enforce it.",
        )
        return
    documented = rule.reason is not None or rule.reference is not None
    categories = register.rule_categories(activity_id, rule)
    located = [c for c in categories if is_location(register, c)]
    if located and rule.reason is None and longer_than(shortest(rule, "collected"), TWO_MONTHS):
        kept = names([category_name(register, c) for c in located])
        yield finding(
            "RET004",
            at,
            f"Activity {label} keeps {kept}"
            " longer than 2 months after collection without saying why: add a clock "
            "such as '2 months after collected', or a 'reason'.",
        )
    if "application" in categories and not documented and longer_than(shortest(rule), TWO_YEARS):
        yield finding(
            "RET005",
            at,
            f"Activity {label} keeps job applications longer than 2 years: the CNIL "
            "recommends 2 years after the last contact; shorten the period or give a "
            "'reason'.",
        )
    if "connection_logs" in categories and not documented and longer_than(shortest(rule), ONE_YEAR):
        yield finding(
            "RET006",
            at,
            f"Activity {label} keeps connection logs longer than 1 year: the CNIL "
            "recommends 6 months to 1 year; shorten the period or give a 'reason'.",
        )
    period = shortest(rule)
    if period is not None and not documented and longer_than(period, TEN_YEARS):
        yield finding(
            "RET007",
            at,
            f"Activity {label} keeps data {period} after an event without a "
            "'reference' to the text that requires it: cite the statute, give a "
            "'reason', or shorten the period.",
        )
