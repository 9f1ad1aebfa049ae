"""No import cycle between registre's modules, lazy imports included.

A function-level import (``def f(): from registre.x import y``) or one under
``if TYPE_CHECKING:`` hides a cycle from Python, not from a reader: the two modules still need
each other, and neither can be understood, tested or moved alone. This test reads every module
of ``src/registre`` with :mod:`ast`, takes every import wherever it is written (module level,
in a function, under ``TYPE_CHECKING``), and fails on a cycle, naming its modules and the lines
that close it.

``ALLOWED`` lists the import edges still allowed to close a cycle, each with its reason; it
only shrinks. An edge listed there that no longer closes a cycle fails the test too, so the
list cannot keep what was fixed. Importing ``registre.a.b`` is counted as an edge to
``registre.a.b`` only, not to the package ``registre.a``: every module of a package would
otherwise be in a cycle with its ``__init__``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

ALLOWED: dict[tuple[str, str], str] = {
    # types only (under TYPE_CHECKING): an annotation names a class of a module that imports
    # this one; a Protocol (as requests/store_search.py's Searcher) or a move would dissolve each
    ("registre.register.validation", "registre.register.loader"): "type: the loader's Positions",
    ("registre.consent.letter", "registre.consent.withdrawal"): "type: a withdrawal's outcome",
    ("registre.service.jobs.backends", "registre.service.runtime"): "type: the Service",
    ("registre.service.jobs.tasks", "registre.service.runtime"): "type: the Service",
    ("registre.service.jobs.backends", "registre.service.jobs.celery_app"): (
        "lazy: Celery is optional, imported only when the Celery backend is chosen"
    ),
}


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = SRC / "registre") -> dict[str, Path]:
    return {module_name(path): path for path in sorted(root.rglob("*.py"))}


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(module imported, line) for every import of ``path``, wherever it is written."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from registre.requests import execution` imports the submodule
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                for alias in node.names
            ]
        for target in targets:
            while target not in known and "." in target:
                target = target.rpartition(".")[0]
            if target in known and target != name:
                yield target, node.lineno


def graph(known: dict[str, Path]) -> dict[str, dict[str, int]]:
    edges: dict[str, dict[str, int]] = {name: {} for name in known}
    for name, path in known.items():
        for target, line in imports(name, path, known):
            edges[name].setdefault(target, line)
    return edges


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def describe(component: list[str], edges: dict[str, dict[str, int]]) -> str:
    inside = set(component)
    lines = [
        f"  {source} -> {target} (line {line})"
        for source in component
        for target, line in sorted(edges[source].items())
        if target in inside
    ]
    return "cycle between " + ", ".join(component) + ":\n" + "\n".join(lines)


def without(
    edges: dict[str, dict[str, int]], removed: set[tuple[str, str]]
) -> dict[str, dict[str, int]]:
    return {
        source: {t: line for t, line in targets.items() if (source, t) not in removed}
        for source, targets in edges.items()
    }


@pytest.fixture(scope="module")
def edges() -> dict[str, dict[str, int]]:
    return graph(modules())


def test_no_import_cycle_but_those_allowed(edges: dict[str, dict[str, int]]) -> None:
    remaining = cycles(without(edges, set(ALLOWED)))
    assert not remaining, "\n\n".join(describe(c, edges) for c in remaining)


def test_every_allowed_edge_still_closes_a_cycle(edges: dict[str, dict[str, int]]) -> None:
    """Each allowed edge is still needed: without it a cycle remains. An edge fixed since is
    taken off ALLOWED, so the list only shrinks."""
    for edge, reason in ALLOWED.items():
        source, target = edge
        assert target in edges.get(source, {}), f"{source} no longer imports {target}: remove it"
        needed = cycles(without(edges, set(ALLOWED) - {edge}))
        assert needed, f"{source} -> {target} ({reason}) closes no cycle now: remove it"


def test_lazy_and_type_only_imports_are_counted(tmp_path: Path) -> None:
    """The detector itself: a cycle closed by a function-level import and one closed under
    TYPE_CHECKING are both found, and a package's modules importing each other through
    ``from package import module`` are told apart from the package."""
    package = tmp_path / "registre"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from registre.sub.a import A\n")
    (package / "sub" / "a.py").write_text("A = 1\ndef f():\n    from registre.sub import b\n")
    (package / "sub" / "b.py").write_text("from registre.sub.a import A\n")
    (package / "sub" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .d import D\nC = 1\n"
    )
    (package / "sub" / "d.py").write_text("from registre.sub import c\nD = 1\n")
    (package / "sub" / "e.py").write_text("from registre.sub import A\n")
    known = {module_name(path, tmp_path): path for path in sorted(package.rglob("*.py"))}
    found = cycles(graph(known))
    assert sorted(found) == [
        ["registre.sub.a", "registre.sub.b"],
        ["registre.sub.c", "registre.sub.d"],
    ]


@pytest.mark.parametrize("name", ["registre.requests.service", "registre.cli.requests"])
def test_the_request_steps_and_commands_stand_alone(
    name: str, edges: dict[str, dict[str, int]]
) -> None:
    """The request steps take a context, not the desk; command modules import the
    application, not the package that imports them all."""
    assert not [c for c in cycles(edges) if name in c]
