"""The console's pages beyond requests: sweeps (plan, run as a job, runs), the register (version,
lint, Art. 30 record, policy preview), and users and tokens (the DPO only).

Each page calls the JSON API's route functions, with the signed-in user, as the rest of the
console does (:mod:`registre.service.web.console`).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from registre.service.access import Principal
from registre.service.auth import MANAGERS, READERS, WORKERS
from registre.service.routes import access, enforcement, jobs, register, sweep_runs
from registre.service.web.forms import first
from registre.service.web.guard import guarded, posted
from registre.service.web.rendering import lang_of, page, running
from registre.service.web.security import content_security_policy
from registre.service.web.translations import error_text

ROLES = ("auditor", "operator", "dpo")
"""In the forms, the least powerful role first: a slip gives too little, never too much."""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def install(app: FastAPI) -> None:
    """Add the pages to the console's application."""

    @app.get("/plan")
    def plan_page(request: Request) -> Response:
        at = _day(request.query_params.get("at"))

        def show(who: Principal) -> Response:
            found = enforcement.plan(at=at, running=running(request), who=who)
            return page(
                request, "console_plan.html", who=who, plan=found, at=at.isoformat() if at else ""
            )

        return guarded(request, READERS, show)

    @app.get("/sweeps")
    def sweeps_page(request: Request) -> Response:
        q = request.query_params

        def show(who: Principal) -> Response:
            service = running(request)
            job = jobs.show_job(q["job"], service, who) if q.get("job") else None
            if job and job.get("error"):
                # the job's error is the library's English: on a French page, in French
                job = job | {"error": error_text(lang_of(request), str(job["error"]), 503)}
            offset = int(q["offset"]) if q.get("offset", "").isdigit() else 0
            runs = sweep_runs.list_runs(limit=20, offset=offset, running=service, who=who)
            return page(
                request,
                "console_sweeps.html",
                who=who,
                runs=runs,
                job=job,
                stores=sorted(service.register.stores),
                may_work=who.role in WORKERS,
            )

        return guarded(request, READERS, show)

    @app.post("/sweeps")
    async def run_sweep(request: Request) -> Response:
        def work(who: Principal, form: dict[str, list[str]]) -> Response:
            order = jobs.SweepOrder(store=first(form, "store"))
            job = jobs.queue_sweep(order, running(request), who)
            return RedirectResponse(f"/console/sweeps?job={job['id']}", status_code=303)

        return await posted(request, WORKERS, work)

    @app.get("/sweeps/{run_id}")
    def run_page(request: Request, run_id: int) -> Response:
        def show(who: Principal) -> Response:
            found = sweep_runs.show_run(run_id, running(request), who)
            return page(request, "console_run.html", who=who, run=found)

        return guarded(request, READERS, show)

    @app.get("/register")
    def register_page(request: Request) -> Response:
        def show(who: Principal) -> Response:
            service = running(request)
            return page(
                request,
                "console_register.html",
                who=who,
                version=register.register_version(service, who),
                findings=register.register_lint(service, who),
            )

        return guarded(request, READERS, show)

    @app.get("/register/ropa.xlsx")
    def ropa_download(request: Request) -> Response:
        lang: Literal["fr", "en"] = "en" if request.query_params.get("lang") == "en" else "fr"

        def show(who: Principal) -> Response:
            from registre.documents import ropa_xlsx

            service = running(request)
            register.register_version(service, who)  # the same door as the register's page
            name = f"ropa-{service.register.policy.version}-{lang}.xlsx"
            return Response(
                ropa_xlsx(service.register, lang),
                media_type=XLSX,
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

        return guarded(request, READERS, show)

    @app.get("/register/policy")
    def policy_preview(request: Request) -> Response:
        lang: Literal["fr", "en"] = "en" if request.query_params.get("lang") == "en" else "fr"

        def show(who: Principal) -> Response:
            service = running(request)
            register.register_version(service, who)
            document = register.register_policy(lang, "html", service)
            # the policy carries its own inline styles: shown sandboxed, as a letter is
            answer = HTMLResponse(bytes(document.body))
            answer.headers["Content-Security-Policy"] = content_security_policy(sandbox=True)
            return answer

        return guarded(request, READERS, show)

    @app.get("/users")
    def users_page(request: Request) -> Response:
        def show(who: Principal) -> Response:
            listed = access.list_users(running(request), who)
            return page(request, "console_users.html", who=who, users=listed, roles=ROLES)

        return guarded(request, MANAGERS, show)

    @app.post("/users")
    async def add_user(request: Request) -> Response:
        def work(who: Principal, form: dict[str, list[str]]) -> Response:
            body = access.AddUser(
                name=first(form, "name").strip(),
                role=first(form, "role"),
                password=first(form, "password"),
            )
            access.add_user(body, running(request), who)
            return RedirectResponse("/console/users", status_code=303)

        return await posted(request, MANAGERS, work)

    @app.post("/users/{name}/remove")
    async def remove_user(request: Request, name: str) -> Response:
        def work(who: Principal, form: dict[str, list[str]]) -> Response:
            access.remove_user(name, running(request), who)
            return RedirectResponse("/console/users", status_code=303)

        return await posted(request, MANAGERS, work)

    @app.get("/tokens")
    def tokens_page(request: Request) -> Response:
        def show(who: Principal) -> Response:
            return tokens(request, who, created=None)

        return guarded(request, MANAGERS, show)

    @app.post("/tokens")
    async def create_token(request: Request) -> Response:
        tz = running(request).register.policy.timezone

        def work(who: Principal, form: dict[str, list[str]]) -> Response:
            until = _day(first(form, "expires_on"))
            body = access.CreateToken(
                name=first(form, "name").strip(),
                role=first(form, "role"),
                # a day chosen in the form: its start, in the policy's time zone
                expires_at=datetime.combine(until, time(0), ZoneInfo(tz)) if until else None,
            )
            created = access.create_token(body, running(request), who)
            # the secret is shown on this answer only: never in a URL, never again
            return tokens(request, who, created=created)

        return await posted(request, MANAGERS, work)

    @app.post("/tokens/{token_id}/revoke")
    async def revoke_token(request: Request, token_id: int) -> Response:
        def work(who: Principal, form: dict[str, list[str]]) -> Response:
            access.revoke_token(token_id, running(request), who)
            return RedirectResponse("/console/tokens", status_code=303)

        return await posted(request, MANAGERS, work)


def tokens(request: Request, who: Principal, *, created: dict[str, Any] | None) -> Response:
    listed = access.list_tokens(running(request), who)
    return page(
        request, "console_tokens.html", who=who, tokens=listed, roles=ROLES, created=created
    )
