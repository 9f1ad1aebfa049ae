"""The engine's own state: audit trail, legal holds and runs, in one SQL database.

::

    from registre.state import open_state

    with open_state(register="register.yaml") as state:   # see registre.state.location
        state.audit.append("sweep.delete", details={"table": "device", "count": 12})
        problems = state.audit.verify()

:func:`open_state` brings the database to the latest schema (Alembic ``upgrade head``, run
from the migrations shipped inside the package) before returning. Commands that only read
(``plan``, ``audit verify``, ``hold list``...) open it with ``create=False`` or
:func:`existing_state`: a state registre never wrote is then reported, or None, and no file or
table is created (a state written by an older registre is still migrated). SQLite and PostgreSQL are
tested throughout, MariaDB on the schema, the chain, tampering, concurrency and holds. Every
database failure surfaces as :class:`~registre.StateError`, naming the URL with its password
masked; a broken audit chain that prevents appending raises
:class:`~registre.AuditError` (see :mod:`registre.state.audit` for when).

Additions after the first version: ``EngineState.close()`` and use as a context manager,
``EngineState.url`` (masked), ``AuditTrail.append_in``, ``AuditTrail.append_many_in`` and
``AuditTrail.head()``, ``AuditEntry.as_json()``, ``Hold``/``Run`` ``as_json()``, the hold
look-ups listed in :mod:`registre.state.holds`, :func:`identity_digest`, and
``Runs.progress_in`` (a checkpoint in the same transaction as an audit entry), ``create=False``
and :func:`existing_state`, their ``register`` argument, :func:`locate_state` and
:class:`StateLocation` (the state is found from the register, never the working directory),
``EngineState.protections`` (:mod:`registre.state.protections`: holds, restrictions and
objections checked against the trail).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Connection, Engine, make_url

from registre._exceptions import StateError
from registre.owner_only import create_empty
from registre.state.audit import AuditEntry, AuditTrail
from registre.state.chain import AuditProblem
from registre.state.db import (
    MIGRATIONS,
    create_state_engine,
    masked,
    writer_connection,
)
from registre.state.holds import Hold, LegalHolds, identity_digest
from registre.state.location import StateLocation, earlier_default, locate_state, sqlite_file
from registre.state.protections import ProtectionProblem, Protections
from registre.state.runs import Run, Runs, register_digest

__all__ = [
    "AuditEntry",
    "AuditProblem",
    "AuditTrail",
    "EngineState",
    "Hold",
    "LegalHolds",
    "ProtectionProblem",
    "Protections",
    "Run",
    "Runs",
    "StateLocation",
    "existing_state",
    "identity_digest",
    "locate_state",
    "open_state",
    "register_digest",
]

# Any constant shared by all registre processes; it only has to differ from other apps' locks.
_PG_MIGRATION_LOCK = 0x7265_6769_7374_7265  # "registre"
_MYSQL_MIGRATION_LOCK = "registre_state_migrations"


class EngineState:
    """An open state database: ``audit``, ``holds``, ``protections`` and ``runs`` over one
    engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.audit = AuditTrail(engine)
        self.holds = LegalHolds(engine, self.audit)
        self.protections = Protections(engine)
        self.runs = Runs(engine)

    @property
    def url(self) -> str:
        """The database URL, password masked, for messages."""
        return masked(self.engine.url)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> EngineState:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_state(
    url: str | StateLocation | None = None,
    *,
    register: str | Path | None = None,
    create: bool = True,
) -> EngineState:
    """Open the state database and migrate it.

    Found from ``url``, else ``REGISTRE_STATE_URL``, else the register at ``register`` (its
    ``state:`` setting, else ``registre-state.sqlite`` beside it): see
    :mod:`registre.state.location`. With none of them it is a :class:`StateError`, and so it is
    with ``create=False`` for a state registre never wrote there: nothing is created, neither
    the SQLite file nor the tables.
    """
    location = _locate(url, register)
    earlier = earlier_default(location)
    if create and earlier is not None:
        there = location.sqlite_file()
        raise StateError(
            f"the state is found {location.origin}, at {there}, which does not exist yet, and "
            f"an earlier registre kept its state in this directory, at {earlier}",
            hint=f"move it there (mv {earlier} {there}) so that its holds and audit trail "
            "carry on, or name it with --state-url or REGISTRE_STATE_URL",
        )
    state = _open(location.url, create=create)
    if state is None:
        hint = (
            "name the state database registre used with --state-url or REGISTRE_STATE_URL, "
            "or with the register's state: setting"
        )
        if earlier is not None:
            hint = f"an earlier registre kept its state at {earlier}: move it to " + (
                f"{location.sqlite_file()}, or {hint}"
            )
        raise StateError(
            f"no audit trail at {_where(location.url)} (found {location.origin}): nothing has "
            "been swept, held or requested with this state database",
            hint=hint,
        )
    return state


