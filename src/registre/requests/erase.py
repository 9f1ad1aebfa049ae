"""Erasure (Art. 17): what happens to each of the person's rows, decided from the register.

For each row found for the person, in this order of precedence:

* a table we hold only as a processor is not touched: the request goes to the controller;
* a row under a legal hold is kept as it is;
* a row an activity under a legal obligation needs (invoices) is kept; its personal columns
  that the obligation does not cover are anonymized;
* a row shared with other people is kept; only the columns holding the person's identity are
  anonymized;
* a row the register anonymizes (every rule bound to its table says ``anonymize``) is
  anonymized with the mapping's methods;
* any other row is deleted, unless a row that stays still references it: then its personal
  columns are anonymized instead, so no reference is left dangling.

The plan is stored, then executed step by step, each step audited first: see
:mod:`registre.requests.erase_steps`. Pure but for the reads of :func:`kept_until`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from registre.register.model import Register
from registre.requests import scope
from registre.requests.find import Finder, Found, Key, Reading, TableRows
from registre.requests.identity import variants

STEP_SIZE = 500


@dataclass
class Step:
    store: str
    table: str
    action: str  # delete | anonymize
    keys: list[Key]
    columns: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    """What happens to the rows of one table, for the letter and the request's result."""

    store: str
    table: str
    action: str  # deleted | anonymized | kept | forwarded
    count: int
    reason: str = ""  # legal_obligation | hold | shared | referenced | register | processor
    columns: list[str] = field(default_factory=list)
    rules: list[tuple[str, str]] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "table": self.table,
            "action": self.action,
            "count": self.count,
            "reason": self.reason,
            "columns": self.columns,
            "rules": [f"{a}/{r}" for a, r in self.rules],
            "holds": self.holds,
        }


@dataclass
class ErasurePlan:
    steps: list[Step] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


def plan_erasure(
    register: Register, finder: Finder, found: Found, holds: list[Any], step_size: int = STEP_SIZE
) -> ErasurePlan:
    """Decide what happens to each of the person's rows (see the module docstring)."""
    plan = ErasurePlan()
    decisions: dict[tuple[str, str], dict[Key, tuple[str, str, dict[str, str]]]] = {}
    for rows in found:
        if not rows.rows:
            continue
        mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
        table = finder.tables(finder.graphs_by_id[rows.store])[rows.table]
        decisions[(rows.store, rows.table)] = _decide(
            register, rows, mapping, table, found, holds, plan
        )
    _pin(finder, found, decisions)
    for (store, table_name), by_key in decisions.items():
        grouped: dict[tuple[str, str, str], list[Key]] = defaultdict(list)
        for key, (action, reason, columns) in by_key.items():
            grouped[(action, reason, json.dumps(columns, sort_keys=True))].append(key)
        for (action, reason, columns_text), keys in sorted(grouped.items()):
            columns = json.loads(columns_text)
            if action in ("delete", "anonymize") and (action == "delete" or columns):
                for start in range(0, len(keys), step_size):
                    chunk = sorted(keys, key=repr)[start : start + step_size]
                    plan.steps.append(Step(store, table_name, action, chunk, columns))
            outcome_action = {"delete": "deleted", "anonymize": "anonymized"}.get(action, action)
            if action == "anonymize" and reason in ("legal_obligation", "shared"):
                outcome_action = "kept"
            plan.outcomes.append(
                Outcome(store, table_name, outcome_action, len(keys), reason, sorted(columns))
            )
    plan.steps += _unlink_self_references(finder, decisions, step_size)
    plan.steps = _children_first(finder, plan.steps)
    _attach_rules(register, finder, plan)
    return plan


