"""Commands: lint (compliance findings) and diff (changes between two versions).

Both load the register first: a register that does not load raises RegisterError, which
``registre.cli.main`` prints as file:line:col problems. The lint then locates each finding with
the positions the loader recorded, so editors and GitHub code scanning can point at the line.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from registre.cli.application import EXIT_PROBLEMS, app

if TYPE_CHECKING:
    from registre.register.model import Register

LINT_DOCS = "docs/lint.md"


class LintFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


class Language(StrEnum):
    fr = "fr"
    en = "en"


RegisterPath = typer.Argument(
    ..., help="A register.yaml, or a folder of YAML files.", show_default=False
)


@app.command()
def lint(
    path: Path = RegisterPath,
    output: LintFormat = typer.Option(
        LintFormat.text, "--format", help="text, json, or sarif (SARIF 2.1.0 for code scanning)."
    ),
    fail_on: FailOn = typer.Option(
        FailOn.error, "--fail-on", help="Exit 1 when a finding reaches this severity."
    ),
) -> None:
    """Report what a DPO would flag in a register, with the article it comes from."""
    from registre.lint import lint as run_lint
    from registre.register.loader import load_register, read_register_data

    register = load_register(path)
    _, positions, _ = read_register_data(path)
    first = positions.keys.get(("organization",), (str(path), 1, 1))
    default = (first[0], 1, 1)
    located = [(positions.of(f.location, key=True, default=default), f) for f in run_lint(register)]
    located.sort(key=lambda item: (item[0], item[1].code, item[1].message))
    if output == LintFormat.json:
        print(
            json.dumps([_as_json(where, f) for where, f in located], indent=2, ensure_ascii=False)
        )
    elif output == LintFormat.sarif:
        print(
            json.dumps(
                sarif_log([(where, f) for where, f in located]), indent=2, ensure_ascii=False
            )
        )
    else:
        for (file, line, col), f in located:
            print(f"{file}:{line}:{col}: {f.code} {f.severity}: {f.message} ({f.reference})")
        print(_summary([f for _, f in located]))
    if fail_on != FailOn.never:
        from registre.lint import Severity

        threshold = Severity(fail_on.value).rank
        if any(f.severity.rank >= threshold for _, f in located):
            raise typer.Exit(EXIT_PROBLEMS)


def _summary(findings: list[Any]) -> str:
    if not findings:
        return "no findings"
    counts = []
    for severity, singular, plural in (
        ("error", "error", "errors"),
        ("warning", "warning", "warnings"),
        ("info", "info", "info"),
    ):
        count = sum(1 for f in findings if f.severity == severity)
        if count:
            counts.append(f"{count} {singular if count == 1 else plural}")
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} {noun}: {', '.join(counts)}"


def _as_json(where: tuple[str, int, int], finding: Any) -> dict[str, Any]:
    file, line, column = where
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "title": finding.rule.title,
        "message": finding.message,
        "reference": finding.reference,
        "file": file,
        "line": line,
        "column": column,
        "location": list(finding.location),
    }


SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def sarif_log(located: list[tuple[tuple[str, int, int], Any]]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with every rule of the catalogue, as GitHub code scanning reads it."""
    from registre import __version__
    from registre.lint import RULES

    codes = sorted(RULES)
    rules = [
        {
            "id": code,
            "name": "".join(
                w.capitalize() for w in RULES[code].title.replace("-", " ").split() if w.isalnum()
            ),
            "shortDescription": {"text": RULES[code].title},
            "fullDescription": {"text": f"{RULES[code].help} ({RULES[code].reference})"},
            "help": {
                "text": f"{RULES[code].help}\nReference: {RULES[code].reference}\n"
                f"See {LINT_DOCS}#{code.lower()}",
                "markdown": f"{RULES[code].help}\n\n**Reference:** {RULES[code].reference}\n\n"
                f"See [{LINT_DOCS}]({LINT_DOCS}#{code.lower()}).",
            },
            "defaultConfiguration": {"level": SARIF_LEVELS[RULES[code].severity.value]},
            "properties": {"tags": ["gdpr", "privacy"]},
        }
        for code in codes
    ]
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": SARIF_LEVELS[f.severity.value],
            "message": {"text": f"{f.message} ({f.reference})"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(file), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": line, "startColumn": column},
                    },
                }
            ],
            "partialFingerprints": {
                "registreLocation/v1": f.code + ":" + "/".join(map(str, f.location)),
            },
        }
        for (file, line, column), f in located
    ]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "registre",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _uri(file: str) -> str:
    path = Path(file)
    if path.is_absolute():
        return path.as_uri()
    return path.as_posix()


@app.command()
def diff(
    old: Path = typer.Argument(
        ..., help="The previous version of the register.", show_default=False
    ),
    new: Path = typer.Argument(..., help="The new version of the register.", show_default=False),
    output: DiffFormat = typer.Option(DiffFormat.text, "--format", help="text or json."),
    lang: Language | None = typer.Option(
        None, "--lang", help="Language of the descriptions; the new policy's first by default."
    ),
    fail_on_rights_change: bool = typer.Option(
        False,
        "--fail-on-rights-change",
        help="Exit 1 when a change affects people's rights (for CI).",
    ),
    notice: bool = typer.Option(
        False,
        "--notice",
        help="Write the notice to people instead (Markdown): effective date, who is affected, "
        "what changes for them, the link to the new policy.",
    ),
    policy_url: str | None = typer.Option(
        None,
        "--policy-url",
        metavar="URL",
        help="The new policy's address, for --notice; the organization's website by default.",
    ),
) -> None:
    """Show what changed between two versions, and which changes people must be told about."""
    from registre.diff import diff_registers, must_bump, render_notice, render_text

    before, after = _load_both(old, new)
    language = lang.value if lang is not None else after.policy.languages[0]
    changes = diff_registers(before, after)
    if notice:
        print(render_notice(changes, before, after, language, policy_url), end="")
    elif output == DiffFormat.json:
        report = {
            "old": {"version": before.policy.version, "date": before.policy.date.isoformat()},
            "new": {"version": after.policy.version, "date": after.policy.date.isoformat()},
            "must_bump": must_bump(before, after, changes),
            "changes": [
                {
                    "kind": c.kind.value,
                    "affects_rights": c.affects_rights,
                    "location": list(c.location),
                    "description": c.describe(language),
                }
                for c in changes
            ],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(render_text(changes, before, after, language), end="")
    if fail_on_rights_change and any(c.affects_rights for c in changes):
        raise typer.Exit(EXIT_PROBLEMS)


def _load_both(old: Path, new: Path) -> tuple[Register, Register]:
    """Both versions, or the problems of both at once."""
    from registre._exceptions import RegisterError
    from registre.register.loader import load_register

    loaded = []
    problems = []
    for path in (old, new):
        try:
            loaded.append(load_register(path))
        except RegisterError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RegisterError(problems)
    return loaded[0], loaded[1]
