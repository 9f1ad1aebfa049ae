"""The register's JSON Schema, published for editors (yaml-language-server, VS Code)."""

from __future__ import annotations

from typing import Any

from registre.register.model import ID_PATTERN, Register


def register_json_schema() -> dict[str, Any]:
    schema = Register.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "registre register"
    _add_short_forms(schema["$defs"])
    return schema


def _either(short: dict[str, Any], full: dict[str, Any]) -> dict[str, Any]:
    """``full``, or the short form the loader also reads; the description stays on top."""
    described: dict[str, Any] = {k: full.pop(k) for k in ("description", "title") if k in full}
    return {**described, "anyOf": [short, full]}


def _add_short_forms(defs: dict[str, Any]) -> None:
    """Accept the short forms the model's validators read, so editors do not flag them.

    Pydantic describes what a field holds once validated; a register may write one value
    where a list is expected, a clock as one sentence, a country code for a hosting.
    """
    clock_text = {"type": "string", "pattern": r"^\s*\S.*\s+after\s+[a-z][a-z0-9_-]*\s*$"}
    defs["Clock"] = _either(clock_text, defs["Clock"])

    activity = defs["ProcessingActivity"]["properties"]
    activity["legal_basis"] = _either({"$ref": "#/$defs/LegalBasis"}, activity["legal_basis"])
    activity["sources"]["items"] = {
        "anyOf": [{"$ref": "#/$defs/Source"}, activity["sources"]["items"]]
    }
    rule = defs["RetentionRule"]["properties"]
    rule["after"] = _either({"$ref": "#/$defs/Clock"}, rule["after"])
    organization = defs["Organization"]["properties"]
    organization["supervisory_authority"] = _either(
        {"const": "cnil"}, organization["supervisory_authority"]
    )
    hosting = defs["Organization"]["properties"]["hosting"]
    hosting["items"] = {"anyOf": [{"type": "string", "pattern": "^[A-Za-z]{2}$"}, hosting["items"]]}

    table = defs["TableMapping"]["properties"]
    references = table["references"]
    references["additionalProperties"] = {
        "anyOf": [{"type": "string", "pattern": r"->"}, references["additionalProperties"]]
    }
    rule_ids = {"type": "array", "items": {"type": "string", "pattern": ID_PATTERN}}
    table["rules"] = _either(rule_ids, table["rules"])
