"""The DPO console, under ``/console``: the request queue, a request's page, holds, audit, plan.

Signed in with a session cookie (see :mod:`registre.service.web.security`); every form carries a
CSRF token. A page calls the JSON API's own route functions with the signed-in user, so the
roles (dpo, operator, auditor), the checks and the audit trail are the API's: an action done
here is audited as ``user:NAME``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from registre.requests.lifecycle import ALLOWED, RequestKind, RequestState
from registre.service.access import Principal
from registre.service.auth import READERS, WORKERS
from registre.service.routes import audit, holds, requests
from registre.service.routes.public import throttle
from registre.service.web import console_admin, console_breaches
from registre.service.web.forms import CsrfRefused, checked_form, first
from registre.service.web.guard import LOGIN, guarded
from registre.service.web.rendering import keys, lang_of, page, running, secure
from registre.service.web.security import SESSION_COOKIE, SESSION_SECONDS
from registre.service.web.translations import method_text

STATUSES = ("late", "due_soon", "on_time", "closed")
ACTIONS = ("verify", "execute", "extend", "refuse", "forward", "instruct", "lift")


def actions_for(shown: dict[str, Any]) -> list[str]:
    """The actions a request's state allows (the desk checks again when one is posted)."""
    state = RequestState(shown["state"])
    result = shown.get("result") or {}
    allowed = [a for a in ACTIONS if a in ALLOWED and state in ALLOWED[a]]
    if (
        "instruct" in allowed
        and state is not RequestState.forwarded
        and not result.get("forwarded")
    ):
        allowed.remove("instruct")  # only a request forwarded to a controller is instructed
    if (
        shown["kind"] == "restriction"
        and state is RequestState.done
        and not result.get("lifted_at")
    ):
        allowed.append("lift")
    return allowed


def _activity_names(request: Request, shown: dict[str, Any]) -> list[str]:
    """The activities a request names, by their names in the page's language."""
    from registre.service.web.rendering import text

    activities = running(request).register.activities
    lang = lang_of(request)
    return [
        text(activities[a].name, lang) if a in activities else str(a)
        for a in (shown.get("options") or {}).get("activities") or []
    ]


