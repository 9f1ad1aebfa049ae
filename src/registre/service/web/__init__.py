"""The web pages of ``registre serve``: the privacy center and the DPO console (issue 15).

Server-rendered Jinja2 pages over the same functions as the JSON API, with htmx (vendored in
``static/``, no CDN) only where it spares a reload. Three mounts, outside the API's OpenAPI
document: ``/privacy`` (public), ``/console`` (signed in), ``/static`` (our CSS and htmx).
Each carries the security headers of :mod:`registre.service.web.security`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import Response

from registre.service.runtime import Service
from registre.service.web import center, console
from registre.service.web.rendering import HERE, page
from registre.service.web.security import Keys, headers_middleware


def install(app: FastAPI, running: Service) -> None:
    """Mount the privacy center, the console and their static files on ``app``."""
    keys = Keys(running.codes.secret)
    secure = running.settings.public_url.startswith("https://")
    static = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    static.mount("/", StaticFiles(directory=HERE / "static"))
    for prefix, sub in (("/privacy", center.build()), ("/console", console.build())):
        sub.state.service = running
        sub.state.keys = keys
        sub.state.policies = {}
        sub.add_middleware(BaseHTTPMiddleware, dispatch=headers_middleware(secure))
        sub.add_exception_handler(HTTPException, _not_found)
        sub.add_exception_handler(Exception, _failed)
        app.mount(prefix, sub)
    static.add_middleware(BaseHTTPMiddleware, dispatch=headers_middleware(secure))
    app.mount("/static", static)


log = logging.getLogger("registre.service.web")


def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    return page(request, "error.html", status=status, message_key="not_found")


def _failed(request: Request, exc: Exception) -> Response:
    # a bug: its traceback goes to the operator's log (the path holds nothing personal)
    log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
    return page(request, "error.html", status=500, message_key="failed")
