"""The scope of a breach, stated against the register's mapping.

A scope names what was reached: whole stores, tables, or some columns of a table; optionally
only the rows created or changed in a time window, and only one client's rows (a tenant). It is
checked against the mapping when stated, so a typo is refused before anything is counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registre._exceptions import BreachError
from registre.register.model import Register


@dataclass(frozen=True)
class Scope:
    """What a breach reached. Targets are ``store``, ``store.table`` or ``store.table.column``."""

    targets: tuple[str, ...]
    since: datetime | None = None
    """Only rows created or changed at or after this instant (aware)."""
    until: datetime | None = None
    """Only rows created or changed before this instant (aware)."""
    tenant: str | None = None
    """Only the rows of this client (the value of the tenants table's key)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "targets": list(self.targets),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "tenant": self.tenant,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Scope:
        return cls(
            targets=tuple(value["targets"]),
            since=datetime.fromisoformat(value["since"]) if value.get("since") else None,
            until=datetime.fromisoformat(value["until"]) if value.get("until") else None,
            tenant=value.get("tenant"),
        )

    def tables(self, register: Register) -> dict[tuple[str, str], tuple[str, ...] | None]:
        """Each (store, table) reached, with the columns reached (None: every column)."""
        reached: dict[tuple[str, str], tuple[str, ...] | None] = {}
        for target in self.targets:
            parts = target.split(".")
            store = register.stores[parts[0]]
            if len(parts) == 1:
                for table in store.tables:
                    reached[parts[0], table] = None
            elif len(parts) == 2:
                reached[parts[0], parts[1]] = None
            else:
                key = (parts[0], parts[1])
                if key in reached and reached[key] is None:
                    continue
                reached[key] = (*(reached.get(key) or ()), parts[2])
        return reached


def parse_targets(register: Register, written: list[str]) -> tuple[str, ...]:
    """Targets as written (``table``, ``store.table``, ``table.column``...), checked against
    the mapping and completed with their store."""
    if not register.stores:
        raise BreachError(
            "the register maps no store, so a breach cannot be scoped against it",
            hint="declare the databases under 'stores:' (docs/register-format.md), or record "
            "the breach without a scope",
        )
    found: list[str] = []
    for text in written:
        found.append(_target(register, text.strip()))
    if not found:
        raise BreachError(
            "a scope needs at least one store, table or column",
            hint="give --scope TABLE (or STORE, STORE.TABLE, TABLE.COLUMN)",
        )
    return tuple(dict.fromkeys(found))


def _target(register: Register, text: str) -> str:
    parts = text.split(".")
    if parts[0] in register.stores:
        store_id, rest = parts[0], parts[1:]
    elif len(register.stores) == 1:
        store_id, rest = next(iter(register.stores)), parts
    else:
        raise BreachError(
            f"the scope {text!r} names no store of the register",
            hint=f"begin it with a store: {', '.join(register.stores)}",
        )
    store = register.stores[store_id]
    if not rest:
        return store_id
    table = rest[0]
    if table not in store.tables:
        raise BreachError(
            f"the scope {text!r} names table {table!r}, which store {store_id!r} does not map",
            hint=f"its mapped tables: {', '.join(store.tables)}",
        )
    if len(rest) == 1:
        return f"{store_id}.{table}"
    column = rest[1]
    mapping = store.tables[table]
    if len(rest) > 2 or column not in mapping.columns:
        raise BreachError(
            f"the scope {text!r} names column {'.'.join(rest[1:])!r}, which is not a mapped "
            f"personal data column of {table!r}",
            hint=f"its personal data columns: {', '.join(mapping.columns) or 'none'}",
        )
    return f"{store_id}.{table}.{column}"
