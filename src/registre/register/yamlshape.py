"""Guards on a parsed YAML file, before registre walks it.

Two things YAML allows and a register never needs:

* aliases that expand without end: ten lines of anchors and aliases (``&a``, ``*a``) can stand
  for billions of values (the "billion laughs"), or refer to themselves; every later step
  (positions, merging, validation) walks the expanded document, so such a file would hang
  ``registre check`` in a CI job. The walk here counts values as they expand and stops at
  :data:`MAX_VALUES`, far above any real register (the bundled examples hold a few thousand).
* local tags (``!secret``, ``!include``): registre gives them no meaning, and ignoring one
  would silently read what it marks as plain text.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from registre._exceptions import Problem

MAX_VALUES = 200_000
"""Values a register file may expand to, counting each use of an alias in full."""


def shape_problems(document: Any, name: str) -> list[Problem]:
    """Local tags, each once, and an expansion past :data:`MAX_VALUES`, at file:line:col."""
    problems: list[Problem] = []
    budget = MAX_VALUES
    seen: set[int] = set()
    first_alias: tuple[int, int] | None = None
    stack: list[tuple[Any, tuple[int, int]]] = [(document, (0, 0))]
    while stack:
        node, where = stack.pop()
        budget -= 1
        if budget < 0:
            line, column = first_alias or where
            problems.append(
                Problem(
                    name,
                    line + 1,
                    column + 1,
                    f"the file's aliases (*name) expand to more than {MAX_VALUES:,} values, "
                    "or refer to themselves",
                    "a register never needs this: write the values out, or use an alias "
                    "only for a short list or mapping",
                )
            )
            return problems
        if isinstance(node, CommentedMap | CommentedSeq):
            if id(node) in seen:
                first_alias = first_alias or where
                stack.extend(_children(node))
                continue
            seen.add(id(node))
            stack.extend(_children(node))
        tag = getattr(getattr(node, "tag", None), "value", None)
        if isinstance(tag, str) and tag.startswith("!") and not tag.startswith("!!"):
            problems.append(
                Problem(
                    name,
                    where[0] + 1,
                    where[1] + 1,
                    f"the tag {tag} means nothing to registre",
                    "remove it and write the value plainly; a register takes no YAML tags",
                )
            )
    return problems


def _children(node: CommentedMap | CommentedSeq) -> list[tuple[Any, tuple[int, int]]]:
    """The node's values, each with the 0-based position it is written at."""
    if isinstance(node, CommentedMap):
        return [(value, _position(node.lc.value, key, node)) for key, value in node.items()]
    return [(value, _position(node.lc.item, index, node)) for index, value in enumerate(node)]


def _position(pairs: Any, key: Any, parent: Any) -> tuple[int, int]:
    try:
        found = pairs(key)
    except (KeyError, IndexError, TypeError):
        found = None
    if found:
        return (found[0], found[1])
    return (parent.lc.line or 0, parent.lc.col or 0)  # a key merged in with <<
