"""The live schema of a store, as the database reports it, and the problems found against it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, inspect
from sqlalchemy.types import Date, DateTime, TypeEngine

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
            column["name"]: LiveColumn(
                _type_name(column["type"]),
                _temporal(column["type"]),
                bool(column.get("nullable", True)),
            )
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
