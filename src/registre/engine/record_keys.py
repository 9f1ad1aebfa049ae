"""A record's primary key as JSON and back, exactly, whatever the key column's type.

Keys leave the organization's database and come back: an erasure's plan stores them in the
engine's state before its first write and a resumed run deletes by them; a record hold stores
the key it protects; audit entries name the rows a batch changed. A key read back must equal
the database's value when bound in a ``WHERE`` on SQLite, PostgreSQL and MariaDB alike.

So a key is written as JSON in one way (:func:`key_json`): an integer as a JSON number (plans
stored before this module kept them so), anything else as canonical text: a UUID in its
lower-case hyphenated form, a decimal without exponent or trailing zeros (``1001.5``, which the
database compares equal to ``1001.50``), a date as ``YYYY-MM-DD``, a timestamp in ISO 8601 (an
aware one converted to UTC first, so that two sessions in different time zones write the same
text). It is read back through the live column's type (:func:`key_value`, by
:func:`typed_value`), never guessed from the text: ``'2025-01-01'`` is a
date for a date column and plain text for a text column.

A key of several columns (``order_item (order_id, item_no)``) is a tuple in Python and a JSON
list of its parts in that order, each written as above (``[1001, 3]``); as text, that list's
JSON (``[1001, 3]``). In SQL it is matched as a row value, ``(order_id, item_no) IN ((1001,
3), ...)`` and ``(order_id, item_no) > (1001, 3)``, which PostgreSQL, MariaDB and SQLite
(3.15 and later) all compare column by column, in order.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

__all__ = [
    "held_key",
    "key_after",
    "key_expression",
    "key_in",
    "key_json",
    "key_kind",
    "key_of",
    "key_params",
    "key_text",
    "key_value",
    "keys_from_json",
    "keys_to_json",
    "typed_value",
]

JsonKey = int | str | list[Any]
Columns = Sequence[ColumnElement[Any]]


def key_json(value: Any) -> JsonKey:
    """A key as the JSON value that stands for it (see the module docstring)."""
    if isinstance(value, tuple):
        return [key_json(part) for part in value]
    if isinstance(value, int):
        return int(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, datetime):
        moment: datetime = value if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def key_text(value: Any) -> str:
    """A key as text, the same for the same row whichever way it was read (holds, audit).

    A key of several columns is its JSON list, ``[1001, 3]``.
    """
    if isinstance(value, tuple):
        return json.dumps(key_json(value), ensure_ascii=False)
    return str(key_json(value))


def keys_to_json(keys: list[Any]) -> str:
    """A list of keys as a JSON array, for the engine's state."""
    return json.dumps([key_json(key) for key in keys], ensure_ascii=False)


def keys_from_json(columns: Columns | ColumnElement[Any], text: str) -> list[Any]:
    """The keys of :func:`keys_to_json`, in the key columns' types; keys they cannot hold are
    dropped.

    A key that no longer fits its columns (a type changed since) names no row there.
    """
    typed = (key_value(columns, key) for key in json.loads(text))
    return [key for key in typed if key is not None]


def key_value(columns: Columns | ColumnElement[Any], value: JsonKey) -> Any:
    """A key read back from JSON, as its columns hold it; None when it cannot be one.

    ``columns``: the key's one column, or its columns in order (then ``value`` is a list, read
    back as a tuple).
    """
    if isinstance(columns, ColumnElement):
        columns = [columns]
    if len(columns) == 1:
        if isinstance(value, list):
            if len(value) != 1:
                return None
            value = value[0]
        return typed_value(columns[0], value if isinstance(value, str) else str(value))
    if not isinstance(value, list) or len(value) != len(columns):
        return None
    parts = [key_value([column], part) for column, part in zip(columns, value, strict=True)]
    return None if any(part is None for part in parts) else tuple(parts)


def held_key(columns: Columns, text: str) -> Any:
    """A key as :func:`key_text` wrote it (a record hold's), in its columns' types; None when
    it cannot be one."""
    if len(columns) == 1:
        return typed_value(columns[0], text)
    try:
        parts = json.loads(text)
    except ValueError:
        return None
    if not isinstance(parts, list) or not all(isinstance(p, str | int) for p in parts):
        return None
    return key_value(columns, parts)


def key_of(row: Sequence[Any], width: int) -> Any:
    """The key of a row whose first ``width`` values are its key columns."""
    return row[0] if width == 1 else tuple(row[:width])


