"""Rectification (Art. 16): validated new values, written wherever the mapping holds a copy.

A change names an identity kind (``email``, ``phone``) or a mapped column (``last_name``). An
identity kind is written to every identity column of that kind among the person's rows that
holds the old value (the same email in the account, the directory and the contacts); a column
name is written to that column in every table where the person has rows. Emails and phone
numbers are validated first (phone numbers are stored in E.164); nothing is written when one
value is invalid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from registre._exceptions import RequestError
from registre.engine.identities import holds
from registre.engine.record_keys import key_in
from registre.register.model import Register
from registre.requests import table_activities
from registre.requests.find import Finder, Found
from registre.requests.identity import normalize_email, normalize_phone


def parse_changes(items: Iterable[str]) -> dict[str, str]:
    """``FIELD=VALUE`` items, validated: emails by syntax, phone numbers with phonenumbers."""
    changes: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise RequestError(
                f"{item!r} is not a change", hint="write it as FIELD=VALUE, such as email=a@b.fr"
            )
        changes[name] = validate(name, value)
    return changes


def validate(name: str, value: str) -> str:
    lowered = name.lower()
    if "email" in lowered:
        return normalize_email(value)
    if "phone" in lowered:
        return normalize_phone(value)
    if not value.strip():
        raise RequestError(f"the new value of {name} is empty", hint="erasure removes data")
    return value.strip()


@dataclass
class Update:
    store: str
    table: str
    column: str
    keys: list[Any]
    value: str


def plan_rectification(
    register: Register,
    finder: Finder,
    found: Found,
    changes: dict[str, str],
    *,
    on_instruction: bool = False,
) -> list[Update]:
    """The updates to make; raises RequestError when a change names nothing the mapping knows.

    Rows held as a processor are left to their controller, unless ``on_instruction``: then
    ``found`` holds the rows of the controller who instructed us to make the change.
    """
    updates: list[Update] = []
    used: set[str] = set()
    for rows in found:
        if not rows.rows:
            continue
        graph = finder.graphs_by_id[rows.store]
        mapping = graph.mapping(rows.table)
        if table_activities.processor_only(register, mapping) and not on_instruction:
            continue
        for name, value in changes.items():
            if name in mapping.identity:
                # each column of the kind that holds the old value, matched as requests match
                old = found.identity.get(name)
                targets = [
                    (
                        column,
                        [
                            k
                            for k in rows.rows
                            if old is None or holds(name, rows.value(k, column), old)
                        ],
                    )
                    for kind, column in mapping.identity_columns()
                    if kind == name and column not in mapping.key_columns()
                ]
            elif name in mapping.columns:
                targets = [(name, list(rows.rows))]
            else:
                continue
            used.add(name)
            for column, keys in targets:
                if keys:
                    updates.append(Update(rows.store, rows.table, column, sorted(keys), value))
    unknown = sorted(set(changes) - used - _known_names(register))
    if unknown:
        raise RequestError(
            f"no mapped table has the field {', '.join(unknown)}",
            hint="name an identity kind (email, phone) or a column of the stores mapping",
        )
    return updates


def check_fields(register: Register, changes: dict[str, str]) -> None:
    """Refuse, when the request is opened, a change to a field no mapped table has."""
    known = _known_names(register)
    unknown = sorted(set(changes) - known)
    if unknown:
        raise RequestError(
            f"no mapped table has the field {', '.join(unknown)}; nothing was recorded",
            hint=f"name an identity kind or a mapped column: {', '.join(sorted(known))}",
        )


def _known_names(register: Register) -> set[str]:
    names: set[str] = set()
    for store in register.stores.values():
        for mapping in store.tables.values():
            names |= set(mapping.identity) | set(mapping.columns)
    return names


def apply(finder: Finder, update: Update) -> int:
    graph = finder.graphs_by_id[update.store]
    table = finder.tables(graph)[update.table]
    pk = [table.c[column] for column in graph.mapping(update.table).key_columns()]
    with finder.engine(update.store).begin() as connection:
        result = connection.execute(
            table.update().where(key_in(pk, update.keys)).values({update.column: update.value})
        )
    return int(result.rowcount)
