"""Whether a column holds a person's identity: the one matcher of requests, holds and sweeps.

Requests, legal holds, restrictions and the sweep's hold filter all ask the same question
("is this row about the person with this email?") and must get the same answer: a hold that
misses a row a request finds lets a sweep delete held data. So they all build their SQL here,
and compare in Python with the twin functions at the end of this module.

What matches, nothing looser:

- **email**: equal once surrounding spaces are trimmed and case is ignored. No look-alike
  characters, no ``+`` tag folding, no dot folding: ``susan+x@`` is someone else's address.
  On PostgreSQL and SQLite the column is compared as ``lower(trim(col))``, which an expression
  index on ``lower(trim(col))`` serves. On MariaDB/MySQL a ``_ci`` collation already compares
  case-insensitively and ignores trailing spaces, so plain equality (plus leading spaces, a
  narrow ``LIKE ' %'`` range) keeps the column's own index, and an exact comparison in a binary
  collation then drops what the collation folds that we do not (``é`` equals ``e`` there).
  Under a binary or case-sensitive collation the column is compared as ``lower(trim(col))``.
- **phone**: equal in E.164 whatever the stored format. The stored text loses its spaces,
  dots, dashes, parentheses and a ``(0)`` trunk marker (``+33 (0)2 30 51 66 63``) and is
  compared with the number's digit forms: ``+33230516663``, ``0033230516663`` and, for a
  number of :data:`DEFAULT_REGION`, ``0230516663``. Never a
  suffix: ``30 51 66 63`` is not the number.
- **any other kind** (``customer_id``, ``imei``): equal, typed as the column
  (:func:`registre.engine.record_keys.typed_value`); a value the column cannot hold matches nothing.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from registre.engine.record_keys import typed_value

MYSQL = frozenset({"mysql", "mariadb"})

DEFAULT_REGION = "FR"
"""The country of phone numbers written without a country code."""

# A table indexed for this matcher has an index on lower(trim(email)). SQLAlchemy cannot reflect
# an index on an expression and says so on every reflection, hence on every command; registre
# reads no index that way, so the warning would only alarm whoever reads it.
warnings.filterwarnings(
    "ignore",
    message="Skipped unsupported reflection of expression-based index",
    category=sa.exc.SAWarning,
)

# "(0)" first, then the separators; character classes, not backslashes, so that the pattern
# reads the same in a PostgreSQL, a MariaDB (whatever NO_BACKSLASH_ESCAPES) and a Python string
PHONE_NOISE = "[(]0[)]|[-. ()]"
_PHONE_NOISE = re.compile(PHONE_NOISE)


class email_key(FunctionElement[str]):
    """``lower(trim(column))``: an email as compared, in a form an expression index serves."""

    type = sa.String()
    name = "email_key"
    inherit_cache = True


class phone_digits(FunctionElement[str]):
    """The stored phone text without spaces, dots, dashes, parentheses and ``(0)``."""

    type = sa.String()
    name = "phone_digits"
    inherit_cache = True


@compiles(email_key)
def _email_key(element: email_key, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower(trim({compiler.process(element.clauses, **kw)}))"


@compiles(email_key, "mysql")
@compiles(email_key, "mariadb")
def _email_key_mysql(element: email_key, compiler: SQLCompiler, **kw: Any) -> str:
    # converted so that lower() also folds a binary column, compared byte for byte
    column = compiler.process(element.clauses, **kw)
    return f"lower(convert(trim({column}) using utf8mb4)) collate utf8mb4_bin"


@compiles(phone_digits)
def _phone_digits(element: phone_digits, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite has no regular expressions: "(0)" first, as the pattern's first alternative
    text = compiler.process(element.clauses, **kw)
    for noise in ("(0)", " ", ".", "-", "(", ")"):
        text = f"replace({text}, '{noise}', '')"
    return text


@compiles(phone_digits, "postgresql")
def _phone_digits_postgresql(element: phone_digits, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"regexp_replace({column}, '{PHONE_NOISE}', '', 'g')"


@compiles(phone_digits, "mysql")
@compiles(phone_digits, "mariadb")
def _phone_digits_mysql(element: phone_digits, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"regexp_replace({column}, '{PHONE_NOISE}', '')"


def folds_case(column: sa.ColumnElement[Any], dialect: str) -> bool:
    """Whether the database already compares ``column`` case-insensitively (a MariaDB/MySQL
    ``_ci`` collation), read from the reflected column or, without one, its table's default."""
    if dialect not in MYSQL or not isinstance(column, sa.Column):
        return False
    if not isinstance(column.type, sa.String):  # VARBINARY, BLOB: bytes
        return False
    collation = column.type.collation
    table = column.table
    if not collation and isinstance(table, sa.Table):
        collation = table.kwargs.get(f"{dialect}_collate") or table.kwargs.get("mysql_collate")
    return bool(collation) and str(collation).lower().endswith("_ci")


