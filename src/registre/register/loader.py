"""Load a register from YAML, keeping the position of every key and value.

Every problem is collected and reported at once as a :class:`Problem` with the file, line and
column it comes from: YAML syntax, ids declared twice across files, the model's validation and
the cross-references (undeclared ids, untranslated texts) in one list. A register is one YAML
file or a folder of them: top-level sections are merged across files, ids must be unique across
files.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.reader import ReaderError

from registre._exceptions import Problem, RegisterError
from registre.register.model import Register
from registre.register.references import check_data_references
from registre.register.validation import Loc, Position, dotted, validation_problems
from registre.register.yamlshape import MAX_VALUES, shape_problems

SINGLE_SECTIONS = frozenset({"registre", "organization", "policy", "rights", "breaches"})

# Far deeper than any register; past it a file is almost surely an unclosed bracket, and the
# YAML composer, which recurses, would overflow the stack first.
MAX_DEPTH = 100

MAX_BYTES = 1_000_000
"""The most a register (all its files) may hold. The bundled examples hold 5 to 25 KB. ruamel
reads about 150 KB a second, so a register at the limit is checked in seconds, and every guard
below (depth, aliases) keeps memory in proportion to the file."""


def _lc(pairs: Any, key: Any) -> tuple[int, int] | None:
    """A 0-based (line, column) from ruamel's ``lc``; None for a key merged in with ``<<``."""
    try:
        found = pairs(key)
    except (KeyError, IndexError):
        return None
    return (found[0], found[1]) if found else None


class Positions:
    """Maps a path in the loaded data to where it was written."""

    def __init__(self) -> None:
        self.keys: dict[Loc, Position] = {}
        self.values: dict[Loc, Position] = {}
        self._by_value: dict[Position, Loc] | None = None
        self._indexed = 0

    def record(self, node: Any, file: str, loc: Loc = ()) -> None:
        if isinstance(node, CommentedMap):
            for key in node:
                self.mark((*loc, key), file, _lc(node.lc.key, key), _lc(node.lc.value, key))
                self.record(node[key], file, (*loc, key))
        elif isinstance(node, CommentedSeq):
            for index, item in enumerate(node):
                where = _lc(node.lc.item, index)
                self.mark((*loc, index), file, where, where)
                self.record(item, file, (*loc, index))

    def mark(
        self, loc: Loc, file: str, key: tuple[int, int] | None, value: tuple[int, int] | None
    ) -> None:
        """Record 0-based marks; a key merged in with ``<<`` has none and is shown at its parent."""
        if key is not None:
            self.keys[loc] = (file, key[0] + 1, key[1] + 1)
        if value is not None:
            self.values[loc] = (file, value[0] + 1, value[1] + 1)

    def loc_of_value(self, position: Position) -> Loc | None:
        """The key whose value was written at ``position``, if any (the deepest one)."""
        if self._by_value is None or self._indexed != len(self.values):
            # built once per file: a file of 60,000 impossible dates asks 60,000 times
            self._by_value, self._indexed = {}, len(self.values)
            for loc, where in self.values.items():
                known = self._by_value.get(where)
                if known is None or len(loc) > len(known):
                    self._by_value[where] = loc
        return self._by_value.get(position)

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
    room = MAX_BYTES
    for file in files:
        name = _display(file)
        document, unreadable, problem, size = _parse(file, name, room)
        room -= size
        if problem is not None:
            problems.append(problem)
            complete = False
            if room < 0:
                break  # the others would be refused too, and reading them is the cost
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
        for scalar in unreadable:
            loc = positions.loc_of_value((name, scalar.line, scalar.column))
            message = f"{dotted(loc)}: {scalar.message}" if loc else scalar.message
            problems.append(Problem(name, scalar.line, scalar.column, message, scalar.hint))
    return _plain(merged), positions, problems, complete


