"""Commands: user (add, list, remove) and token (create, list, revoke): who may use the service."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from registre.cli.application import app, err, out
from registre.cli.options import JsonLines, StateRegister, StateUrl

if TYPE_CHECKING:
    from registre.service.access import Access

user_app = typer.Typer(
    help="Console users of registre serve, with their role: dpo, operator or auditor.",
    no_args_is_help=True,
)
token_app = typer.Typer(
    help="API tokens of registre serve: shown once, kept hashed.", no_args_is_help=True
)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")

RoleOpt = Annotated[
    str, typer.Option("--role", help="dpo (everything), operator (works requests) or auditor.")
]


@contextmanager
def _access(
    state_url: str | None, register: Path | None, *, create: bool = False
) -> Iterator[Access]:
    """The users and tokens; only a command that writes creates the state database."""
    from registre.service.access import Access
    from registre.state import open_state

    state = open_state(state_url, register=register, create=create)
    try:
        yield Access(state)
    finally:
        state.close()


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "registre"


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The user's name, such as alice.")],
    role: RoleOpt,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
    state_url: StateUrl = None,
    register_path: StateRegister = None,
) -> None:
    """Add a console user; the password is asked twice (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _access(state_url, register_path, create=True) as access:
        user = access.add_user(name, role, password, actor=_login())
    out.print(f"user {escape(user.name)} added, role {user.role.value}")


@user_app.command("list")
def user_list(
    as_json: JsonLines = False, state_url: StateUrl = None, register_path: StateRegister = None
) -> None:
    """List the console users."""
    with _access(state_url, register_path) as access:
        users = access.users()
    if as_json:
        for user in users:
            typer.echo(json.dumps(user.as_json(), sort_keys=True))
        return
    if not users:
        out.print("no console users")
        return
    table = Table()
    for column in ("name", "role", "added", "by"):
        table.add_column(column)
    for user in users:
        table.add_row(
            escape(user.name),
            user.role.value,
            f"{user.created_at:%Y-%m-%d}",
            escape(user.created_by),
        )
    out.print(table)


@user_app.command("remove")
def user_remove(
    name: Annotated[str, typer.Argument(help="The user's name.")],
    state_url: StateUrl = None,
    register_path: StateRegister = None,
) -> None:
    """Remove a console user."""
    with _access(state_url, register_path) as access:
        access.remove_user(name, actor=_login())
    out.print(f"user {escape(name)} removed")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="What the token is for, such as ci or crm.")],
    role: RoleOpt,
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="Last day of the token, YYYY-MM-DD [default: never]."),
    ] = None,
    state_url: StateUrl = None,
    register_path: StateRegister = None,
) -> None:
    """Create an API token and print it, once: it is kept only as its hash."""
    expires_at = None
    if expires is not None:
        try:
            last = date.fromisoformat(expires)
        except ValueError:
            raise typer.BadParameter(
                f"{expires!r} is not a date; write it YYYY-MM-DD", param_hint="--expires"
            ) from None
        # the end of that day, UTC
        expires_at = datetime.combine(last, time.max, tzinfo=ZoneInfo("UTC"))
    with _access(state_url, register_path, create=True) as access:
        token, secret = access.create_token(name, role, actor=_login(), expires_at=expires_at)
    err.print(
        f"token {token.id} ({escape(token.name)}, role {token.role.value}) created; "
        "it is shown this once, keep it now:"
    )
    print(secret)


@token_app.command("list")
def token_list(
    as_json: JsonLines = False, state_url: StateUrl = None, register_path: StateRegister = None
) -> None:
    """List the tokens, revoked ones included (never their secrets)."""
    with _access(state_url, register_path) as access:
        tokens = access.tokens()
    if as_json:
        for token in tokens:
            typer.echo(json.dumps(token.as_json(), sort_keys=True))
        return
    if not tokens:
        out.print("no API tokens")
        return
    table = Table()
    for column in ("id", "name", "role", "created", "by", "expires", "revoked"):
        table.add_column(column)
    for token in tokens:
        table.add_row(
            str(token.id),
            escape(token.name),
            token.role.value,
            f"{token.created_at:%Y-%m-%d}",
            escape(token.created_by),
            f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "",
            f"{token.revoked_at:%Y-%m-%d}" if token.revoked_at else "",
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's number.")],
    state_url: StateUrl = None,
    register_path: StateRegister = None,
) -> None:
    """Revoke a token: it stops working at once."""
    with _access(state_url, register_path) as access:
        token = access.revoke_token(token_id, actor=_login())
    out.print(f"token {token.id} ({escape(token.name)}) revoked")
