"""Cross-checks a valid-looking register: every id it uses is declared, every text translated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from registre.register.model import Register, Text
from registre.register.taxonomy import DATA_CATEGORIES, EVENTS

Loc = tuple[str | int, ...]
Finding = tuple[Loc, str, str]


def _declared(kind: str, ids: list[str] | set[str], builtin: bool = False) -> str:
    listed = ", ".join(sorted(ids)) or "none yet"
    extra = " (built-in ones included)" if builtin else ""
    return f"declared {kind}{extra}: {listed}"


def check_references(register: Register) -> Iterator[Finding]:
    subjects = set(register.subjects)
    categories = set(register.data_categories) | set(DATA_CATEGORIES)
    events = set(register.events) | set(EVENTS)
    recipients = set(register.processors) | set(register.recipients)
    rule_owner: dict[str, str] = {}

    for activity_id, activity in register.activities.items():
        at: Loc = ("activities", activity_id)
        for index, subject in enumerate(activity.subjects):
            if subject not in subjects:
                yield ((*at, "subjects", index), f"activity '{activity_id}' names the data subject "
                       f"category '{subject}', which is not declared",
                       f"declare it under 'subjects:'; {_declared('subjects', subjects)}")
        for index, category in enumerate(activity.data):
            if category not in categories:
                yield ((*at, "data", index), f"activity '{activity_id}' names the data category "
                       f"'{category}', which is not declared",
                       f"declare it under 'data_categories:'; "
                       f"{_declared('categories', categories, builtin=True)}")
        for index, recipient in enumerate(activity.recipients):
            if recipient not in recipients:
                yield ((*at, "recipients", index), f"activity '{activity_id}' names the recipient "
                       f"'{recipient}', which is not declared",
                       f"declare it under 'processors:' or 'recipients:'; "
                       f"{_declared('recipients', recipients)}")
        for rule_id, rule in activity.retention.items():
            rule_at: Loc = (*at, "retention", rule_id)
            if rule_id in rule_owner:
                yield (rule_at, f"retention rule id '{rule_id}' is already used by activity "
                       f"'{rule_owner[rule_id]}'",
                       "rule ids appear in sweeps and audit entries, so they must be unique")
            rule_owner[rule_id] = activity_id
            for index, category in enumerate(rule.data):
                if category not in activity.data:
                    yield ((*rule_at, "data", index), f"rule '{rule_id}' covers '{category}', which "
                           f"activity '{activity_id}' does not collect",
                           f"the activity collects: {', '.join(activity.data)}")
            for index, clock in enumerate(rule.after):
                if clock.event not in events:
                    yield ((*rule_at, "after", index), f"rule '{rule_id}' starts its clock at the "
                           f"event '{clock.event}', which is not declared",
                           f"declare it under 'events:'; {_declared('events', events, builtin=True)}")

    yield from _check_stores(register, subjects, categories, events, set(rule_owner))
    yield from _check_languages(register, register.policy.languages)


def _check_stores(register: Register, subjects: set[str], categories: set[str],
                  events: set[str], rules: set[str]) -> Iterator[Finding]:
    for store_id, store in register.stores.items():
        for table_name, table in store.tables.items():
            at: Loc = ("stores", store_id, "tables", table_name)
            if table.subject is not None and table.subject not in subjects:
                yield ((*at, "subject"), f"table '{table_name}' is about '{table.subject}', which is "
                       "not a declared data subject category", _declared("subjects", subjects))
            for column, category in table.columns.items():
                if category not in categories:
                    yield ((*at, "columns", column), f"column '{table_name}.{column}' holds "
                           f"'{category}', which is not a declared data category",
                           _declared("categories", categories, builtin=True))
            for event in table.events:
                if event not in events:
                    yield ((*at, "events", event), f"table '{table_name}' gives a timestamp for the "
                           f"event '{event}', which is not declared",
                           _declared("events", events, builtin=True))
            for rule_id in table.rules:
                if rule_id not in rules:
                    yield ((*at, "rules", rule_id), f"table '{table_name}' applies the retention "
                           f"rule '{rule_id}', which no activity declares",
                           _declared("rules", rules))
            for name, ref in table.references.items():
                if ref.table not in store.tables:
                    yield ((*at, "references", name), f"reference '{name}' of table '{table_name}' "
                           f"points at table '{ref.table}', which store '{store_id}' does not map",
                           "map that table under 'tables:' too")


def _check_languages(node: Any, languages: list[str], loc: Loc = ()) -> Iterator[Finding]:
    if isinstance(node, Text):
        for lang in languages:
            if getattr(node, lang) is None:
                yield (loc, f"{'.'.join(map(str, loc))} has no '{lang}' text",
                       f"the policy is published in {', '.join(languages)}: give each of them")
        return
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _check_languages(getattr(node, name), languages, (*loc, name))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _check_languages(value, languages, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _check_languages(value, languages, (*loc, index))
