"""The console's door: who is signed in, and whether their role lets them see or do a thing.

A page's handler hands :func:`guarded` the roles it needs and a function that builds the
answer; the API's errors raised inside become the console's error page, in the user's
language, with the API's message (what, and what to do), translated on a French page
(:func:`registre.service.web.translations.error_text`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from registre._exceptions import RegistreError
from registre.service.access import Principal
from registre.service.auth import requires
from registre.service.errors import Forbidden, Unauthenticated
from registre.service.web.forms import CsrfRefused, checked_form
from registre.service.web.rendering import keys, lang_of, page, running
from registre.service.web.translations import error_text, field_names, word

LOGIN = "/console/login"


def signed_in(request: Request) -> Principal | None:
    """The console user of the session cookie, read again from the state database."""
    name = keys(request).session_user(request)
    if name is None:
        return None
    user = next((u for u in running(request).access.users() if u.name == name), None)
    return Principal("user", user.name, user.role) if user else None


def guarded(
    request: Request, roles: tuple[Any, ...], show: Callable[[Principal], Response]
) -> Response:
    """``show`` for a signed-in user whose role is one of ``roles``; else sign-in or 403."""
    who = signed_in(request)
    if who is None:
        return RedirectResponse(LOGIN, status_code=303)
    try:
        requires(*roles)(who)
        return show(who)
    except (Forbidden, Unauthenticated) as error:
        message = error_text(lang_of(request), error.message, error.status)
        return page(request, "error.html", status=error.status, message=message, who=who)
    except RegistreError as error:
        status = int(getattr(error, "status", 409))
        message = error_text(lang_of(request), error.message, status)
        return page(request, "error.html", status=status, message=message, who=who)
    except ValidationError as error:
        lang = lang_of(request)
        names = [str(e["loc"][0]) for e in error.errors() if e.get("loc")]
        message = word(lang, "fill_in", fields=field_names(lang, names))
        return page(request, "error.html", status=422, message=message, who=who)


async def posted(
    request: Request,
    roles: tuple[Any, ...],
    work: Callable[[Principal, dict[str, list[str]]], Response],
) -> Response:
    """A console form's answer: refused without its CSRF token, else ``work`` behind the door."""
    try:
        form = await checked_form(request)
    except CsrfRefused:
        return page(request, "error.html", status=403, message_key="csrf", who=None)
    return await run_in_threadpool(guarded, request, roles, lambda who: work(who, form))
