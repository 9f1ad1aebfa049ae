"""Compare a store's mapping with the live database schema, before anything is written.

:func:`reflect_schema` reads the schema (SQLAlchemy ``inspect``); :func:`mapping_problems` is a
pure function of the register and that schema, so the sweeper and request runner can call it
before each run and tests can feed it any schema. Every problem names the store, the table, the
column and the rule concerned, and says what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import get_args

from sqlalchemy import Engine, inspect
from sqlalchemy.types import Date, DateTime, TypeEngine

from registre.register.mapping import AnonymizeMethod, DataStore, RuleBinding, TableMapping
from registre.register.model import Register, RetentionRule

METHODS: tuple[str, ...] = get_args(AnonymizeMethod)
NOT_RECOGNISABLE = frozenset({"hash", "fake_name"})
"""Anonymization methods whose output looks like real data: the row needs an anonymized_at mark."""

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class LiveColumn:
    """A column as the database reports it."""

    type: str
    temporal: bool


@dataclass(frozen=True)
class LiveTable:
    columns: dict[str, LiveColumn]
    primary_key: tuple[str, ...] = ()


@dataclass(frozen=True)
class LiveSchema:
    """The tables of a database; ``tables`` holds the columns of the tables that were read."""

    table_names: frozenset[str]
    tables: dict[str, LiveTable] = field(default_factory=dict)


@dataclass(frozen=True)
class MappingProblem:
    """One mismatch between a store's mapping and its live schema."""

    store: str
    table: str
    column: str | None
    rule: str | None
    message: str
    hint: str = ""
    loc: Loc = ()
    """Where in the register the mapping says it: ('stores', store, 'tables', table, ...)."""

    def __str__(self) -> str:
        where = f"store '{self.store}', table '{self.table}'"
        if self.column:
            where += f", column '{self.column}'"
        if self.rule:
            where += f", rule '{self.rule}'"
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


def reflect_schema(engine: Engine, tables: set[str] | None = None) -> LiveSchema:
    """Read the names of all tables, and the columns of ``tables`` (all when None)."""
    inspector = inspect(engine)
    names = frozenset(inspector.get_table_names())
    wanted = names if tables is None else names & tables
    live: dict[str, LiveTable] = {}
    for name in sorted(wanted):
        columns = {
            column["name"]: LiveColumn(_type_name(column["type"]), _temporal(column["type"]))
            for column in inspector.get_columns(name)
        }
        primary = inspector.get_pk_constraint(name).get("constrained_columns") or []
        live[name] = LiveTable(columns, tuple(primary))
    return LiveSchema(names, live)


def _type_name(kind: TypeEngine[object]) -> str:
    try:
        return str(kind.compile())
    except Exception:  # a reflected type the default dialect cannot render
        return type(kind).__name__


def _temporal(kind: TypeEngine[object]) -> bool:
    return isinstance(kind, DateTime | Date)


def check_mapping(register: Register, store_id: str, engine: Engine) -> list[MappingProblem]:
    """Reflect the store's database and return every mismatch with its mapping."""
    store = register.stores[store_id]
    wanted = set(store.tables) | ({store.tenants.table} if store.tenants else set())
    return mapping_problems(register, store_id, reflect_schema(engine, wanted))


def mapping_problems(register: Register, store_id: str, schema: LiveSchema) -> list[MappingProblem]:
    """Every mismatch between the mapping of ``store_id`` and ``schema``, in table order."""
    return list(_Checker(register, store_id, schema).run())