def _decide(
    register: Register,
    rows: TableRows,
    mapping: Any,
    table: sa.Table,
    found: Found,
    holds: list[Any],
    plan: ErasurePlan,
) -> dict[Key, tuple[str, str, dict[str, str]]]:
    out: dict[Key, tuple[str, str, dict[str, str]]] = {}
    if scope.processor_only(register, mapping):
        for key in rows.rows:
            out[key] = ("forwarded", "processor", {})
        return out
    bindings: dict[str, str] = {}
    rule_refs = scope.table_rules(register, mapping)
    for binding in mapping.rules.values():
        bindings.update(binding.anonymize)
    register_anonymizes = bool(rule_refs) and all(
        ref.rule.action == "anonymize" for ref in rule_refs
    )
    duty = scope.legal_duty_rules(register, mapping)
    personal = _personal_columns(mapping, table)
    person_holds = [h for h in holds if h.kind == "person" and h.covers_person(found.identity)]
    for key in rows.rows:
        if person_holds or any(
            h.kind == "record" and h.covers_record(rows.store, rows.table, key) for h in holds
        ):
            out[key] = ("kept", "hold", {})
        elif duty:
            needed = scope.kept_columns(register, mapping, duty)
            columns = _methods([c for c in personal if c not in needed], bindings, table)
            out[key] = ("anonymize", "legal_obligation", columns)
        elif key in rows.shared:
            mine = [
                column
                for kind, column in mapping.identity.items()
                if kind in found.identity
                and column != mapping.primary_key
                and rows.value(key, column) in set(variants(kind, found.identity[kind]))
            ]
            out[key] = ("anonymize", "shared", _methods(mine, bindings, table))
        elif register_anonymizes and bindings:
            out[key] = ("anonymize", "register", dict(sorted(bindings.items())))
        else:
            out[key] = ("delete", "", {})
    return out


def _personal_columns(mapping: Any, table: sa.Table) -> list[str]:
    references = {ref.column for ref in mapping.references.values()}
    names = list(mapping.columns) + list(mapping.identity.values())
    return [
        c
        for c in dict.fromkeys(names)
        if c != mapping.primary_key and c not in references and c in table.c
    ]


def _methods(columns: list[str], bindings: dict[str, str], table: sa.Table) -> dict[str, str]:
    """Each column with the mapping's method, else NULL when allowed, else a redaction."""
    out = {}
    for column in columns:
        if column in bindings:
            out[column] = bindings[column]
        elif table.c[column].nullable:
            out[column] = "null"
        elif isinstance(table.c[column].type, sa.String):
            out[column] = "redact"
    return dict(sorted(out.items()))


def _pin(finder: Finder, found: Found, decisions: dict[tuple[str, str], dict[Key, Any]]) -> None:
    """Rows to delete that a staying row references are anonymized instead, to a fixpoint."""
    changed = True
    while changed:
        changed = False
        for (store, table_name), by_key in decisions.items():
            graph = finder.graphs_by_id[store]
            rows = found.tables[(store, table_name)]
            staying = _staying_targets(graph, found, decisions, table_name)
            mapping = graph.mapping(table_name)
            table = finder.tables(graph)[table_name]
            for key, decision in list(by_key.items()):
                if decision[0] != "delete":
                    continue
                if key in rows.pinned or any(
                    rows.value(key, target) in values for target, values in staying.items()
                ):
                    bindings: dict[str, str] = {}
                    for binding in mapping.rules.values():
                        bindings.update(binding.anonymize)
                    columns = _methods(_personal_columns(mapping, table), bindings, table)
                    by_key[key] = ("anonymize", "referenced", columns)
                    changed = True


def _staying_targets(graph: Any, found: Found, decisions: Any, table: str) -> dict[str, set[Any]]:
    """Per referenced column of ``table``: the values that rows of the person which stay hold."""
    out: dict[str, set[Any]] = defaultdict(set)
    for edge in graph.children(table):
        child = found.tables.get((graph.store_id, edge.child))
        if child is None:
            continue
        child_decisions = decisions.get((graph.store_id, edge.child), {})
        index = child.columns.index(edge.column)
        for child_key, values in child.rows.items():
            if child_decisions.get(child_key, ("",))[0] != "delete" and values[index] is not None:
                out[edge.target].add(values[index])
    return out


def _unlink_self_references(
    finder: Finder, decisions: dict[tuple[str, str], dict[Key, Any]], step_size: int
) -> list[Step]:
    """Clear references between rows of one table about to be deleted, before deleting them.

    Databases that check foreign keys row by row (MariaDB) refuse to delete a parent order
    before its child order even within one statement.
    """
    steps = []
    for (store, table_name), by_key in decisions.items():
        graph = finder.graphs_by_id[store]
        table = finder.tables(graph)[table_name]
        keys = sorted((k for k, d in by_key.items() if d[0] == "delete"), key=repr)
        for edge in graph.parents(table_name):
            if edge.parent == table_name and keys and table.c[edge.column].nullable:
                for start in range(0, len(keys), step_size):
                    chunk = keys[start : start + step_size]
                    steps.append(Step(store, table_name, "anonymize", chunk, {edge.column: "null"}))
    return steps


