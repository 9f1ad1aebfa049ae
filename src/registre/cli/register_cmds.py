"""Commands about the register file itself: check, schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from registre.cli import app, out

RegisterPath = typer.Argument(..., help="A register.yaml, or a folder of YAML files.",
                              show_default=False)


@app.command()
def check(path: Path = RegisterPath) -> None:
    """Validate a register and report every problem as file:line:column."""
    from registre.register.loader import load_register

    register = load_register(path)
    activities = len(register.activities)
    rules = len(register.rules())
    out.print(f"{path}: OK ({activities} processing activities, {rules} retention rules)")


@app.command()
def schema() -> None:
    """Print the register's JSON Schema, for editors to validate and autocomplete."""
    from registre.register.schema import register_json_schema

    print(json.dumps(register_json_schema(), indent=2, ensure_ascii=False))
