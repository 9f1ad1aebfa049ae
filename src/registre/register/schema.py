"""The register's JSON Schema, published for editors (yaml-language-server, VS Code)."""

from __future__ import annotations

from typing import Any

from registre.register.model import Register


def register_json_schema() -> dict[str, Any]:
    schema = Register.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "registre register"
    return schema
