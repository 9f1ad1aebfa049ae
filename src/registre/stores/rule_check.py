"""The retention-rule half of the mapping check: clocks, count caps, anonymization methods.

The conditions mirror those under which the sweep planner (:mod:`registre.engine.plan`) refuses
a mapping, so that ``registre check --connect`` reports them before a sweep is attempted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import get_args

from registre.engine.anonymize import CONSTANT
from registre.register.mapping import AnonymizeMethod, RuleBinding, TableMapping
from registre.register.model import Register, RetentionRule
from registre.stores.live_schema import Checks, LiveTable, Loc, MappingProblem
from registre.stores.privileges import Write

METHODS: tuple[str, ...] = get_args(AnonymizeMethod)
NOT_RECOGNISABLE = frozenset({"hash", "fake_name"})
"""Anonymization methods whose output looks like real data: the row needs an anonymized_at mark."""
UNIQUE_METHODS = "'redact_unique' (writes redacted-<key>), 'fake_email' or 'hash' (keyed)"
"""The methods that keep a UNIQUE column's values unique, as a refusal's hint names them."""


class RuleChecks(Checks):
    """Checks of the rules bound to a table; mixed into the mapping checker."""

    def _rules(self, name: str, mapping: TableMapping, live: LiveTable) -> Iterator[MappingProblem]:
        for rule_id, binding in mapping.rules.items():
            try:
                activity_id, rule = self.register.rule(rule_id)
            except KeyError:
                continue  # the register's own check reports unknown rule ids
            yield from self._clocks(name, mapping, rule_id, rule)
            yield from self._count_cap(name, rule_id, rule, binding)
            if rule.action == "anonymize":
                yield from self._anonymize(name, mapping, rule_id, activity_id, rule, binding)
            else:
                # a delete rule's methods are what an erasure writes into a row it must keep
                yield from self._writable(name, mapping, live, rule_id, binding)

    def _has_event(self, name: str, mapping: TableMapping, event: str) -> bool:
        if event in mapping.events:
            return True
        # the end of a client's contract is read on the tenants table, through the tenant column
        tenants = self.store.tenants
        return (
            event == "contract_ended"
            and tenants is not None
            and tenants.contract_ended is not None
            and (name == tenants.table or mapping.tenant is not None)
        )

    def _clocks(
        self, name: str, mapping: TableMapping, rule_id: str, rule: RetentionRule
    ) -> Iterator[MappingProblem]:
        at: Loc = ("rules", rule_id)
        events = [clock.event for clock in rule.after]
        unmapped = [event for event in events if not self._has_event(name, mapping, event)]
        if unmapped and len(unmapped) == len(events):
            yield self.problem(
                name,
                None,
                "the rule can never fire: none of its events ("
                + ", ".join(events)
                + ") has a timestamp on this table",
                f"map them under 'events:', such as '{events[0]}: <column>' or "
                f"'{events[0]}: <reference>.<column>'",
                rule=rule_id,
                at=at,
            )
            return
        for event in unmapped:
            yield self.problem(
                name,
                None,
                f"the rule starts a clock at '{event}', but the table gives no "
                "timestamp for that event: the rule cannot be enforced as written",
                f"map it under 'events:' ('{event}: <column>' or '{event}: <reference>.<column>')"
                ", or change the rule in the register",
                rule=rule_id,
                at=at,
            )
        for clock in rule.at_least:
            if not self._has_event(name, mapping, clock.event):
                yield self.problem(
                    name,
                    None,
                    f"the rule keeps rows at least '{clock}', but the table gives no timestamp "
                    f"for '{clock.event}': the minimum cannot be checked, so nothing is deleted",
                    f"map it under 'events:' ('{clock.event}: <column>'), or change the rule",
                    rule=rule_id,
                    at=(*at, "at_least"),
                )
        if rule.client_agreed and self._tenant_months_missing(name, mapping):
            yield self.problem(
                name,
                None,
                "the rule lets each client agree its own period, but the mapping "
                "cannot find a client's period for these rows",
                "give the table a 'tenant:' and the store 'tenants: {table, retention_months}'",
                rule=rule_id,
                at=at,
            )

    def _tenant_months_missing(self, name: str, mapping: TableMapping) -> bool:
        tenants = self.store.tenants
        return (
            tenants is None
            or tenants.retention_months is None
            or (name != tenants.table and mapping.tenant is None)
        )

    def _count_cap(
        self, name: str, rule_id: str, rule: RetentionRule, binding: RuleBinding
    ) -> Iterator[MappingProblem]:
        if rule.keep_last is None:
            return
        at: Loc = ("rules", rule_id)
        if binding.per is None or binding.order_by is None:
            yield self.problem(
                name,
                None,
                f"the rule keeps the last {rule.keep_last.count} records, but the "
                "mapping does not say per what and in which order",
                "give 'per: <column>' (such as device_id) and 'order_by: <timestamp column>'",
                rule=rule_id,
                at=at,
            )
        elif "." in binding.per:
            yield self.problem(
                name,
                binding.per,
                "'per' of a count cap must be a column of the table itself",
                "count per a local column, such as device_id",
                rule=rule_id,
                at=(*at, "per"),
            )

    def _anonymize(
        self,
        name: str,
        mapping: TableMapping,
        rule_id: str,
        activity_id: str,
        rule: RetentionRule,
        binding: RuleBinding,
    ) -> Iterator[MappingProblem]:
        at: Loc = ("rules", rule_id, "anonymize")
        categories = set(self.register.rule_categories(activity_id, rule))
        for column, category in mapping.columns.items():
            if category in categories and column not in binding.anonymize:
                yield self.problem(
                    name,
                    column,
                    f"the rule anonymizes '{category}' data but gives no method for this column",
                    f"add '{column}: <method>' under 'anonymize:' ({', '.join(METHODS)})",
                    rule=rule_id,
                    at=at,
                )
        if not binding.anonymize and not any(c in categories for c in mapping.columns.values()):
            yield self.problem(
                name,
                None,
                "the rule anonymizes, but the mapping gives no column to anonymize",
                "list the columns and their methods under 'anonymize:'",
                rule=rule_id,
                at=("rules", rule_id),
            )
        references = {ref.column for ref in mapping.references.values()}
        for column, method in binding.anonymize.items():
            if column == mapping.primary_key:
                yield self.problem(
                    name,
                    column,
                    "the primary key cannot be anonymized",
                    "remove it from 'anonymize:'",
                    rule=rule_id,
                    at=at,
                )
            elif column in references and method != "null":
                yield self.problem(
                    name,
                    column,
                    f"a reference can only be unlinked ('null'), not '{method}'",
                    f"write '{column}: \"null\"'",
                    rule=rule_id,
                    at=at,
                )
        table = self.schema.tables[name]
        yield from self._writable(name, mapping, table, rule_id, binding, declared_key=False)
        opaque = sorted(c for c, m in binding.anonymize.items() if m in NOT_RECOGNISABLE)
        marker = binding.anonymized_at
        if opaque and marker is None:
            yield self.problem(
                name,
                opaque[0],
                f"{', '.join(opaque)} cannot be told from real data once "
                "anonymized, so every sweep would anonymize the rows again",
                "add 'anonymized_at: <timestamp column>' to the rule binding",
                rule=rule_id,
                at=("rules", rule_id),
            )
        live = self.schema.tables[name].columns.get(marker) if marker else None
        if live is not None and not live.temporal:
            yield self.problem(
                name,
                marker,
                f"'anonymized_at' is a {live.type} column; the sweep stamps it with a timestamp",
                "use a nullable timestamp column",
                rule=rule_id,
                at=("rules", rule_id, "anonymized_at"),
            )

    def _writable(
        self,
        name: str,
        mapping: TableMapping,
        live: LiveTable,
        rule_id: str,
        binding: RuleBinding,
        *,
        declared_key: bool = True,
    ) -> Iterator[MappingProblem]:
        """Methods the live schema would refuse at the first or second row they write."""
        at: Loc = ("rules", rule_id, "anonymize")
        for column, method in binding.anonymize.items():
            own = live.columns.get(column)
            if own is None:
                continue  # reported as a missing column
            if column == mapping.primary_key:
                if not declared_key:
                    continue  # an anonymize rule reports it with its other columns
                yield self.problem(
                    name,
                    column,
                    "the primary key cannot be anonymized",
                    "remove it from 'anonymize:'",
                    rule=rule_id,
                    at=at,
                )
            elif column in live.primary_key:
                yield self.problem(
                    name,
                    column,
                    "the column is part of the table's primary key in the database: "
                    "it cannot be anonymized",
                    "remove it from 'anonymize:'",
                    rule=rule_id,
                    at=at,
                )
            elif method == "null" and not own.nullable:
                yield self.problem(
                    name,
                    column,
                    "'null' on a NOT NULL column: the database refuses the write",
                    "use a method that writes a value ("
                    + ("'redact_unique'" if live.is_unique(column) else "'redact'")
                    + "), or make the column nullable",
                    rule=rule_id,
                    at=(*at, column),
                )
            elif method in CONSTANT and live.is_unique(column):
                yield self.problem(
                    name,
                    column,
                    f"'{method}' writes the same value into many rows, and the column is "
                    "UNIQUE: the database refuses the second row anonymized",
                    f"use a method that keeps values unique: {UNIQUE_METHODS}",
                    rule=rule_id,
                    at=(*at, column),
                )


def rule_writes(register: Register, store_id: str) -> list[tuple[Write, str]]:
    """The writes the store's rules make, each with the rule that makes it."""
    store = register.stores[store_id]
    writes: list[tuple[Write, str]] = []
    for name, mapping in store.tables.items():
        for rule_id, binding in mapping.rules.items():
            try:
                _, rule = register.rule(rule_id)
            except KeyError:
                continue
            if rule.action == "anonymize":
                columns = [*binding.anonymize, *filter(None, [binding.anonymized_at])]
                writes += [(Write(name, "UPDATE", column), rule_id) for column in columns]
            else:
                writes.append((Write(name, "DELETE"), rule_id))
                for child, child_mapping in store.tables.items():
                    for ref in child_mapping.references.values():
                        if ref.table == name and ref.on_delete == "unlink":
                            writes.append((Write(child, "UPDATE", ref.column), rule_id))
    return writes


def privilege_problems(
    store_id: str, writes: list[tuple[Write, str]], refused: list[Write], dialect: str
) -> list[MappingProblem]:
    """One problem per write the database refuses, naming the rule (or request) that makes it."""
    out = []
    by_write = dict(reversed(writes))  # the first rule that makes each write
    for write in refused:
        if dialect == "sqlite":
            hint = "open the database read-write (a writable file, no 'mode=ro' in its URL)"
        elif write.column is None:
            hint = f"GRANT {write.privilege} ON {write.table} TO <the store's user>"
        else:
            hint = (
                f"GRANT {write.privilege} ({write.column}) ON {write.table} TO <the store's user>"
            )
        verb = "delete rows from" if write.privilege == "DELETE" else "update"
        out.append(
            MappingProblem(
                store_id,
                write.table,
                write.column,
                by_write.get(write) or None,
                f"the database does not let registre {verb} "
                + ("this column" if write.column else "this table")
                + f" ({write.privilege} privilege), and the write is planned",
                hint,
                ("stores", store_id, "tables", write.table),
            )
        )
    return out
