"""Documentation is a tested artifact: the register reference matches the model."""

from __future__ import annotations

from pathlib import Path

from registre.register import reference_doc

ROOT = Path(__file__).resolve().parent.parent


def test_register_reference_is_up_to_date() -> None:
    written = (ROOT / "docs" / "register-format.md").read_text(encoding="utf-8")
    assert written == reference_doc.render(), (
        "docs/register-format.md is out of date: run "
        "`.venv/bin/python -m registre.register.reference_doc > docs/register-format.md`"
    )


def test_every_register_key_has_a_meaning() -> None:
    undocumented = [
        f"{cls.__name__}.{name}"
        for cls in reference_doc._models()
        for name, field in cls.model_fields.items()
        if not field.description
    ]
    assert undocumented == []


def test_published_json_schema_is_up_to_date() -> None:
    import json

    from registre.register.schema import register_json_schema

    written = json.loads((ROOT / "docs" / "register.schema.json").read_text(encoding="utf-8"))
    assert written == register_json_schema(), (
        "docs/register.schema.json is out of date: run "
        "`.venv/bin/registre schema > docs/register.schema.json`"
    )
