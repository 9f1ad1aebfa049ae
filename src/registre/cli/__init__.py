"""The ``registre`` command line: a thin edge over the library.

Each concept has its own module of commands; this one builds the app and is the only place
where errors are turned into messages for people. No traceback reaches a user: a
:class:`RegistreError` is printed with its hint and the command exits non-zero.
"""

from __future__ import annotations

import os
import sys
from typing import Any

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


def _version(value: bool) -> None:
    if value:
        from registre import __version__

        print(f"registre {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        expose_value=False,
        callback=_version,
        help="Print registre's version and exit.",
    ),
) -> None:
    pass


def command() -> Any:
    """Every registre command as one click command, with the help texts users read."""
    from registre.cli import (  # noqa: F401  (importing registers the commands)
        audit,
        breach,
        consent,
        cookies,
        demo,
        documents,
        enforcement,
        lint,
        register_cmds,
        requests,
        serve,
        users,
        worker,
    )
    from registre.cli.help import polish

    return polish(typer.main.get_command(app))


def main() -> None:
    cli = command()
    try:
        # Outside standalone mode a command's `raise typer.Exit(code)` comes back as the
        # return value instead of exiting.
        code = cli(prog_name="registre", standalone_mode=False)
    except Interrupted as exc:
        report_error(exc)
        sys.exit(EXIT_INTERRUPTED)
    except RegistreError as exc:
        sys.exit(report_error(exc))
    except KeyboardInterrupt:
        _interrupted()
    except Exception as exc:  # click's usage errors and aborts
        try:  # recent typer releases vendor click instead of depending on it
            from typer._click.exceptions import ClickException
        except ImportError:
            from click import ClickException  # type: ignore[assignment,no-redef,unused-ignore]

        if isinstance(exc, typer.Abort):
            err.print("aborted; nothing was changed")
            sys.exit(EXIT_PROBLEMS)
        if isinstance(exc, ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, typer.Exit):
            sys.exit(exc.exit_code)
        raise
    if code == EXIT_INTERRUPTED:
        # Typer turns Ctrl-C in a command into this code before main() sees it
        _interrupted()
    if isinstance(code, int) and code:
        sys.exit(code)


def resume_command() -> str:
    """This command line, to run again after Ctrl-C; the passwords of URLs in it masked."""
    import shlex

    from registre.database_urls import masked

    args = [masked(arg) if "://" in arg else arg for arg in sys.argv[1:]]
    command = "registre " + shlex.join(args)
    if args != sys.argv[1:]:
        command += " (with the password where *** stands)"
    return command


def _interrupted() -> None:
    """Say what Ctrl-C left of a command that did not say it itself, and exit 130."""
    import shlex

    command = resume_command()
    err.print(
        "[red]error:[/red] interrupted: what was committed stays committed, and what was "
        "not was rolled back; registre never does twice what it recorded as done"
    )
    if sys.argv[1:3] == ["request", "execute"] and len(sys.argv) > 3:
        shown = f"registre request show {shlex.quote(sys.argv[3])}"
        err.print(
            f"    hint: `{shown}` and `registre audit log` show what was done; "
            f"to resume, run the command again: {_escape(command)}"
        )
    else:
        err.print(f"    hint: to resume, run the command again: {_escape(command)}")
    sys.exit(EXIT_INTERRUPTED)
