"""Data-subject requests, worked by operators: list, open, show, verify, execute, extend, refuse,
forward, instruct, lift, and their history.

Execution is a job (:mod:`registre.service.jobs`): the call answers at once with the job, whose
state is read at ``GET /api/v1/jobs/{id}``; the letter then goes to the person by mail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from registre._exceptions import RequestError
from registre.requests.identity import build_identity
from registre.requests.lifecycle import RequestKind, RequestState
from registre.service.access import Principal
from registre.service.auth import READERS, WORKERS, requires, service
from registre.service.errors import InvalidInput, NotFound
from registre.service.runtime import Service

router = APIRouter(prefix="/api/v1/requests", tags=["requests"])

Status = Literal["late", "due_soon", "on_time", "closed"]


class OpenRequest(BaseModel):
    kind: RequestKind
    email: str | None = None
    phone: str | None = None
    ids: dict[str, str] = Field(default_factory=dict, description="Other identities: KIND: VALUE.")
    lang: Literal["fr", "en"] | None = None
    changes: dict[str, str] = Field(
        default_factory=dict, description="Rectification: FIELD: NEW VALUE."
    )
    activities: list[str] = Field(default_factory=list, description="Objection, restriction.")


class Verify(BaseModel):
    method: str = Field(min_length=1, description="How the identity was checked.")
    doubt: str | None = Field(None, description="What is missing; the request waits for it.")


class Reason(BaseModel):
    reason: str = Field(min_length=1)


@contextmanager
def invalid_input() -> Iterator[None]:
    """What the caller sent is wrong: a 422, not a conflict with the request's state."""
    try:
        yield
    except RequestError as error:
        raise InvalidInput(error.message, hint=error.hint) from None


def exists(running: Service, request_id: str) -> None:
    """A 404 for a request that does not exist, before the desk says it as a RequestError."""
    from registre.requests import store

    try:
        store.get(running.state.engine, request_id)
    except RequestError:
        raise NotFound(
            f"there is no request {request_id}",
            hint="GET /api/v1/requests lists them",
            request_id=request_id,
        ) from None


@router.get("")
def list_requests(
    state: RequestState | None = None,
    kind: RequestKind | None = None,
    status: Status | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> dict[str, Any]:
    """Every request, late first, then by due date; filtered, one page at a time."""
    listed = [
        item
        for item in running.desk_for(who).list()
        if (state is None or item.request.state is state)
        and (kind is None or item.request.kind is kind)
        and (status is None or item.status == status)
    ]
    return {
        "total": len(listed),
        "limit": limit,
        "offset": offset,
        "items": [item.as_json() for item in listed[offset : offset + limit]],
    }


@router.post("", status_code=201)
def open_request(
    body: OpenRequest,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Record a request received by other means (a letter, an email)."""
    with invalid_input():
        identity = build_identity(body.email, body.phone, [f"{k}={v}" for k, v in body.ids.items()])
        options: dict[str, Any] = {}
        if body.changes:
            options["changes"] = body.changes
        if body.activities:
            options["activities"] = body.activities
        request = running.desk_for(who).open(
            body.kind.value, identity, lang=body.lang, options=options
        )
    return request.as_json()


@router.get("/{request_id}")
def show_request(
    request_id: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> dict[str, Any]:
    """A request, with its history."""
    exists(running, request_id)
    desk = running.desk_for(who)
    return {**desk.get(request_id).as_json(), "history": desk.history(request_id)}


@router.post("/{request_id}/verify")
def verify_request(
    request_id: str,
    body: Verify,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Record how an operator checked the identity (or what is missing, with ``doubt``)."""
    exists(running, request_id)
    return running.desk_for(who).verify(request_id, body.method, doubt=body.doubt).as_json()


@router.post("/{request_id}/execute", status_code=202)
def execute_request(
    request_id: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Carry out a verified request, as a job: the export, the erasure... and its letter.

    Answers at once with the job; asked again while it is queued or running, the same job.
    """
    from registre.requests.lifecycle import check_transition

    exists(running, request_id)
    check_transition(request_id, running.desk.get(request_id).state, "execute")
    job = running.jobs.submit(
        "request.execute",
        {"request_id": request_id},
        actor=who.actor,
        key=f"request.execute:{request_id}",
    )
    return {"request_id": request_id, "job": job.as_json()}


@router.post("/{request_id}/extend")
def extend_request(
    request_id: str,
    body: Reason,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Extend the deadline, once, with the reason told to the person."""
    exists(running, request_id)
    extended = running.desk_for(who).extend(request_id, body.reason)
    if extended.identity.get("email"):  # the person is told why, by mail
        running.jobs.submit(
            "mail.letter",
            {"request_id": extended.id, "letter": "extension"},
            actor=who.actor,
            key=f"mail.extension:{extended.id}",
        )
    return extended.as_json()


@router.post("/{request_id}/refuse")
def refuse_request(
    request_id: str,
    body: Reason,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Refuse, with the reason; the letter tells the person they may complain."""
    exists(running, request_id)
    refused = running.desk_for(who).refuse(request_id, body.reason)
    if refused.identity.get("email"):  # the refusal letter, with the right to complain
        running.jobs.submit(
            "mail.letter",
            {"request_id": refused.id},
            actor=who.actor,
            key=f"mail.letter:{refused.id}",
        )
    return refused.as_json()


class Instruction(BaseModel):
    reference: str = Field(
        min_length=1, description="The controller's instruction: where and when it was given."
    )
    tenant: str | None = Field(
        None, description="The client instructing, when the request went to several (its key)."
    )


@router.get("/{request_id}/history")
def request_history(
    request_id: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> list[dict[str, Any]]:
    """What happened to a request, oldest first: each step, from which state to which, by whom."""
    exists(running, request_id)
    return running.desk_for(who).history(request_id)


@router.post("/{request_id}/forward")
def forward_request(
    request_id: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Forward a request about data we hold as a processor to its controller(s).

    The letters to the controllers, their data and the letter to the person are written in the
    request's folder (``GET .../letters``, ``GET .../packages``), and mailed as jobs: each
    controller's letter to the contact the register names for its requests, with a one-time
    link to its data; the person's letter to the request's email once the identity is
    verified (before, it would tell an unproven address which client holds data about it).
    """
    from registre.service.jobs.tasks import queue_forward_mails

    exists(running, request_id)
    proven = running.desk.get(request_id).state in (RequestState.in_progress, RequestState.extended)
    forwarded = running.desk_for(who).forward(request_id)
    # the controllers' letters and the person's go out by mail, as jobs (retried, visible);
    # the person's only to a proven address: it names the client holding data about them
    queue_forward_mails(running, forwarded, who.actor)
    if proven and forwarded.identity.get("email"):
        running.jobs.submit(
            "mail.letter",
            {"request_id": forwarded.id},
            actor=who.actor,
            key=f"mail.letter:{forwarded.id}",
        )
    return forwarded.as_json()


@router.post("/{request_id}/instruct")
def instruct_request(
    request_id: str,
    body: Instruction,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Record a controller's instruction to erase or rectify its data in a forwarded request;
    ``POST .../execute`` then carries it out (Art. 28(3)(a))."""
    exists(running, request_id)
    return running.desk_for(who).instruct(request_id, body.reference, tenant=body.tenant).as_json()


@router.post("/{request_id}/lift")
def lift_restriction(
    request_id: str,
    body: Reason,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Lift a restriction (Art. 18(3)); the letter telling the person is written first."""
    exists(running, request_id)
    return running.desk_for(who).lift(request_id, body.reason).as_json()
