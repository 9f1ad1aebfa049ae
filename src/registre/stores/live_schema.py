"""The live schema of a store, as the database reports it, and the problems found against it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, exc, inspect
from sqlalchemy.engine import Inspector
from sqlalchemy.types import Date, DateTime, TypeEngine

if TYPE_CHECKING:
    from registre.register.mapping import DataStore
    from registre.register.model import Register

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class LiveColumn:
    """A column as the database reports it."""

    type: str
    temporal: bool
    nullable: bool = True


@dataclass(frozen=True)
class LiveTable:
    columns: dict[str, LiveColumn]
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    """The column sets of the table's UNIQUE constraints and unique indexes."""

    def is_unique(self, column: str) -> bool:
        """Whether the column alone must hold a different value in every row."""
        return (column,) in self.unique or self.primary_key == (column,)


@dataclass(frozen=True)
class LiveForeignKey:
    """A foreign key as the database declares it: ``table(columns) -> referred(columns)``."""

    table: str
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    on_delete: str | None = None
    """The database's ``ON DELETE`` action (CASCADE, SET NULL, ...); None when it refuses."""

    def __str__(self) -> str:
        own = ", ".join(self.columns)
        target = ", ".join(self.referred_columns)
        if len(self.columns) == 1:
            return f"{self.table}.{own} -> {self.referred_table}.{target}"
        return f"{self.table}({own}) -> {self.referred_table}({target})"


@dataclass(frozen=True)
class LiveSchema:
    """The tables of a database; ``tables`` holds the columns of the tables that were read.

    ``foreign_keys`` are those of every table of the database, so that a table the mapping
    does not name is seen when it points at one it does.
    """

    table_names: frozenset[str]
    tables: dict[str, LiveTable] = field(default_factory=dict)
    foreign_keys: tuple[LiveForeignKey, ...] = ()

    def foreign_keys_of(self, table: str) -> list[LiveForeignKey]:
        """The foreign keys declared on ``table``."""
        return [fk for fk in self.foreign_keys if fk.table == table]


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
        where = f"store '{self.store}'" + (f", table '{self.table}'" if self.table else "")
        if self.column:
            where += f", column '{self.column}'"
        if self.rule:
            where += f", rule '{self.rule}'"
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class Checks:
    """What the halves of the mapping check share: what they check, and how they report it."""

    register: Register
    store_id: str
    store: DataStore
    schema: LiveSchema

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


def reflect_schema(engine: Engine, tables: set[str] | None = None) -> LiveSchema:
    """Read the names and foreign keys of all tables, and the columns of ``tables``.

    All columns when ``tables`` is None; otherwise those of ``tables`` and of the tables whose
    foreign keys point into them (a check names their columns in its hint).
    """
    inspector = inspect(engine)
    names = frozenset(inspector.get_table_names())
    foreign_keys = _foreign_keys(inspector, names)
    wanted = names if tables is None else names & tables
    wanted |= {fk.table for fk in foreign_keys if fk.referred_table in wanted}
    live: dict[str, LiveTable] = {}
    unique = _unique(inspector, sorted(wanted))
    for name in sorted(wanted):
        columns = {
            column["name"]: LiveColumn(
                _type_name(column["type"]),
                _temporal(column["type"]),
                bool(column.get("nullable", True)),
            )
            for column in inspector.get_columns(name)
        }
        primary = inspector.get_pk_constraint(name).get("constrained_columns") or []
        live[name] = LiveTable(columns, tuple(primary), unique.get(name, ()))
    return LiveSchema(names, live, foreign_keys)


def _foreign_keys(inspector: Inspector, names: frozenset[str]) -> tuple[LiveForeignKey, ...]:
    """The foreign keys between tables of the default schema (others cannot be mapped)."""
    if not names:
        return ()
    local = {None, inspector.default_schema_name}
    found = []
    for (_, table), keys in sorted(inspector.get_multi_foreign_keys().items(), key=_by_table):
        for key in keys:
            if key.get("referred_schema") not in local or table not in names:
                continue
            found.append(
                LiveForeignKey(
                    table,
                    tuple(key["constrained_columns"]),
                    key["referred_table"],
                    tuple(str(c) for c in key["referred_columns"]),
                    _on_delete(key.get("options") or {}),
                )
            )
    return tuple(found)


def _unique(inspector: Inspector, names: list[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Per table, its UNIQUE constraints and unique indexes alike: the database refuses a
    duplicate either way. Read for all tables at once: one query each on PostgreSQL, where
    reading them table by table cost 210 ms for the 13 tables of the device-management example.
    """
    if not names:
        return {}
    # SQLite keeps an inline UNIQUE column as an automatic index only
    auto: dict[str, Any] = (
        {"include_auto_indexes": True} if inspector.dialect.name == "sqlite" else {}
    )
    with warnings.catch_warnings():
        # an index on an expression (lower(email)) says nothing of a column's own uniqueness
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", exc.SAWarning)
        constraints = inspector.get_multi_unique_constraints(filter_names=names)
        indexes = inspector.get_multi_indexes(filter_names=names, **auto)
    found: dict[str, set[tuple[str, ...]]] = {name: set() for name in names}
    for (_, table), items in constraints.items():
        found[table].update(tuple(str(c) for c in item["column_names"]) for item in items)
    for (_, table), reflected in indexes.items():
        for index in reflected:
            if index.get("unique") and all(index["column_names"]):
                found[table].add(tuple(str(c) for c in index["column_names"]))
    return {table: tuple(sorted(sets)) for table, sets in found.items()}


def _on_delete(options: dict[str, object]) -> str | None:
    action = str(options.get("ondelete") or "").upper()
    # NO ACTION and RESTRICT refuse the delete, as no clause does
    return None if action in ("", "NO ACTION", "RESTRICT") else action


def _by_table(item: tuple[tuple[str | None, str], object]) -> str:
    return item[0][1]


def _type_name(kind: TypeEngine[object]) -> str:
    try:
        return str(kind.compile())
    except Exception:  # a reflected type the default dialect cannot render
        return type(kind).__name__


def _temporal(kind: TypeEngine[object]) -> bool:
    return isinstance(kind, DateTime | Date)