def _parse(file: Path, name: str, room: int) -> tuple[Any, list[Problem], Problem | None, int]:
    """One file's YAML document, the scalars it could not build, or why it cannot be read.

    The last item is the number of bytes read, at most ``room + 1``: past ``room`` the file is
    refused unread, so that a big file (or a device such as /dev/zero) cannot fill the memory.
    """
    try:
        with file.open("rb") as stream:
            raw = stream.read(room + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return None, [], Problem(name, 1, 1, f"the file cannot be read: {reason}", ""), 0
    if len(raw) > room:
        return None, [], _too_big(name, room), len(raw)
    try:
        # universal newlines, as read_text() would: ruamel counts lines on '\n'
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        problem = Problem(name, 1, 1, "the file is not UTF-8 text", "save it as UTF-8")
        return None, [], problem, len(raw)
    return (*_parse_text(text, name), len(raw))


def _parse_text(text: str, name: str) -> tuple[Any, list[Problem], Problem | None]:
    yaml = YAML(typ="rt")
    yaml.Composer = _Composer
    yaml.Constructor = _Constructor
    try:
        document = yaml.load(text)
    except _Refused as exc:
        # the first is reason enough not to build this file (it may never end)
        return None, [], replace(exc.problem, file=name)
    except MarkedYAMLError as exc:
        return None, [], _syntax_problem(name, exc)
    except ReaderError as exc:
        return None, [], _reader_problem(name, text, exc)
    except RecursionError:
        return None, [], _too_deep(name, text)
    except YAMLError as exc:  # not raised by ruamel for a str input today; kept as a net
        return None, [], Problem(name, 1, 1, f"the file cannot be read as YAML: {exc}", "")
    return document, yaml.constructor.unreadable, None


def _too_big(name: str, room: int) -> Problem:
    whole = f"a register may be at most {MAX_BYTES:,} bytes"
    if room == MAX_BYTES:
        message = f"the file is larger than {MAX_BYTES:,} bytes; {whole}"
    else:
        message = f"with this file the register's files add up to more than {MAX_BYTES:,} bytes"
    return Problem(
        name,
        1,
        1,
        message,
        "the largest registers are a few dozen KB: look for data or a log pasted into it, "
        "or for a big YAML file in the register's folder that is not part of it",
    )


class _Refused(Exception):
    """A composed file that must not be built (see :mod:`registre.register.yamlshape`)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Composer(Composer):
    """Composes as ruamel does, but stops at :data:`MAX_VALUES` nodes and aliases.

    Composing is the slow part of reading (about 10,000 values a second on a busy machine):
    a 1 MB file of one-letter values is refused after 200,000 of them instead of 500,000.
    Reusing an anchor name is allowed by YAML; ruamel warns about it, on stderr.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warn_double_anchors = False
        self.composed = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.composed += 1
        if self.composed > MAX_VALUES:
            mark = self.parser.peek_event().start_mark
            raise _Refused(
                Problem(
                    "",
                    mark.line + 1,
                    mark.column + 1,
                    f"the file holds more than {MAX_VALUES:,} keys and values",
                    "a register holds a few thousand: look for data or a log pasted into it",
                )
            )
        return super().compose_node(parent, index)


class _Constructor(RoundTripConstructor):
    """Builds values as ruamel does, but keeps a scalar it cannot build as the text written.

    ruamel raises a bare ValueError, without a position, for an impossible date such as
    ``2026-02-30`` or for a number too long to convert. Here the value stays a string and the
    problem is kept with the scalar's position, so the rest of the file is still checked.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unreadable: list[Problem] = []

    def construct_document(self, node: Any) -> Any:
        """Build the document, unless its aliases or tags are refused before anything expands."""
        refused = shape_problems(node, "")
        if refused:
            raise _Refused(refused[0])
        return super().construct_document(node)

    def _keep(self, node: Any, message: str, hint: str) -> str:
        mark = node.start_mark
        self.unreadable.append(Problem("", mark.line + 1, mark.column + 1, message, hint))
        return str(node.value)

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError as exc:
            return self._keep(node, *_impossible_date(str(node.value), exc))

    def construct_yaml_int(self, node: Any) -> Any:
        try:
            return super().construct_yaml_int(node)
        except ValueError as exc:
            return self._keep(node, *_not_a_number(str(node.value), "a whole number", exc))

    def construct_yaml_float(self, node: Any) -> Any:
        try:
            return super().construct_yaml_float(node)
        except ValueError as exc:
            return self._keep(node, *_not_a_number(str(node.value), "a decimal number", exc))


for _kind in ("timestamp", "int", "float"):
    _Constructor.add_constructor(
        f"tag:yaml.org,2002:{_kind}", getattr(_Constructor, f"construct_yaml_{_kind}")
    )

_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")
_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


def _impossible_date(text: str, exc: ValueError) -> tuple[str, str]:
    reason = str(exc)
    match = _DATE.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        if year < 1:
            reason = "there is no year 0"
        elif not 1 <= month <= 12:
            reason = f"there is no month {month}"
        elif not 1 <= day <= (days := calendar.monthrange(year, month)[1]):
            reason = f"{_MONTHS[month - 1]} {year} has {days} days"
    kind = "date" if match and match.end() == len(text) else "date and time"
    return (
        f"'{text}' is not a {kind} that exists: {reason}",
        "write a real date as YYYY-MM-DD, such as 2026-09-01",
    )


def _not_a_number(text: str, kind: str, exc: ValueError) -> tuple[str, str]:
    digits = sum(char.isdigit() for char in text)
    reason = f"it has {digits} digits" if "limit" in str(exc) else "it is not written as one"
    shown = text if len(text) <= 40 else text[:20] + "..." + text[-10:]
    return (
        f"'{shown}' cannot be read as {kind}: {reason}",
        "if it is a text, write it between quotes",
    )


def _reader_problem(name: str, text: str, exc: ReaderError) -> Problem:
    position = int(exc.position)
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    return Problem(
        name,
        line,
        column,
        f"the file contains the control character U+{code:04X}, which YAML does not allow",
        "delete it: such invisible characters usually come from a copy and paste",
    )


def _too_deep(name: str, text: str) -> Problem:
    """Where the nesting first goes past ``MAX_DEPTH``, found with the (iterative) parser."""
    line = column = 1
    depth = 0
    try:
        for event in YAML(typ="rt").parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line, column = event.start_mark.line + 1, event.start_mark.column + 1
                    break
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        pass
    return Problem(
        name,
        line,
        column,
        f"lists and mappings are nested more than {MAX_DEPTH} levels deep here",
        "a register is a few levels deep: look for a [ or { that is never closed, "
        "or for indentation that keeps growing",
    )


def _merge(
    document: CommentedMap, name: str, merged: dict[str, Any], positions: Positions
) -> list[Problem]:
    """Add one file's sections; an id already declared keeps its first place."""
    problems = []
    for section in document:
        value = document[section]
        line, col = (n + 1 for n in _lc(document.lc.key, section) or (0, 0))
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
            iline, icol = (n + 1 for n in _lc(value.lc.key, item_id) or (line - 1, col - 1))
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
            positions.mark(
                (section, item_id), name, (iline - 1, icol - 1), _lc(value.lc.value, item_id)
            )
            positions.record(item, name, (section, item_id))
    return problems


def _record_section(positions: Positions, document: CommentedMap, section: str, name: str) -> None:
    key, value = _lc(document.lc.key, section), _lc(document.lc.value, section)
    positions.mark((section,), name, key, value)
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
    "'<stream end>'": "the file ends where a value is expected: close the [ or {, or finish it",
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
    if "another document" in str(exc.problem):
        return Problem(
            name,
            line,
            col,
            "a register file holds one YAML document, and this '---' starts a second one",
            "remove the '---' line, or make a folder register with one document per file",
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
    # A value the YAML reader could not build (2026-02-30) is reported once, by the reader.
    read = {(problem.file, problem.line, problem.column) for problem in problems}
    checked: list[Problem] = []
    register = None
    try:
        register = Register.model_validate(data)
    except ValidationError as exc:
        checked.extend(validation_problems(exc, data, positions, default))
    for loc, message, hint in check_data_references(data):
        checked.append(Problem(*positions.where(loc, data, default=default), message, hint))
    problems.extend(p for p in checked if (p.file, p.line, p.column) not in read)
    if problems or register is None:
        raise _listed(_unique(problems))
    return register


MAX_LISTED = 100
"""Problems listed at most. A pasted log can make 50,000 of them, and printing them all takes
minutes; the first hundred, in file order, are the ones to fix first anyway."""


def _listed(problems: list[Problem]) -> RegisterError:
    if len(problems) <= MAX_LISTED:
        return RegisterError(problems)
    ordered = sorted(problems)
    rest = ordered[MAX_LISTED]
    more = Problem(
        rest.file,
        rest.line,
        rest.column,
        f"and {len(ordered) - MAX_LISTED:,} more problems from here on, not listed",
        "fix the ones above and check again: many problems often come from one mistake",
    )
    return RegisterError([*ordered[:MAX_LISTED], more], total=len(ordered))


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, int, int, str]] = set()
    out = []
    for problem in problems:
        key = (problem.file, problem.line, problem.column, problem.message)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out
