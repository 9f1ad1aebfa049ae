"""The command-line help is a tested document (issue 13 §3, §6).

docs/cli-reference.md is generated from every command's ``--help`` by scripts/cli_reference.py;
these tests fail when it drifts from the code, and when a help text shows what a user cannot
act on: a Python type as a placeholder (``<str>``, ``<list[str]>``), an argument in braces
(``{path}``), a space before a full stop, an environment variable the option reads but does not
name.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "cli_reference.py"


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("cli_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = _script()
HELP = dict(REFERENCE.commands(__import__("registre.cli").cli.command(), ["registre"]))


def test_the_reference_is_the_commands_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert REFERENCE.main(["--check"]) == 0, capsys.readouterr().err


def test_every_command_is_in_the_reference() -> None:
    text = (ROOT / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    for name in HELP:
        assert f"# {name}\n" in text, name


@pytest.mark.parametrize(
    ("fault", "pattern"),
    [
        ("a Python type as a placeholder", r"<(str|int|bool|path|float|list\[[^>]*\]|[a-z ]+)>"),
        ("an argument in braces", r"\{[A-Za-z_]+\}"),
        ("a space before a full stop", r"\w \.(\s|$)"),
        ("a default repeating the environment variable", r"\[default: \$REGISTRE_REGISTER\]"),
        ("a sentence cut at an abbreviation", r"Art\.\s*$"),
    ],
)
def test_no_help_text_shows(fault: str, pattern: str) -> None:
    found = {
        name: match.group(0)
        for name, text in HELP.items()
        for match in [re.search(pattern, text, re.MULTILINE)]
        if match
    }
    assert not found, f"{fault}: {found}"


def _params() -> list[tuple[str, Any, Any]]:
    from registre.cli import command

    found = []

    def walk(cmd: Any, path: str) -> None:
        for param in cmd.params:
            found.append((path, cmd, param))
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, f"{path} {name}")

    walk(command(), "registre")
    return found


def test_each_environment_variable_read_is_named() -> None:
    missing = []
    for path, cmd, param in _params():
        if not getattr(param, "envvar", None):
            continue
        ctx = cmd.context_class(cmd, info_name=path)
        record = param.get_help_record(ctx)
        if record is None or f"env var: {param.envvar}" not in " ".join(record[1].split()):
            missing.append(f"{path} {param.opts}")
    assert not missing


def test_each_value_has_a_name_a_user_writes() -> None:
    for path, _cmd, param in _params():
        if getattr(param, "is_flag", False):
            continue
        assert param.metavar and re.fullmatch(r"[A-Z_=]+|[a-z;,|]+", param.metavar), (
            path,
            param.opts,
            param.metavar,
        )


def test_version(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import registre
    from registre.cli import main

    monkeypatch.setattr(sys, "argv", ["registre", "--version"])
    try:
        main()
    except SystemExit as exited:  # main() returns on success, exits otherwise
        assert exited.code in (0, None)
    assert capsys.readouterr().out == f"registre {registre.__version__}\n"
