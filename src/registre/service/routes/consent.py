"""Consent: the cookie banner posts each choice here; operators read a browser's records.

``POST /api/v1/consent/choices`` is public: the banner runs on the organization's own site,
another origin, without credentials. It posts ``text/plain`` (a "simple" request, with no
preflight) and the answer allows any origin (``Access-Control-Allow-Origin: *``), errors
included, so the banner can tell a refused choice (4xx, dropped) from a service that is down
(kept and posted again). Each source address may post :data:`POSTS_PER_HOUR` choices an
hour, counted in the state database as the other rate limits are (:mod:`..throttle`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registre.consent.banner_choices import IDENTITY_KIND, BannerChoice, record_banner_choice
from registre.consent.decisions import consent_history
from registre.consent.model import Decision
from registre.service.access import Principal
from registre.service.auth import READERS, requires, service
from registre.service.errors import InvalidInput, TooManyAttempts
from registre.service.runtime import Service
from registre.service.schemas import ChoiceRecorded, ConsentRecordOut
from registre.service.throttle import Throttle

router = APIRouter(prefix="/api/v1/consent", tags=["consent"])

CHOICES_PATH = "/api/v1/consent/choices"
DOOR = "consent_choice"
POSTS_PER_HOUR = 120
"""A person makes a choice or two; an office behind one address, a few dozen an hour."""
LARGEST_BODY = 4_096


class Notice(BaseModel):
    version: str | None = Field(None, max_length=64)
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")


class ChoicePosted(BaseModel):
    consent_id: str = Field(pattern=r"^[0-9a-f]{32}$", description="The browser's banner id.")
    choices: dict[str, Literal["given", "refused"]] = Field(
        min_length=1, max_length=8, description="CATEGORY: given or refused."
    )
    at: datetime | None = Field(None, description="When the person chose, by the browser.")
    lang: Literal["fr", "en"] | None = None
    notice: Notice = Field(default_factory=Notice)
    gpc: bool = Field(False, description="Chosen by the Global Privacy Control signal.")
    dnt: bool = Field(False, description="Chosen by the Do Not Track signal.")


def _limit(request: Request, running: Service) -> None:
    """Count one post from the caller's address, or refuse it past the hour's limit."""
    throttle = Throttle(running.codes.engine, running.codes.secret)
    source = request.client.host if request.client else "unknown"
    limits = {"source": (source, POSTS_PER_HOUR)}
    if throttle.over(DOOR, limits) is not None:
        raise TooManyAttempts(
            f"more than {POSTS_PER_HOUR} cookie choices came from your network address in the "
            "last hour",
            hint="the banner keeps your choice and posts it again later",
        )
    throttle.record(DOOR, {"source": source})


@router.post(
    "/choices",
    status_code=201,
    response_model=ChoiceRecorded,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": ChoicePosted.model_json_schema()},
                "application/json": {"schema": ChoicePosted.model_json_schema()},
            },
        }
    },
)
async def post_choice(request: Request, running: Service = Depends(service)) -> dict[str, Any]:
    """Record a choice made in the cookie banner: one ledger record per category."""
    await run_in_threadpool(_limit, request, running)
    raw = await request.body()
    if len(raw) > LARGEST_BODY:
        raise InvalidInput(f"a choice is at most {LARGEST_BODY} bytes; this one is {len(raw)}")
    try:
        posted = ChoicePosted.model_validate_json(raw or b"{}")
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None
    choice = BannerChoice(
        consent_id=posted.consent_id,
        choices={k: Decision(v) for k, v in posted.choices.items()},
        at=posted.at,
        notice_version=posted.notice.version,
        notice_sha256=posted.notice.sha256,
        gpc=posted.gpc,
        dnt=posted.dnt,
        origin=(request.headers.get("origin") or "")[:200] or None,
    )
    records = await run_in_threadpool(record_banner_choice, running.state, running.register, choice)
    return {"consent_id": posted.consent_id, "recorded": [r.as_json() for r in records]}


@router.get("/choices/{consent_id}", response_model=list[ConsentRecordOut])
def list_choices(
    consent_id: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> list[dict[str, Any]]:
    """Every record of a browser's banner id, oldest first: the proof of its choices."""
    return [r.as_json() for r in consent_history(running.state, {IDENTITY_KIND: consent_id})]


class AnyOrigin:
    """``Access-Control-Allow-Origin: *`` on every answer of the choices endpoint."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != CHOICES_PATH:
            await self.app(scope, receive, send)
            return

        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"access-control-allow-origin", b"*"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_header)


def install(app: FastAPI) -> None:
    """Add the routes and let the banner, on another origin, read the answers."""
    app.include_router(router)
    app.add_middleware(AnyOrigin)
