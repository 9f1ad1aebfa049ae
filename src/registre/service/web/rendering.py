"""Rendering a page: the Jinja2 templates, the language, the CSRF token every form carries.

A page handler gathers what the service's functions return and hands it to :func:`page`; the
templates only lay it out. Every page gets ``t`` (the words in its language), ``lang``,
``other_lang`` and ``csrf``; :func:`page` sets the CSRF and language cookies when needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from registre.register.model import Text
from registre.service.runtime import Service
from registre.service.web.security import CSRF_COOKIE, Keys
from registre.service.web.translations import LANG_COOKIE, LANGS, WORDS, choose_lang, word

HERE = Path(__file__).parent

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def text(value: Text | str | None, lang: str) -> str:
    """A register text in ``lang``, or in the other language when it has only that one."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.fr or value.en or "" if lang == "fr" else value.en or value.fr or ""


def running(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


def keys(request: Request) -> Keys:
    found: Keys = request.app.state.keys
    return found


def secure(request: Request) -> bool:
    return running(request).settings.public_url.startswith("https://")


def lang_of(request: Request) -> str:
    return choose_lang(request, list(running(request).register.policy.languages))


def page(
    request: Request, template: str, *, status: int = 200, lang: str | None = None, **context: Any
) -> HTMLResponse:
    """The page ``template`` in the request's language, with a CSRF token for its forms."""
    lang = lang or lang_of(request)
    csrf = keys(request).csrf_value(request)
    cookie = None
    if csrf is None:
        csrf, cookie = keys(request).new_csrf_cookie()
    register = running(request).register
    html = _env.get_template(template).render(
        lang=lang,
        other_lang=next(other for other in LANGS if other != lang),
        t=lambda key, **values: word(lang, key, **values),
        t_or=lambda key, fallback: word(lang, key) if key in WORDS else fallback,
        csrf=csrf,
        colon="\u00a0:" if lang == "fr" else ":",
        org=register.organization.name,
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if cookie is not None:
        response.set_cookie(
            CSRF_COOKIE, cookie, httponly=True, samesite="strict", secure=secure(request)
        )
    if request.query_params.get("lang") == lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=secure(request)
        )
    return response