def _children_first(finder: Finder, steps: list[Step]) -> list[Step]:
    """Anonymizations first, then deletions with referencing tables before referenced ones."""
    depth: dict[tuple[str, str], int] = {}
    for graph in finder.graphs:
        for table in graph.store.tables:
            depth[(graph.store_id, table)] = _depth(graph, table, set())
    return sorted(
        steps,
        key=lambda s: (s.action == "delete", -depth.get((s.store, s.table), 0), s.store, s.table),
    )


def _depth(graph: Any, table: str, seen: set[str]) -> int:
    """How many references away from a table nothing references (cycles cut)."""
    if table in seen:
        return 0
    parents = [e.parent for e in graph.parents(table) if e.parent != table]
    if not parents:
        return 0
    return 1 + max(_depth(graph, p, seen | {table}) for p in parents)


def _attach_rules(register: Register, finder: Finder, plan: ErasurePlan) -> None:
    for outcome in plan.outcomes:
        mapping = finder.graphs_by_id[outcome.store].mapping(outcome.table)
        refs = (
            scope.legal_duty_rules(register, mapping)
            if outcome.reason == "legal_obligation"
            else scope.table_rules(register, mapping)
        )
        outcome.rules = [(ref.activity_id, ref.rule_id) for ref in refs]


def kept_until(
    register: Register,
    finder: Finder,
    found: Found,
    outcomes: list[Outcome],
    tz: Any,
    reading: Reading | None = None,
) -> dict[tuple[str, str], Any]:
    """The last day rows kept under a legal obligation are kept, when their clocks started.

    A rule is due at its earliest clock; a clock counts only when every kept row has its
    event (the account's deletion). Events are read from the row or one reference away.
    """
    from registre.durations import local_date

    out: dict[tuple[str, str], Any] = {}
    for outcome in outcomes:
        if outcome.reason != "legal_obligation":
            continue
        graph = finder.graphs_by_id[outcome.store]
        mapping = graph.mapping(outcome.table)
        keys = sorted(found.keys(outcome.store, outcome.table))
        days = []
        for activity_id, rule_id in outcome.rules:
            rule = register.activities[activity_id].retention[rule_id]
            for clock in rule.after:
                path = mapping.events.get(clock.event)
                latest = (
                    _latest_event(finder, graph, outcome.table, path, keys, reading)
                    if path
                    else None
                )
                if latest is not None:
                    days.append(clock.period.add_to(local_date(latest, tz)))
        out[(outcome.store, outcome.table)] = min(days) if days else None
    return out


def _latest_event(
    finder: Finder,
    graph: Any,
    table_name: str,
    path: str,
    keys: list[Key],
    reading: Reading | None = None,
) -> Any:
    """The latest event time among the rows; None when one of them has none."""
    tables = finder.tables(graph)
    table = tables[table_name]
    mapping = graph.mapping(table_name)
    pk = table.c[mapping.primary_key]
    head, _, rest = path.partition(".")
    source: Any
    if rest and "." not in rest:
        reference = mapping.references[head]
        parent = tables[reference.table]
        target = reference.target or graph.mapping(reference.table).primary_key
        column = parent.c[rest]
        source = table.join(parent, table.c[reference.column] == parent.c[target], isouter=True)
    elif not rest:
        column = table.c[head]
        source = table
    else:
        return None
    latest = None
    with ExitStack() as stack:
        if reading is None:
            reading = stack.enter_context(finder.reading())
        connection = reading.connection(graph.store_id)
        for start in range(0, len(keys), finder.batch):
            chunk = keys[start : start + finder.batch]
            query = sa.select(sa.func.max(column), sa.func.count() - sa.func.count(column))
            row = connection.execute(query.select_from(source).where(pk.in_(chunk))).one()
            if row[1]:
                return None
            if row[0] is not None and (latest is None or row[0] > latest):
                latest = row[0]
    return latest