def key_expression(columns: Columns) -> ColumnElement[Any]:
    """The key in SQL: its column, or the row value of its columns."""
    return columns[0] if len(columns) == 1 else sa.tuple_(*columns)


def key_in(columns: Columns, keys: Sequence[Any]) -> ColumnElement[bool]:
    """``key IN (keys)``: the keys given as :func:`key_of` makes them."""
    if len(columns) == 1:
        return columns[0].in_(keys)
    if not keys:
        return sa.false()
    return sa.tuple_(*columns).in_([tuple(key) for key in keys])


def key_after(columns: Columns, name: str, operator: str = ">") -> ColumnElement[bool]:
    """``key > :name`` (or ``<=``): bound by :func:`key_params` under ``name``.

    On several columns, the row-value comparison ``(a, b) > (:name_0, :name_1)``.
    """
    if len(columns) == 1:
        bound: Any = sa.bindparam(name)
        left: Any = columns[0]
    else:
        bound = sa.tuple_(
            *[sa.bindparam(f"{name}_{i}", type_=c.type) for i, c in enumerate(columns)]
        )
        left = sa.tuple_(*columns)
    compared: ColumnElement[bool] = left > bound if operator == ">" else left <= bound
    return compared


def key_params(name: str, key: Any, width: int) -> dict[str, Any]:
    """The parameters :func:`key_after` binds for ``key`` under ``name``."""
    if width == 1:
        return {name: key}
    parts = key if key is not None else (None,) * width
    return {f"{name}_{i}": part for i, part in enumerate(parts)}


_WHOLE = re.compile(r"[+-]?[0-9]+")


def typed_value(column: ColumnElement[Any], value: str) -> Any:
    """``value`` (a held key or identity, as text) as ``column`` holds it; None if it cannot be.

    An int for an integer column (spaces around it ignored; ``int()`` would also take
    ``'4_2'``); a UUID, decimal, date or timestamp for such a column, a timestamp converted to
    the column's kind (aware, or naive in UTC); the text as given for a text column, and for
    a column whose type the driver maps to no Python type. A UUID that SQLite keeps as text
    stays text: it is compared as the application wrote it.
    """
    python_type = _python_type(column)
    if python_type is None:
        return value
    if python_type is int:
        return int(value) if _WHOLE.fullmatch(value.strip()) else None
    if python_type is str:
        return value
    aware = getattr(column.type, "timezone", None)
    return _typed(python_type, value, aware=aware if isinstance(aware, bool) else None)


def key_kind(column: ColumnElement[Any]) -> tuple[str, str]:
    """What a key of ``column`` is, in words, and an example: for a message about a bad key."""
    return _KINDS.get(_python_type(column) or str, ("text", "abc-42"))


def _python_type(column: ColumnElement[Any]) -> type | None:
    """The Python type the driver gives the column's values; None when it maps to none."""
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


_KINDS: dict[type, tuple[str, str]] = {
    int: ("a whole number", "42"),
    uuid.UUID: ("a UUID", "0b7e5c52-3f5e-4a8e-9c1d-6f0e2b1a9d34"),
    Decimal: ("a decimal number", "1001.50"),
    float: ("a number", "1001.5"),
    datetime: ("a timestamp", "2026-03-01T08:30:00"),
    date: ("a date", "2026-03-01"),
    time: ("a time of day", "08:30:00"),
}


def _typed(python_type: type, text: str, *, aware: bool | None) -> Any:
    """``text`` as a value of ``python_type``; None when it is not one.

    ``aware``: for a timestamp column, whether it holds a time zone (None when unknown). A
    timestamp without one is read as UTC, as everywhere in registre.
    """
    text = text.strip()
    try:
        if python_type is uuid.UUID:
            return uuid.UUID(text)
        if python_type is Decimal:
            number = Decimal(text)
            return number if number.is_finite() else None
        if python_type is float:
            return float(text)
        if python_type is datetime:
            moment = datetime.fromisoformat(text)
            if aware is True and moment.tzinfo is None:
                return moment.replace(tzinfo=UTC)
            if aware is False and moment.tzinfo is not None:
                return moment.astimezone(UTC).replace(tzinfo=None)
            return moment
        if python_type is date:
            return date.fromisoformat(text)
        if python_type is time:
            return time.fromisoformat(text)
    except (ValueError, InvalidOperation):
        return None
    return text


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value.is_finite() else str(value)
