"""The ``registre`` command line: a thin edge over the library.

Each concept has its own module of commands, added to the app of
:mod:`registre.cli.application`; this one gathers them into one command and runs it. No
traceback reaches a user: a :class:`RegistreError` is printed with its hint
(:func:`~registre.cli.application.report_error`) and the command exits non-zero.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from registre._exceptions import RegistreError
from registre.cli.application import (
    EXIT_INTERRUPTED,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    Interrupted,
    _escape,
    app,
    err,
    out,
    report_error,
    resume_command,
)

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "Interrupted",
    "app",
    "command",
    "err",
    "main",
    "out",
    "report_error",
    "resume_command",
]


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
