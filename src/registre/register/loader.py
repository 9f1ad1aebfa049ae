"""Load a register from YAML, keeping the position of every key and value.

Every problem is collected and reported at once as a :class:`Problem` with the file, line and
column it comes from: YAML syntax, ids declared twice across files, the model's validation and
the cross-references (undeclared ids, untranslated texts) in one list. A register is one YAML
file or a folder of them: top-level sections are merged across files, ids must be unique across
files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from registre._exceptions import Problem, RegisterError
from registre.register.model import Register
from registre.register.references import check_data_references
from registre.register.validation import Loc, Position, validation_problems

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

    def where(self, loc: Loc, data: Any, *, default: Position) -> Position:
        """Where a problem about ``loc`` is best shown: a mapping at its key, a value at itself.

        The value position of a block mapping is its first child's key, which would make the
        problem look like it is about that child.
        """
        node = data
        for part in loc:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        return self.of(loc, key=isinstance(node, dict), default=default)

    def of(self, loc: Loc, *, key: bool = False, default: Position) -> Position:
        """Where ``loc`` was written, or its nearest written parent."""
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
    data, positions, problems, _ = _read(Path(path))
    return data, positions, problems


def _read(root: Path) -> tuple[dict[str, Any], Positions, list[Problem], bool]:
    """Parse and merge; the flag says whether every file could be read."""
    if not root.exists():
        raise RegisterError(
            [
                Problem(
                    str(root),
                    1,
                    1,
                    "no such file or folder",
                    "give the path of a register.yaml or of a folder of YAML files",
                )
            ]
        )
    files = _files(root)
    if not files:
        raise RegisterError(
            [
                Problem(
                    str(root),
                    1,
                    1,
                    "the folder holds no .yaml or .yml file",
                    "write the register in register.yaml, or in several .yaml files",
                )
            ]
        )
    problems: list[Problem] = []
    positions = Positions()
    merged: dict[str, Any] = {}
    complete = True
    yaml = YAML(typ="rt")
    for file in files:
        name = _display(file)
        try:
            document = yaml.load(file.read_text(encoding="utf-8"))
        except MarkedYAMLError as exc:
            problems.append(_syntax_problem(name, exc))
            complete = False
            continue
        except UnicodeDecodeError:
            problems.append(Problem(name, 1, 1, "the file is not UTF-8 text", "save it as UTF-8"))
            complete = False
            continue
        if document is None:
            continue
        if not isinstance(document, CommentedMap):
            problems.append(
                Problem(
                    name,
                    1,
                    1,
                    "a register file must be a mapping of sections",
                    "start with 'organization:', 'activities:' and so on",
                )
            )
            complete = False
            continue
        problems.extend(_merge(document, name, merged, positions))
    return _plain(merged), positions, problems, complete


def _merge(
    document: CommentedMap, name: str, merged: dict[str, Any], positions: Positions
) -> list[Problem]:
    """Add one file's sections; an id already declared keeps its first place."""
    problems = []
    for section in document:
        value = document[section]
        line, col = (n + 1 for n in document.lc.key(section))
        if section not in merged:
            merged[section] = value
            _record_section(positions, document, section, name)
            continue
        if (
            section in SINGLE_SECTIONS
            or not isinstance(value, CommentedMap)
            or not isinstance(merged[section], dict)
        ):
            first = positions.keys.get((section,), (name, 1, 1))
            problems.append(
                Problem(
                    name,
                    line,
                    col,
                    f"section '{section}' is also written in {_at(first)}",
                    "write each of organization, policy, rights and breaches in "
                    "one file; other sections may be split, one id per file",
                )
            )
            continue
        for item_id, item in value.items():
            iline, icol = (n + 1 for n in value.lc.key(item_id))
            if item_id in merged[section]:
                first = positions.keys.get((section, item_id), (name, 1, 1))
                problems.append(
                    Problem(
                        name,
                        iline,
                        icol,
                        f"'{item_id}' is declared twice in '{section}': here and in {_at(first)}",
                        "ids must be unique across the files of a register: "
                        "rename or remove one of them",
                    )
                )
                continue
            merged[section][item_id] = item
            positions.keys[(section, item_id)] = (name, iline, icol)
            vline, vcol = (n + 1 for n in value.lc.value(item_id))
            positions.values[(section, item_id)] = (name, vline, vcol)
            positions.record(item, name, (section, item_id))
    return problems


def _record_section(positions: Positions, document: CommentedMap, section: str, name: str) -> None:
    kline, kcol = document.lc.key(section)
    vline, vcol = document.lc.value(section)
    positions.keys[(section,)] = (name, kline + 1, kcol + 1)
    positions.values[(section,)] = (name, vline + 1, vcol + 1)
    positions.record(document[section], name, (section,))


def _at(position: Position) -> str:
    return f"{position[0]}:{position[1]}"


_SYNTAX_HINTS = {
    "found character '\\t'": "YAML indents with spaces only: replace the tab by spaces",
    "found duplicate key": "a key appears once per mapping: keep one of them",
    "mapping values are not allowed here": (
        "a text containing ': ' must be quoted, and nested keys need deeper indentation"
    ),
    "expected ',' or '}'": "inside { }, quote a text that contains ':' or ','",
    "expected ',' or ']'": "close the [ list ] on the line it starts, or quote the text",
    "end of stream": "a quote, bracket or brace is not closed",
}


def _syntax_problem(name: str, exc: MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = f"YAML syntax error: {exc.problem or exc.context}"
    if exc.problem and exc.context and exc.context_mark and exc.context_mark is not mark:
        message += (
            f" ({exc.context} that starts at line {exc.context_mark.line + 1}, "
            f"column {exc.context_mark.column + 1})"
        )
    if "duplicate key" in str(exc.problem):
        key = str(exc.problem).split('"')[1] if '"' in str(exc.problem) else "?"
        message = f"the key '{key}' is written twice in the same mapping"
    hint = next(
        (h for text, h in _SYNTAX_HINTS.items() if text in str(exc.problem)),
        "check the indentation and quoting around this position",
    )
    return Problem(name, line, col, message, hint)


def load_register(path: str | Path) -> Register:
    """Load, validate and cross-check a register; raise RegisterError listing every problem."""
    data, positions, problems, complete = _read(Path(path))
    default: Position = (str(path), 1, 1)
    if not complete:
        # A file that cannot be read would make every id it declares look missing.
        raise RegisterError(problems)
    register = None
    try:
        register = Register.model_validate(data)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, data, positions, default))
    for loc, message, hint in check_data_references(data):
        problems.append(Problem(*positions.where(loc, data, default=default), message, hint))
    if problems or register is None:
        raise RegisterError(_unique(problems))
    return register


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, int, int, str]] = set()
    out = []
    for problem in problems:
        key = (problem.file, problem.line, problem.column, problem.message)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out
