"""What every step of a request works with: the register, the state, the stores, the clock.

The desk (:class:`registre.requests.service.RequestDesk`) is a request context with the
actions of a request's life on top; the steps (:mod:`registre.requests.execution`,
:mod:`registre.requests.forwarding`, :mod:`registre.requests.restrict`,
:mod:`registre.requests.packages`) take only this context, so that none of them imports the
desk that calls it.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection, Engine

from registre import owner_only
from registre.durations import Duration
from registre.register.model import Lang, Register
from registre.requests import lifecycle
from registre.requests.find import Finder
from registre.requests.pending_files import StateWrite, write_later
from registre.requests.store import SubjectRequest
from registre.state import EngineState, identity_digest
from registre.state.db import utcnow, write_transaction
from registre.stores.database_name import database_name

EXPORT_RETENTION = Duration(30, "days")
"""How long an export package stays on disk, by default: long enough to send it, short enough
not to become a second copy of the person's data. Set per desk (``export_retention``), or with
``registre request execute --export-retention`` / ``REGISTRE_EXPORT_RETENTION``: an operational
setting of the organization's tooling, not a promise of the privacy policy, so not a register
field. Each package records its own expiry when it is written."""


class RequestContext:
    """The register, the state database, the stores' engines, the output folder and the clock
    of the requests handled together."""

    def __init__(
        self,
        register: Register,
        state: EngineState,
        engines: Mapping[str, Engine],
        *,
        out_dir: Path | str = "registre-requests",
        export_retention: Duration = EXPORT_RETENTION,
        now: datetime | None = None,
        actor: str = "registre",
    ) -> None:
        self.register = register
        self.state = state
        self.finder = Finder(register, engines)
        # the stores' databases, named without credentials for the audit trail
        self.databases = {store: database_name(engine.url) for store, engine in engines.items()}
        # absolute, so that what is recorded (exports, letters) is found from any folder
        self.out_dir = Path(out_dir).resolve()
        self.export_retention = export_retention
        self.fixed_now = now
        self.actor = actor
        self.tz = ZoneInfo(register.policy.timezone)

    # -- clock and helpers ----------------------------------------------------------------------

    def now(self) -> datetime:
        return self.fixed_now or utcnow()

    def today(self) -> date:
        return lifecycle.start_day(self.now(), self.tz)

    def audit(self, action: str, request: SubjectRequest, **details: Any) -> None:
        """Audit ``action`` in its own committed transaction, before the caller does it."""
        with write_transaction(self.state.engine) as connection:
            self.audit_in(connection, action, request, **details)

    def audit_in(
        self, connection: Connection, action: str, request: SubjectRequest, **details: Any
    ) -> None:
        """Audit ``action`` inside the caller's write transaction on the state database."""
        details.setdefault("person", identity_digest(request.identity))
        details.setdefault("kind", request.kind.value)
        self.name_databases(details)
        self.state.audit.append_in(
            connection,
            f"request.{action}",
            details=details,
            actor=self.actor,
            request_id=request.id,
        )

    def audit_many_in(
        self,
        connection: Connection,
        request: SubjectRequest,
        entries: builtins.list[tuple[str, dict[str, Any]]],
    ) -> None:
        """Audit several ``(action, details)`` in order, inside the caller's write transaction."""
        person = identity_digest(request.identity)
        self.state.audit.append_many_in(
            connection,
            [
                (
                    f"request.{action}",
                    self.name_databases({"person": person, "kind": request.kind.value, **details}),
                )
                for action, details in entries
            ],
            actor=self.actor,
            request_id=request.id,
        )

    def name_databases(self, details: dict[str, Any]) -> dict[str, Any]:
        """Add the database an entry is about (its store's), or those the desk reaches.

        An entry written with no connection to a store (opening, verifying, refusing) names
        none: it touched none.
        """
        store = details.get("store")
        if isinstance(store, str) and store in self.databases:
            details.setdefault("database", self.databases[store])
        elif self.databases:
            details.setdefault("databases", dict(self.databases))
        return details

    def _deadline(self, starts: date, extended: bool) -> lifecycle.Deadline:
        rights = self.register.rights
        return lifecycle.deadline(
            starts, rights.response_deadline, rights.extension if extended else None
        )

    def write_letter(
        self,
        request: SubjectRequest,
        name: str,
        html: str,
        lang: Lang | None = None,
        *,
        writes: builtins.list[StateWrite] | None = None,
    ) -> Path:
        """Write a letter as ``OUT/REQUEST/NAME-LANG.html`` (the person's language by default).

        With ``writes`` (those of the transaction closing the request), it gets that name only
        once the transaction commits: see :mod:`registre.requests.pending_files`.
        """
        path = self.out_dir / request.id / f"{name}-{lang or request.lang}.html"
        if writes is not None:
            return write_later(path, html, writes)
        owner_only.write_text(path, html)  # 0600 in 0700 folders: it names the person
        return path
