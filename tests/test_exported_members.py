"""The public API is deliberate: ``registre.__all__`` is sorted and names only public objects."""

from __future__ import annotations

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
