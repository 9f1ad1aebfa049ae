"""Pydantic validation errors, told in the words of the register file.

Pydantic speaks of "loc" tuples and Python types; a DPO reads a YAML file. Each error becomes a
:class:`Problem` placed where the value was written, naming the key as it appears in the file
(``legal_basis``, not ``legal_basis[0]``, when one value was written without brackets), saying
what was found and what is accepted, with a suggestion when a value is close to a valid one.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from registre._exceptions import Problem
from registre.register.model import ID_PATTERN, Register, Text

if TYPE_CHECKING:
    from registre.register.loader import Positions

Loc = tuple[str | int, ...]
Position = tuple[str, int, int]

_QUOTED = re.compile(r"'([^']*)'")

# Hints for the model's own checks, keyed by a fragment of their message.
_VALUE_HINTS = {
    "SIREN number": "a SIREN has 9 digits, the last one a check digit: copy it from the Kbis "
    "extract or annuaire-entreprises.data.gouv.fr",
    "SIRET number": "a SIRET is the 9-digit SIREN followed by 5 digits, the last one a check "
    "digit: copy it from the Kbis extract",
    "VAT number": "a French VAT number is FR, 2 check characters and the SIREN",
    "IANA time zone": "use a zone name from the IANA database, such as Europe/Paris, "
    "Europe/Brussels or America/Montreal",
    "ISO 3166": "use the two-letter code: FR, DE, IE, US...",
}


def validation_problems(
    exc: ValidationError, data: dict[str, Any], positions: Positions, default: Position
) -> Iterator[Problem]:
    """One Problem per distinct error, placed where the offending text was written.

    A misspelt required key (``legal_bassis``) is one problem, not two: the unknown key, whose
    hint names the key it stands for, and not also the required key found missing.
    """
    errors = [(_real_loc(error["loc"]), error) for error in exc.errors()]
    misspelt = {
        (*loc[:-1], nearest)
        for loc, error in errors
        if error["type"] == "extra_forbidden"
        and (nearest := _nearest_key(loc[:-1], str(loc[-1]))) is not None
    }
    for loc, error in errors:
        kind = error["type"]
        if kind == "missing" and loc in misspelt:
            continue
        if kind == "extra_forbidden":
            where = positions.of(loc, key=True, default=default)
            message, hint = _unknown_key(loc)
        elif kind == "missing":
            where = positions.of(loc[:-1], key=True, default=default)
            message, hint = _missing(loc)
        elif loc and loc[-1] == "[key]":
            where = positions.of(loc[:-1], key=True, default=default)
            message, hint = _bad_key(loc[:-1], error)
        else:
            loc = _written(loc, data)
            loc = _pointed(loc, data, str(error["msg"]))
            where = positions.where(loc, data, default=default)
            message, hint = _describe(loc, error)
        yield Problem(*where, message, hint)


def _real_loc(loc: tuple[str | int, ...]) -> Loc:
    """Pydantic adds the name of a validator function to loc; keep only real keys."""
    return tuple(
        part for part in loc if isinstance(part, int) or not str(part).startswith("function-")
    )


def _written(loc: Loc, data: Any) -> Loc:
    """Cut ``loc`` where the file has a single value that the model reads as a list or object.

    ``legal_basis: contrat`` is read as ``[contrat]`` and ``after: 6 mois after x`` as
    ``[{period, event}]``; the error belongs to the value as written.
    """
    node = data
    for depth, part in enumerate(loc):
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            node = node[part]
        elif isinstance(node, dict | list):
            return loc
        else:
            return loc[:depth]
    return loc


def _pointed(loc: Loc, data: Any, message: str) -> Loc:
    """Move a check on a whole mapping to the one value its message quotes, if any."""
    node = _at(data, loc)
    if not isinstance(node, dict):
        return loc
    quoted = set(_QUOTED.findall(message))
    keys = [
        key
        for key, value in node.items()
        if isinstance(value, str | int | float)
        and not isinstance(value, bool)
        and str(value) in quoted
    ]
    return (*loc, keys[0]) if len(keys) == 1 else loc


def _at(data: Any, loc: Loc) -> Any:
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def dotted(loc: Loc) -> str:
    """A location as a path of keys: ``activities.service.retention.accounts.after[1]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(loc: Loc, error: Any) -> tuple[str, str]:
    kind: str = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    path = dotted(loc) or "the register"
    found = _found(value)
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", ""))
        # Pydantic quotes text choices ('fr' or 'en') but not numbers (the register's version 1).
        accepted = _QUOTED.findall(expected) or re.split(r", | or ", expected)
        if len(accepted) == 1 and loc:
            return (
                f"{path}: must be {accepted[0]}, found {found}",
                f"write '{loc[-1]}: {accepted[0]}'",
            )
        close = difflib.get_close_matches(str(value), accepted, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else "use one of the values listed"
        return f"{path}: {found} is not one of {', '.join(accepted)}", hint
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return f"{path}: {found} is not a valid id", _ID_HINT
        return (
            f"{path}: {found} does not have the expected form",
            f"it must match {ctx.get('pattern')}",
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if ctx.get("class_name") == "Text" or _model_at(loc) is Text:
            return (
                f"{path}: expected a text in each language, found {found}",
                "write it as {fr: ..., en: ...}, or as 'fr:' and 'en:' lines below the key",
            )
        return f"{path}: expected a mapping of keys, found {found}", _valid_keys(loc)
    if kind == "list_type":
        return (
            f"{path}: expected a list, found {found}",
            "write a list here, one '- item' per line or [a, b]",
        )
    if kind == "string_type":
        hint = ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            hint = f'YAML reads {value} as a number: write it between quotes, such as "{value}"'
        return f"{path}: expected a text, found {found}", hint
    if kind.startswith("int_"):
        return f"{path}: expected a whole number, found {found}", ""
    if kind.startswith("bool_"):
        return f"{path}: expected true or false, found {found}", ""
    if kind.startswith("date_") or kind.startswith("datetime_"):
        return (
            f"{path}: expected a date, found {found}",
            "write the date as YYYY-MM-DD, such as 2026-09-01",
        )
    if kind == "too_short":
        return f"{path}: give at least one item", _description(loc)
    if kind in ("greater_than", "greater_than_equal"):
        return (
            f"{path}: {found} is too small",
            f"it must be more than {ctx.get('gt', ctx.get('ge'))}",
        )
    if kind in ("less_than", "less_than_equal"):
        return (
            f"{path}: {found} is too large",
            f"it must be at most {ctx.get('le', ctx.get('lt'))}",
        )
    if kind == "string_too_long":
        return f"{path}: {found} is too long", f"at most {ctx.get('max_length')} characters"
    text = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        text = text.removeprefix(prefix)
    message, _, hint = text.partition("; ")
    if not hint:
        hint = next((h for fragment, h in _VALUE_HINTS.items() if fragment in message), "")
    return f"{path}: {message}", hint


def _found(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return repr(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


_ID_HINT = (
    "ids are lower case letters, digits, '_' and '-', starting with a letter, "
    "such as account_deleted or billing-contact"
)


def _bad_key(loc: Loc, error: Any) -> tuple[str, str]:
    key = error.get("input")
    where = dotted(loc[:-1]) or "the register"
    if error["type"] == "string_pattern_mismatch":
        return f"{key!r} is not a valid id in {where}", _ID_HINT
    return f"{key!r} is not accepted as a key in {where}", str(error["msg"])


def _missing(loc: Loc) -> tuple[str, str]:
    if len(loc) == 1:
        return f"the register has no '{loc[0]}' section", _description(loc)
    return f"{dotted(loc[:-1])} is missing the required key '{loc[-1]}'", _description(loc)


def _description(loc: Loc) -> str:
    model = _model_at(loc[:-1])
    field = model.model_fields.get(str(loc[-1])) if model is not None else None
    if field is not None and field.description:
        # A docstring wraps lines; "Art. 6(1)" keeps its capital.
        return f"'{loc[-1]}' holds: {' '.join(field.description.split())}"
    return "see `registre schema` for what this key holds"


def _unknown_key(loc: Loc) -> tuple[str, str]:
    key = str(loc[-1])
    if len(loc) == 1:
        return f"unknown section '{key}'", _valid_keys(loc[:-1], key)
    return f"unknown key '{key}' in {dotted(loc[:-1])}", _valid_keys(loc[:-1], key)


def _valid_keys(loc: Loc, key: str | None = None) -> str:
    model = _model_at(loc)
    if model is None:
        return ""
    nearest = _nearest_key(loc, key) if key else None
    hint = f"did you mean '{nearest}'? " if nearest else ""
    return hint + "valid keys here: " + ", ".join(sorted(model.model_fields))


def _nearest_key(loc: Loc, key: str) -> str | None:
    """The valid key of the mapping at ``loc`` that ``key`` most likely stands for."""
    model = _model_at(loc)
    if model is None:
        return None
    valid = sorted(model.model_fields)
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if not close:  # 'web' for 'web_form', 'legitimate_interest_text' for 'legitimate_interest'
        close = [name for name in valid if name.startswith(key) or key.startswith(name)][:1]
    return close[0] if close else None


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping found at ``loc``."""
    model: Any = Register
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(str(part))
        if field is None:
            continue  # a key of a dict[Id, Model]: stay on the dict's value type
        model = _unwrap(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is dict:
        return _unwrap(typing.get_args(annotation)[1])
    if origin is list:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is not None:  # Union / Optional
        for arg in typing.get_args(annotation):
            inner = _unwrap(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation
