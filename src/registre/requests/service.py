"""Data-subject requests through the library: open, verify, execute, extend, refuse, forward.

::

    from registre.requests import RequestDesk

    desk = RequestDesk(register, state, {"console": engine})
    request = desk.open("access", {"email": "a@b.fr"})
    desk.verify(request.id, method="replied from the account's email address")
    result = desk.execute(request.id)       # the export package and the letter

Every action is written to the audit trail. An action that changes or deletes the
organization's data (an erasure step, a rectification, a deleted export package) is audited in
its own committed transaction before it is done; an action that only changes the request itself
(opening, verifying, answering an access request) is audited in the same transaction as that
change (:meth:`~registre.state.AuditTrail.append_in`), so the entry and the change commit or fail
together, with one commit instead of several. The audit trail outlives erasures, so it names
the person only by :func:`registre.state.identity_digest`. Requests about data we hold as a
processor are forwarded to the controller with a letter and a summary, never executed on our
own initiative. Execution lives in :mod:`registre.requests.execution`, forwarding in
:mod:`registre.requests.forwarding`.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa

from registre._exceptions import MappingError, RequestError
from registre.register.model import Lang
from registre.requests import (
    erase,
    execution,
    export_purge,
    forwarding,
    letters,
    lifecycle,
    preflight,
    rectify,
    restrict,
    store,
)
from registre.requests.context import RequestContext
from registre.requests.export_purge import Purged
from registre.requests.find import Found
from registre.requests.identity import Identity, as_identity, check_kinds
from registre.requests.lifecycle import RequestKind, RequestState
from registre.requests.store import SubjectRequest
from registre.state import identity_digest
from registre.state.db import write_transaction

SCHEMA_FAULTS = (
    KeyError,
    MappingError,
    sa.exc.NoSuchTableError,
    sa.exc.ProgrammingError,
    sa.exc.OperationalError,
)
"""What reading a store whose schema no longer matches the mapping raises."""


@dataclass
class Listed:
    request: SubjectRequest
    status: str  # late | due_soon | on_time | closed

    def as_json(self) -> dict[str, Any]:
        return {**self.request.as_json(), "status": self.status}


P = ParamSpec("P")
R = TypeVar("R")


def _on_desk_clock(
    method: Callable[Concatenate[RequestDesk, P], R],
) -> Callable[Concatenate[RequestDesk, P], R]:
    """Record the request's history and closing at the desk's instant (``--at``)."""

    @functools.wraps(method)
    def acting(desk: RequestDesk, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with store.acting_at(desk.now):
            return method(desk, *args, **kwargs)

    return acting


class RequestDesk(RequestContext):
    """The desk where requests are opened and answered, over one register and state database.

    Reuse one desk for many requests: its finder reflects the mapped tables once. The
    constructor is :class:`~registre.requests.context.RequestContext`'s.
    """

    # -- life of a request ----------------------------------------------------------------------

    @_on_desk_clock
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
        check_kinds(
            who,
            (
                kind
                for store_ in self.register.stores.values()
                for mapping in store_.tables.values()
                for kind in mapping.identity
            ),
        )
        received = received_at or self.now()
        if received.tzinfo is None:  # a wall-clock time where the organization is
            received = received.replace(tzinfo=self.tz)
        if received > self.now():
            raise RequestError(
                f"the request cannot have been received on {received.isoformat()}: that is "
                "later than now",
                hint="--received is the day the request arrived, such as 2026-11-01",
            )
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
            rectify.check_fields(self.register, options["changes"])
        elif options.get("changes"):
            raise RequestError(
                f"a request for {request_kind.value} changes no value",
                hint="--set is for rectification requests",
            )
        if request_kind is RequestKind.objection:
            options["chosen_at_execution"] = not options.get("activities")
            options["activities"] = restrict.objection_activities(
                self.register, options.get("activities")
            )
        elif request_kind in (RequestKind.restriction, RequestKind.erasure):
            # an erasure names activities when it enforces a withdrawal of consent
            if options.get("activities"):
                options["activities"] = self.known_activities(options["activities"])
        elif options.get("activities"):
            raise RequestError(
                f"a request for {request_kind.value} does not name activities",
                hint="--activity is for objections and restrictions",
            )
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
        with write_transaction(self.state.engine) as connection:
            self.audit_in(connection, "opened", request, due=due.due.isoformat())
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
                        details={
                            "activities": marketing,
                            "person": identity_digest(who),
                            **restrict.recorded_digests(who),
                        },
                        actor=self.actor,
                        request_id=request.id,
                    )
                    restrict.record_objection(connection, request.id, who, marketing)
        return request

    def known_activities(self, given: builtins.list[str]) -> builtins.list[str]:
        """``given`` without repeats; raise RequestError naming any the register lacks."""
        return restrict.known_activities(self.register, given)

    def get(self, request_id: str) -> SubjectRequest:
        return store.get(self.state.engine, request_id)

    @_on_desk_clock
    def verify(self, request_id: str, method: str, *, doubt: str | None = None) -> SubjectRequest:
        """Record how identity was proven; with ``doubt``, the request waits for more."""
        action = "doubt" if doubt else "verify"
        with write_transaction(self.state.engine) as connection:
            request = store.get_in(connection, request_id)
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
            self.audit_in(
                connection,
                f"identity.{'doubted' if doubt else 'verified'}",
                request,
                method=method,
            )
            return store.transition(
                connection,
                request,
                action,
                target,
                self.actor,
                {"method": method, "doubt": doubt},
                **values,
            )

    @_on_desk_clock
    def extend(self, request_id: str, reason: str) -> SubjectRequest:
        """Extend the deadline by ``rights.extension`` (once, during the first period)."""
        with write_transaction(self.state.engine) as connection:
            request = store.get_in(connection, request_id)
            lifecycle.check_transition(request.id, request.state, "extend")
            if not reason.strip():
                raise RequestError("an extension needs its reason", hint="--reason TEXT")
            if self.register.rights.extension.is_zero:
                raise RequestError(
                    "the register promises answers with no extension (rights.extension: none)",
                    hint="answer within the first period, or change the register and the policy",
                )
            current = self._deadline(request.starts, extended=request.extended)
            lifecycle.check_extension(request.id, self.today(), current)
            due = self._deadline(request.starts, extended=True)
            self.audit_in(connection, "extended", request, reason=reason, due=due.due.isoformat())
            target = (
                RequestState.extended
                if request.state is RequestState.in_progress
                else request.state
            )
            request = store.transition(
                connection,
                request,
                "extend",
                target,
                self.actor,
                {"reason": reason, "due": due.due.isoformat()},
                extended=True,
                extension_reason=reason,
                due=due.due,
            )
        letter = letters.extension_letter(self.register, request, due.due, reason, self.today())
        self.write_letter(request, "extension", letter.render())
        return request

    @_on_desk_clock
    def refuse(self, request_id: str, reason: str, ground: str = "other") -> SubjectRequest:
        """Refuse with the reason; the letter cites the ``ground`` (a key of
        ``letters.REFUSAL_GROUNDS``: Art. 12(5), 11(2)) and the right to complain (Art. 12(4)).
        """
        request = self.get(request_id)
        lifecycle.check_transition(request.id, request.state, "refuse")
        if not reason.strip():
            raise RequestError("a refusal needs its reason", hint="--reason TEXT")
        letter = letters.refusal_letter(self.register, request, reason, self.today(), ground)
        path = self.write_letter(request, "refusal", letter.render())
        with write_transaction(self.state.engine) as connection:
            self.audit_in(connection, "refused", request, reason=reason, ground=ground)
            return store.transition(
                connection,
                request,
                "refuse",
                RequestState.refused,
                self.actor,
                {"reason": reason},
                refusal_reason=reason,
                result={"letter": str(path)},
            )

    @_on_desk_clock
    def forward(self, request_id: str) -> SubjectRequest:
        """Forward the request to the controller(s) of the data we hold as a processor."""
        request = self.get(request_id)
        lifecycle.check_transition(request.id, request.state, "forward")
        # the controller's data goes with an access request: it may be kept as a condition
        bulk = request.kind in forwarding.SENDS_DATA
        everything = self.finder.find(request.identity, bulk=bulk)
        mine, processed = forwarding.split(self.register, self.finder, everything)
        execute = f"`registre request execute {request.id}`"
        if request.state in (RequestState.received, RequestState.identity_to_verify):
            execute = (
                f"verify the identity (`registre request verify {request.id} --method TEXT`), "
                f"then {execute}"
            )
        if processed.empty:
            found = (
                "no data at all about this person"
                if mine.empty
                else f"only data we control ({_rows(mine)})"
            )
            raise RequestError(
                f"request {request.id} cannot be forwarded: registre finds {found}, nothing "
                "held as a processor for a client; nothing was sent",
                hint=f"answer it yourself: {execute}"
                + (
                    " (the letter tells the person we hold no data about them)"
                    if mine.empty
                    else ""
                ),
            )
        if not mine.empty:
            raise RequestError(
                f"request {request.id} is also about data we control ({_rows(mine)}): "
                "forwarding would leave that part unanswered; nothing was sent",
                hint=f"{execute} answers our part and forwards the rest to the controller",
            )
        return forwarding.forward(self, request, processed)

    @_on_desk_clock
    def instruct(
        self, request_id: str, reference: str, *, tenant: str | None = None
    ) -> SubjectRequest:
        """Record a controller's instruction to carry out a request we forwarded to it.

        Art. 28(3)(a): a processor acts on the controller's documented instructions. The
        request goes back in progress; :meth:`execute` then erases or rectifies the rows we
        hold for that controller (``tenant``, needed when we hold the person's data for
        several), as the register says for them, and writes the confirmation to the
        controller instead of a letter to the person, whom the controller answers.
        """
        with write_transaction(self.state.engine) as connection:
            request = store.get_in(connection, request_id)
            lifecycle.check_transition(request.id, request.state, "instruct")
            if request.kind not in execution.ON_INSTRUCTION:
                raise RequestError(
                    f"request {request.id} is a request for {request.kind.value}: a controller "
                    "instructs us to erase or to rectify, nothing else",
                    hint="the data of an access or portability request went to the controller "
                    "with the forward; restrictions and objections are the controller's to apply",
                )
            if not reference.strip():
                raise RequestError(
                    "say which instruction this is",
                    hint='--reference TEXT, such as "email from the client, 2 December 2026"',
                )
            client = forwarding.instructing(request, tenant)
            done_before = (request.result or {}).get("instructed_by", [])
            if client in done_before:
                raise RequestError(
                    f"request {request.id} was already carried out on the instruction of client "
                    f"{client['tenant']}; nothing was recorded",
                    hint="if the person asks again, open a new request with `registre request "
                    "open`",
                )
            instruction = {
                "reference": reference.strip(),
                **client,
                # its own erasure plan and letter, apart from the request's own (0) and those
                # of the instructions carried out before
                "plan": len(done_before) + 1,
            }
            self.audit_in(connection, "instructed", request, **instruction)
            return store.transition(
                connection,
                request,
                "instruct",
                RequestState.in_progress,
                self.actor,
                instruction,
                options={**request.options, "instruction": instruction},
            )

    @_on_desk_clock
    def execute(self, request_id: str, *, step_size: int = erase.STEP_SIZE) -> SubjectRequest:
        """Carry out a verified request; a request found nowhere completes and says so."""
        request = self.get(request_id)
        if request.kind in execution.WRITES:
            # the sweep's own check, before the first write
            preflight.check_schema(self.register, self.finder.engines)
        try:
            if request.kind in (RequestKind.restriction, RequestKind.objection):
                return restrict.execute(self, request)
            return execution.execute(self, request, step_size)
        except SCHEMA_FAULTS:
            # A request that only reads is not checked first (the check costs more than the
            # access itself); a table or column dropped since shows here as a missing key or
            # table, which the sweep's check names with where the register maps it.
            preflight.check_schema(self.register, self.finder.engines)
            raise

    @_on_desk_clock
    def lift(self, request_id: str, reason: str) -> SubjectRequest:
        """Lift a restriction (Art. 18(3)): the letter telling the person is written first."""
        request = self.get(request_id)
        restrict.check_lift(request)
        if not reason.strip():
            raise RequestError("lifting a restriction needs its reason", hint="--reason TEXT")
        letter = letters.lift_letter(self.register, request, reason, self.today())
        path = self.write_letter(request, "lift", letter.render())
        at = self.now()
        with write_transaction(self.state.engine) as connection:
            self.audit_in(connection, "restriction.lifted", request, reason=reason)
            restrict.lift_restriction(connection, request.id, at)
            result = {
                **(request.result or {}),
                "lifted_at": at.isoformat(),
                "lift_reason": reason,
                "lift_letter": str(path),
            }
            return store.transition(
                connection,
                request,
                "lift",
                RequestState.done,
                self.actor,
                {"reason": reason},
                result=result,
            )

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

    def purge_exports(self) -> Purged:
        """Delete the export packages past their retention, and the letters beside them; then
        stop naming the requester in the records of long-closed requests
        (:func:`registre.requests.export_purge.purge_exports`)."""
        return export_purge.purge_exports(self)


def _rows(found: Found) -> str:
    tables = sorted(rows.table for rows in found if rows.count)
    return f"{found.total} row(s) in {', '.join(tables)}"
