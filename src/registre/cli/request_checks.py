"""``registre request is-restricted`` and ``has-objected``: what a host application asks
before using a person's data, answered by the exit code (0 yes, 1 no, 2 on an error)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from registre.cli.options import AsJson, RegisterOpt, StateUrl
from registre.cli.request_desk import (
    Email,
    Ids,
    Phone,
    asking,
    exit_with_answer,
    open_desk,
    request_app,
)


@request_app.command("is-restricted")
def is_restricted(
    email: Email = None,
    phone: Phone = None,
    ids: Ids = None,
    activity: Annotated[
        str | None,
        typer.Option(
            "--activity",
            help="Only a restriction of all processing or of this activity counts.",
        ),
    ] = None,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    as_json: AsJson = False,
) -> None:
    """Is the person's processing restricted (Art. 18)? Exit 0 yes, 1 no, 2 on an error."""
    from registre.requests import is_restricted as restricted
    from registre.requests.identity import build_identity

    with asking():
        identity = build_identity(email, phone, ids or [])
        with open_desk(register, None, None, state_url, Path("."), stores=False) as desk:
            if activity is not None:
                desk.known_activities([activity])
            answer = restricted(desk.state, identity, activity)
    exit_with_answer("restricted", answer, as_json, activity)


@request_app.command("has-objected")
def has_objected(
    activity: Annotated[str, typer.Option("--activity", help="The activity id.")],
    email: Email = None,
    phone: Phone = None,
    ids: Ids = None,
    register: RegisterOpt = None,
    state_url: StateUrl = None,
    as_json: AsJson = False,
) -> None:
    """Has the person objected to an activity (Art. 21)? Exit 0 yes, 1 no, 2 on an error."""
    from registre.requests import has_objected as objected
    from registre.requests.identity import build_identity

    with asking():
        identity = build_identity(email, phone, ids or [])
        with open_desk(register, None, None, state_url, Path("."), stores=False) as desk:
            desk.known_activities([activity])
            answer = objected(desk.state, identity, activity)
    exit_with_answer("objected", answer, as_json, activity)
