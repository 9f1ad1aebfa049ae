"""The values of a status-dependent event (``when: {column, in: [...]}``), typed to the column.

The register writes them as YAML gives them: ``in: [closed]`` is text, ``in: [3]`` a whole
number, ``in: [true]`` a boolean. The database compares them with the column as it holds them:
PostgreSQL refuses ``varchar_column IN (3)`` and ``integer_column IN ('closed')``, SQLite and
MariaDB compare them by their own rules and may match nothing, or the wrong rows. So each value
is converted to the column's type before any comparison (:func:`typed`), and
``check --connect`` refuses a value the column cannot hold (:func:`refused`), at its place in
the file.

No I/O: the column's type comes from the reflected table (the sweep) or from the type name the
database reports (the check).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

Value = str | int | bool

_NAMES: list[tuple[re.Pattern[str], type]] = [
    (re.compile(r"^(BOOL|BOOLEAN|TINYINT\(1\))\b"), bool),
    (re.compile(r"^(TINY|SMALL|MEDIUM|BIG)?INT(EGER)?\b|^(BIG|SMALL)?SERIAL\b"), int),
    (re.compile(r"^(NUMERIC|DECIMAL|REAL|FLOAT|DOUBLE)"), Decimal),
    (re.compile(r"^(N?VAR)?CHAR|^N?TEXT|^(TINY|MEDIUM|LONG)TEXT|^CLOB|^CITEXT|^ENUM|^STRING"), str),
    (re.compile(r"^UUID\b"), uuid.UUID),
    (re.compile(r"^(TIMESTAMP|DATETIME)"), datetime),
    (re.compile(r"^DATE\b"), date),
    (re.compile(r"^TIME\b"), time),
]

_KINDS: dict[type, str] = {
    bool: "true or false",
    int: "whole numbers",
    Decimal: "numbers",
    str: "text",
    uuid.UUID: "UUIDs",
    datetime: "timestamps",
    date: "dates",
    time: "times of day",
}


def type_of_name(type_name: str) -> type | None:
    """The Python type of a column from the type name the database reports; None if unknown."""
    name = type_name.strip().upper()
    for pattern, python_type in _NAMES:
        if pattern.search(name):
            return python_type
    return None


def type_of_column(column: Any) -> type | None:
    """The Python type of a reflected SQLAlchemy column; None when the driver maps it to none."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return None
    if python_type is float:
        return Decimal
    return python_type if isinstance(python_type, type) else None


def kind_name(python_type: type) -> str:
    """What a column of this type holds, in words: 'whole numbers'."""
    return _KINDS.get(python_type, "values of its type")


def convert(python_type: type | None, value: Value) -> Any:
    """``value`` as a column of ``python_type`` holds it; raise ValueError when it cannot.

    A boolean column takes true/false (and 0/1, which MariaDB keeps booleans as); an integer
    column whole numbers (written as numbers or as text) and, on MariaDB's TINYINT booleans,
    true/false as 1/0; a text column any value, as text (``3`` is ``'3'``).
    """
    if python_type is None:
        return value
    if python_type is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ValueError(value)
    if python_type is int:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        raise ValueError(value)
    if python_type is Decimal:
        if isinstance(value, bool):
            raise ValueError(value)
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(value) from None
    if python_type is str:
        if isinstance(value, bool):
            # YAML's true written for a text column: the application writes 'true' or '1'
            raise ValueError(value)
        return str(value)
    if isinstance(value, bool | int):
        raise ValueError(value)
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is time:
        return time.fromisoformat(value)
    return value


def refused(python_type: type | None, values: Iterable[Value]) -> list[Value]:
    """The values a column of ``python_type`` cannot hold."""
    out = []
    for value in values:
        try:
            convert(python_type, value)
        except ValueError:
            out.append(value)
    return out


def typed(column: Any, values: Iterable[Value]) -> tuple[Any, ...]:
    """The values as the reflected ``column`` holds them, those it cannot hold left out.

    ``check --connect`` refuses those beforehand; leaving them out here means a value the
    column cannot hold matches no row, as it would on a database comparing strictly.
    """
    python_type = type_of_column(column)
    out = []
    for value in values:
        try:
            out.append(convert(python_type, value))
        except ValueError:
            continue
    return tuple(dict.fromkeys(out))


def matches(held: Any, values: Iterable[Value]) -> bool:
    """Whether a value read from the database is one of ``values`` (a Python-side check).

    Compared as the column holds it: ``3`` read from an integer column matches ``in: ['3']``
    and ``in: [3]``; a boolean read as 1 (MariaDB) matches ``in: [true]``.
    """
    if held is None:
        return False
    python_type = bool if isinstance(held, bool) else type(held)
    if python_type is float:
        python_type, held = Decimal, Decimal(str(held))
    for value in values:
        try:
            if convert(python_type, value) == held:
                return True
        except ValueError:
            continue
    return False
