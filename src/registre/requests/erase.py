"""Erasure (Art. 17): what happens to each of the person's rows, decided from the register.

For each row found for the person, in this order of precedence:

* a catalogue's rows (products), and rows the person's data only references that hold nothing
  personal, are not the person's: never touched;
* a table we hold only as a processor is not touched: the request goes to the controller;
* a row under a legal hold is kept as it is;
* the client's record of an organization (an account its holders' records reference) is the
  company's: kept as it is; the account's records reached through it (its payment methods) are
  kept while the client's contract runs (:mod:`registre.requests.contract`);
* a row a legal obligation still requires at the request's instant (invoices for 10 years,
  see :mod:`registre.requests.legal_obligation`) is kept; the obligation's columns are kept,
  its columns past their anonymization clock are anonymized with the register's methods, and
  its other personal columns are anonymized; a row past the obligation's deletion clocks is erased;
* a row shared with other people is kept; only the columns holding the person's identity are
  anonymized;
* a row linked to the person only through references declared ``on_delete: unlink`` (a
  manager's actions in the account's logs) is kept and unlinked, as deleting the person's
  record would leave it;
* a row the register anonymizes (every rule bound to its table says ``anonymize``) is
  anonymized with the mapping's methods;
* any other row is deleted, unless a row that stays still references it: then its personal
  columns are anonymized instead, so no reference is left dangling.

A table that a processor activity shares with a controller activity (the console's managers:
their account is the client's, their connection logs ours) is never deleted from: the columns
only our own activities process are erased (anonymized), and the rows go to the controller
with the request, which decides on the rest.

On the controller's instruction (``on_instruction``: ``registre request instruct``), the rows
given are those we hold for that controller, and they are decided as if they were ours: the
same holds, legal obligations, shared rows and references apply.

The plan is stored, then executed step by step, each step audited first: see
:mod:`registre.requests.erase_steps`. Pure: what the obligation requires of each row is read
before, by :func:`registre.requests.legal_obligation.evaluate`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from registre.engine import identities
from registre.register.mapping import TableMapping
from registre.register.model import Register
from registre.requests import table_activities
from registre.requests.contract import Running
from registre.requests.find import Finder, Found, Key, TableRows, own_identities
from registre.requests.graph import StoreGraph
from registre.requests.legal_obligation import Duties
from registre.requests.table_activities import RuleRef

if TYPE_CHECKING:
    from registre.state.holds import Hold

STEP_SIZE = 500


@dataclass
class Step:
    store: str
    table: str
    action: str  # delete | anonymize
    keys: list[Key]
    columns: dict[str, str] = field(default_factory=dict)


class Decision(NamedTuple):
    """What happens to one row."""

    action: str  # delete | anonymize | kept | forwarded
    reason: str
    columns: dict[str, str]
    until: date | None = None


@dataclass
class Outcome:
    """What happens to the rows of one table, for the letter and the request's result."""

    store: str
    table: str
    action: str  # deleted | anonymized | kept | forwarded
    count: int
    reason: str = ""  # legal_obligation | hold | shared | unlinked | referenced | register |
    # processor | organization | contract
    columns: list[str] = field(default_factory=list)
    rules: list[tuple[str, str]] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)
    until: date | None = None
    """The last day rows kept under a legal obligation are kept (None when not known)."""

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
            "until": self.until.isoformat() if self.until else None,
        }


@dataclass
class ErasurePlan:
    steps: list[Step] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


