"""Data-subject requests through the library: open, verify, execute, extend, refuse, forward.

::

    from registre.requests import SubjectRequests

    desk = SubjectRequests(register, state, {"console": engine})
    request = desk.open("access", {"email": "a@b.fr"})
    desk.verify(request.id, method="replied from the account's email address")
    result = desk.execute(request.id)       # the export package and the letter

Every action is written to the audit trail (committed) before it is done. The audit trail
outlives erasures, so it names the person only by :func:`registre.state.identity_digest`.
Requests about data we hold as a processor are forwarded to the controller with a letter and
a summary, never executed on our own initiative.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from registre._exceptions import RequestError
from registre.durations import Duration
from registre.register.model import Lang, Register
from registre.requests import erase, letters, lifecycle, rectify, restrict, scope, store
from registre.requests.export import write_export
from registre.requests.find import Finder, Found
from registre.requests.identity import Identity, as_identity
from registre.requests.lifecycle import RequestKind, RequestState
from registre.requests.store import SubjectRequest, export_table
from registre.state import identity_digest
from registre.state.db import read_connection, utcnow, write_transaction

EXPORT_RETENTION = Duration(30, "days")


@dataclass
class Listed:
    request: SubjectRequest
    status: str  # late | due_soon | on_time | closed

    def as_json(self) -> dict[str, Any]:
        return {**self.request.as_json(), "status": self.status}


class SubjectRequests:
    """The desk where requests are opened and answered, over one register and state database."""

    def __init__(
        self,
        register: Register,
        state: Any,
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
        self.out_dir = Path(out_dir)
        self.export_retention = export_retention
        self.fixed_now = now
        self.actor = actor
        self.tz = ZoneInfo(register.policy.timezone)

    # -- clock and helpers ----------------------------------------------------------------------

    def now(self) -> datetime:
        return self.fixed_now or utcnow()

    def today(self) -> date:
        return lifecycle.start_day(self.now(), self.tz)

    def _audit(self, action: str, request: SubjectRequest, **details: Any) -> None:
        details.setdefault("person", identity_digest(request.identity))
        details.setdefault("kind", request.kind.value)
        self.state.audit.append(
            f"request.{action}", details=details, actor=self.actor, request_id=request.id
        )

    def _deadline(self, starts: date, extended: bool) -> lifecycle.Deadline:
        rights = self.register.rights
        return lifecycle.deadline(
            starts, rights.response_deadline, rights.extension if extended else None
        )

    # -- life of a request ----------------------------------------------------------------------

    def open(
        self,
        kind: str,
        identity: Mapping[str, str] | str,
        *,
        received_at: datetime | None = None,
        lang: Lang | None = None,
        options: dict[str, Any] | None = None,
    ) -> SubjectRequest:
        """Record a new request as received; an objection to direct marketing applies at once."""
        try:
            request_kind = RequestKind(kind)
        except ValueError:
            kinds = ", ".join(k.value for k in RequestKind)
            raise RequestError(
                f"{kind!r} is not a kind of request", hint=f"use one of {kinds}"
            ) from None
        who: Identity = as_identity(identity)
        received = received_at or self.now()
        starts = lifecycle.start_day(received, self.tz)
        due = self._deadline(starts, extended=False)
        options = dict(options or {})
        if request_kind is RequestKind.rectification:
            if not options.get("changes"):
                raise RequestError(
                    "a rectification request needs the new values",
                    hint="pass --set FIELD=VALUE, such as --set email=new@example.fr",
                )
            options["changes"] = rectify.parse_changes(
                f"{k}={v}" for k, v in options["changes"].items()
            )
        if request_kind is RequestKind.objection:
            options["activities"] = self._objection_activities(options.get("activities"))
        request = SubjectRequest(
            id=store.new_id(),
            kind=request_kind,
            state=RequestState.received,
            identity=who,
            lang=lang or self.register.policy.languages[0],
            received_at=received,
            starts=starts,
            first_due=due.first_due,
            due=due.due,
            options=options,
        )
        self._audit("opened", request, due=due.due.isoformat())
        with write_transaction(self.state.engine) as connection:
            store.insert(connection, request, self.actor)
            if request_kind is RequestKind.objection:
                marketing = [
                    a for a in options["activities"] if self.register.activities[a].direct_marketing
                ]
                if marketing:
                    # Art. 21(3): direct marketing stops on the objection, with no balancing
                    self.state.audit.append_in(
                        connection,
                        "request.objection.recorded",
                        details={"activities": marketing, "person": identity_digest(who)},
                        actor=self.actor,
                        request_id=request.id,
                    )
                    restrict.record_objection(connection, request.id, who, marketing)
        return request

    def _objection_activities(self, given: list[str] | None) -> list[str]:
        if given:
            unknown = [a for a in given if a not in self.register.activities]
            if unknown:
                raise RequestError(
                    f"the register has no activity {', '.join(unknown)}",
                    hint="name activities by their id in the register",
                )
            return list(dict.fromkeys(given))
        chosen = restrict.direct_marketing(self.register) or restrict.objectable(self.register)
        if not chosen:
            raise RequestError(
                "no activity of the register can be objected to",
                hint="name the activities with --activity ID",
            )
        return chosen

    def get(self, request_id: str) -> SubjectRequest:
        return store.get(self.state.engine, request_id)

    def verify(self, request_id: str, method: str, *, doubt: str | None = None) -> SubjectRequest:
        """Record how identity was proven; with ``doubt``, the request waits for more."""
        request = self.get(request_id)
        action = "doubt" if doubt else "verify"
        lifecycle.check_transition(request.id, request.state, action)
        if not method.strip():
            raise RequestError("say how the identity was checked", hint="--method TEXT")
        values: dict[str, Any] = {"identity_method": method.strip()}
        if doubt:
            target = RequestState.identity_to_verify
            values["identity_doubt"] = doubt
        else:
            target = RequestState.in_progress
            if request.state is RequestState.identity_to_verify:
                # the period runs from the day the missing information arrived
                starts = self.today()
                due = self._deadline(starts, extended=request.extended)
                values.update(starts=starts, first_due=due.first_due, due=due.due)
        self._audit(f"identity.{'doubted' if doubt else 'verified'}", request, method=method)
        with write_transaction(self.state.engine) as connection:
            store.update(
                connection,
                request.id,
                action,
                request.state,
                target,
                self.actor,
                {"method": method, "doubt": doubt},
                **values,
            )
        return self.get(request_id)

    def extend(self, request_id: str, reason: str) -> SubjectRequest:
        """Extend the deadline by ``rights.extension`` (once, during the first period)."""
        request = self.get(request_id)
        lifecycle.check_transition(request.id, request.state, "extend")
        if not reason.strip():
            raise RequestError("an extension needs its reason", hint="--reason TEXT")
        current = self._deadline(request.starts, extended=request.extended)
        lifecycle.check_extension(request.id, self.today(), current)
        due = self._deadline(request.starts, extended=True)
        self._audit("extended", request, reason=reason, due=due.due.isoformat())
        target = (
            RequestState.extended if request.state is RequestState.in_progress else request.state
        )
        with write_transaction(self.state.engine) as connection:
            store.update(
                connection,
                request.id,
                "extend",
                request.state,
                target,
                self.actor,
                {"reason": reason, "due": due.due.isoformat()},
                extended=True,
                extension_reason=reason,
                due=due.due,
            )
        request = self.get(request_id)
        letter = letters.base_letter(
            self.register, request.lang, request.kind.value, request.id, self.today()
        )
        letter.opening.append(
            letters.extension_paragraph(self.register, request.lang, due.due, reason)
        )
        self._write(request, "extension", letter.render())
        return request

    def refuse(self, request_id: str, reason: str) -> SubjectRequest:
        """Refuse with the reason; the letter states the right to complain (Art. 12(4))."""
        request = self.get(request_id)
        lifecycle.check_transition(request.id, request.state, "refuse")
        if not reason.strip():
            raise RequestError("a refusal needs its reason", hint="--reason TEXT")
        self._audit("refused", request, reason=reason)
        letter = letters.refusal_letter(self.register, request, reason, self.today())
        path = self._write(request, "refusal", letter.render())
        with write_transaction(self.state.engine) as connection:
            store.update(
                connection,
                request.id,
                "refuse",
                request.state,
                RequestState.refused,
                self.actor,
                {"reason": reason},
                refusal_reason=reason,
                result={"letter": str(path)},
            )
        return self.get(request_id)

    def forward(self, request_id: str) -> SubjectRequest:
        """Forward the request to the controller(s) of the data we hold as a processor."""
        request = self.get(request_id)
        lifecycle.check_transition(request.id, request.state, "forward")
        found = self.finder.find(request.identity)
        _, processed = self._split(found)
        result = self._forward_package(request, processed)
        with write_transaction(self.state.engine) as connection:
            store.update(
                connection,
                request.id,
                "forward",
                request.state,
                RequestState.forwarded,
                self.actor,
                result,
                result=result,
            )
        return self.get(request_id)

    def _forward_package(self, request: SubjectRequest, processed: Found) -> dict[str, Any]:
        controllers = letters.controllers(self.register, self.finder, processed)
        self._audit("forwarded", request, rows=processed.summary(), controllers=controllers)
        letter = letters.forward_letter(
            self.register, self.finder, request, processed, self.today()
        )
        path = self._write(request, "forward", letter.render())
        tenants = self._tenants(processed)
        summary = {
            "request": request.id,
            "kind": request.kind.value,
            "identity": request.identity,
            "received": request.received_at.isoformat(),
            "due": request.due.isoformat(),
            "rows": processed.summary(),
            "tenants": tenants,
        }
        summary_path = self.out_dir / request.id / "forward.json"
        summary_path.write_text(
            json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        return {
            "forward_letter": str(path),
            "forward_summary": str(summary_path),
            "rows": processed.summary(),
            "tenants": tenants,
        }

    def _tenants(self, found: Found) -> dict[str, list[Any]]:
        """The client companies the processed rows belong to (direct tenant columns only)."""
        out: dict[str, set[Any]] = {}
        for rows in found:
            graph = self.finder.graphs_by_id[rows.store]
            column = graph.mapping(rows.table).tenant
            if not rows.rows or not column or "." in column:
                continue
            table = self.finder.tables(graph)[rows.table]
            pk = table.c[graph.mapping(rows.table).primary_key]
            keys = sorted(rows.rows)
            with self.finder.engine(rows.store).connect() as connection:
                for start in range(0, len(keys), self.finder.batch):
                    query = (
                        sa.select(table.c[column])
                        .where(pk.in_(keys[start : start + self.finder.batch]))
                        .distinct()
                    )
                    out.setdefault(rows.store, set()).update(
                        v for (v,) in connection.execute(query)
                    )
        return {s: sorted(v, key=repr) for s, v in out.items()}

    def _split(self, found: Found) -> tuple[Found, Found]:
        """The rows we control, and the rows we hold as a processor for a client."""
        mine, processed = Found(found.identity), Found(found.identity)
        mine.queries = found.queries
        for key, rows in found.tables.items():
            mapping = self.finder.graphs_by_id[rows.store].mapping(rows.table)
            target = processed if scope.processor_only(self.register, mapping) else mine
            target.tables[key] = rows
        return mine, processed

    def _write(self, request: SubjectRequest, name: str, html: str) -> Path:
        folder = self.out_dir / request.id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}-{request.lang}.html"
        path.write_text(html, encoding="utf-8")
        return path

    # -- execution ------------------------------------------------------------------------------

    def execute(self, request_id: str, *, step_size: int = erase.STEP_SIZE) -> SubjectRequest:
        """Carry out a verified request; a request found nowhere completes and says so."""
        request = self.get(request_id)
        if (
            request.kind is RequestKind.erasure
            and request.state in (RequestState.in_progress, RequestState.extended)
            and erase.has_plan(self.state, request.id)
        ):
            return self._finish_erasure(request, None)
        lifecycle.check_transition(request.id, request.state, "execute")
        found = self.finder.find(request.identity)
        mine, processed = self._split(found)
        if mine.empty and not processed.empty:
            return self.forward(request_id)
        self._audit("execute", request, rows=found.summary())
        if request.kind is RequestKind.erasure:
            return self._erasure(request, found, step_size)
        if request.kind in (RequestKind.access, RequestKind.portability):
            letter = letters.outcome_letter(
                self.register, self.finder, request, mine, processed, {}, self.today()
            )
            result = self._access(request, mine, letter.render())
            return self._close(request, mine, processed, result, letter)
        handler = {
            RequestKind.rectification: self._rectification,
            RequestKind.restriction: self._restriction,
            RequestKind.objection: self._objection,
        }[request.kind]
        result = handler(request, mine)
        return self._close(request, mine, processed, result)

    def _close(
        self,
        request: SubjectRequest,
        mine: Found,
        processed: Found,
        result: dict[str, Any],
        letter: letters.Letter | None = None,
    ) -> SubjectRequest:
        result["found"] = mine.summary()
        result["nothing_found"] = mine.empty and processed.empty
        if not processed.empty:
            result["forwarded"] = self._forward_package(request, processed)
        if letter is None:
            letter = letters.outcome_letter(
                self.register, self.finder, request, mine, processed, result, self.today()
            )
        result["letter"] = str(self._write(request, request.kind.value, letter.render()))
        with write_transaction(self.state.engine) as connection:
            store.update(
                connection,
                request.id,
                "execute",
                request.state,
                RequestState.done,
                self.actor,
                {"found": result["found"]},
                result=result,
            )
        return self.get(request.id)

    def _access(self, request: SubjectRequest, mine: Found, letter_html: str) -> dict[str, Any]:
        portability = request.kind is RequestKind.portability
        if mine.empty:
            return {}
        path = self.out_dir / request.id / f"{request.kind.value}-{request.id}.zip"
        self._audit("export.created", request, path=str(path), rows=mine.summary())
        header = {
            "request": request.id,
            "kind": request.kind.value,
            "received": request.received_at.isoformat(),
            "organization": self.register.organization.name,
        }
        exported = write_export(
            path,
            self.register,
            self.finder,
            mine,
            portability=portability,
            header=header,
            letter_html=letter_html,
        )
        created = self.now()
        expires = created + timedelta(days=self.export_retention.approx_days())
        with write_transaction(self.state.engine) as connection:
            connection.execute(
                export_table.insert().values(
                    request_id=request.id,
                    path=str(path),
                    sha256=exported.sha256,
                    size=exported.size,
                    created_at=created,
                    expires_at=expires,
                )
            )
        return {
            "export": str(path),
            "sha256": exported.sha256,
            "rows": exported.rows,
            "expires_at": expires.isoformat(),
        }

    def _erasure(self, request: SubjectRequest, found: Found, step_size: int) -> SubjectRequest:
        plan = erase.plan_erasure(
            self.register, self.finder, found, self.state.holds.active(), step_size
        )
        until = erase.kept_until(self.register, self.finder, found, plan.outcomes, self.tz)
        outcomes = []
        for outcome in plan.outcomes:
            day = until.get((outcome.store, outcome.table))
            outcomes.append({**outcome.as_json(), "until": day.isoformat() if day else None})
        erase.store_plan(
            self.state,
            request.id,
            plan,
            {
                "person": identity_digest(request.identity),
                "steps": len(plan.steps),
                "outcomes": outcomes,
            },
        )
        return self._finish_erasure(request, found)

    def _finish_erasure(self, request: SubjectRequest, found: Found | None) -> SubjectRequest:
        erase.run_plan(self.state, self.finder, request.id)
        outcomes = self._stored_outcomes(request.id)
        mine = Found(request.identity)
        processed = Found(request.identity)
        if found is not None:
            mine, processed = self._split(found)
        result: dict[str, Any] = {"outcomes": outcomes}
        return self._close(request, mine, processed, result)

    def _stored_outcomes(self, request_id: str) -> list[dict[str, Any]]:
        for entry in self.state.audit.entries(action_prefix="request.erasure.planned"):
            if entry.request_id == request_id:
                return list(entry.details["outcomes"])
        return []

    def _rectification(self, request: SubjectRequest, mine: Found) -> dict[str, Any]:
        changes = request.options["changes"]
        updates = rectify.plan_rectification(self.register, self.finder, mine, changes)
        written = []
        for update in updates:
            self._audit(
                "rectification.update",
                request,
                store=update.store,
                table=update.table,
                column=update.column,
                rows=len(update.keys),
            )
            count = rectify.apply(self.finder, update)
            written.append(
                {
                    "store": update.store,
                    "table": update.table,
                    "column": update.column,
                    "rows": count,
                }
            )
        return {"updated": written, "changes": sorted(changes)}

    def _restriction(self, request: SubjectRequest, mine: Found) -> dict[str, Any]:
        self._audit("restriction.recorded", request)
        with write_transaction(self.state.engine) as connection:
            restrict.record_restriction(connection, request.id, request.identity)
        return {"restricted": True}

    def _objection(self, request: SubjectRequest, mine: Found) -> dict[str, Any]:
        activities = request.options["activities"]
        self._audit("objection.recorded", request, activities=activities)
        with write_transaction(self.state.engine) as connection:
            restrict.record_objection(connection, request.id, request.identity, activities)
        return {"activities": activities}

    # -- listing and exports --------------------------------------------------------------------

    def list(self) -> list[Listed]:
        """Every request, late first, then by due date."""
        today = self.today()
        listed = []
        for request in store.all_requests(self.state.engine):
            deadline = lifecycle.Deadline(
                request.starts, request.first_due, request.due, request.extended
            )
            listed.append(Listed(request, deadline.status(today, request.state)))
        order = {"late": 0, "due_soon": 1, "on_time": 2, "closed": 3}
        return sorted(listed, key=lambda x: (order[x.status], x.request.due, x.request.id))

    def history(self, request_id: str) -> builtins.list[dict[str, Any]]:
        return store.events(self.state.engine, request_id)

    def purge_exports(self) -> builtins.list[str]:
        """Delete the export packages past their retention; each deletion audited first."""
        now = self.now()
        with read_connection(self.state.engine) as connection:
            due = connection.execute(
                sa.select(export_table)
                .where(export_table.c.deleted_at.is_(None), export_table.c.expires_at <= now)
                .order_by(export_table.c.id)
            ).all()
        deleted = []
        for row in due:
            self.state.audit.append(
                "request.export.deleted",
                details={
                    "path": row.path,
                    "sha256": row.sha256,
                    "expired": row.expires_at.isoformat(),
                },
                actor=self.actor,
                request_id=row.request_id,
            )
            Path(row.path).unlink(missing_ok=True)
            with write_transaction(self.state.engine) as connection:
                connection.execute(
                    export_table.update()
                    .where(export_table.c.id == row.id)
                    .values(deleted_at=utcnow())
                )
            deleted.append(row.path)
        return deleted
