"""The public side: a person files a request and proves their email with a one-time code.

No account: the code sent to the address is the proof. Filing says nothing about whether the
person is in our databases (nothing is searched before the identity is proven).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from registre.requests.identity import normalize_email
from registre.requests.lifecycle import RequestKind
from registre.service.access import PUBLIC
from registre.service.auth import service
from registre.service.errors import Unavailable
from registre.service.routes.requests import exists, invalid_input
from registre.service.runtime import Service
from registre.service.throttle import Throttle

router = APIRouter(prefix="/api/v1/public", tags=["public"])


class FileRequest(BaseModel):
    kind: RequestKind
    email: str = Field(description="The address the one-time code is sent to.")
    lang: Literal["fr", "en"] | None = None
    changes: dict[str, str] = Field(
        default_factory=dict, description="Rectification: FIELD: NEW VALUE."
    )
    activities: list[str] = Field(default_factory=list, description="Objection, restriction.")


class EnterCode(BaseModel):
    code: str = Field(min_length=1, max_length=20)


def _source(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/requests", status_code=201)
def file_request(
    body: FileRequest, request: Request, running: Service = Depends(service)
) -> dict[str, Any]:
    """File a request; a one-time code goes to the email address to prove it is the person's.

    At most ``filings_per_address`` an hour for one address and ``filings_per_source`` from one
    source (429 beyond), whether or not the address is anyone's we know.
    """
    if not running.mailer.enabled:
        raise Unavailable(
            "requests cannot be filed here: this service sends no mail",
            hint="write to the organization's privacy contact",
        )
    with invalid_input():
        email = normalize_email(body.email)
    settings = running.settings
    throttle(running).take(
        "filing",
        {
            "address": (email, settings.filings_per_address),
            "source": (_source(request), settings.filings_per_source),
        },
    )
    with invalid_input():
        options: dict[str, Any] = {}
        if body.changes:
            options["changes"] = body.changes
        if body.activities:
            options["activities"] = body.activities
        filed = running.desk_for(PUBLIC).open(
            body.kind.value, {"email": email}, lang=body.lang, options=options
        )
    expires = _send_code(running, filed.id, email, filed.lang)
    return {
        "request_id": filed.id,
        "state": filed.state.value,
        "due": filed.due.isoformat(),
        "code_sent_to": email,
        "code_expires_at": expires.isoformat(),
    }


@router.post("/requests/{request_id}/code")
def send_new_code(request_id: str, running: Service = Depends(service)) -> dict[str, Any]:
    """Send a new code (the earlier one stops working); a few times per request at most."""
    exists(running, request_id)
    request = running.desk.get(request_id)
    email = running.codes.sent_to(request_id) or request.identity.get("email")
    if email is None:
        raise Unavailable(
            f"request {request_id} has no email address to send a code to",
            hint="an operator verifies it",
        )
    expires = _send_code(running, request_id, email, request.lang)
    return {"request_id": request_id, "code_expires_at": expires.isoformat()}


@router.post("/requests/{request_id}/verify")
def enter_code(
    request_id: str, body: EnterCode, request: Request, running: Service = Depends(service)
) -> dict[str, Any]:
    """Prove the email address with the code; the request then runs its legal deadline."""
    exists(running, request_id)
    proof = running.codes.check(request_id, body.code, _source(request))
    method = (
        f"one-time code sent by email to {proof['sent_to']} at {proof['sent_at']}, "
        "entered through the service"
    )
    verified = running.desk_for(PUBLIC).verify(request_id, method)
    return {
        "request_id": verified.id,
        "state": verified.state.value,
        "due": verified.due.isoformat(),
    }


def throttle(running: Service) -> Throttle:
    """The service's rate limits (they share the state database and the codes' secret)."""
    return Throttle(running.codes.engine, running.codes.secret)


def _send_code(running: Service, request_id: str, email: str, lang: str) -> datetime:
    """Issue a code and queue its mail: a mail server that is down delays it, retried."""
    code, expires = running.codes.issue(request_id, email)
    running.jobs.submit(
        "mail.code",
        {"request_id": request_id, "to": email, "lang": lang, "code": code},
        actor="public",
    )
    return expires
