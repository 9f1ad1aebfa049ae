"""The coverage half of the mapping check: promises no table keeps, data no rule limits.

Two gaps the register alone shows once it maps a database, and that the lint does not report
(its retention codes read the activities, not the mapping):

- a measurable retention rule bound to no table never deletes or anonymizes anything;
- a mapped table whose personal-data columns no bound rule deletes or anonymizes keeps them
  forever.

They fail ``registre check --connect`` and do not refuse a sweep (see
:mod:`registre.stores.reflect`).

Each gap is reported once across the register's stores: an unbound rule in the store of the
tables holding its data (the first store when none does), and a column whose data an unbound
rule covers is left to that rule's report, which names the table to bind it to. A rule with
only a ``statement`` is left to the lint (RET003): there is nothing to bind. A column an
anonymize rule covers by its data category without giving it a method is left to the rule
checks, which say so.
"""

from __future__ import annotations

from collections.abc import Iterator

from registre.register.mapping import TableMapping
from registre.register.taxonomy import Action
from registre.stores.live_schema import Checks, MappingProblem


class CoverageChecks(Checks):
    """Checks that the mapping binds every rule and every personal column; mixed in."""

    def _coverage(self, name: str, mapping: TableMapping) -> Iterator[MappingProblem]:
        deletes = False
        covered: set[str] = set()
        for rule_id, binding in mapping.rules.items():
            try:
                activity_id, rule = self.register.rule(rule_id)
            except KeyError:
                continue  # the register's own check reports unknown rule ids
            if rule.action == Action.delete:
                deletes = True
                break
            covered |= set(binding.anonymize)
            categories = set(self.register.rule_categories(activity_id, rule))
            covered |= {c for c, category in mapping.columns.items() if category in categories}
        if deletes:
            return
        pending = {category for _, _, categories in self._unbound() for category in categories}
        uncovered = [
            column
            for column, category in mapping.columns.items()
            if column not in covered and category not in pending
        ]
        if not uncovered:
            return
        if mapping.rules:
            what = "no rule bound to the table deletes its rows or anonymizes "
        else:
            what = "no retention rule is bound to the table: nothing deletes or anonymizes "
        noun = "column" if len(uncovered) == 1 else "columns"
        yield self.problem(
            name,
            uncovered[0] if len(uncovered) == 1 else None,
            f"{what}the personal data in {noun} {', '.join(uncovered)}, which is kept forever",
            "add a delete rule of the activity that collects it under 'rules:' (it removes "
            "whole rows), or give these columns a method in an anonymize rule's 'anonymize:'; "
            "sweeps meanwhile enforce the rules that are bound",
            at=("columns", uncovered[0]),
        )

    def _unbound(self) -> list[tuple[str, str, set[str]]]:
        """The measurable rules no table binds: (activity id, rule id, data categories)."""
        bound = {
            rule_id
            for store in self.register.stores.values()
            for table in store.tables.values()
            for rule_id in table.rules
        }
        return [
            (activity_id, rule_id, set(self.register.rule_categories(activity_id, rule)))
            for activity_id, rule_id, rule in self.register.rules()
            if rule_id not in bound and rule.measurable
        ]

    def _unbound_rules(self) -> Iterator[MappingProblem]:
        first_store = next(iter(self.register.stores), None)
        for activity_id, rule_id, categories in self._unbound():
            holders = [
                (store_id, table_name)
                for store_id, store in self.register.stores.items()
                for table_name, table in store.tables.items()
                if categories & set(table.columns.values())
            ]
            home = holders[0][0] if holders else first_store
            if home != self.store_id:
                continue  # reported with the store that holds its data
            here = [table for store_id, table in holders if store_id == self.store_id]
            if here:
                hint = (
                    f"add '{rule_id}' under 'rules:' of the table{'s' if len(here) > 1 else ''} "
                    f"holding its data: {', '.join(here)}"
                )
            else:
                hint = (
                    f"map the table holding its data ({', '.join(sorted(categories))}) and add "
                    f"'{rule_id}' under its 'rules:'"
                )
            yield MappingProblem(
                self.store_id,
                here[0] if len(here) == 1 else "",
                None,
                rule_id,
                "the retention rule is bound to no table: nothing it promises is ever deleted "
                "or anonymized",
                hint + "; sweeps meanwhile enforce the rules that are bound",
                ("activities", activity_id, "retention", rule_id),
            )