def plan_erasure(
    register: Register,
    finder: Finder,
    found: Found,
    holds: list[Hold],
    step_size: int = STEP_SIZE,
    duties: Duties | None = None,
    *,
    on_instruction: bool = False,
    running: Running | None = None,
) -> ErasurePlan:
    """Decide what happens to each of the person's rows (see the module docstring).

    ``duties``: what a legal obligation still requires of each row, from
    :func:`registre.requests.legal_obligation.evaluate`; a table missing from it is kept whole.
    ``on_instruction``: ``found`` holds the rows of one controller, who instructed us to
    erase them; rows held as a processor are decided as our own.
    ``running``: the client records whose contract still runs, from
    :func:`registre.requests.contract.running_contracts`; the account's records reached
    through them are kept.
    """
    plan = ErasurePlan()
    decisions: dict[tuple[str, str], dict[Key, Decision]] = {}
    for rows in found:
        if not rows.rows or finder.graphs_by_id[rows.store].is_catalogue(rows.table):
            continue  # a catalogue's rows are context, never the person's to erase
        decisions[(rows.store, rows.table)] = _decide(
            register, finder, rows, found, holds, duties or {}, on_instruction, running or {}
        )
    _pin(finder, found, decisions)
    for (store, table_name), by_key in decisions.items():
        graph = finder.graphs_by_id[store]
        mapping = graph.mapping(table_name)
        personal = _personal_columns(mapping, finder.tables(graph)[table_name])
        grouped: dict[tuple[str, str, str], list[Key]] = defaultdict(list)
        for key, decision in by_key.items():
            columns_text = json.dumps(decision.columns, sort_keys=True)
            grouped[(decision.action, decision.reason, columns_text)].append(key)
        for (action, reason, columns_text), keys in sorted(grouped.items()):
            columns = json.loads(columns_text)
            if action in ("delete", "anonymize") and (action == "delete" or columns):
                ordered = sorted(keys, key=repr)
                for start in range(0, len(ordered), step_size):
                    chunk = ordered[start : start + step_size]
                    plan.steps.append(Step(store, table_name, action, chunk, columns))
            outcome_action = {"delete": "deleted", "anonymize": "anonymized"}.get(action, action)
            kept = [c for c in personal if c not in columns]
            if action == "anonymize" and reason in ("legal_obligation", "shared") and kept:
                outcome_action = "kept"
            if action == "anonymize" and reason == "unlinked":
                outcome_action = "kept"
            until = None
            if reason == "legal_obligation":
                days = [by_key[k].until for k in keys]
                until = None if None in days else max(d for d in days if d is not None)
            plan.outcomes.append(
                Outcome(
                    store,
                    table_name,
                    outcome_action,
                    len(keys),
                    reason,
                    sorted(columns),
                    until=until,
                )
            )
        if table_activities.partly_processor(register, mapping) and not on_instruction:
            plan.outcomes.append(Outcome(store, table_name, "forwarded", len(by_key), "processor"))
    plan.steps += _unlink_self_references(finder, decisions, step_size)
    plan.steps = _children_first(finder, plan.steps)
    _attach_rules(register, finder, plan)
    return plan


def _decide(
    register: Register,
    finder: Finder,
    rows: TableRows,
    found: Found,
    holds: list[Hold],
    duties: Duties,
    on_instruction: bool = False,
    running: Running | None = None,
) -> dict[Key, Decision]:
    graph = finder.graphs_by_id[rows.store]
    contracts = (running or {}).get(rows.store, set())
    account_edges = [e for e in graph.parents(rows.table) if e.parent == graph.tenant_table]
    mapping = graph.mapping(rows.table)
    table = finder.tables(graph)[rows.table]
    out: dict[Key, Decision] = {}
    if table_activities.processor_only(register, mapping) and not on_instruction:
        for key in rows.rows:
            out[key] = Decision("forwarded", "processor", {})
        return out
    bindings: dict[str, str] = {}
    rule_refs = table_activities.table_rules(register, mapping)
    for binding in mapping.rules.values():
        bindings.update(binding.anonymize)
    register_anonymizes = bool(rule_refs) and all(
        ref.rule.action == "anonymize" for ref in rule_refs
    )
    duty = table_activities.legal_duty_rules(register, mapping)
    table_duties = duties.get((rows.store, rows.table))
    personal = _personal_columns(mapping, table)
    # a hold by phone keeps the person asking by email: their own rows hold that phone
    own = own_identities(finder, found) if any(h.identity for h in holds) else []
    person_holds = [
        h
        for h in holds
        if h.kind == "person" and (h.covers_person(found.identity) or h.covers_any(own))
    ]
    for key in rows.rows:
        if not personal and rows.via[key] == "parent":
            continue  # referenced, with nothing personal in it (a product): not theirs to erase
        status = table_duties.get(key) if table_duties is not None else None
        if person_holds or any(
            h.kind == "record" and h.covers_record(rows.store, rows.table, key) for h in holds
        ):
            out[key] = Decision("kept", "hold", {})
        elif graph.is_organization(rows.table):
            # the client's record is an organization's, not the person's, even where it names
            # them as its contact: the client decides on it
            out[key] = Decision("kept", "organization", {})
        elif _about_row(register, mapping, duty, rows.context[key]) and (
            table_duties is None or status is not None
        ):
            keeping = list(status.keeping) if status else duty
            past = dict(status.anonymize) if status else {}
            needed = table_activities.kept_columns(register, mapping, keeping) - set(past)
            columns = _methods([c for c in personal if c not in needed], bindings | past, table)
            until = status.until if status else None
            out[key] = Decision("anonymize", "legal_obligation", columns, until)
        elif rows.via[key] == "account" and any(
            rows.value(key, edge.column) in contracts for edge in account_edges
        ):
            # the account's records while its contract runs: the company's, still necessary
            out[key] = Decision("kept", "contract", {})
        elif key in rows.shared:
            mine = [
                column
                for kind, column in mapping.identity_columns()
                if kind in found.identity
                and column not in mapping.key_columns()
                and identities.holds(kind, rows.value(key, column), found.identity[kind])
            ]
            out[key] = Decision("anonymize", "shared", _methods(mine, bindings, table))
        elif (unlinked := _unlinked(graph, found, rows, key)) is not None:
            out[key] = Decision("anonymize", "unlinked", unlinked)
        elif register_anonymizes and bindings:
            out[key] = Decision("anonymize", "register", dict(sorted(bindings.items())))
        else:
            out[key] = Decision("delete", "", {})
    held = set() if on_instruction else _held_for_controller(register, mapping, personal)
    if held:
        for key, decision in out.items():
            out[key] = _ours_only(decision, held, personal, bindings, table)
    return out


