"""The application every command module adds its commands to, and what they share.

The Typer app, the two consoles (``out`` for results, ``err`` for messages), the exit codes,
and :func:`report_error`, the only place where errors become messages for people. Command
modules import from here, never from :mod:`registre.cli`, which imports them all.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from registre._exceptions import MappingError, RegisterError, RegistreError

app = typer.Typer(
    name="registre",
    help="Turn a GDPR register of processing activities into an enforced privacy policy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain help: Rich's markup ate "[default: ...]" out of help texts, and its import cost
    # 0.05 s of every --help
    rich_markup_mode=None,
)
WIDE = 160
"""Columns of the output when it goes to a pipe or a log, where Rich would assume 80 and cut
names short in tables; ``COLUMNS`` overrides it."""


def _console(*, stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        terminal = False
    width = None if terminal or os.environ.get("COLUMNS") else WIDE
    # no emoji codes: "register.yaml:100:1" printed as "register.yaml💯1"
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width, emoji=False)


err = _console(stderr=True)
out = _console(stderr=False)

EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
"""Ctrl-C, as shells report a process stopped by SIGINT (128 + 2)."""


class Interrupted(RegistreError):
    """Ctrl-C stopped a command, which says what it did and left; the hint says how to resume."""


def report_error(exc: RegistreError) -> int:
    """Print an error for people and return the exit code to use."""
    if isinstance(exc, RegisterError):
        for problem in exc.problems:
            err.print(
                f"[bold]{problem.file}:{problem.line}:{problem.column}:[/bold] "
                f"[red]{_escape(problem.message)}[/red]"
            )
            if problem.hint:
                err.print(f"    hint: {_escape(problem.hint)}")
        err.print(f"[red]{exc.message}[/red]; nothing was written.")
        return EXIT_PROBLEMS
    err.print(f"[red]error:[/red] {_escape(exc.message)}")
    if isinstance(exc, MappingError):
        for line in exc.problems:
            err.print(f"  - {_escape(line)}")
    if exc.hint:
        err.print(f"    hint: {_escape(exc.hint)}")
    return EXIT_PROBLEMS


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def resume_command() -> str:
    """This command line, to run again after Ctrl-C; the passwords of URLs in it masked."""
    import shlex

    from registre.database_urls import masked

    args = [masked(arg) if "://" in arg else arg for arg in sys.argv[1:]]
    command = "registre " + shlex.join(args)
    if args != sys.argv[1:]:
        command += " (with the password where *** stands)"
    return command
