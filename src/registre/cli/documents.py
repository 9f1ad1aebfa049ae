"""Commands: policy, ropa."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from registre.cli.application import app, out

RegisterPath = typer.Argument(
    ..., help="A register.yaml, or a folder of YAML files.", show_default=False
)


class Language(StrEnum):
    fr = "fr"
    en = "en"


class PolicyFormat(StrEnum):
    md = "md"
    html = "html"


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class Separator(StrEnum):
    semicolon = ";"
    comma = ","


class Variant(StrEnum):
    controller = "controller"
    processor = "processor"
    both = "both"


@app.command()
def policy(
    path: Path = RegisterPath,
    lang: Language = typer.Option(Language.fr, "--lang", help="Language of the policy."),
    fmt: PolicyFormat = typer.Option(
        PolicyFormat.md, "--format", help="Markdown, or standalone HTML."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write; standard output if omitted."
    ),
    draft: bool = typer.Option(
        False, "--draft", help="Generate even when the lint finds errors, marked as a draft."
    ),
) -> None:
    """Generate the privacy policy from the register (refused while the lint finds errors)."""
    from registre.documents import DocumentError, render_policy
    from registre.documents.gate import check_publishable
    from registre.register.loader import load_register

    register = load_register(path)
    errors = check_publishable(register, path, "policy", draft=draft)
    text = render_policy(register, lang.value, fmt.value, draft=bool(errors))
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DocumentError(
            f"cannot write the policy to {output}: {exc.strerror}",
            hint="check that the folder exists and is writable",
        ) from None
    out.print(f"wrote {output}")


@app.command()
def ropa(
    path: Path = RegisterPath,
    fmt: ExportFormat = typer.Option(
        ExportFormat.csv, "--format", help="CSV (one file per table) or one XLSX workbook."
    ),
    output: Path = typer.Option(
        Path("."), "--output", "-o", help="Folder for CSV files; file or folder for XLSX."
    ),
    variant: Variant = typer.Option(
        Variant.both,
        "--variant",
        help="Art. 30(1) controller record, Art. 30(2) processor record, or both.",
    ),
    lang: Language | None = typer.Option(
        None, "--lang", help="Language; the policy's first language if omitted."
    ),
    separator: Separator = typer.Option(
        Separator.semicolon,
        "--separator",
        help="CSV separator: ';' for French Excel (the default), ',' for other locales.",
    ),
    connect: bool = typer.Option(
        False,
        "--connect",
        help="Name each client we act for as a processor, read from the tenants table.",
    ),
    draft: bool = typer.Option(
        False, "--draft", help="Export even when the lint finds errors, marked as a draft."
    ),
) -> None:
    """Export the Art. 30 record of processing activities (refused while the lint finds errors)."""
    from registre.documents import write_ropa
    from registre.documents.gate import DRAFT_MARK, check_publishable, mark_xlsx_draft
    from registre.register.loader import load_register

    register = load_register(path)
    errors = check_publishable(register, path, "Art. 30 record", draft=draft)
    language = lang.value if lang is not None else register.policy.languages[0]
    clients = None
    if connect:
        from registre.documents.ropa_clients import live_clients

        clients = live_clients(register)
    written = write_ropa(
        register,
        output,
        fmt.value,
        language,
        variant.value,
        separator=separator.value,
        clients=clients,
    )
    if errors:
        for file in written:
            if file.suffix == ".xlsx":
                mark_xlsx_draft(file, language)
        out.print(f"{DRAFT_MARK['en']} ({len(errors)} lint errors)")
    for file in written:
        out.print(f"wrote {file}")
