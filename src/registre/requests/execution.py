"""Executing a verified request: find the person's rows, then answer by kind of request.

Access and portability write the export package and the letter, then record everything in one
state transaction: the audit entries, the export's record and the request's closing. Nothing of
the organization's data changes, so nothing needs auditing before; if that transaction fails,
the package is deleted again. (It is written under a temporary name, given its own once recorded:
see :mod:`registre.requests.pending_files` for what a kill leaves and how it is cleared.)

Erasure and rectification change the data: each change is audited and committed first (see
:mod:`registre.requests.erase`). Restriction and objection are executed by
:mod:`registre.requests.restrict`.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from registre._exceptions import RequestError
from registre.requests import (
    activity_scope,
    contract,
    erase,
    erase_steps,
    forwarding,
    legal_obligation,
    letters,
    lifecycle,
    packages,
    preflight,
    rectify,
    table_activities,
)
from registre.requests.context import RequestContext
from registre.requests.controllers import controllers as controllers_of
from registre.requests.find import Found, Reading
from registre.requests.lifecycle import RequestKind, RequestState
from registre.requests.packages import AuditEntries
from registre.requests.pending_files import StateWrite
from registre.requests.store import SubjectRequest
from registre.state import identity_digest
from registre.state.db import audit_entry, read_connection


def execute(context: RequestContext, request: SubjectRequest, step_size: int) -> SubjectRequest:
    """Carry out a verified request (as the desk just read it); one found nowhere completes.

    The request is not read again: one read less, one connection check-out less, on every
    request; a concurrent executor is still caught by :func:`store.transition`, whose update
    names the state it moves from.
    """
    plan = plan_number(request)
    resuming = (
        request.kind is RequestKind.erasure
        and request.state in (RequestState.in_progress, RequestState.extended)
        and erase_steps.has_plan(context.state, request.id, plan)
    )
    if resuming:
        # what the first run found and decided, not what is left of it
        mine, processed = erase_steps.stored_found(
            context.state, context.finder, request.id, request.identity, plan
        )
        return _finish_erasure(
            context, request, mine, processed, _stored_outcomes(context, request.id)
        )
    lifecycle.check_transition(request.id, request.state, "execute")
    with context.finder.reading() as reading:
        return _execute(context, request, reading, step_size)


def plan_number(request: SubjectRequest) -> int:
    """The erasure plan the request's execution stores or resumes: 0 for its own erasure, the
    instruction's number when a client instructed it (``request instruct``)."""
    return int((request.options.get("instruction") or {}).get("plan", 0))


READS = (RequestKind.access, RequestKind.portability)
"""The requests answered by reading the rows (an export), never by changing them."""

WRITES = (RequestKind.erasure, RequestKind.rectification)
"""The requests answered by changing the organization's data: the live schema is checked first."""

ON_INSTRUCTION = (RequestKind.erasure, RequestKind.rectification)
"""The forwarded requests a controller may instruct us to carry out (``request instruct``)."""


def _execute(
    context: RequestContext, request: SubjectRequest, reading: Reading, step_size: int
) -> SubjectRequest:
    if request.options.get("instruction"):
        return _on_instruction(context, request, reading, step_size)
    # an answer that only reads may keep a device's 100,000 points as a condition
    found = context.finder.find(request.identity, reading, bulk=request.kind in READS)
    if request.kind is RequestKind.erasure and request.options.get("activities"):
        found = activity_scope.limited_to(
            context.register, context.finder, found, request.options["activities"]
        )
    mine, processed = forwarding.split(context.register, context.finder, found)
    if mine.empty and not processed.empty:
        return forwarding.forward(context, request, processed)
    entries: AuditEntries = [("execute", {"rows": found.summary()})]
    if request.kind is RequestKind.erasure:
        return _erasure(context, request, found, step_size, reading)
    if request.kind is RequestKind.rectification:
        # no read transaction left open on the stores while their rows change
        reading.release()
    if request.kind in (RequestKind.access, RequestKind.portability):
        letter = letters.outcome_letter(
            context.register, context.finder, request, mine, processed, {}, context.today()
        )
        html = letter.render()
        return _access(context, request, mine, processed, html, entries, reading)
    if request.kind is RequestKind.rectification:
        context.audit("execute", request, rows=found.summary())
        return close(context, request, mine, processed, _rectification(context, request, mine), [])
    # restrictions and objections are executed by registre.requests.restrict
    raise AssertionError(f"no execution for a request of kind {request.kind.value}")


