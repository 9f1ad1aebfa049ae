"""Load a register from YAML, keeping the position of every key and value.

Every problem is collected and reported at once as a :class:`Problem` with the file, line and
column it comes from. A register is one YAML file or a folder of them: top-level sections are
merged across files, ids must be unique across files.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from registre._exceptions import Problem, RegisterError
from registre.register.model import Register
from registre.register.references import check_references

Loc = tuple[str | int, ...]
Position = tuple[str, int, int]

SINGLE_SECTIONS = frozenset({"registre", "organization", "policy", "rights", "breaches"})


class Positions:
    """Maps a path in the loaded data to where it was written."""

    def __init__(self) -> None:
        self.keys: dict[Loc, Position] = {}
        self.values: dict[Loc, Position] = {}

    def record(self, node: Any, file: str, loc: Loc = ()) -> None:
        if isinstance(node, CommentedMap):
            for key in node:
                kline, kcol = node.lc.key(key)
                vline, vcol = node.lc.value(key)
                self.keys[(*loc, key)] = (file, kline + 1, kcol + 1)
                self.values[(*loc, key)] = (file, vline + 1, vcol + 1)
                self.record(node[key], file, (*loc, key))
        elif isinstance(node, CommentedSeq):
            for index, item in enumerate(node):
                line, col = node.lc.item(index)
                self.keys[(*loc, index)] = self.values[(*loc, index)] = (file, line + 1, col + 1)
                self.record(item, file, (*loc, index))

    def of(self, loc: Loc, *, key: bool = False, default: Position) -> Position:
        table = self.keys if key else self.values
        for end in range(len(loc), 0, -1):
            found = table.get(loc[:end]) or self.keys.get(loc[:end])
            if found:
                return found
        return default


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_register_data(path: str | Path) -> tuple[dict[str, Any], Positions, list[Problem]]:
    """Parse and merge the YAML of a register, without validating it."""
    root = Path(path)
    problems: list[Problem] = []
    positions = Positions()
    merged: dict[str, Any] = {}
    if not root.exists():
        raise RegisterError([Problem(str(root), 1, 1, "no such file or folder",
                                     "give the path of a register.yaml or of a folder of YAML files")])
    files = _files(root)
    if not files:
        raise RegisterError([Problem(str(root), 1, 1, "the folder holds no .yaml or .yml file")])
    yaml = YAML(typ="rt")
    for file in files:
        name = _display(file)
        try:
            document = yaml.load(file.read_text(encoding="utf-8"))
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problems.append(Problem(name, line, col, f"YAML syntax error: {exc.problem or exc.context}",
                                    "check the indentation and quoting around this position"))
            continue
        except UnicodeDecodeError:
            problems.append(Problem(name, 1, 1, "the file is not UTF-8 text", "save it as UTF-8"))
            continue
        if document is None:
            continue
        if not isinstance(document, CommentedMap):
            problems.append(Problem(name, 1, 1, "a register file must be a mapping of sections",
                                    "start with 'organization:', 'activities:' and so on"))
            continue
        positions.record(document, name)
        for section in document:
            value = document[section]
            if section not in merged:
                merged[section] = value
                continue
            where = positions.keys.get((section,), (name, 1, 1))
            if section in SINGLE_SECTIONS or not isinstance(value, dict) or not isinstance(merged[section], dict):
                problems.append(Problem(name, where[1], where[2],
                                        f"section '{section}' is written in more than one file",
                                        "keep each of organization, policy, rights and breaches in one file"))
                continue
            for item_id, item in value.items():
                if item_id in merged[section]:
                    file_, line, col = positions.keys[(section, item_id)]
                    problems.append(Problem(file_, line, col,
                                            f"'{item_id}' is declared twice in '{section}'",
                                            "ids must be unique across the files of a register"))
                else:
                    merged[section][item_id] = item
    return _plain(merged), positions, problems


def load_register(path: str | Path) -> Register:
    """Load, validate and cross-check a register; raise RegisterError listing every problem."""
    data, positions, problems = read_register_data(path)
    default = (str(path), 1, 1)
    if problems:
        raise RegisterError(problems)
    try:
        register = Register.model_validate(data)
    except ValidationError as exc:
        raise RegisterError(list(_validation_problems(exc, data, positions, default))) from None
    reference_problems = [
        Problem(*positions.of(loc, default=default), message, hint)
        for loc, message, hint in check_references(register)
    ]
    if reference_problems:
        raise RegisterError(reference_problems)
    return register


def _validation_problems(exc: ValidationError, data: dict[str, Any], positions: Positions,
                         default: Position) -> Iterator[Problem]:
    seen: set[tuple[Position, str]] = set()
    for error in exc.errors():
        loc = tuple(error["loc"])
        # Pydantic adds the name of a tagged/unioned type to loc; keep only real keys.
        loc = tuple(part for part in loc if isinstance(part, int) or not str(part).startswith("function-"))
        kind = error["type"]
        if kind == "extra_forbidden":
            where = positions.of(loc, key=True, default=default)
            message, hint = _unknown_key(loc)
        elif kind == "missing":
            where = positions.of(loc[:-1], key=True, default=default)
            message = f"'{_dotted(loc[:-1]) or 'the register'}' is missing the required key '{loc[-1]}'"
            hint = _hint_for_missing(loc)
        else:
            where = positions.of(loc, default=default)
            message = f"{_dotted(loc)}: {_clean(error['msg'])}"
            hint = _hint_for_type(kind)
        if (where, message) in seen:
            continue
        seen.add((where, message))
        yield Problem(*where, message, hint)


def _clean(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping found at ``loc``."""
    import typing

    model: Any = Register
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(str(part))
        if field is None:
            # a key of a dict[Id, Model]: stay on the dict's value type
            continue
        model = _unwrap(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    import typing

    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (dict,):
        return _unwrap(typing.get_args(annotation)[1])
    if origin in (list,):
        return _unwrap(typing.get_args(annotation)[0])
    if origin is not None:  # Union / Optional
        for arg in typing.get_args(annotation):
            inner = _unwrap(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def _unknown_key(loc: Loc) -> tuple[str, str]:
    key = str(loc[-1])
    model = _model_at(loc[:-1])
    where = _dotted(loc[:-1]) or "the top level"
    if model is None:
        return f"unknown key '{key}' in {where}", ""
    valid = sorted(model.model_fields)
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    hint += "valid keys here: " + ", ".join(valid)
    return f"unknown key '{key}' in {where}", hint


def _hint_for_missing(loc: Loc) -> str:
    model = _model_at(loc[:-1])
    if model is None:
        return ""
    field = model.model_fields.get(str(loc[-1]))
    if field is not None and field.description:
        return field.description
    return "see `registre schema` for what this key holds"


def _hint_for_type(kind: str) -> str:
    hints = {
        "literal_error": "use one of the values listed",
        "enum": "use one of the values listed",
        "string_pattern_mismatch": "ids are lower case letters, digits, '_' and '-', starting with a letter",
        "dict_type": "write a mapping of 'key: value' lines here",
        "list_type": "write a list here, one '- item' per line or [a, b]",
        "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
        "date_parsing": "write the date as YYYY-MM-DD",
        "date_type": "write the date as YYYY-MM-DD",
        "too_short": "give at least one item",
    }
    return hints.get(kind, "")
