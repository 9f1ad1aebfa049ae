"""Requests as the state database keeps them: requests, their history, restrictions, objections,
erasure plans and exports.

The tables are created by the state migration ``0002_requests``; this module only reads and
writes them. Restrictions and objections are in :mod:`registre.state.protections`, which
checks them against the audit trail; requests read and write them there. Every write goes
through :func:`registre.state.db.write_transaction`.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from registre._exceptions import RequestError
from registre.register.model import Lang
from registre.requests.lifecycle import CLOSED, RequestKind, RequestState
from registre.state.db import UTCDateTime, read_connection, utcnow, write_transaction

_CLOCK: ContextVar[Callable[[], datetime]] = ContextVar("registre_request_clock", default=utcnow)


def clock() -> datetime:
    """The instant a request's history records: the desk's (``--at``), else the wall clock."""
    return _CLOCK.get()()


@contextmanager
def acting_at(now: Callable[[], datetime]) -> Iterator[None]:
    """Record history, closing and update times with ``now`` inside the block.

    A context variable rather than a parameter: the modules that close a request (execution,
    forwarding) call :func:`transition` without a clock, and the desk's ``--at`` must reach it.
    """
    token = _CLOCK.set(now)
    try:
        yield
    finally:
        _CLOCK.reset(token)


metadata = sa.MetaData()

request_table = sa.Table(
    "registre_request",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("state", sa.String(30), nullable=False, index=True),
    sa.Column("identity", sa.Text, nullable=False),
    sa.Column("lang", sa.String(2), nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("starts", sa.Date, nullable=False),
    sa.Column("first_due", sa.Date, nullable=False),
    sa.Column("due", sa.Date, nullable=False, index=True),
    sa.Column("extended", sa.Boolean, nullable=False, default=False),
    sa.Column("extension_reason", sa.Text, nullable=True),
    sa.Column("identity_method", sa.Text, nullable=True),
    sa.Column("identity_doubt", sa.Text, nullable=True),
    sa.Column("refusal_reason", sa.Text, nullable=True),
    sa.Column("options", sa.Text, nullable=False),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime, nullable=True),
)

request_event = sa.Table(
    "registre_request_event",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(32), nullable=False, index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("action", sa.String(50), nullable=False),
    sa.Column("from_state", sa.String(30), nullable=True),
    sa.Column("to_state", sa.String(30), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("details", sa.Text, nullable=False),
)

erasure_step = sa.Table(
    "registre_erasure_step",
    metadata,
    sa.Column("request_id", sa.String(32), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    # 0: the request's own erasure; 1, 2…: one per client instruction (``request instruct``);
    # ``seq`` goes on across a request's plans
    sa.Column("plan", sa.Integer, nullable=False, server_default="0"),
    sa.Column("store", sa.String(64), nullable=False),
    sa.Column("table_name", sa.String(200), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("keys", sa.Text, nullable=False),
    sa.Column("columns", sa.Text, nullable=False),
    sa.Column("done_at", UTCDateTime, nullable=True),
)

export_table = sa.Table(
    "registre_export",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(32), nullable=False, index=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
    sa.Column("deleted_at", UTCDateTime, nullable=True),
)


_BY_ID = sa.select(request_table).where(request_table.c.id == sa.bindparam("_request"))
# the columns set are those named in the parameters, beside the two the WHERE binds
_MOVE = request_table.update().where(
    request_table.c.id == sa.bindparam("_request"),
    request_table.c.state == sa.bindparam("_from"),
)


@dataclass
class SubjectRequest:
    """One data-subject request, as recorded."""

    id: str
    kind: RequestKind
    state: RequestState
    identity: dict[str, str]
    lang: Lang
    received_at: datetime
    starts: date
    first_due: date
    due: date
    extended: bool = False
    extension_reason: str | None = None
    identity_method: str | None = None
    identity_doubt: str | None = None
    refusal_reason: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "state": self.state.value,
            "identity": self.identity,
            "lang": self.lang,
            "received_at": self.received_at.isoformat(),
            "starts": self.starts.isoformat(),
            "first_due": self.first_due.isoformat(),
            "due": self.due.isoformat(),
            "extended": self.extended,
            "extension_reason": self.extension_reason,
            "identity_method": self.identity_method,
            "identity_doubt": self.identity_doubt,
            "refusal_reason": self.refusal_reason,
            "options": self.options,
            "result": self.result,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
        }


def _from_row(row: sa.Row[Any]) -> SubjectRequest:
    return SubjectRequest(
        id=row.id,
        kind=RequestKind(row.kind),
        state=RequestState(row.state),
        identity=json.loads(row.identity),
        lang=row.lang,
        received_at=row.received_at,
        starts=row.starts,
        first_due=row.first_due,
        due=row.due,
        extended=bool(row.extended),
        extension_reason=row.extension_reason,
        identity_method=row.identity_method,
        identity_doubt=row.identity_doubt,
        refusal_reason=row.refusal_reason,
        options=json.loads(row.options),
        result=json.loads(row.result) if row.result else None,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
    )


def new_id() -> str:
    """A short random request id, such as ``r-3f9a1c2e``; random so ids leak no volume."""
    return f"r-{secrets.token_hex(4)}"


def insert(connection: Connection, request: SubjectRequest, actor: str) -> None:
    now = clock()
    # constant statements, values as parameters: compiled once per process
    connection.execute(
        request_table.insert(),
        {
            "id": request.id,
            "kind": request.kind.value,
            "state": request.state.value,
            "identity": json.dumps(request.identity, sort_keys=True),
            "lang": request.lang,
            "received_at": request.received_at,
            "starts": request.starts,
            "first_due": request.first_due,
            "due": request.due,
            "extended": False,
            "options": json.dumps(request.options, sort_keys=True),
            "updated_at": now,
        },
    )
    record_event(connection, request.id, "open", None, request.state, actor, {})


def update(
    connection: Connection,
    request_id: str,
    action: str,
    from_state: RequestState,
    to_state: RequestState,
    actor: str,
    details: dict[str, Any],
    **values: Any,
) -> dict[str, Any]:
    """Move a request to ``to_state``; fails if another writer moved it meanwhile.

    Returns the columns written, as :func:`get` would read them back.
    """
    now = clock()
    for column in ("result", "options"):
        if values.get(column) is not None:
            values[column] = json.dumps(values[column], sort_keys=True, default=str)
    if to_state in CLOSED and from_state not in CLOSED:
        values.setdefault("closed_at", now)
    elif from_state in CLOSED and to_state not in CLOSED:
        values.setdefault("closed_at", None)  # reopened (a controller's instruction)
    changed = connection.execute(
        _MOVE,
        {"_request": request_id, "_from": from_state.value, **values}
        | {"state": to_state.value, "updated_at": now},
    ).rowcount
    if changed != 1:
        raise RequestError(
            f"request {request_id} changed while this command ran",
            hint=f"run `registre request show {request_id}` and try again",
        )
    record_event(connection, request_id, action, from_state, to_state, actor, details)
    return {**values, "state": to_state, "updated_at": now}


def transition(
    connection: Connection,
    request: SubjectRequest,
    action: str,
    to_state: RequestState,
    actor: str,
    details: dict[str, Any],
    **values: Any,
) -> SubjectRequest:
    """:func:`update`, returning the request as it now stands without reading it back."""
    written = update(
        connection, request.id, action, request.state, to_state, actor, details, **values
    )
    for column in ("result", "options"):
        if written.get(column) is not None:
            written[column] = json.loads(written[column])
    return dataclasses.replace(request, **written)


def record_event(
    connection: Connection,
    request_id: str,
    action: str,
    from_state: RequestState | None,
    to_state: RequestState,
    actor: str,
    details: dict[str, Any],
) -> None:
    connection.execute(
        request_event.insert(),
        {
            "request_id": request_id,
            "at": clock(),
            "action": action,
            "from_state": from_state.value if from_state else None,
            "to_state": to_state.value,
            "actor": actor,
            "details": json.dumps(details, sort_keys=True, default=str),
        },
    )


def get(engine: Engine, request_id: str) -> SubjectRequest:
    with read_connection(engine, single=True) as connection:
        return get_in(connection, request_id)


def get_in(connection: Connection, request_id: str) -> SubjectRequest:
    """:func:`get` on the caller's connection (inside its write transaction)."""
    row = connection.execute(_BY_ID, {"_request": request_id}).first()
    if row is None:
        raise RequestError(
            f"there is no request {request_id}", hint="`registre request list` shows them all"
        )
    return _from_row(row)


def all_requests(engine: Engine) -> list[SubjectRequest]:
    with read_connection(engine) as connection:
        rows = connection.execute(
            sa.select(request_table).order_by(request_table.c.due, request_table.c.id)
        ).all()
    return [_from_row(row) for row in rows]


def events(engine: Engine, request_id: str) -> list[dict[str, Any]]:
    with read_connection(engine) as connection:
        rows = connection.execute(
            sa.select(request_event)
            .where(request_event.c.request_id == request_id)
            .order_by(request_event.c.id)
        ).all()
    return [
        {
            "at": row.at.isoformat(),
            "action": row.action,
            "from": row.from_state,
            "to": row.to_state,
            "actor": row.actor,
            "details": json.loads(row.details),
        }
        for row in rows
    ]


def write(engine: Engine) -> AbstractContextManager[Connection]:
    """A write transaction on the state database (re-exported for the request modules)."""
    return write_transaction(engine)
