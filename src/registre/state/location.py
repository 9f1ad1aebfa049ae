"""Where the engine's state database is: the same place whatever the working directory.

A legal hold placed from one directory must be the hold a sweep started from another one
respects (a cron job runs from ``$HOME``): a state found through the working directory forks,
and the fresh one knows no hold. So the state is found, in this order, from:

1. the URL given (``--state-url``);
2. the ``REGISTRE_STATE_URL`` environment variable;
3. the register's ``state:`` setting: ``url_env``, a variable holding a URL, or ``path``, a
   SQLite file relative to the register;
4. ``registre-state.sqlite`` beside the register's file, or inside a register folder.

Knowing none of them (no URL and no register) is an error, never a file created somewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exc
from sqlalchemy.engine import URL, make_url

from registre._exceptions import StateError

if TYPE_CHECKING:
    from registre.register.model import Register

URL_VARIABLE = "REGISTRE_STATE_URL"
FILE_NAME = "registre-state.sqlite"
HOW = (
    "name the state with --state-url or REGISTRE_STATE_URL, or give the register "
    "(--register PATH or REGISTRE_REGISTER): its state is found beside it"
)


@dataclass(frozen=True)
class StateLocation:
    """A state database's URL and how it was found, for messages."""

    url: str
    origin: str
    """Such as 'from --state-url' or 'beside the register /srv/privacy/register.yaml'."""
    named: bool = True
    """False for a SQLite file placed by the register (its ``state.path`` or the default)."""

    def sqlite_file(self) -> Path | None:
        """The absolute path of the SQLite file; None for a server or an in-memory database."""
        return sqlite_file(self.url)


def locate_state(
    url: str | None = None,
    *,
    register_path: str | Path | None = None,
    register: Register | None = None,
) -> StateLocation:
    """Where the state is, from the URL, the environment or the register (see the module).

    ``register`` is the register already loaded from ``register_path``; without it the
    register is loaded only when its setting is needed.
    """
    if url:
        return _absolute(StateLocation(url, "from --state-url"))
    from_environment = os.environ.get(URL_VARIABLE)
    if from_environment:
        return _absolute(StateLocation(from_environment, f"from {URL_VARIABLE}"))
    if register_path is None:
        raise StateError(
            "which state database? neither --state-url, nor REGISTRE_STATE_URL, nor a "
            "register to find it beside was given, and registre does not guess it from the "
            "current directory",
            hint=HOW,
        )
    if register is None:
        from registre.register.loader import load_register

        register = load_register(register_path)
    written = Path(register_path).absolute()
    home = written if written.is_dir() else written.parent
    setting = register.state
    if setting is not None and setting.url_env is not None:
        variable = setting.url_env
        value = os.environ.get(variable)
        if not value:
            raise StateError(
                f"the register {written} keeps its state in the database named by {variable}, "
                "and that variable is not set",
                hint=f"export {variable}=<the state database's URL>, or give --state-url",
            )
        return _absolute(StateLocation(value, f"from {variable} (the register's state.url_env)"))
    if setting is not None and setting.path is not None:
        file = home / Path(setting.path).expanduser()
        origin = f"from the register's state.path, relative to {home}"
        return StateLocation(_sqlite_url(file), origin, named=False)
    return StateLocation(
        _sqlite_url(home / FILE_NAME), f"beside the register {written}", named=False
    )


def _absolute(location: StateLocation) -> StateLocation:
    """The location, unless it names a SQLite file relative to the current directory.

    ``sqlite:///state.sqlite`` in a crontab's ``REGISTRE_STATE_URL`` is a state per directory
    the job happens to run from: the fork this module exists to prevent.
    """
    try:
        parsed = make_url(location.url)
    except (exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        return location  # create_state_engine reports it
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("mode") == "memory":
        return location
    database = parsed.database or ""
    file = database[len("file:") :].partition("?")[0] if database.startswith("file:") else database
    if file in ("", ":memory:") or Path(file).is_absolute():
        return location
    raise StateError(
        f"the state database URL {location.origin} names the SQLite file {file!r} relative to "
        "the current directory: each directory a command runs from would have a state of its own",
        hint=f"write its absolute path (sqlite:///{Path(file).absolute()}), or leave the URL out: "
        "the state is then found beside the register",
    )


def _sqlite_url(file: Path) -> str:
    return URL.create("sqlite", database=str(Path(os.path.normpath(file)))).render_as_string()


def sqlite_file(url: str) -> Path | None:
    """The absolute file of a SQLite URL; None for other databases and in-memory SQLite."""
    try:
        parsed = make_url(url)
    except (exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database.startswith("file:"):  # a URI filename (uri=true)
        database = database[len("file:") :].partition("?")[0]
    if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        return None
    return Path(database).absolute()


def earlier_default(location: StateLocation) -> Path | None:
    """A state file an earlier registre left in the current directory, when it is not this one.

    Before states were found from the register, ``./registre-state.sqlite`` was the default.
    When the state found from the register does not exist yet and such a file does, its holds
    and audit trail must be moved there, not silently forked.
    """
    there = location.sqlite_file()
    if location.named or there is None or there.exists():
        return None
    here = Path.cwd() / FILE_NAME
    return here if here.is_file() else None
