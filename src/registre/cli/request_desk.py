"""What the ``registre request`` commands share: the group, the desk they open, the
identity options, and how a yes-or-no question answers.

The commands are in :mod:`registre.cli.request_handling` (a request's life),
:mod:`registre.cli.request_checks` (the host application's questions) and
:mod:`registre.cli.request_records` (listing, showing, purging); :mod:`registre.cli.requests`
gathers them.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from registre._exceptions import RegistreError, RequestError
from registre.cli.application import EXIT_USAGE, app, out, report_error
from registre.cli.options import parse_instant

request_app = typer.Typer(
    help="Data-subject requests: access, portability, erasure, rectification, restriction, "
    "objection, answered within the legal deadline.",
    no_args_is_help=True,
)
app.add_typer(request_app, name="request")

OutDir = Annotated[
    Path,
    typer.Option("--out", help="Folder for letters and export packages."),
]


@contextmanager
def open_desk(
    register_path: Path | None,
    url: str | None,
    at: str | None,
    state_url: str | None,
    out_dir: Path,
    *,
    stores: bool = True,
    export_retention: str | None = None,
    create: bool = True,
) -> Iterator[Any]:
    """The request desk; ``create=False`` for commands that only read: no new state then."""
    from registre.register.loader import load_register
    from registre.requests import RequestDesk
    from registre.state import locate_state, open_state
    from registre.stores.connect import connect

    if register_path is None:
        raise RequestError("which register? pass --register PATH or set REGISTRE_REGISTER")
    register = load_register(register_path)
    if url and len(register.stores) > 1:
        raise RequestError(
            f"--url names one database, and the register has {len(register.stores)} stores",
            hint="set each store's url_env variable instead",
        )
    location = locate_state(state_url, register_path=register_path, register=register)
    engines = {s: connect(register, s, url) for s in register.stores} if stores else {}
    try:
        state = open_state(location, create=create)
    except BaseException:
        for engine in engines.values():
            engine.dispose()
        raise
    try:
        now = parse_instant(at, ZoneInfo(register.policy.timezone))
        actor = _login()
        options: dict[str, Any] = {}
        if export_retention is not None:
            options["export_retention"] = _duration(export_retention, "--export-retention")
        yield RequestDesk(
            register, state, engines, out_dir=out_dir, now=now, actor=actor, **options
        )
    finally:
        state.close()
        for engine in engines.values():
            engine.dispose()


def _duration(text: str, option: str) -> Any:
    from registre.durations import Duration

    try:
        period = Duration.parse(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None
    if period.is_zero:
        raise typer.BadParameter("an export must be kept long enough to send it", param_hint=option)
    return period


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "registre"


def print_request(request: Any, as_json: bool, message: str) -> None:
    if as_json:
        print(json.dumps(request.as_json(), sort_keys=True, ensure_ascii=False))
    else:
        out.print(message)


Email = Annotated[str | None, typer.Option("--email", help="The person's email.")]
Phone = Annotated[str | None, typer.Option("--phone", help="The person's phone.")]
Ids = Annotated[list[str] | None, typer.Option("--id", help="Another identity, KIND=VALUE.")]


def exit_with_answer(question: str, answer: bool, as_json: bool, activity: str | None) -> None:
    """Print the answer; exit 0 for yes and 1 for no, as grep does (2 on an error)."""
    if as_json:
        print(json.dumps({question: answer, "activity": activity}, sort_keys=True))
    else:
        out.print(("" if answer else "not ") + question.replace("_", " "))
    raise typer.Exit(0 if answer else 1)


@contextmanager
def asking() -> Iterator[None]:
    """Errors exit 2, so that scripts never read a mistake as a 'no'."""
    try:
        yield
    except RegistreError as error:
        report_error(error)
        raise typer.Exit(EXIT_USAGE) from None
