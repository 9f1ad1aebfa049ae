"""Commands about the register file itself: check, schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from registre.cli import app, out

RegisterPath = typer.Argument(
    ..., help="A register.yaml, or a folder of YAML files.", show_default=False
)


@app.command()
def check(
    path: Path = RegisterPath,
    connect: bool = typer.Option(
        False, "--connect", help="Also compare each store's mapping with its live database."
    ),
    url: str | None = typer.Option(
        None,
        "--url",
        help="Database URL to use instead of the store's environment variable.",
        show_default=False,
    ),
    store: str | None = typer.Option(
        None,
        "--store",
        help="Only this store (needed with --url when there are several).",
        show_default=False,
    ),
) -> None:
    """Validate a register and report every problem as file:line:column."""
    from registre.register.loader import load_register

    register = load_register(path)
    activities = _count(len(register.activities), "processing activity", "processing activities")
    rules = _count(len(register.rules()), "retention rule", "retention rules")
    out.print(f"{path}: OK ({activities}, {rules})")
    if connect:
        _check_stores(path, register, url, store)


def _check_stores(path: Path, register: Any, url: str | None, only: str | None) -> None:
    from registre._exceptions import MappingError, StoreError
    from registre.register.loader import read_register_data
    from registre.stores import check_mapping, connect

    if only is not None and only not in register.stores:
        raise StoreError(
            f"the register declares no store '{only}'",
            hint="declared stores: " + (", ".join(sorted(register.stores)) or "none"),
        )
    store_ids = [only] if only else list(register.stores)
    if not store_ids:
        raise StoreError(
            "--connect: the register maps no database",
            hint="add a 'stores:' section mapping your tables",
        )
    if url and len(store_ids) > 1:
        raise StoreError(
            "--url is ambiguous: the register has several stores",
            hint="name the store it is for with --store",
        )
    _, positions, _ = read_register_data(path)
    lines: list[str] = []
    for store_id in store_ids:
        engine = connect(register, store_id, url)
        try:
            problems = check_mapping(register, store_id, engine, coverage=True)
        finally:
            engine.dispose()
        for problem in problems:
            file, line, col = positions.of(problem.loc, key=True, default=(str(path), 1, 1))
            lines.append(f"{file}:{line}:{col}: {problem}")
        tables = len(register.stores[store_id].tables)
        if not problems:
            out.print(f"store '{store_id}': the database matches the mapping ({tables} tables)")
    if lines:
        count = len(lines)
        raise MappingError(
            f"{count} mismatch{'es' if count > 1 else ''} between the mapping and the database",
            hint="fix the mapping or the schema; no sweep or request runs until they match",
            problems=lines,
        )


@app.command()
def schema() -> None:
    """Print the register's JSON Schema, for editors to validate and autocomplete."""
    from registre.register.schema import register_json_schema

    print(json.dumps(register_json_schema(), indent=2, ensure_ascii=False))


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"
