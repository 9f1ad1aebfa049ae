"""Guards on a composed YAML file, before anything is built from it.

Three things YAML allows and a register never needs:

* aliases that expand without end: ten lines of anchors and aliases (``&a``, ``*a``) can stand
  for billions of values (the "billion laughs"), or refer to themselves. Building such a file
  is already the hang: ruamel expands aliases as it builds, and formats the whole expanded
  value into its message about a duplicate key (11 lines took 200 s and 12 GB). So the count
  runs on the composed node graph, where an alias is the node it names, shared: each node's
  expanded size is computed once from its children's, in time linear in the file, and nothing
  is built past :data:`MAX_VALUES`, far above any real register (the bundled examples hold a
  few thousand).
* local tags (``!secret``, ``!include``): registre gives them no meaning, and ignoring one
  would silently read what it marks as plain text.
* YAML's other standard types (``!!set``, ``!!omap``, ``!!binary``...): no register value is
  one, and ruamel fails on some of them without a position (``a: !!set x``).
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from registre._exceptions import Problem

MAX_VALUES = 200_000
"""Keys and values a register file may expand to, counting each use of an alias in full."""

_STANDARD = "tag:yaml.org,2002:"
_PLAIN_TYPES = frozenset(
    {"str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge", "value"}
)
"""The standard tags a register's values can have; ``merge`` is ``<<``, ``value`` is ``=``."""


def shape_problems(root: Node, name: str) -> list[Problem]:
    """Tags that mean nothing here, and an expansion past :data:`MAX_VALUES`, at file:line:col.

    An expansion problem is the last one returned, and the walk stops there.
    """
    problems: list[Problem] = []
    sizes: dict[int, int] = {}  # expanded size of each node whose children are all counted
    ancestors: set[int] = set()
    shared: Node | None = None  # the first node met a second time, through an alias
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, counted = stack.pop()
        key = id(node)
        if counted:
            ancestors.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            sizes[key] = size
            if size > MAX_VALUES:
                problems.append(_too_many(name, shared))
                return problems
            continue
        if key in sizes:
            shared = shared or node
            continue
        if key in ancestors:
            problems.append(_inside_itself(name, node))
            return problems
        ancestors.add(key)
        problem = _tag_problem(name, node)
        if problem is not None:
            problems.append(problem)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))
    return problems


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _at(node: Node) -> tuple[int, int]:
    mark: Any = node.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _too_many(name: str, node: Node | None) -> Problem:
    if node is None:  # no alias: composing stops earlier, this is a net
        return Problem(
            name,
            1,
            1,
            f"the file holds more than {MAX_VALUES:,} keys and values",
            "a register holds a few thousand: look for data or a log pasted into it",
        )
    return Problem(
        name,
        *_at(node),
        f"the file's aliases (*name) expand to more than {MAX_VALUES:,} values",
        "a register never needs this: write the values out, or use an alias "
        "only for a short list or mapping",
    )


def _inside_itself(name: str, node: Node) -> Problem:
    anchor = getattr(node, "anchor", None)
    alias = f"the alias *{anchor}" if anchor else "an alias"
    return Problem(
        name,
        *_at(node),
        f"{alias} is used inside the list or mapping it names, so it refers to itself",
        "a register never needs this: write the values out, or alias only a finished "
        "list or mapping",
    )


def _tag_problem(name: str, node: Node) -> Problem | None:
    tag = str(getattr(node.tag, "trval", None) or node.tag or "")
    if tag.startswith(_STANDARD):
        kind = tag.removeprefix(_STANDARD)
        if kind in _PLAIN_TYPES:
            return None
        shown = f"!!{kind}"
    else:
        shown = tag
    return Problem(
        name,
        *_at(node),
        f"the tag {shown} means nothing to registre",
        "remove it and write the value plainly; a register takes no YAML tags",
    )