def existing_state(
    url: str | StateLocation | None = None, *, register: str | Path | None = None
) -> EngineState | None:
    """The state database if registre has written one there, else None.

    Found as :func:`open_state` finds it. For commands that only read it: nothing is created.
    A state written by an older version of registre is migrated, as :func:`open_state` does.
    """
    return _open(_locate(url, register).url, create=False)


def _locate(url: str | StateLocation | None, register: str | Path | None) -> StateLocation:
    if isinstance(url, StateLocation):
        return url
    return locate_state(url, register_path=register)


def _open(url: str, *, create: bool) -> EngineState | None:
    if not create and not _sqlite_file_exists(url):
        return None  # connecting would create the file
    if create:
        with contextlib.suppress(exc.ArgumentError, OSError):  # create_state_engine reports it
            if (path := sqlite_file(url)) is not None:
                # it holds requesters' identities: 0600 (SQLite gives its journals the same)
                create_empty(path)
    engine = create_state_engine(url)
    try:
        if not create and _revision(engine) is None:
            engine.dispose()
            return None
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return EngineState(engine)


def _sqlite_file_exists(url: str) -> bool:
    """False for a SQLite file that does not exist or an in-memory SQLite; True otherwise."""
    try:
        parsed = make_url(url)
    except (exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        return True  # create_state_engine reports it
    if parsed.get_backend_name() != "sqlite":
        return True
    path = sqlite_file(url)
    return path is not None and path.is_file()


def _where(url: str) -> str:
    path = sqlite_file(url)
    return str(path.resolve()) if path is not None else masked(url)


def _revision(engine: Engine) -> str | None:
    """The schema revision of the state database; None when registre never migrated it."""
    try:
        with engine.connect() as connection:
            current = _revision_in(connection)
            connection.rollback()
    except exc.DBAPIError as error:
        raise _unusable(engine, error) from None
    return current


def _revision_in(connection: Connection) -> str | None:
    # Alembic's own table, read without importing Alembic (see _written_head)
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


_REVISION = re.compile(
    r"""^(down_)?revision\s*(?::[^=\n]*)?=\s*(?:["']([^"']+)["']|None)\s*$""", re.MULTILINE
)


def _written_head() -> str | None:
    """The latest revision, read from the migration files; None if they do not say plainly.

    Importing Alembic (with Mako and Pygments) takes about 0.12 s, a third of what a command
    that opens the state waits before it works; a state already at the latest revision, which
    is nearly always, needs none of it. Alembic itself decides whenever this is not certain.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = {m.group(1) or "": m.group(2) for m in _REVISION.finditer(path.read_text())}
        if "" not in found or found[""] is None or "down_" not in found:
            return None
        revisions.add(found[""])
        if found["down_"] is not None:
            parents.add(found["down_"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def migrate(engine: Engine) -> None:
    """Bring the state database to the latest revision; a no-op when it is there already."""
    head = _written_head()
    if head is not None and _revision(engine) == head:
        return
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            connection.rollback()
        if current == head:
            return
        if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
            raise StateError(
                f"the state database at {masked(engine.url)} is at schema revision {current!r}, "
                "which this version of registre does not know",
                hint="it was written by a newer registre: upgrade registre, or use another "
                "state database (--state-url or REGISTRE_STATE_URL)",
            )
        with (
            writer_connection(engine) as connection,
            _migration_lock(connection),
            connection.begin(),
        ):
            if connection.dialect.name == "postgresql":
                # Held until this transaction ends, i.e. after the new revision is committed.
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except exc.DBAPIError as error:
        raise _unusable(engine, error) from None
    except CommandError as error:
        raise StateError(
            f"cannot migrate the state database at {masked(engine.url)}: {error}",
            hint="use a database that only registre writes its registre_* tables to",
        ) from None


@contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    # Two processes opening a fresh database at once must not both create the tables.
    # SQLite's BEGIN IMMEDIATE and PostgreSQL's transaction-level advisory lock already
    # serialise them. MySQL commits each DDL statement on its own, so it takes a session
    # lock, released only after the migration transaction (and its alembic_version) commits.
    if connection.dialect.name not in ("mysql", "mariadb"):
        yield
        return
    connection.execute(sa.select(sa.func.get_lock(_MYSQL_MIGRATION_LOCK, 60)))
    connection.commit()
    try:
        yield
    finally:
        connection.execute(sa.select(sa.func.release_lock(_MYSQL_MIGRATION_LOCK)))
        connection.commit()


def _unusable(engine: Engine, error: exc.DBAPIError) -> StateError:
    reason = (str(error.orig).strip() or type(error.orig).__name__).splitlines()[0]
    if engine.url.get_backend_name() == "sqlite":
        hint = (
            "check that the directory of the SQLite file exists and is writable, or pass "
            "another URL (--state-url or REGISTRE_STATE_URL)"
        )
    else:
        hint = (
            "check that the database server is running, that the database exists and that the "
            "user may create tables in it (--state-url or REGISTRE_STATE_URL)"
        )
    return StateError(
        f"cannot open the state database at {masked(engine.url)}: {reason}", hint=hint
    )