class _Checker:
    def __init__(self, register: Register, store_id: str, schema: LiveSchema) -> None:
        self.register = register
        self.store_id = store_id
        self.store: DataStore = register.stores[store_id]
        self.schema = schema

    def problem(
        self,
        table: str,
        column: str | None,
        message: str,
        hint: str,
        *,
        rule: str | None = None,
        at: Loc = (),
    ) -> MappingProblem:
        base: Loc = ("stores", self.store_id, "tables", table)
        return MappingProblem(self.store_id, table, column, rule, message, hint, (*base, *at))

    def run(self) -> Iterator[MappingProblem]:
        yield from self._tenants()
        for name, mapping in self.store.tables.items():
            live = self.schema.tables.get(name)
            if live is None:
                yield self._missing_table(name)
                continue
            yield from self._columns(name, mapping, live)
            yield from self._references(name, mapping, live)
            yield from self._events(name, mapping)
            yield from self._rules(name, mapping, live)

    # -- tables and columns ---------------------------------------------------------------------

    def _missing_table(self, name: str) -> MappingProblem:
        import difflib

        # a renamed table shows up as a live table nobody maps
        unmapped = sorted(self.schema.table_names - set(self.store.tables))
        close = difflib.get_close_matches(name, unmapped, n=1, cutoff=0.6)
        if close:
            hint = f"was it renamed '{close[0]}'? then rename it in the mapping too"
        else:
            hint = "fix the table name in the mapping, or remove the table if the app dropped it"
        return self.problem(name, None, "the table does not exist in the database", hint)

    def _columns(
        self, name: str, mapping: TableMapping, live: LiveTable
    ) -> Iterator[MappingProblem]:
        named: list[tuple[str, Loc]] = [(mapping.primary_key, ("primary_key",))]
        named += [(col, ("identity", key)) for key, col in mapping.identity.items()]
        named += [(ref.column, ("references", key)) for key, ref in mapping.references.items()]
        named += [(col, ("columns", col)) for col in mapping.columns]
        named += [(col, ("not_personal", i)) for i, col in enumerate(mapping.not_personal)]
        for rule_id, binding in mapping.rules.items():
            named += [(col, ("rules", rule_id, "anonymize", col)) for col in binding.anonymize]
            if binding.order_by:
                named.append((binding.order_by, ("rules", rule_id, "order_by")))
        seen: set[str] = set()
        for column, at in named:
            if column in live.columns or column in seen:
                continue
            seen.add(column)
            yield self.problem(
                name,
                column,
                "the mapping names a column the table does not have",
                self._column_hint(column, name),
                at=at,
            )
        mapped = self._mapped(mapping, live)
        for column in live.columns:
            if column not in mapped:
                yield self.problem(
                    name,
                    column,
                    "the column is not mapped: it may hold personal data that no rule covers",
                    "add it under 'columns:' with its data category, or to 'not_personal:' "
                    "if it holds none",
                    at=("columns",),
                )

    @staticmethod
    def _paths(mapping: TableMapping) -> list[tuple[str, Loc]]:
        paths: list[tuple[str, Loc]] = [(p, ("events", e)) for e, p in mapping.events.items()]
        if mapping.tenant:
            paths.append((mapping.tenant, ("tenant",)))
        for rule_id, binding in mapping.rules.items():
            if binding.per:
                paths.append((binding.per, ("rules", rule_id, "per")))
        return paths

    def _mapped(self, mapping: TableMapping, live: LiveTable) -> set[str]:
        """The columns the mapping accounts for, in any role."""
        mapped = {mapping.primary_key, *mapping.identity.values(), *mapping.columns}
        mapped |= {ref.column for ref in mapping.references.values()}
        mapped |= set(mapping.not_personal) | set(live.primary_key)
        for binding in mapping.rules.values():
            mapped |= set(binding.anonymize) | ({binding.order_by} if binding.order_by else set())
        mapped |= {path for path, _ in self._paths(mapping) if "." not in path}
        return mapped

    def _column_hint(self, column: str, table: str) -> str:
        import difflib

        live = self.schema.tables[table]
        mapping = self.store.tables.get(table)
        # a renamed column shows up as a live column nobody maps
        mapped = self._mapped(mapping, live) if mapping else set()
        unmapped = sorted(set(live.columns) - mapped)
        close = difflib.get_close_matches(column, unmapped, n=1, cutoff=0.6) or [
            other for other in unmapped if column in other or other in column
        ]
        if close:
            return f"was it renamed '{close[0]}'? then rename it in the mapping too"
        return "fix the column name in the mapping, or add the column to the table"

    def _resolve(self, table: str, path: str) -> tuple[str, str, LiveColumn | None, str | None]:
        """Follow ``ref.ref.column`` from ``table``: (table, column, live column, error)."""
        *hops, column = path.split(".")
        current = table
        for hop in hops:
            mapping = self.store.tables.get(current)
            ref = mapping.references.get(hop) if mapping else None
            if ref is None:
                known = ", ".join(sorted(mapping.references)) if mapping else ""
                return (
                    current,
                    column,
                    None,
                    (
                        f"'{hop}' is not a reference of table '{current}'"
                        + (f" (its references: {known})" if known else " (it has no 'references:')")
                    ),
                )
            current = ref.table
        live = self.schema.tables.get(current)
        if live is None:
            return current, column, None, f"table '{current}' does not exist in the database"
        if column not in live.columns:
            return current, column, None, f"table '{current}' has no column '{column}'"
        return current, column, live.columns[column], None

    def _references(
        self, name: str, mapping: TableMapping, live: LiveTable
    ) -> Iterator[MappingProblem]:
        for ref_name, ref in mapping.references.items():
            target_live = self.schema.tables.get(ref.table)
            at: Loc = ("references", ref_name)
            if target_live is None:
                if ref.table in self.store.tables:
                    continue  # reported once, as a missing table
                yield self.problem(
                    name,
                    ref.column,
                    f"reference '{ref_name}' points at table "
                    f"'{ref.table}', which does not exist in the database",
                    "fix the table name of the reference",
                    at=at,
                )
                continue
            target_mapping = self.store.tables.get(ref.table)
            target = ref.target or (target_mapping.primary_key if target_mapping else "id")
            if target not in target_live.columns:
                yield self.problem(
                    name,
                    ref.column,
                    f"reference '{ref_name}' points at "
                    f"'{ref.table}.{target}', which does not exist",
                    "give the referenced column as 'column -> table.column'",
                    at=at,
                )

    def _events(self, name: str, mapping: TableMapping) -> Iterator[MappingProblem]:
        paths = [
            (path, ("events", event), f"event '{event}'") for event, path in mapping.events.items()
        ]
        if mapping.tenant:
            paths.append((mapping.tenant, ("tenant",), "the tenant"))
        for rule_id, binding in mapping.rules.items():
            if binding.per:
                paths.append((binding.per, ("rules", rule_id, "per"), f"'per' of rule '{rule_id}'"))
        for path, at, what in paths:
            table, column, live, error = self._resolve(name, path)
            if error is not None:
                if "." not in path and error.startswith("table '") and "has no column" in error:
                    hint = self._column_hint(column, name)
                else:
                    hint = "write a column of this table, or 'reference.column' through a reference"
                yield self.problem(name, path, f"{what} is at '{path}': {error}", hint, at=at)
            elif at[0] == "events" and live is not None and not live.temporal:
                yield self.problem(
                    name,
                    path,
                    f"{what} is at '{path}', a {live.type} column, not a date or "
                    "timestamp: a retention clock cannot start from it",
                    f"convert '{table}.{column}' to a timestamp, or map the event to a timestamp "
                    "column",
                    at=at,
                )

    # -- rules ----------------------------------------------------------------------------------

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
            elif binding.anonymize:
                yield self.problem(
                    name,
                    None,
                    "the rule deletes whole rows, so its 'anonymize' methods are never used",
                    "remove 'anonymize:', or make the rule's action 'anonymize' in the register",
                    rule=rule_id,
                    at=("rules", rule_id, "anonymize"),
                )

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
        opaque = sorted(c for c, m in binding.anonymize.items() if m in NOT_RECOGNISABLE)
        marker = getattr(binding, "anonymized_at", None)
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

    # -- tenants --------------------------------------------------------------------------------

    def _tenants(self) -> Iterator[MappingProblem]:
        tenants = self.store.tenants
        if tenants is None:
            return
        at_base: Loc = ("stores", self.store_id, "tenants")
        live = self.schema.tables.get(tenants.table)
        if live is None:
            yield MappingProblem(
                self.store_id,
                tenants.table,
                None,
                None,
                "the table of clients ('tenants') does not exist in the database",
                "fix 'tenants: table:'",
                (*at_base, "table"),
            )
            return
        for key in ("key", "contract_ended", "retention_months"):
            column = getattr(tenants, key)
            if column is None:
                continue
            if column not in live.columns:
                yield MappingProblem(
                    self.store_id,
                    tenants.table,
                    column,
                    None,
                    f"'tenants: {key}:' names a column the table does not have",
                    self._column_hint(column, tenants.table),
                    (*at_base, key),
                )
            elif key == "contract_ended" and not live.columns[column].temporal:
                yield MappingProblem(
                    self.store_id,
                    tenants.table,
                    column,
                    None,
                    f"the end of a client's contract is in a "
                    f"{live.columns[column].type} column, not a timestamp",
                    "use a date or timestamp column",
                    (*at_base, key),
                )
