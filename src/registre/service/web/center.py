"""The privacy center, under ``/privacy``: what the organization does, and a person's requests.

The pages call what the JSON API calls (the public routes of :mod:`registre.service.routes`):
filing a request sends a one-time code, entering it verifies the request. Every form works
without JavaScript. Filing answers the same whatever the address: nothing is searched before
the person has proven it is theirs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from registre._exceptions import RegistreError
from registre.register.model import Lang, Register
from registre.service.routes import public
from registre.service.web import withdrawal
from registre.service.web.forms import CsrfRefused, checked_form, first
from registre.service.web.rendering import keys, lang_of, page, running, text
from registre.service.web.translations import error_text, word

KINDS = ("access", "portability", "erasure", "rectification", "restriction", "objection")
CHANGE_ROWS = 3
_MAIN = re.compile(r"<main\b[^>]*>(.*)</main>", re.DOTALL)


def overview(register: Register, lang: str) -> dict[str, Any]:
    """The activities, processors and transfers, as the home page lists them, in the words
    of the policy (country names, safeguards named as the policy names them)."""
    from registre.documents.typography import upper_first
    from registre.documents.wording import country_name, safeguard_name

    language: Lang = "fr" if lang == "fr" else "en"

    def country(value: Any) -> str | None:
        return country_name(str(getattr(value, "value", value)), language) if value else None

    activities = [
        {"id": key, "name": text(a.name, lang), "purpose": text(a.purpose, lang)}
        for key, a in register.activities.items()
    ]
    processors = [
        {"name": p.name, "service": text(p.service, lang), "country": country(p.country)}
        for p in register.processors.values()
    ]
    transfers = [
        {
            "name": name,
            "country": country(where),
            "safeguard": upper_first(safeguard_name(transfer.safeguard, language))
            if transfer.safeguard
            else None,
        }
        for name, where, transfer in [
            *((p.name, p.country, p.transfer) for p in register.processors.values()),
            *((text(r.name, lang), r.country, r.transfer) for r in register.recipients.values()),
        ]
        if transfer is not None
    ]
    return {"activities": activities, "processors": processors, "transfers": transfers}


def policy_body(request: Request, lang: str) -> str:
    """The policy as ``registre policy`` writes it: its ``<main>``, laid out in our page."""
    from registre.documents import render_policy

    cache: dict[str, str] = request.app.state.policies
    if lang not in cache:
        document = render_policy(running(request).register, "fr" if lang == "fr" else "en", "html")
        found = _MAIN.search(document)
        cache[lang] = found.group(1) if found else document
    return cache[lang]


def build() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/")
    def home(request: Request) -> Response:
        lang = lang_of(request)
        return page(request, "center_home.html", **overview(running(request).register, lang))

    @app.get("/policy")
    def policy(request: Request) -> Response:
        lang = lang_of(request)
        try:
            body = policy_body(request, lang)
        except RegistreError as error:
            message = error_text(lang, error.message, 503)
            return page(request, "error.html", status=503, message=message)
        return page(request, "center_policy.html", policy=body)

    @app.get("/request")
    def request_form(request: Request) -> Response:
        # the withdrawal page links here with the right and the activity chosen (nothing personal)
        q = request.query_params
        chosen = {"kind": [q["kind"]]} if q.get("kind") in KINDS else {}
        return form_page(request, chosen | {"activities": q.getlist("activity")})

    @app.post("/request")
    async def file_request(request: Request) -> Response:
        try:
            form = await checked_form(request)
        except CsrfRefused:
            return page(request, "error.html", status=403, message_key="csrf")
        changes = {
            first(form, f"field_{i}").strip(): first(form, f"value_{i}")
            for i in range(1, CHANGE_ROWS + 1)
            if first(form, f"field_{i}").strip()
        }
        try:
            body = public.FileRequest(
                kind=first(form, "kind"),
                email=first(form, "email").strip(),
                lang=first(form, "lang") or None,
                changes=changes,
                activities=form.get("activities", []),
            )
        except ValidationError as error:
            names = sorted({str(e["loc"][0]) for e in error.errors() if e.get("loc")})
            return form_page(request, form, problem=_invalid(lang_of(request), names), status=422)
        try:
            answer = await run_in_threadpool(public.file_request, body, request, running(request))
        except RegistreError as error:
            problem = error_text(lang_of(request), error.message, _status(error))
            return form_page(request, form, problem=problem, status=_status(error))
        return code_page(request, answer["request_id"])

    @app.post("/code")
    async def new_code(request: Request) -> Response:
        try:
            form = await checked_form(request)
        except CsrfRefused:
            return page(request, "error.html", status=403, message_key="csrf")
        request_id = first(form, "request_id")
        try:
            await run_in_threadpool(public.send_new_code, request_id, running(request))
        except RegistreError as error:
            problem = error_text(lang_of(request), error.message, _status(error))
            return code_page(request, request_id, problem=problem, status=_status(error))
        return code_page(request, request_id, sent_again=True)

    @app.post("/verify")
    async def verify(request: Request) -> Response:
        try:
            form = await checked_form(request)
        except CsrfRefused:
            return page(request, "error.html", status=403, message_key="csrf")
        request_id = first(form, "request_id")
        try:
            entered = public.EnterCode(code=first(form, "code").strip() or " ")
            answer = await run_in_threadpool(
                public.enter_code, request_id, entered, request, running(request)
            )
        except ValidationError:
            problem = word(lang_of(request), "fill_in", fields=word(lang_of(request), "code"))
            return code_page(request, request_id, problem=problem, status=422)
        except RegistreError as error:
            problem = error_text(lang_of(request), error.message, _status(error))
            return code_page(request, request_id, problem=problem, status=_status(error))
        token = keys(request).status_token(answer["request_id"])
        link = running(request).settings.public_url.rstrip("/") + "/privacy/status/" + token
        return page(
            request,
            "center_verified.html",
            request_id=answer["request_id"],
            due=answer["due"],
            status_link=link,
        )

    @app.get("/status/{token}")
    def status(request: Request, token: str) -> Response:
        found = _request_of(request, token)
        if found is None:
            return page(request, "error.html", status=404, message_key="unknown_link")
        return page(
            request,
            "center_status.html",
            item=found,
            token=token,
            export_expires=_export_expiry(request, found.id) if _result(found, "export") else None,
        )

    @app.get("/status/{token}/letter")
    def letter(request: Request, token: str) -> Response:
        from registre.service.web.security import content_security_policy

        found = _request_of(request, token)
        letter = _result(found, "letter") if found else None
        if not letter or not Path(letter).is_file():
            return page(request, "error.html", status=404, message_key="unknown_link")
        response = HTMLResponse(Path(letter).read_text(encoding="utf-8"))
        response.headers["Content-Security-Policy"] = content_security_policy(sandbox=True)
        return response

    withdrawal.install(app)
    return app


def form_page(
    request: Request,
    form: dict[str, list[str]],
    *,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    register = running(request).register
    lang = lang_of(request)
    return page(
        request,
        "center_form.html",
        status=status,
        problem=problem,
        kinds=KINDS,
        chosen=first(form, "kind"),
        email=first(form, "email"),
        answer_lang=first(form, "lang") or lang,
        rows=[
            (i, first(form, f"field_{i}"), first(form, f"value_{i}"))
            for i in range(1, CHANGE_ROWS + 1)
        ],
        activities=overview(register, lang)["activities"],
        checked=set(form.get("activities", [])),
    )


def code_page(
    request: Request,
    request_id: str,
    *,
    problem: str | None = None,
    status: int = 200,
    sent_again: bool = False,
) -> Response:
    return page(
        request,
        "center_code.html",
        status=status,
        request_id=request_id,
        problem=problem,
        sent_again=sent_again,
        minutes=running(request).settings.code_minutes,
    )


def _invalid(lang: str, names: list[str]) -> str:
    from registre.service.web.translations import field_names

    return ("À revoir : " if lang == "fr" else "Please check: ") + field_names(lang, names)


def _status(error: RegistreError) -> int:
    return int(getattr(error, "status", 409 if "request" in type(error).__name__.lower() else 422))


def _request_of(request: Request, token: str) -> Any:
    from registre.requests import store

    request_id = keys(request).status_request(token)
    if request_id is None:
        return None
    try:
        return store.get(running(request).state.engine, request_id)
    except RegistreError:
        return None


def _result(found: Any, name: str) -> str | None:
    value = (found.result or {}).get(name)
    return str(value) if value else None


def _export_expiry(request: Request, request_id: str) -> str | None:
    import sqlalchemy as sa

    from registre.requests.store import export_table
    from registre.state.db import read_connection

    with read_connection(running(request).state.engine) as connection:
        until = connection.execute(
            sa.select(export_table.c.expires_at).where(
                export_table.c.request_id == request_id, export_table.c.deleted_at.is_(None)
            )
        ).scalar()
    return until.astimezone(running(request).desk.tz).date().isoformat() if until else None