def _enum(kind: Any, value: str | None) -> Any:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def build() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/login")
    def login_form(request: Request) -> Response:
        return page(request, "console_login.html", who=None, problem=None)

    @app.post("/login")
    async def login(request: Request) -> Response:
        try:
            form = await checked_form(request)
        except CsrfRefused:
            return page(request, "error.html", status=403, message_key="csrf", who=None)
        service = running(request)
        name = first(form, "name")
        # failures are counted per name whether or not it is a user's: the answers are the same
        limits = {
            "account": (name, service.settings.sign_in_attempts),
            "source": (
                request.client.host if request.client else "unknown",
                service.settings.sign_in_source_attempts,
            ),
        }
        limited = throttle(service)
        kind = await run_in_threadpool(limited.over, "sign_in", limits)
        if kind is not None:
            problem = f"too_many_sign_ins_{kind}"
            return page(request, "console_login.html", status=429, who=None, problem=problem)
        user = await run_in_threadpool(service.access.check_password, name, first(form, "password"))
        if user is None:
            await run_in_threadpool(
                limited.record, "sign_in", {k: value for k, (value, _) in limits.items()}
            )
            return page(request, "console_login.html", status=401, who=None, problem="wrong_login")
        response = RedirectResponse("/console/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            keys(request).session_cookie(user.name),
            max_age=SESSION_SECONDS,
            path="/console",
            httponly=True,
            samesite="strict",
            secure=secure(request),
        )
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        try:
            await checked_form(request)
        except CsrfRefused:
            return page(request, "error.html", status=403, message_key="csrf", who=None)
        response = RedirectResponse(LOGIN, status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/console")
        return response

    @app.get("/")
    def queue(request: Request) -> Response:
        q = request.query_params

        def show(who: Principal) -> Response:
            offset = int(q["offset"]) if q.get("offset", "").isdigit() else 0
            listed = requests.list_requests(
                state=_enum(RequestState, q.get("state")),
                kind=_enum(RequestKind, q.get("kind")),
                status=q.get("status") if q.get("status") in STATUSES else None,  # type: ignore[arg-type]
                limit=50,
                offset=offset,
                running=running(request),
                who=who,
            )
            return page(
                request,
                "console_queue.html",
                who=who,
                listed=listed,
                states=[s.value for s in RequestState],
                kinds=[k.value for k in RequestKind],
                statuses=STATUSES,
                chosen={name: q.get(name, "") for name in ("state", "kind", "status")},
            )

        return guarded(request, READERS, show)

    @app.get("/requests/{request_id}")
    def request_page(request: Request, request_id: str) -> Response:
        def show(who: Principal) -> Response:
            shown = requests.show_request(request_id, running(request), who)
            may_work = who.role in WORKERS
            allowed = actions_for(shown) if may_work else []
            return page(
                request,
                "console_request.html",
                who=who,
                item=shown,
                method=method_text(lang_of(request), shown.get("identity_method")),
                activity_names=_activity_names(request, shown),
                allowed=allowed,
                may_work=may_work,
                done=request.query_params.get("done"),
                job=request.query_params.get("job"),
            )

        return guarded(request, READERS, show)

    @app.post("/requests/{request_id}/{action}")
    async def act(request: Request, request_id: str, action: str) -> Response:
        try:
            form = await checked_form(request)
        except CsrfRefused:
            return page(request, "error.html", status=403, message_key="csrf", who=None)
        if action not in ACTIONS:
            return page(request, "error.html", status=404, message_key="not_found", who=None)
        service = running(request)

        def work(who: Principal) -> Response:
            reason = first(form, "reason").strip()
            job = ""
            if action == "verify":
                body = requests.Verify(method=first(form, "method").strip())
                requests.verify_request(request_id, body, service, who)
            elif action == "execute":
                job = str(requests.execute_request(request_id, service, who)["job"]["id"])
            elif action == "extend":
                requests.extend_request(request_id, requests.Reason(reason=reason), service, who)
            elif action == "refuse":
                requests.refuse_request(request_id, requests.Reason(reason=reason), service, who)
            elif action == "forward":
                requests.forward_request(request_id, service, who)
            elif action == "instruct":
                order = requests.Instruction(
                    reference=first(form, "reference").strip(),
                    tenant=first(form, "tenant").strip() or None,
                )
                requests.instruct_request(request_id, order, service, who)
            else:
                requests.lift_restriction(request_id, requests.Reason(reason=reason), service, who)
            where = f"/console/requests/{request_id}?done={action}" + (f"&job={job}" if job else "")
            return RedirectResponse(where, status_code=303)

        return await run_in_threadpool(guarded, request, WORKERS, work)

    @app.get("/holds")
    def holds_page(request: Request) -> Response:
        def show(who: Principal) -> Response:
            listed = holds.list_holds(all=False, running=running(request), who=who)
            return page(request, "console_holds.html", who=who, holds=listed, problem=None)

        return guarded(request, READERS, show)

    @app.post("/holds")
    async def place(request: Request) -> Response:
        try:
            form = await checked_form(request)
        except CsrfRefused:
            return page(request, "error.html", status=403, message_key="csrf", who=None)

        def work(who: Principal) -> Response:
            body = holds.PlaceHold(
                reason=first(form, "reason").strip(),
                identity={"email": first(form, "email").strip()},
                until=first(form, "until") or None,
            )
            holds.place_hold(body, running(request), who)
            return RedirectResponse("/console/holds", status_code=303)

        return await run_in_threadpool(guarded, request, WORKERS, work)

    @app.post("/holds/{hold_id}/release")
    async def release(request: Request, hold_id: int) -> Response:
        try:
            form = await checked_form(request)
        except CsrfRefused:
            return page(request, "error.html", status=403, message_key="csrf", who=None)

        def work(who: Principal) -> Response:
            body = holds.Release(reason=first(form, "reason").strip() or "-")
            holds.release_hold(hold_id, body, running(request), who)
            return RedirectResponse("/console/holds", status_code=303)

        return await run_in_threadpool(guarded, request, WORKERS, work)

    @app.get("/audit")
    def audit_page(request: Request) -> Response:
        q = request.query_params

        def show(who: Principal) -> Response:
            since = int(q["since"]) if q.get("since", "").isdigit() else 0
            log = audit.audit_log(
                since=since,
                action=q.get("action") or None,
                request_id=q.get("request_id") or None,
                limit=100,
                running=running(request),
                who=who,
            )
            checked = audit.audit_verify(running(request), who) if q.get("verify") else None
            return page(
                request,
                "console_audit.html",
                who=who,
                log=log,
                checked=checked,
                chosen={n: q.get(n, "") for n in ("action", "request_id")},
            )

        return guarded(request, READERS, show)

    console_admin.install(app)
    console_breaches.install(app)
    return app