def _about_row(
    register: Register, mapping: TableMapping, rules: list[RuleRef], context: str | None
) -> list[RuleRef]:
    """The rules that may keep a row about people of ``context``: in a table holding several
    kinds of people, only those of activities about that kind (an employees' obligation
    never keeps a customer's address)."""
    if context is None or len(mapping.subject_ids()) < 2:
        return rules
    return [r for r in rules if context in register.activities[r.activity_id].subjects]


def _held_for_controller(
    register: Register, mapping: TableMapping, personal: list[str]
) -> set[str]:
    """Personal columns a processor activity processes: their controller decides on them."""
    if not table_activities.partly_processor(register, mapping):
        return set()
    return {c for c in personal if table_activities.held_for_controller(register, mapping, c)}


def _ours_only(
    decision: Decision,
    held: set[str],
    personal: list[str],
    bindings: dict[str, str],
    table: sa.Table,
) -> Decision:
    """A decision on a row we hold partly for a controller: only our own columns change.

    The row is never deleted (it is the controller's to delete); its references are left as
    they are (the controller's too).
    """
    if decision.action == "delete":
        columns = _methods([c for c in personal if c not in held], bindings, table)
        reason = "processor"
    elif decision.action == "anonymize":
        columns = {c: m for c, m in decision.columns.items() if c in personal and c not in held}
        reason = decision.reason
    else:
        return decision
    if not columns:
        return Decision("forwarded", "processor", {})
    return Decision("anonymize", reason, columns, decision.until)


def _unlinked(graph: StoreGraph, found: Found, rows: TableRows, key: Key) -> dict[str, str] | None:
    """The references to clear when the row is the person's only through ``unlink`` ones.

    A row found through the person's own identity, or also linked to one of their rows
    through a reference that blocks, is theirs: None. References to the client's record
    (``tenants``) link a row to a company, not to a person.
    """
    if rows.via[key] == "identity":
        return None
    unlink: list[str] = []
    for edge in graph.parents(rows.table):
        if edge.parent == graph.tenant_table:
            continue
        parent = found.tables.get((graph.store_id, edge.parent))
        value = rows.value(key, edge.column)
        if parent is None or value is None or value not in parent.value_set(edge.target):
            continue
        if not edge.unlink:
            return None
        unlink.append(edge.column)
    return {column: "null" for column in sorted(unlink)} or None


def _personal_columns(mapping: TableMapping, table: sa.Table) -> list[str]:
    return [c for c in table_activities.personal_columns(mapping) if c in table.c]


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


def _pin(
    finder: Finder, found: Found, decisions: dict[tuple[str, str], dict[Key, Decision]]
) -> None:
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
                if decision.action != "delete":
                    continue
                if key in rows.pinned or any(
                    rows.value(key, target) in values for target, values in staying.items()
                ):
                    bindings: dict[str, str] = {}
                    for binding in mapping.rules.values():
                        bindings.update(binding.anonymize)
                    columns = _methods(_personal_columns(mapping, table), bindings, table)
                    by_key[key] = Decision("anonymize", "referenced", columns)
                    changed = True


def _staying_targets(
    graph: StoreGraph,
    found: Found,
    decisions: dict[tuple[str, str], dict[Key, Decision]],
    table: str,
) -> dict[str, set[Any]]:
    """Per referenced column of ``table``: the values that rows of the person which stay hold."""
    out: dict[str, set[Any]] = defaultdict(set)
    for edge in graph.children(table):
        child = found.tables.get((graph.store_id, edge.child))
        if child is None:
            continue
        child_decisions = decisions.get((graph.store_id, edge.child), {})
        index = child.columns.index(edge.column)
        for child_key, values in child.rows.items():
            decision = child_decisions.get(child_key)
            if decision is not None and (
                decision.action == "delete" or decision.columns.get(edge.column) == "null"
            ):
                continue  # deleted, or its reference cleared first
            if values[index] is not None:
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
        keys = sorted((k for k, d in by_key.items() if d.action == "delete"), key=repr)
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


def _depth(graph: StoreGraph, table: str, seen: set[str]) -> int:
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
            table_activities.legal_duty_rules(register, mapping)
            if outcome.reason == "legal_obligation"
            else table_activities.table_rules(register, mapping)
        )
        outcome.rules = [(ref.activity_id, ref.rule_id) for ref in refs]
