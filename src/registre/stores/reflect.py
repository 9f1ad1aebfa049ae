"""Compare a store's mapping with the live database schema, before anything is written.

:func:`check_mapping` reflects the schema (SQLAlchemy ``inspect``); :func:`mapping_problems` is
a pure function of the register and that schema, so the sweeper and request runner can call it
before each run and tests can feed it any schema. Every problem names the store, the table, the
column and the rule concerned, and says what to do. Tables, columns, references, events and
tenants are checked here; rules in :mod:`registre.stores.rule_check`, the database's foreign keys
in :mod:`registre.stores.links`, and what no rule covers in :mod:`registre.stores.coverage`.

Coverage gaps (a rule bound to no table, personal columns no rule limits) are asked for with
``coverage=True``, as ``registre check --connect`` does: they make the check fail but do not
refuse a sweep, which still enforces the rules that are bound; refusing it would keep more data
past its date, not less.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from sqlalchemy import Engine

from registre.engine import status_values
from registre.register.mapping import DataStore, TableMapping
from registre.register.model import Register
from registre.stores.coverage import CoverageChecks
from registre.stores.key_check import KeyChecks
from registre.stores.links import LinkChecks
from registre.stores.live_schema import (
    LiveColumn,
    LiveSchema,
    LiveTable,
    Loc,
    MappingProblem,
    reflect_schema,
)
from registre.stores.privileges import denied
from registre.stores.rule_check import RuleChecks, privilege_problems, rule_writes

__all__ = ["LiveSchema", "MappingProblem", "check_mapping", "mapping_problems", "reflect_schema"]


def check_mapping(
    register: Register, store_id: str, engine: Engine, *, coverage: bool = False
) -> list[MappingProblem]:
    """Reflect the store's database and return every mismatch with its mapping.

    With ``coverage``, also what the mapping leaves without a retention rule.
    """
    store = register.stores[store_id]
    wanted = set(store.tables) | ({store.tenants.table} if store.tenants else set())
    problems = mapping_problems(
        register, store_id, reflect_schema(engine, wanted), coverage=coverage
    )
    writes = rule_writes(register, store_id)
    refused = denied(engine, [write for write, _ in writes])
    return problems + privilege_problems(store_id, writes, refused, engine.dialect.name)


def mapping_problems(
    register: Register, store_id: str, schema: LiveSchema, *, coverage: bool = False
) -> list[MappingProblem]:
    """Every mismatch between the mapping of ``store_id`` and ``schema``, in table order."""
    return list(_Checker(register, store_id, schema, coverage=coverage).run())


class _Checker(RuleChecks, LinkChecks, CoverageChecks, KeyChecks):
    def __init__(
        self, register: Register, store_id: str, schema: LiveSchema, *, coverage: bool
    ) -> None:
        self.register = register
        self.store_id = store_id
        self.store: DataStore = register.stores[store_id]
        self.schema = schema
        self.coverage = coverage

    def run(self) -> Iterator[MappingProblem]:
        yield from self._tenants()
        for name, mapping in self.store.tables.items():
            live = self.schema.tables.get(name)
            if live is None:
                yield self._missing_table(name)
                continue
            yield from self._columns(name, mapping, live)
            yield from self._declared_key(name, mapping, live)
            yield from self._references(name, mapping, live)
            yield from self._foreign_keys(name, mapping)
            yield from self._events(name, mapping)
            yield from self._rules(name, mapping, live)
            if self.coverage:
                yield from self._coverage(name, mapping)
        yield from self._unmapped_dependants()
        if self.coverage:
            yield from self._unbound_rules()

    # -- tables and columns ---------------------------------------------------------------------

    def _missing_table(self, name: str) -> MappingProblem:
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
        named: list[tuple[str, Loc]] = [(key, ("primary_key",)) for key in mapping.key_columns()]
        named += [(col, ("identity", key)) for key, col in mapping.identity_columns()]
        named += [(ref.column, ("references", key)) for key, ref in mapping.references.items()]
        named += [(col, ("columns", col)) for col in mapping.columns]
        named += [(col, ("not_personal", i)) for i, col in enumerate(mapping.not_personal)]
        if mapping.language:
            named.append((mapping.language, ("language",)))
        for rule_id, binding in mapping.rules.items():
            named += [(col, ("rules", rule_id, "anonymize", col)) for col in binding.anonymize]
            if binding.order_by:
                named.append((binding.order_by, ("rules", rule_id, "order_by")))
            if binding.anonymized_at:
                named.append((binding.anonymized_at, ("rules", rule_id, "anonymized_at")))
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
        mapped = self._mapped(mapping, live) | self._linked_columns(name)
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
        paths += [(c.column, ("when", e, "column")) for e, c in mapping.when.items()]
        paths += [(p, ("latest_of", e)) for e, ps in mapping.latest_of.items() for p in ps]
        if mapping.tenant:
            paths.append((mapping.tenant, ("tenant",)))
        for rule_id, binding in mapping.rules.items():
            if binding.per:
                paths.append((binding.per, ("rules", rule_id, "per")))
            if binding.kept_while:
                paths.append((binding.kept_while, ("rules", rule_id, "kept_while")))
        return paths

    def _mapped(self, mapping: TableMapping, live: LiveTable) -> set[str]:
        """The columns the mapping accounts for, in any role."""
        mapped = {
            *mapping.key_columns(),
            *(c for _, c in mapping.identity_columns()),
            *mapping.columns,
        }
        mapped |= {ref.column for ref in mapping.references.values()}
        mapped |= set(mapping.not_personal) | set(live.primary_key)
        for binding in mapping.rules.values():
            mapped |= set(binding.anonymize)
            mapped |= {c for c in (binding.order_by, binding.anonymized_at) if c is not None}
        mapped |= {path for path, _ in self._paths(mapping) if "." not in path}
        tenants = self.store.tenants
        if tenants is not None and self.store.tables.get(tenants.table) is mapping:
            # the tenants section maps these columns of the clients' table
            named = (tenants.key, tenants.contract_ended, tenants.retention_months)
            mapped |= {column for column in named if column is not None}
        return mapped

    def _column_hint(self, column: str, table: str) -> str:
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
            own = live.columns.get(ref.column)
            if ref.on_delete == "unlink" and own is not None and not own.nullable:
                yield self.problem(
                    name,
                    ref.column,
                    f"reference '{ref_name}' is unlinked when '{ref.table}' rows are deleted, "
                    f"but the column '{ref.column}' is NOT NULL",
                    "make the column nullable, or use 'on_delete: block'",
                    at=(*at, "on_delete"),
                )
            target_mapping = self.store.tables.get(ref.table)
            target = ref.target or (target_mapping.key_columns()[0] if target_mapping else "id")
            if ref.target is None and target_mapping and len(target_mapping.key_columns()) > 1:
                keys = ", ".join(target_mapping.key_columns())
                yield self.problem(
                    name,
                    ref.column,
                    f"reference '{ref_name}' points at '{ref.table}', whose key has several "
                    f"columns ({keys}): one column cannot name one of its rows",
                    "give the referenced column as 'column -> table.column' when it is "
                    "UNIQUE, or reference a table whose key has one column",
                    at=at,
                )
                continue
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
        paths: list[tuple[str, Loc, str]] = [
            (path, ("events", event), f"event '{event}'") for event, path in mapping.events.items()
        ]
        for event, condition in mapping.when.items():
            at_when: Loc = ("when", event, "column")
            paths.append((condition.column, at_when, f"the status of event '{event}'"))
        for event, columns in mapping.latest_of.items():
            for index, path in enumerate(columns):
                paths.append((path, ("latest_of", event, index), f"event '{event}'"))
        if mapping.tenant:
            paths.append((mapping.tenant, ("tenant",), "the tenant"))
        for rule_id, binding in mapping.rules.items():
            if binding.per:
                paths.append((binding.per, ("rules", rule_id, "per"), f"'per' of rule '{rule_id}'"))
            if binding.kept_while:
                where: Loc = ("rules", rule_id, "kept_while")
                paths.append((binding.kept_while, where, f"'kept_while' of rule '{rule_id}'"))
        for path, at, what in paths:
            table, column, live, error = self._resolve(name, path)
            if error is not None:
                if "." not in path and error.startswith("table '") and "has no column" in error:
                    hint = self._column_hint(column, name)
                else:
                    hint = "write a column of this table, or 'reference.column' through a reference"
                yield self.problem(name, path, f"{what} is at '{path}': {error}", hint, at=at)
            elif at[0] == "when" and live is not None:
                yield from self._status_values(name, path, str(at[1]), table, column, live, mapping)
            elif at[0] in ("events", "latest_of") and live is not None and not live.temporal:
                yield self.problem(
                    name,
                    path,
                    f"{what} is at '{path}', a {live.type} column, not a date or "
                    "timestamp: a retention clock cannot start from it",
                    f"convert '{table}.{column}' to a timestamp, or map the event to a timestamp "
                    "column",
                    at=at,
                )

    def _status_values(
        self,
        name: str,
        path: str,
        event: str,
        table: str,
        column: str,
        live: LiveColumn,
        mapping: TableMapping,
    ) -> Iterator[MappingProblem]:
        """A status-dependent event's values the column cannot hold (text for an integer)."""
        python_type = status_values.type_of_name(live.type)
        condition = mapping.when[event]
        for index, value in enumerate(condition.in_):
            if not status_values.refused(python_type, [value]):
                continue
            assert python_type is not None  # a column of unknown type refuses nothing
            shown = str(value).lower() if isinstance(value, bool) else repr(value)
            yield self.problem(
                name,
                path,
                f"the status of event '{event}' is compared with {shown}, which the "
                f"{live.type} column '{table}.{column}' cannot hold: the event would never "
                "happen",
                f"write the values as '{table}.{column}' holds them "
                f"({status_values.kind_name(python_type)}), or give the event's status another "
                "column",
                at=("when", event, "in", index),
            )

    # -- rules ----------------------------------------------------------------------------------

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
