"""The gate before publishing: no document from a register whose lint still finds errors.

A policy or an Art. 30 record generated from a register with lint errors would publish those
errors (a transfer on an invalid safeguard, no legal basis, no authority to complain to). The
commands refuse, unless asked for a draft; a draft says so on every page: a banner on screen
and on each printed page of the HTML policy, a first heading in Markdown, a print header on
each sheet of the XLSX record. CSV files have no pages and no room for a mark: the command
says on its standard error that they are a draft.
"""

from __future__ import annotations

from pathlib import Path

from registre._exceptions import DocumentError
from registre.register.model import Lang, Register

DRAFT_MARK: dict[Lang, str] = {
    "fr": "BROUILLON — non publiable : le registre a encore des erreurs de conformité",
    "en": "DRAFT — not for publication: the register still has compliance errors",
}


def lint_errors(register: Register) -> list[str]:
    """The codes and messages of the lint's errors on ``register`` (warnings do not block)."""
    from registre.lint import Severity, lint

    return [f"{f.code} {f.message}" for f in lint(register) if f.severity is Severity.error]


def check_publishable(register: Register, path: Path, document: str, *, draft: bool) -> list[str]:
    """Raise :class:`DocumentError` when the lint finds errors and no draft was asked for.

    Returns the errors (empty when the register is clean), so a draft can say how many.
    """
    errors = lint_errors(register)
    if errors and not draft:
        shown = "\n  ".join(errors[:5]) + ("\n  ..." if len(errors) > 5 else "")
        raise DocumentError(
            f"{path}: the lint finds {len(errors)} error{'s' if len(errors) > 1 else ''}, so "
            f"the {document} would publish them:\n  {shown}",
            hint=f"fix them (`registre lint {path}` shows where), or add --draft for a copy "
            "marked as a draft on every page",
        )
    return errors


def mark_xlsx_draft(path: Path, lang: Lang) -> None:
    """Print the draft mark at the top of every page of every sheet, and on the first row."""
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    for sheet in workbook.worksheets:
        for header in (sheet.oddHeader, sheet.evenHeader, sheet.firstHeader):
            if header is not None:
                header.center.text = DRAFT_MARK[lang]
        sheet.sheet_properties.tabColor = "B00020"
    workbook.save(path)