def close(
    context: RequestContext,
    request: SubjectRequest,
    mine: Found,
    processed: Found,
    result: dict[str, Any],
    entries: AuditEntries,
    writes: list[StateWrite] | None = None,
    html: str | None = None,
) -> SubjectRequest:
    """Write the letter, then audit and close the request in one state transaction.

    If that transaction fails, the packages written for the request are deleted: nothing
    records them.
    """
    writes = list(writes or [])
    result["found"] = mine.summary()
    result["nothing_found"] = mine.empty and processed.empty
    if not processed.empty:
        result["forwarded"] = forwarding.package(
            context, request, processed, entries, writes=writes
        )
    instruction = request.options.get("instruction")
    if instruction:
        # the controller answers the person: the confirmation is the controller's
        letter = letters.instruction_letter(
            context.register, context.finder, request, instruction, result, context.today()
        )
        plan = plan_number(request)
        name = "instruction" if plan <= 1 else f"instruction-{plan}"
        path = context.write_letter(request, name, letter.render(), letter.lang, writes=writes)
        result["letter"] = str(path)
        # another client the request went to may still instruct us about its own data
        previous = request.result or {}
        result["held_for"] = forwarding.went_to(request) or []
        result["instructed_by"] = [
            *previous.get("instructed_by", []),
            {"store": instruction["store"], "tenant": instruction["tenant"]},
        ]
    else:
        if html is None:
            letter = letters.outcome_letter(
                context.register, context.finder, request, mine, processed, result, context.today()
            )
            html = letter.render()
        result["letter"] = str(
            context.write_letter(request, request.kind.value, html, writes=writes)
        )
    return packages.close_recorded(
        context,
        request,
        "execute",
        RequestState.done,
        {"found": result["found"]},
        result,
        entries,
        writes,
    )


def _access(
    context: RequestContext,
    request: SubjectRequest,
    mine: Found,
    processed: Found,
    html: str,
    entries: AuditEntries,
    reading: Reading,
) -> SubjectRequest:
    if mine.empty:
        return close(context, request, mine, processed, {}, entries, html=html)
    writes: list[StateWrite] = []
    path = context.out_dir / request.id / f"{request.kind.value}-{request.id}.zip"
    package = packages.write_package(
        context,
        request,
        mine,
        path,
        entries=entries,
        writes=writes,
        letter_html=html,
        reading=reading,
    )
    assert package is not None  # the person's own package is written even when empty
    result = {
        "export": str(path),
        "sha256": package.file.sha256,
        "rows": package.file.rows,
        "expires_at": package.expires.isoformat(),
    }
    return close(context, request, mine, processed, result, entries, writes, html=html)


def _on_instruction(
    context: RequestContext, request: SubjectRequest, reading: Reading, step_size: int
) -> SubjectRequest:
    """Carry out a forwarded request on the instructing controller's rows, and only on those.

    The rows are found again (the forward may be weeks old) and narrowed to the client named
    by the instruction; they are then erased or rectified as if they were ours.
    """
    instruction = request.options["instruction"]
    found = context.finder.find(request.identity, reading)
    _, processed = _erasure_split(context, found)
    client = next(
        (
            c
            for c in controllers_of(context.finder, processed)
            if c.store == instruction["store"] and c.key == instruction["tenant"]
        ),
        None,
    )
    # nothing left for that client: nothing to do, and the confirmation says so
    rows = client.found if client and client.found else Found(request.identity)
    if request.kind is RequestKind.erasure:
        return _erasure(context, request, rows, step_size, reading, on_instruction=True)
    reading.release()
    context.audit("execute", request, rows=rows.summary(), instruction=instruction["reference"])
    result = _rectification(context, request, rows, on_instruction=True)
    return close(context, request, rows, Found(request.identity), result, [])


def _erasure(
    context: RequestContext,
    request: SubjectRequest,
    found: Found,
    step_size: int,
    reading: Reading,
    *,
    on_instruction: bool = False,
) -> SubjectRequest:
    """Plan the erasure at the request's instant, store the plan, then carry it out.

    Everything the answer needs (the outcomes with their dates, the rows found, the rows to
    forward) is stored with the plan before the first write, so that a resumed erasure gives
    the same answer as an uninterrupted one. ``on_instruction``: ``found`` holds the rows of
    the controller who instructed the erasure, all erased as ours.
    """
    duties = legal_obligation.evaluate(
        context.register, context.finder, found, context.now(), reading
    )
    plan = erase.plan_erasure(
        context.register,
        context.finder,
        found,
        context.state.holds.active(),
        step_size,
        duties,
        on_instruction=on_instruction,
        running=contract.running_contracts(
            context.register, context.finder, found, context.now(), reading
        ),
    )
    # no read transaction left open on the stores while their rows change
    reading.release()
    preflight.check_erasure(request.id, plan, context.register, context.finder.engines)
    outcomes = [outcome.as_json() for outcome in plan.outcomes]
    if on_instruction:
        mine, processed = found, Found(request.identity)
    else:
        mine, processed = _erasure_split(context, found)
    erase_steps.store_plan(
        context.state,
        request.id,
        plan,
        context.name_databases(
            {
                "person": identity_digest(request.identity),
                "steps": len(plan.steps),
                "outcomes": outcomes,
            }
        ),
        before=lambda c: context.audit_in(c, "execute", request, rows=found.summary()),
        found=mine,
        forwarded=processed,
        step_size=step_size,
        plan_number=plan_number(request),
    )
    return _finish_erasure(context, request, mine, processed, outcomes)


