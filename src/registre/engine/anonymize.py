"""The anonymization methods a mapping can name, in SQL where the dialect allows, else in Python.

Every method leaves NULL as NULL: there is nothing to anonymize in a missing value.

==================  ==================================================  ====================
method              result                                              recognised after?
==================  ==================================================  ====================
null                NULL                                                yes (IS NULL)
redact              the fixed text ``[redacted]`` (cut to the column)    yes
redact_unique       ``redacted-<key>``: unique per row, for UNIQUE       yes (the prefix)
                    columns, where one fixed text fails at the second
hash                HMAC-SHA256 hex of the value, cut to the column      no: ``anonymized_at``
month / year        first day of the month / year, at midnight           yes
coarse_location     the coordinate rounded to 0.1 degree (~11 km grid)   yes
fake_name           a name drawn from the key and the value              no: ``anonymized_at``
fake_email          ``anon-<hmac>@anonymized.invalid``                   yes (the domain)
fake_phone          ``+3363998`` and 4 digits (a range ARCEP reserves    yes (the prefix)
                    for fiction)
==================  ==================================================  ====================

"Recognised" is how the sweep knows a row is done without an ``anonymized_at`` column: a row
is anonymized when every mapped column is NULL or already in its anonymized form. Keyed
methods (hash, fake_*) read the key from ``REGISTRE_HMAC_KEY`` and are computed in Python, so
the same key gives the same output on every run and every database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from registre._exceptions import RegistreError

REDACTED = "[redacted]"
REDACTED_PREFIX = "redacted-"
CONSTANT = frozenset({"redact", "month", "year", "coarse_location", "fake_name", "fake_phone"})
"""Methods that write the same value into many rows: a UNIQUE column refuses the second one
(fake names and phones are drawn from a few thousand values; hash, fake_email and
redact_unique are unique per row)."""
FAKE_EMAIL_DOMAIN = "anonymized.invalid"
FAKE_PHONE_PREFIX = "+3363998"
KEY_VARIABLE = "REGISTRE_HMAC_KEY"
KEYED = frozenset({"hash", "fake_name", "fake_email", "fake_phone"})
GRID = Decimal("0.1")

_FIRST = [
    "Camille",
    "Dominique",
    "Claude",
    "Alix",
    "Sacha",
    "Charlie",
    "Andréa",
    "Morgan",
    "Lou",
    "Maxime",
    "Noa",
    "Eden",
    "Yael",
    "Ange",
    "Gaël",
    "Loïc",
]
_LAST = [
    "Martin",
    "Bernard",
    "Durand",
    "Petit",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "Roux",
    "Fournier",
    "Girard",
    "Bonnet",
    "Mercier",
]


def hmac_key(required: bool) -> bytes:
    """The key of the keyed methods, from the environment; RegistreError when missing."""
    value = os.environ.get(KEY_VARIABLE, "")
    if required and not value:
        raise RegistreError(
            f"the mapping anonymizes with a keyed method (hash, fake_*), and ${KEY_VARIABLE} "
            "is not set",
            hint=f"export {KEY_VARIABLE}=<a long random secret kept outside the register>; "
            "keep it: the same key gives the same pseudonyms on every run",
        )
    return value.encode()


def _length(column: ColumnElement[Any]) -> int | None:
    return getattr(column.type, "length", None)


def _is_date_only(column: ColumnElement[Any]) -> bool:
    return isinstance(column.type, sa.Date) and not isinstance(column.type, sa.DateTime)


def sql_value(method: str, column: ColumnElement[Any], dialect: str) -> ColumnElement[Any] | None:
    """The SQL expression of the anonymized value, or None when it is computed in Python."""
    if method == "null":
        return sa.null()
    if method == "redact":
        text = sa.literal(REDACTED[: _length(column) or None], sa.String())
        return sa.case((column.is_(None), sa.null()), else_=text)
    if method == "redact_unique":
        return _unique_redaction(column)
    if method == "coarse_location":
        return _rounded(column)
    if method in ("month", "year"):
        return _truncated(method, column, dialect)
    return None


def _unique_redaction(column: ColumnElement[Any]) -> ColumnElement[Any] | None:
    # the row's own key keeps the value unique; None (Python) when the table declares none
    table = getattr(column, "table", None)
    keys = list(table.primary_key.columns) if table is not None else []
    if not keys:
        return None
    text: ColumnElement[Any] = sa.literal(REDACTED_PREFIX, sa.String())
    for number, key in enumerate(keys):
        if number:
            text = text + sa.literal("-", sa.String())
        text = text + sa.cast(key, sa.String())
    return sa.case((column.is_(None), sa.null()), else_=text)


def _rounded(column: ColumnElement[Any]) -> ColumnElement[Any]:
    # PostgreSQL only rounds numerics to a number of places; the cast back to the column's
    # type makes single-precision floats compare equal to what was stored
    return sa.cast(sa.func.round(sa.cast(column, sa.Numeric(12, 7)), 1), column.type)


def _truncated(method: str, column: ColumnElement[Any], dialect: str) -> ColumnElement[Any] | None:
    day_only = _is_date_only(column)
    if dialect == "postgresql":
        return sa.cast(sa.func.date_trunc(method, column), column.type)
    if dialect == "sqlite":
        # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff'
        day = "%Y-%m-01" if method == "month" else "%Y-01-01"
        return sa.func.strftime(day if day_only else day + " 00:00:00.000000", column)
    if dialect in ("mysql", "mariadb"):
        day = "%Y-%m-01" if method == "month" else "%Y-01-01"
        return sa.func.str_to_date(sa.func.date_format(column, day), "%Y-%m-%d")
    return None


def recognizer(method: str, column: ColumnElement[Any]) -> ColumnElement[bool] | None:
    """True for a value already anonymized by ``method``; None when it cannot be told."""
    if method == "null":
        return column.is_(None)
    if method == "redact":
        done = column == REDACTED[: _length(column) or None]
    elif method == "redact_unique":
        done = column.like(f"{REDACTED_PREFIX}%")
    elif method == "coarse_location":
        done = column == _rounded(column)
    elif method in ("month", "year"):
        parts = ["day"] if method == "month" else ["month", "day"]
        checks = [sa.extract(part, column) == 1 for part in parts]
        if not _is_date_only(column):
            checks += [sa.extract(part, column) == 0 for part in ("hour", "minute", "second")]
        done = sa.and_(*checks)
    elif method == "fake_email":
        done = column.like(f"%@{FAKE_EMAIL_DOMAIN}")
    elif method == "fake_phone":
        done = column.like(f"{FAKE_PHONE_PREFIX}%")
    else:
        return None
    return sa.or_(column.is_(None), done)


def python_value(
    method: str, value: Any, *, key: bytes, length: int | None, row_key: Any = None
) -> Any:
    """The anonymized value computed in Python (for methods or dialects SQL cannot do).

    ``row_key``: the row's primary key, which ``redact_unique`` writes.
    """
    if value is None or method == "null":
        return None
    if method == "redact":
        return REDACTED[: length or None]
    if method == "redact_unique":
        if row_key is None:
            raise RegistreError("'redact_unique' needs the row's key, and none was given")
        parts = row_key if isinstance(row_key, tuple | list) else (row_key,)
        return REDACTED_PREFIX + "-".join(str(part) for part in parts)
    if method == "coarse_location":
        return float(
            Decimal(str(value))
            .quantize(Decimal("0.0000001"))
            .quantize(GRID, rounding=ROUND_HALF_UP)
        )
    if method in ("month", "year"):
        if not isinstance(value, date):
            raise RegistreError(f"'{method}' anonymizes dates, and got {value!r}")
        moved = value.replace(day=1) if method == "month" else value.replace(month=1, day=1)
        if isinstance(moved, datetime):
            moved = moved.replace(hour=0, minute=0, second=0, microsecond=0)
        return moved
    digest = hmac.new(key, f"{method}:{value}".encode(), hashlib.sha256).hexdigest()
    if method == "hash":
        return digest[: length or None]
    if method == "fake_email":
        return f"anon-{digest[:12]}@{FAKE_EMAIL_DOMAIN}"[: length or None]
    if method == "fake_phone":
        return f"{FAKE_PHONE_PREFIX}{int(digest[:8], 16) % 10_000:04d}"[: length or None]
    if method == "fake_name":
        number = int(digest[:8], 16)
        name = f"{_FIRST[number % len(_FIRST)]} {_LAST[(number // len(_FIRST)) % len(_LAST)]}"
        return name[: length or None]
    raise RegistreError(f"unknown anonymization method {method!r}")
