"""One error shape and one exit-code convention for every command (README, "The command line").

Exit codes: 0 ok; 1 a problem found (a broken register, a missing state, an unreachable
database, an unknown request, a failed rule); 2 a usage error (the command line itself is
wrong: an unknown option, a missing argument, a date in the future for a sweep).

A problem is printed as ``error: WHAT, naming WHERE`` then ``    hint: WHAT TO DO``; a broken
register as one ``file:line:col: message`` line per problem, each with its hint, then
``the register has N problems; nothing was written.`` No traceback and no password, ever.
Driven through ``registre.cli.main``, as a user's shell runs it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

import registre

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT / "examples" / "online-shop" / "register.yaml"
SECRET = "S3cretPW"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    from registre.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REGISTRE_STATE_URL", raising=False)
    monkeypatch.delenv("REGISTRE_REGISTER", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["registre", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        # whatever the outcome, no run prints the password of a URL it was given
        assert SECRET not in captured.out + captured.err, captured
        return code, captured.out, captured.err

    return run


def _problem_shape(err: str, where: str) -> None:
    """``error: ...`` naming ``where``, then a hint; nothing else but more hints."""
    lines = err.rstrip("\n").splitlines()
    assert lines[0].startswith("error: "), err
    assert where in lines[0], err
    assert any(line.startswith("    hint: ") and len(line) > 12 for line in lines[1:]), err


# (case, arguments, what the first line names); {tmp}: the test's folder
PROBLEMS = [
    (
        "missing state",
        ["audit", "verify", "--state-url", "sqlite:///{tmp}/none.sqlite"],
        "none.sqlite",
    ),
    (
        "unreachable store",
        ["plan", str(REGISTER), "--url", f"postgresql+psycopg://app:{SECRET}@127.0.0.1:1/shop"],
        "store 'shop'",
    ),
    (
        "malformed URL",
        ["plan", str(REGISTER), "--url", f"postgresql+psycopg://app:{SECRET}@db:port/shop"],
        "store 'shop'",
    ),
    (
        "unknown request",
        ["request", "show", "R-nope", "--state-url", "sqlite:///{tmp}/state.sqlite"],
        "R-nope",
    ),
    (
        "malformed state URL",
        ["audit", "verify", "--state-url", f"postgresql+psycopg://u:{SECRET}@h:x/state"],
        "h:x/state",
    ),
]


@pytest.mark.parametrize(("args", "where"), [p[1:] for p in PROBLEMS], ids=[p[0] for p in PROBLEMS])
def test_a_problem_exits_1_saying_what_where_and_what_to_do(
    run: Any, tmp_path: Path, args: list[str], where: str
) -> None:
    registre.open_state(f"sqlite:///{tmp_path}/state.sqlite").close()  # a state, no requests
    code, out, err = run(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert code == 1, err
    _problem_shape(err, where)
    assert "Traceback" not in err + out and SECRET not in err + out


@pytest.mark.parametrize(
    ("name", "text"),
    [("missing.yaml", None), ("broken.yaml", "policy: {version: 1}\n")],
    ids=["no such file", "a broken register"],
)
def test_a_broken_register_lists_every_problem_where_it_is(
    run: Any, tmp_path: Path, name: str, text: str | None
) -> None:
    if text is not None:
        (tmp_path / name).write_text(text)
    code, _out, err = run("check", name)
    assert code == 1
    lines = err.rstrip("\n").splitlines()
    problems = [line for line in lines if re.match(rf"{re.escape(name)}:\d+:\d+: \S", line)]
    assert problems and all(
        line.startswith("    hint: ") for line in lines[:-1] if line not in problems
    ), err
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    assert lines[-1] == f"the register has {count} {noun}; nothing was written."
    assert "Traceback" not in err


USAGE = [
    ("unknown option", ["plan", str(REGISTER), "--frobnicate"], "No such option"),
    ("missing argument", ["plan"], "Missing argument"),
    ("unknown command", ["sweeep"], "No such command"),
    (
        "a sweep ahead of time",
        ["sweep", str(REGISTER), "--url", "sqlite:///{tmp}/none.sqlite", "--at", "2999-01-01"],
        "in the future",
    ),
]


@pytest.mark.parametrize(("args", "said"), [u[1:] for u in USAGE], ids=[u[0] for u in USAGE])
def test_a_usage_error_exits_2_with_the_usage(
    run: Any, tmp_path: Path, args: list[str], said: str
) -> None:
    code, out, err = run(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert code == 2, err
    assert err.startswith("Usage: registre") and "--help" in err and said in err
    assert "Traceback" not in err + out


def test_what_works_exits_0_and_prints_no_error(run: Any) -> None:
    code, _out, err = run("check", str(REGISTER))
    assert code == 0 and "error" not in err.lower()