def preview(context: RequestContext, request: SubjectRequest) -> erase.ErasurePlan:
    """The erasure ``execute`` would carry out now, checked against the database; writes nothing.

    For ``request execute`` to show before it asks, and for ``--dry-run``. A stored plan (an
    erasure stopped at a step) is shown as stored: what it has left to do is what will run.
    """
    plan = plan_number(request)
    if erase_steps.has_plan(context.state, request.id, plan):
        return erase_steps.stored_plan(
            context.state, request.id, _stored_outcomes(context, request.id), plan
        )
    lifecycle.check_transition(request.id, request.state, "execute")
    preflight.check_schema(context.register, context.finder.engines)
    with context.finder.reading() as reading:
        if request.options.get("instruction"):
            raise RequestError(
                f"request {request.id} carries out a controller's instruction: its plan is "
                "made from the rows found for that controller when it runs",
                hint=f"run `registre request execute {request.id}` without --dry-run",
            )
        found = context.finder.find(request.identity, reading)
        if request.options.get("activities"):
            found = activity_scope.limited_to(
                context.register, context.finder, found, request.options["activities"]
            )
        duties = legal_obligation.evaluate(
            context.register, context.finder, found, context.now(), reading
        )
        erasure = erase.plan_erasure(
            context.register, context.finder, found, context.state.holds.active(), duties=duties
        )
    preflight.check_erasure(request.id, erasure, context.register, context.finder.engines)
    return erasure


def _erasure_split(context: RequestContext, found: Found) -> tuple[Found, Found]:
    """The rows we control, and those we hold for a controller, which goes the request.

    A table we control but hold some columns of for a controller (a console's managers) is
    in both: we erase our columns, the controller decides on the rest.
    """
    mine, processed = forwarding.split(context.register, context.finder, found)
    for key, rows in mine.tables.items():
        mapping = context.finder.graphs_by_id[rows.store].mapping(rows.table)
        if rows.rows and table_activities.partly_processor(context.register, mapping):
            processed.tables[key] = rows
    return mine, processed


def _finish_erasure(
    context: RequestContext,
    request: SubjectRequest,
    mine: Found,
    processed: Found,
    outcomes: list[dict[str, Any]],
) -> SubjectRequest:
    last = erase_steps.run_plan(context.state, context.finder, request.id)
    writes: list[StateWrite] = []
    if last is not None:
        writes.append(lambda c: erase_steps.mark_done(c, request.id, last))
    return close(context, request, mine, processed, {"outcomes": outcomes}, [], writes)


def _stored_outcomes(context: RequestContext, request_id: str) -> list[dict[str, Any]]:
    """The outcomes of the request's latest erasure plan, from its audit entry (on resuming)."""
    with read_connection(context.state.engine) as connection:
        details = connection.execute(
            sa.select(audit_entry.c.details)
            .where(
                audit_entry.c.request_id == request_id,
                audit_entry.c.action == "request.erasure.planned",
            )
            .order_by(audit_entry.c.seq.desc())
            .limit(1)
        ).scalar()
    if details is None:
        return []
    return list(json.loads(details)["outcomes"])


def _rectification(
    context: RequestContext, request: SubjectRequest, mine: Found, *, on_instruction: bool = False
) -> dict[str, Any]:
    changes = request.options["changes"]
    updates = rectify.plan_rectification(
        context.register, context.finder, mine, changes, on_instruction=on_instruction
    )
    written = []
    for update in updates:
        context.audit(
            "rectification.update",
            request,
            store=update.store,
            table=update.table,
            column=update.column,
            rows=len(update.keys),
        )
        count = rectify.apply(context.finder, update)
        written.append(
            {"store": update.store, "table": update.table, "column": update.column, "rows": count}
        )
    return {"updated": written, "changes": sorted(changes)}
