"""The public API is deliberate: ``registre.__all__`` is sorted and names only public objects."""

from __future__ import annotations

from pathlib import Path

import pytest

import registre


def test_all_is_sorted_and_complete() -> None:
    assert registre.__all__ == sorted(registre.__all__)
    for name in registre.__all__:
        assert hasattr(registre, name), name


def test_public_objects_come_from_registre() -> None:
    for name in registre.__all__:
        if name.startswith("__"):
            continue
        member = getattr(registre, name)
        assert member.__module__.startswith("registre."), (name, member.__module__)


def test_every_exception_derives_from_registre_error() -> None:
    errors = [getattr(registre, n) for n in registre.__all__ if n.endswith("Error")]
    assert len(errors) >= 7
    for error in errors:
        assert issubclass(error, registre.RegistreError)


def test_everything_public_is_exported_and_nothing_else() -> None:
    """Both ways, as httpx's test: each public attribute of the package is in ``__all__``, and
    the lazy table, the names for type checkers and ``__all__`` list the same names."""
    import ast
    import inspect
    import types
    from pathlib import Path

    for name in registre.__all__:  # load every export, as a user's code would
        getattr(registre, name)
    public = {
        name
        for name in dir(registre)
        if not name.startswith("_") and not isinstance(getattr(registre, name), types.ModuleType)
    }
    exported = set(registre.__all__) - {"__version__"}
    assert public == exported
    assert set(registre._EXPORTS) == exported
    source = Path(inspect.getfile(registre)).read_text()
    checked = {
        alias.asname or alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        if isinstance(statement, ast.ImportFrom)
        for alias in statement.names
    }
    assert checked == exported


def _annotations(member: object) -> dict[str, str]:
    import dataclasses

    if dataclasses.is_dataclass(member):
        return {f.name: str(f.type) for f in dataclasses.fields(member)}
    return {k: str(v) for k, v in getattr(member, "__annotations__", {}).items()}


def test_what_the_exports_take_and_return_is_exported() -> None:
    """A caller can name the type of everything an exported function returns or takes, and of
    every field of an exported result, without reaching into a private module. Annotations are
    read as written: the names in them are looked up where the export is defined (and in the
    modules it imports for type checkers only)."""
    import dataclasses
    import importlib
    import inspect
    import re
    import sys

    private: dict[str, list[str]] = {}
    for name in registre.__all__:
        member = getattr(registre, name)
        if not (inspect.isfunction(member) or dataclasses.is_dataclass(member)):
            continue  # the register's models and the desk: their own pages document them
        module = sys.modules[member.__module__]
        source = Path(module.__file__ or "").read_text()
        for annotation in _annotations(member).values():
            for word in re.findall(r"\b[A-Z]\w*", annotation):
                if word in registre.__all__ or word in PLAIN:
                    continue
                found = getattr(module, word, None)
                if found is None:  # imported for type checkers only: find where from
                    where = re.search(rf"from (registre[\w.]*) import [^\n]*\b{word}\b", source)
                    if where is None:
                        continue
                    found = getattr(importlib.import_module(where.group(1)), word, None)
                if isinstance(found, type) and found.__module__.startswith("registre."):
                    private.setdefault(word, []).append(name)
    assert {k: v for k, v in private.items() if k not in NOT_YET_EXPORTED} == {}


PLAIN = {"Any", "Literal", "Mapping", "Sequence", "Collection", "Callable", "Iterable", "Path"}
NOT_YET_EXPORTED = {
    "StateLocation",  # the command line's: a caller names the state by its URL or register
    "Client",  # write_ropa's clients (issue 12, in progress): left to its author
}


def test_the_same_thing_has_the_same_argument_name(tmp_path: Path) -> None:
    import inspect
    import warnings

    for function in (registre.is_restricted, registre.has_objected):
        assert list(inspect.signature(function).parameters)[:3] == [
            "state",
            "identity",
            "activity",
        ]
    with registre.open_state(f"sqlite:///{tmp_path / 'state.sqlite'}") as state:
        assert registre.has_objected(state, "a@example.fr", activity="newsletter") is False
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # the former keyword still works, and says so
            assert registre.has_objected(state, "a@example.fr", activity_id="newsletter") is False
        assert [w.category for w in caught] == [DeprecationWarning]
        assert "activity=" in str(caught[0].message)
        assert caught[0].filename == __file__
        with pytest.raises(TypeError, match="activity"):
            registre.has_objected(state, "a@example.fr")