def clause(
    column: ColumnElement[Any], kind: str, name: str, dialect: str, *, case_folded: bool = False
) -> ColumnElement[bool]:
    """ "``column`` holds the identity", with the value left to bind as ``name``
    (:func:`parameter`), so that the statement can be built once and run for many people.

    ``case_folded``: the database compares the column case-insensitively (:func:`folds_case`).
    """
    if kind == "email":
        return _email(column, sa.bindparam(name, type_=sa.String()), dialect, case_folded)
    if kind == "phone":
        return phone_digits(column).in_(sa.bindparam(name, expanding=True))
    return column.in_(sa.bindparam(name, expanding=True))


def parameter(column: ColumnElement[Any], kind: str, value: str) -> Any:
    """The value to bind to :func:`clause`'s parameter; None when the column cannot hold it."""
    if kind == "email":
        return value.strip().lower()
    if kind == "phone":
        return phone_forms(value)
    typed = typed_value(column, value)
    return None if typed is None else [typed]


def condition(
    column: ColumnElement[Any],
    kind: str,
    value: str,
    dialect: str,
    *,
    case_folded: bool = False,
    name: str = "identity_",
) -> ColumnElement[bool] | None:
    """ "``column`` holds the identity ``value``", values bound; None when it never can.

    Each parameter is named ``name`` made unique in the statement: the sweep names them so
    that the audit trail records a person only by a digest.
    """
    bound = parameter(column, kind, value)
    if bound is None:
        return None
    if kind == "email":
        email = sa.bindparam(name, bound, type_=sa.String(), unique=True)
        return _email(column, email, dialect, case_folded)
    if kind == "phone":
        forms = [sa.bindparam(name, form, type_=sa.String(), unique=True) for form in bound]
        return phone_digits(column).in_(forms)
    return column.in_([sa.bindparam(name, v, type_=column.type, unique=True) for v in bound])


def _email(
    column: ColumnElement[Any], value: sa.BindParameter[Any], dialect: str, case_folded: bool
) -> ColumnElement[bool]:
    exact = email_key(column) == value
    if dialect in MYSQL and case_folded:
        # the column's own index finds the row (a _ci collation ignores case and trailing
        # spaces; leading ones are a narrow range); the exact comparison then drops what the
        # collation folds and we do not (accents)
        return sa.and_(sa.or_(column == value, column.like(" %")), exact)
    return exact


def phone_forms(value: str) -> list[str]:
    """The digit forms a stored phone number may take once :func:`stored_phone` cleaned it."""
    text = value.strip()
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return [stored_phone(text)]
    if not phonenumbers.is_possible_number(number):
        return [stored_phone(text)]
    national = phonenumbers.national_significant_number(number)
    code = number.country_code
    forms = {f"+{code}{national}", f"00{code}{national}"}
    if phonenumbers.region_code_for_number(number) == DEFAULT_REGION:
        local = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        forms.add(re.sub(r"\D", "", local))
    return sorted(forms)


def stored_phone(text: str) -> str:
    """A stored phone number as :class:`phone_digits` cleans it in SQL."""
    return _PHONE_NOISE.sub("", text)


def holds(kind: str, stored: Any, value: str) -> bool:
    """Python's twin of :func:`clause`: whether a stored value is the identity ``value``."""
    if stored is None:
        return False
    text = str(stored)
    if kind == "email":
        return text.strip(" ").lower() == value.strip().lower()
    if kind == "phone":
        return stored_phone(text) in phone_forms(value)
    return text == value.strip() or stored == value


def stored_identity(kind: str, stored: Any) -> str | None:
    """A stored identity value in the form requests and holds record one (an email trimmed and
    lower-cased, a phone number in E.164); None when it is none (an empty or invalid value)."""
    if stored is None:
        return None
    text = str(stored).strip()
    if kind == "email":
        return text.lower() or None
    if kind == "phone":
        try:
            number = phonenumbers.parse(stored_phone(text), DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return text or None
