"""Commands about the register file itself: check, schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from registre._exceptions import MappingError, Problem, RegisterError, RegistreError
from registre.cli.application import EXIT_PROBLEMS, app, out

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
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print one JSON object: ok, the counts, and each problem with its file, line, "
        "column, message and hint; the exit code is the same.",
    ),
) -> None:
    """Validate a register and report every problem as file:line:column."""
    from registre.register.loader import load_register

    try:
        register = load_register(path)
    except RegisterError as error:
        if not as_json:
            raise
        _print_json({"path": str(path), "ok": False, "problems": _problems(error.problems)})
        raise typer.Exit(EXIT_PROBLEMS) from None
    counts = {"activities": len(register.activities), "retention_rules": len(register.rules())}
    if not as_json:
        activities = _count(counts["activities"], "processing activity", "processing activities")
        rules = _count(counts["retention_rules"], "retention rule", "retention rules")
        out.print(f"{path}: OK ({activities}, {rules})")
    from registre.documents.promises import stated_promises

    promises = stated_promises(register)
    if not as_json:
        out.print("  the policy states: " + "; ".join(promises))
    report: dict[str, Any] = {
        "path": str(path),
        "ok": True,
        **counts,
        "promises": promises,
        "problems": [],
    }
    if connect:
        try:
            report["stores"] = _check_stores(path, register, url, store, quiet=as_json)
        except _Mismatches as error:
            if not as_json:
                raise
            report.update(ok=False, stores=error.stores, problems=error.located)
            _print_json(report)
            raise typer.Exit(EXIT_PROBLEMS) from None
        except RegistreError as error:  # a database that does not answer, an unknown store
            if not as_json:
                raise
            report.update(ok=False, error={"message": error.message, "hint": error.hint})
            _print_json(report)
            raise typer.Exit(EXIT_PROBLEMS) from None
    if as_json:
        _print_json(report)


def _print_json(report: dict[str, Any]) -> None:
    print(json.dumps(report, indent=2, ensure_ascii=False))


def _problems(problems: list[Problem]) -> list[dict[str, Any]]:
    return [
        {"file": p.file, "line": p.line, "column": p.column, "message": p.message, "hint": p.hint}
        for p in problems
    ]


class _Mismatches(MappingError):
    """The mapping's mismatches, kept structured as well for ``--json``."""

    def __init__(
        self,
        message: str,
        *,
        hint: str,
        problems: list[str],
        located: list[dict[str, Any]],
        stores: list[dict[str, Any]],
    ) -> None:
        super().__init__(message, hint=hint, problems=problems)
        self.located = located
        self.stores = stores


def _check_stores(
    path: Path, register: Any, url: str | None, only: str | None, *, quiet: bool = False
) -> list[dict[str, Any]]:
    from registre._exceptions import StoreError
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
    located: list[Problem] = []
    stores: list[dict[str, Any]] = []
    for store_id in store_ids:
        engine = connect(register, store_id, url)
        try:
            problems = check_mapping(register, store_id, engine, coverage=True)
        finally:
            engine.dispose()
        for problem in problems:
            file, line, col = positions.of(problem.loc, key=True, default=(str(path), 1, 1))
            lines.append(f"{file}:{line}:{col}: {problem}")
            located.append(Problem(file, line, col, str(problem)))
        tables = len(register.stores[store_id].tables)
        stores.append({"store": store_id, "ok": not problems, "tables": tables})
        if not problems and not quiet:
            out.print(f"store '{store_id}': the database matches the mapping ({tables} tables)")
    if lines:
        count = len(lines)
        raise _Mismatches(
            f"{count} mismatch{'es' if count > 1 else ''} between the mapping and the database",
            hint="fix the mapping or the schema; no sweep or request runs until they match",
            problems=lines,
            located=_problems(located),
            stores=stores,
        )
    return stores


@app.command()
def schema() -> None:
    """Print the register's JSON Schema, for editors to validate and autocomplete."""
    from registre.register.schema import register_json_schema

    print(json.dumps(register_json_schema(), indent=2, ensure_ascii=False))


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"
