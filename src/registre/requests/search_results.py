"""What the finder found about a person: per table, the rows and how they were reached.

Only the columns the search needs are kept (key, references, identity), and compactly. A table
at the end of the references (a device's geolocation points, a session's log lines) may instead
be kept as the condition that selects its rows (:class:`Bulk`): every row whose reference is in
a few values. A person may have 100,000 log lines there, and an access request then holds a
few values and a count, not 100,000 keys (see :meth:`registre.requests.find.Finder.find`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from registre.requests.identity import Identity

BATCH = 1000
"""Keys per ``IN`` list: well under every driver's limit on bound parameters."""

Key = Any


class Labels:
    """A label per row, kept as the label most rows share plus the exceptions.

    Nearly every row of a table is reached the same way and in the same context; a dict per
    row would cost about 100 bytes a row for a person with 100,000 log lines.
    """

    __slots__ = ("_common", "_given", "_other")

    def __init__(self) -> None:
        self._common: Any = None
        self._given = False
        self._other: dict[Key, Any] = {}

    def __getitem__(self, key: Key) -> Any:
        return self._other.get(key, self._common)

    def __setitem__(self, key: Key, label: Any) -> None:
        if not self._given:
            self._common, self._given = label, True
        if label == self._common:
            self._other.pop(key, None)
        else:
            self._other[key] = label


@dataclass(frozen=True)
class Bulk:
    """Rows kept as their condition: every row of the table whose ``column`` is in ``values``.

    Only for rows that are wholly the person's, not shared, and that no other row references,
    so that nothing about them needs their keys. ``tenant``, when set, narrows them to the rows
    of one client (``(key,)``), as :mod:`registre.requests.controllers` splits them.
    """

    column: str
    values: tuple[Any, ...]
    count: int
    tenant: tuple[Any] | None = None


@dataclass
class TableRows:
    """The person's rows in one table: the columns the finder read, by primary key.

    Only the columns the search needs are kept (key, references, identity), and values that
    repeat (the account or manager a row points to) are stored once, so a row costs about a
    dict entry and a tuple. Or, for a table the finder could keep as a condition, no rows and
    a :class:`Bulk`: then only readers that handle it (the export, the counts, the split by
    client) may be given the table, and asking for :attr:`rows` is a programming error.
    """

    store: str
    table: str
    columns: list[str]
    keyed: dict[Key, tuple[Any, ...]] = field(default_factory=dict)
    width: int = 1
    """How many columns the key has, the first of :attr:`columns`: a key of several is a
    tuple."""
    bulk: Bulk | None = None
    context: Labels = field(default_factory=Labels)
    """The category of people each row was found for (None when not narrowed)."""
    via: Labels = field(default_factory=Labels)
    """How each row was reached: ``identity``, ``child`` (it references the person's data) or
    ``parent`` (the person's data references it)."""
    shared: dict[Key, str] = field(default_factory=dict)
    """Rows that are other people's data too, with the reason."""
    pinned: set[Key] = field(default_factory=set)
    """Rows that rows not found for the person reference: they cannot be deleted."""
    _interned: dict[tuple[type, Any], Any] = field(default_factory=dict, repr=False)
    _sets: dict[str, tuple[int, frozenset[Any]]] = field(default_factory=dict, repr=False)

    @property
    def rows(self) -> dict[Key, tuple[Any, ...]]:
        """The rows by key (never for rows kept as a :class:`Bulk`)."""
        if self.bulk is not None:
            raise AssertionError(
                f"{self.store}.{self.table}: rows kept as a condition have no keys; "
                "find the person without bulk=True for this use"
            )
        return self.keyed

    @property
    def count(self) -> int:
        """How many rows, however they are kept."""
        return self.bulk.count if self.bulk is not None else len(self.keyed)

    def value(self, key: Key, column: str) -> Any:
        return self.rows[key][self.columns.index(column)]

    def values(self, column: str, keys: Iterable[Key] | None = None) -> set[Any]:
        index = self.columns.index(column)
        chosen = self.rows if keys is None else keys
        return {self.rows[k][index] for k in chosen} - {None}

    def value_set(self, column: str) -> frozenset[Any]:
        """:meth:`values` of every row, computed again only after rows were added."""
        # rows are only ever added during a search, so their number dates the set
        cached = self._sets.get(column)
        if cached is None or cached[0] != len(self.rows):
            cached = (len(self.rows), frozenset(self.values(column)))
            self._sets[column] = cached
        return cached[1]

    def key(self, row: tuple[Any, ...]) -> Key:
        """The key of a row read with :attr:`columns`."""
        return row[0] if self.width == 1 else tuple(row[: self.width])

    def keep(self, row: tuple[Any, ...]) -> None:
        """Store a row read from the database (its key first), sharing repeated values."""
        interned = self._interned
        # keyed by type too, so that True never stands for 1
        self.keyed[self.key(row)] = (
            row[0],
            *(interned.setdefault((type(v), v), v) for v in row[1:]),
        )


@dataclass
class Found:
    """Everything found about one person."""

    identity: Identity
    tables: dict[tuple[str, str], TableRows] = field(default_factory=dict)
    queries: int = 0

    def __iter__(self) -> Iterator[TableRows]:
        return iter(self.tables.values())

    @property
    def total(self) -> int:
        return sum(t.count for t in self.tables.values())

    @property
    def empty(self) -> bool:
        return self.total == 0

    def keys(self, store: str, table: str) -> set[Key]:
        rows = self.tables.get((store, table))
        return set(rows.rows) if rows else set()

    def summary(self) -> dict[str, dict[str, int]]:
        """Rows per store and table (only tables where something was found)."""
        out: dict[str, dict[str, int]] = {}
        for rows in self:
            if rows.count:
                out.setdefault(rows.store, {})[rows.table] = rows.count
        return out
