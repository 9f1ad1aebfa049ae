"""Cross-checks of a register: every id it uses is declared, every text is translated.

The checks read the register as plain data (what the YAML holds), not the validated model, so
that :func:`registre.register.loader.load_register` reports an undeclared id in the same run as
a misspelt key elsewhere: a DPO fixing a register wants the whole list at once. Whatever is
malformed is skipped here; the model validation reports it.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from registre.register.model import ID_PATTERN, Register, Text
from registre.register.taxonomy import DATA_CATEGORIES, EVENTS

Loc = tuple[str | int, ...]
Finding = tuple[Loc, str, str]

_ID = re.compile(ID_PATTERN)
_CLOCK_EVENT = re.compile(r"\s+after\s+(?P<event>\S+)\s*$")
_LANGUAGE_NAMES = {"fr": ("French", "fr: ..."), "en": ("English", "en: ...")}


def check_references(register: Register) -> Iterator[Finding]:
    """Cross-check a validated register."""
    yield from check_data_references(register.model_dump(mode="json"))


def check_data_references(data: Mapping[str, Any]) -> Iterator[Finding]:
    """Cross-check register data as read from YAML, whether or not it validates."""
    subjects = _declared_ids(data, "subjects", required=True)
    categories = _union(_declared_ids(data, "data_categories"), set(DATA_CATEGORIES))
    events = _union(_declared_ids(data, "events"), set(EVENTS))
    recipients = _union(_declared_ids(data, "processors"), _declared_ids(data, "recipients"))
    rule_owner: dict[str, str] = {}

    for activity_id, activity in _mapping(data.get("activities")).items():
        if not isinstance(activity, Mapping):
            continue
        at: Loc = ("activities", activity_id)
        for where, subject in _id_items(activity, "subjects", at):
            if subjects is not None and subject not in subjects:
                yield (
                    where,
                    f"activity '{activity_id}' names the data subject category "
                    f"'{subject}', which is not declared",
                    _declare_hint("subjects", subject, subjects),
                )
        collected = [c for _, c in _id_items(activity, "data", at)]
        for where, category in _id_items(activity, "data", at):
            if categories is not None and category not in categories:
                yield (
                    where,
                    f"activity '{activity_id}' names the data category '{category}', "
                    "which is not declared",
                    _declare_hint("data_categories", category, categories, builtin=True),
                )
        for where, recipient in _id_items(activity, "recipients", at):
            if recipients is not None and recipient not in recipients:
                yield (
                    where,
                    f"activity '{activity_id}' names the recipient '{recipient}', "
                    "which is not declared",
                    _declare_hint("processors' or 'recipients", recipient, recipients),
                )
        for rule_id, rule in _mapping(activity.get("retention")).items():
            rule_at: Loc = (*at, "retention", rule_id)
            if rule_id in rule_owner:
                yield (
                    rule_at,
                    f"retention rule id '{rule_id}' is already used by activity "
                    f"'{rule_owner[rule_id]}'",
                    "rule ids appear in sweeps and audit entries, so they must be unique "
                    "across the register: rename one of them",
                )
            rule_owner.setdefault(rule_id, activity_id)
            if not isinstance(rule, Mapping):
                continue
            for where, category in _id_items(rule, "data", rule_at):
                if activity.get("data") is not None and category not in collected:
                    yield (
                        where,
                        f"rule '{rule_id}' covers '{category}', which activity "
                        f"'{activity_id}' does not collect",
                        f"add it to the activity's 'data', or cover one of what it collects: "
                        f"{', '.join(collected)}",
                    )
            for where, event in _clock_events(rule, rule_at):
                if events is not None and event not in events:
                    yield (
                        where,
                        f"rule '{rule_id}' starts its clock at the event '{event}', "
                        "which is not declared",
                        _declare_hint("events", event, events, builtin=True),
                    )

    commitments = data.get("commitments")
    for index, entry in enumerate(commitments if isinstance(commitments, list) else []):
        if not isinstance(entry, Mapping):
            continue
        for where, category in _id_items(entry, "data", ("commitments", index)):
            if categories is not None and category not in categories:
                yield (
                    where,
                    f"commitment {index + 1} names the data category '{category}', which is "
                    "not declared",
                    _declare_hint("data_categories", category, categories, builtin=True),
                )

    yield from _check_stores(data, subjects, categories, events, set(rule_owner))
    yield from _check_languages(data)


# -- tolerant readers -----------------------------------------------------------------------------


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _declared_ids(
    data: Mapping[str, Any], section: str, *, required: bool = False
) -> set[str] | None:
    """The ids a section declares; None when it is malformed (or missing and required)."""
    value = data.get(section)
    if value is None:
        return None if required else set()
    return {str(key) for key in value} if isinstance(value, Mapping) else None


def _union(left: set[str] | None, right: set[str] | None) -> set[str] | None:
    return None if left is None or right is None else left | right


def _id_items(node: Mapping[str, Any], key: str, at: Loc) -> Iterator[tuple[Loc, str]]:
    """The ids listed under ``key``: a list, or a single id written without brackets."""
    value = node.get(key)
    items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
    for index, item in items:
        if isinstance(item, str) and _ID.match(item):
            yield ((*at, key) if index is None else (*at, key, index)), item


def _clock_events(rule: Mapping[str, Any], at: Loc) -> Iterator[tuple[Loc, str]]:
    for key in ("after", "at_least"):
        yield from _clock_events_of(rule, key, at)


def _clock_events_of(rule: Mapping[str, Any], key: str, at: Loc) -> Iterator[tuple[Loc, str]]:
    value = rule.get(key)
    items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
    for index, clock in items:
        where = (*at, key) if index is None else (*at, key, index)
        if isinstance(clock, str):
            match = _CLOCK_EVENT.search(clock)
            event = match.group("event") if match else None
        elif isinstance(clock, Mapping):
            event = clock.get("event")
        else:
            event = None
        if isinstance(event, str) and _ID.match(event):
            yield where, event


def _declare_hint(section: str, missing: str, ids: set[str], builtin: bool = False) -> str:
    import difflib

    close = difflib.get_close_matches(missing, sorted(ids), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    extra = " (built-in ones included)" if builtin else ""
    listed = ", ".join(sorted(ids)) or "none yet"
    return f"{hint}declare it under '{section}:'; declared{extra}: {listed}"


# -- stores ---------------------------------------------------------------------------------------


def _check_stores(
    data: Mapping[str, Any],
    subjects: set[str] | None,
    categories: set[str] | None,
    events: set[str] | None,
    rules: set[str],
) -> Iterator[Finding]:
    for store_id, store in _mapping(data.get("stores")).items():
        tables = _mapping(_mapping(store).get("tables"))
        for table_name, table in tables.items():
            if not isinstance(table, Mapping):
                continue
            at: Loc = ("stores", store_id, "tables", table_name)
            named = table.get("subject")
            for index, subject in enumerate(named if isinstance(named, list) else [named]):
                if isinstance(subject, str) and subjects is not None and subject not in subjects:
                    where = (*at, "subject", index) if isinstance(named, list) else (*at, "subject")
                    yield (
                        where,
                        f"table '{table_name}' is about '{subject}', which is "
                        "not a declared data subject category",
                        _declare_hint("subjects", subject, subjects),
                    )
            for column, category in _mapping(table.get("columns")).items():
                if (
                    isinstance(category, str)
                    and categories is not None
                    and category not in categories
                ):
                    yield (
                        (*at, "columns", column),
                        f"column '{table_name}.{column}' holds "
                        f"'{category}', which is not a declared data category",
                        _declare_hint("data_categories", category, categories, builtin=True),
                    )
            for event in _mapping(table.get("events")):
                if events is not None and event not in events:
                    yield (
                        (*at, "events", event),
                        f"table '{table_name}' gives a timestamp for "
                        f"the event '{event}', which is not declared",
                        _declare_hint("events", event, events, builtin=True),
                    )
            bound = table.get("rules")
            listed = enumerate(bound) if isinstance(bound, list) else []
            named = [(rule_id, rule_id) for rule_id in bound] if isinstance(bound, Mapping) else []
            for key, rule_id in [*listed, *named]:
                if isinstance(rule_id, str) and rule_id not in rules:
                    yield (
                        (*at, "rules", key),
                        f"table '{table_name}' applies the retention "
                        f"rule '{rule_id}', which no activity declares",
                        f"declared rules: {', '.join(sorted(rules)) or 'none yet'}",
                    )
            for name, ref in _mapping(table.get("references")).items():
                target = _referenced_table(ref)
                if target is not None and target not in tables:
                    yield (
                        (*at, "references", name),
                        f"reference '{name}' of table "
                        f"'{table_name}' points at table '{target}', which store "
                        f"'{store_id}' does not map",
                        "map that table under 'tables:' too",
                    )


def _referenced_table(ref: Any) -> str | None:
    if isinstance(ref, str) and "->" in ref:
        return ref.split("->", 1)[1].strip().split(".", 1)[0]
    if isinstance(ref, Mapping) and isinstance(ref.get("table"), str):
        return str(ref["table"])
    return None


# -- languages ------------------------------------------------------------------------------------


def _check_languages(data: Mapping[str, Any]) -> Iterator[Finding]:
    policy = _mapping(data.get("policy"))
    languages = policy.get("languages", ["fr", "en"])
    if not isinstance(languages, list) or not all(
        isinstance(lang, str) and lang in _LANGUAGE_NAMES for lang in languages
    ):
        languages = ["fr", "en"]
    yield from _texts(data, Register, languages, ())


def _texts(value: Any, annotation: Any, languages: list[str], loc: Loc) -> Iterator[Finding]:
    """Walk the data along the model's types and check every Text found."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _texts(value, args[0], languages, loc)
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            if arg is not type(None):
                yield from _texts(value, arg, languages, loc)
                return
    elif origin is dict:
        for key, item in _mapping(value).items():
            yield from _texts(item, args[1], languages, (*loc, key))
    elif origin is list:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _texts(item, args[0], languages, (*loc, index))
    elif isinstance(annotation, type) and issubclass(annotation, Text):  # SecurityMeasure too
        if isinstance(value, Mapping):
            yield from _missing_languages(value, languages, loc)
    elif (
        isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
        and isinstance(value, Mapping)
    ):
        for name, field in annotation.model_fields.items():
            if name in value:
                yield from _texts(value[name], field.annotation, languages, (*loc, name))


def _missing_languages(
    text: Mapping[str, Any], languages: list[str], loc: Loc
) -> Iterator[Finding]:
    where = ".".join(map(str, loc))
    for lang in languages:
        if text.get(lang) is None:
            name, example = _LANGUAGE_NAMES[lang]
            published = " and ".join(_LANGUAGE_NAMES[code][0] for code in languages)
            yield (
                loc,
                f"{where} has no {name} text ('{lang}')",
                f"the policy is published in {published}: add '{example}' to this text",
            )
