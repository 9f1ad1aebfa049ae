"""The declared key half of the mapping check: a table's ``primary_key`` must name one row.

Everything registre does to a row goes through its key: an erasure's plan stores the keys to
delete, a record hold names one, a sweep writes in ranges of it. A declared key that several
rows share makes each of those act on rows nobody chose (the other person with the same
value). So the declared column must be the table's primary key, or a single column that a
UNIQUE constraint or unique index covers and that cannot be NULL (NULLs are never equal,
so a UNIQUE column may hold many).

A key of several columns (``primary_key: [order_id, item_no]``) must hold the columns of the
table's primary key, or of a UNIQUE constraint or unique index, in any order, and none of its
columns may be NULL: a row whose key has a NULL part is matched by no row-value comparison.
"""

from __future__ import annotations

from collections.abc import Iterator

from registre.register.mapping import TableMapping
from registre.stores.live_schema import Checks, LiveTable, MappingProblem


class KeyChecks(Checks):
    """Check of the declared primary key; mixed into the mapping checker."""

    def _declared_key(
        self, name: str, mapping: TableMapping, live: LiveTable
    ) -> Iterator[MappingProblem]:
        if not isinstance(mapping.primary_key, str) and len(mapping.primary_key) > 1:
            yield from self._declared_keys(name, tuple(mapping.primary_key), live)
            return
        key = mapping.key_columns()[0]
        column = live.columns.get(key)
        if column is None:
            return  # the column check reports a key the table does not have
        if live.primary_key == (key,):
            return
        unique = (key,) in live.unique
        if unique and not column.nullable:
            return
        if unique:
            message = (
                f"the declared primary_key '{key}' is UNIQUE but may be NULL: the rows "
                "without a value cannot be told apart"
            )
        elif key in live.primary_key:
            columns = ", ".join(live.primary_key)
            message = (
                f"the declared primary_key '{key}' is one column of the table's primary key "
                f"({columns}): several rows share each of its values"
            )
        else:
            message = (
                f"the declared primary_key '{key}' is neither the table's primary key nor "
                "UNIQUE: rows that share a value would be erased, held and swept together"
            )
        yield self.problem(name, key, message, _hint(key, live), at=("primary_key",))

    def _declared_keys(
        self, name: str, keys: tuple[str, ...], live: LiveTable
    ) -> Iterator[MappingProblem]:
        """Check of a declared key of several columns."""
        if any(key not in live.columns for key in keys):
            return  # the column check reports a key the table does not have
        declared = ", ".join(keys)
        if len(set(keys)) != len(keys):
            yield self.problem(
                name,
                None,
                f"the declared primary_key ({declared}) names a column twice",
                "name each column of the key once",
                at=("primary_key",),
            )
            return
        nullable = [k for k in keys if live.columns[k].nullable and k not in live.primary_key]
        if nullable:
            yield self.problem(
                name,
                nullable[0],
                f"the declared primary_key ({declared}) has a column that may be NULL "
                f"('{nullable[0]}'): a row whose key has no value there cannot be named",
                f"make '{nullable[0]}' NOT NULL, or declare the table's real key",
                at=("primary_key",),
            )
            return
        covered = [live.primary_key, *live.unique] if live.primary_key else [*live.unique]
        if any(columns and set(columns) <= set(keys) for columns in covered):
            return
        yield self.problem(
            name,
            None,
            f"the declared primary_key ({declared}) is neither the table's primary key nor "
            "UNIQUE together: rows that share these values would be erased, held and swept "
            "together",
            _hint(keys[0], live),
            at=("primary_key",),
        )


def _hint(key: str, live: LiveTable) -> str:
    """Which column to declare instead, when the table has one that names a row."""
    candidates = [*live.primary_key] if len(live.primary_key) == 1 else []
    candidates += [
        columns[0]
        for columns in live.unique
        if len(columns) == 1
        and columns[0] in live.columns
        and not live.columns[columns[0]].nullable
        and columns[0] not in candidates
    ]
    if candidates:
        return f"declare the table's real key: 'primary_key: {candidates[0]}'"
    if len(live.primary_key) > 1:
        return f"declare the table's real key: 'primary_key: [{', '.join(live.primary_key)}]'"
    return (
        f"give the table a primary key, or make '{key}' UNIQUE and NOT NULL, then declare that "
        "column as primary_key"
    )
