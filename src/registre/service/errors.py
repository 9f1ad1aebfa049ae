"""The service's errors, and the one JSON shape every error of the API takes.

Every error answer, whatever raised it (the library's :class:`~registre.RegistreError` tree,
FastAPI's validation of a body or a query, a path that does not exist, a method a path does not
take), is one JSON object::

    {"status": 409, "code": "request_state", "message": "...", "hint": "...",
     "context": {"request_id": "r-3f9a1c2e"}}

``context`` holds what the error is about when it is known: the request, the hold, the table
and step of an erasure, the rule, the fields a body got wrong. A bad request is a 4xx that says
what to fix; a 5xx means the service itself cannot work (a database down, a mapping that no
longer matches), never that the caller sent something wrong.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from registre._exceptions import (
    AuditError,
    BreachError,
    ConsentError,
    DocumentError,
    ErasureStepError,
    MappingError,
    RegisterError,
    RegistreError,
    RequestError,
    StateError,
    StoreError,
)

log = logging.getLogger("registre.service")


class ServiceError(RegistreError):
    """An error of the service itself, with the HTTP status and code it answers with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, hint: str = "", **context: Any) -> None:
        super().__init__(message, hint=hint)
        self.context = {k: v for k, v in context.items() if v is not None}


class SettingsError(ServiceError):
    """The service's settings are missing or wrong; it does not start."""

    status = 500
    code = "settings"


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthenticated"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class InvalidInput(ServiceError):
    status = 422
    code = "invalid"


class TooManyAttempts(ServiceError):
    status = 429
    code = "too_many_attempts"


class Unavailable(ServiceError):
    status = 503
    code = "unavailable"


# The library's errors, most specific first: (class, status, code).
_LIBRARY = [
    (ErasureStepError, 503, "erasure_step"),
    (MappingError, 503, "mapping"),
    (StoreError, 503, "store"),
    (StateError, 503, "state"),
    (AuditError, 503, "audit"),
    (RegisterError, 503, "register"),
    (RequestError, 409, "request_state"),
    (BreachError, 409, "breach"),
    (ConsentError, 400, "consent"),
    (DocumentError, 422, "document"),
]
"""Every class of the tree in :mod:`registre._exceptions` has its line; a test checks it."""


def body(
    status: int, code: str, message: str, hint: str = "", context: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The error shape."""
    return {
        "status": status,
        "code": code,
        "message": message,
        "hint": hint,
        "context": context or {},
    }


def error_response(request: Request, exc: RegistreError) -> JSONResponse:
    """The answer for a :class:`RegistreError`, with what the path names as context."""
    context: dict[str, Any] = {}
    for name in ("request_id", "hold_id"):
        if name in request.path_params:
            context[name] = request.path_params[name]
    if isinstance(exc, ServiceError):
        status, code = exc.status, exc.code
        context.update(exc.context)
    else:
        status, code = next(
            # raised on purpose with its message: not a bug, whatever its class
            ((s, c) for cls, s, c in _LIBRARY if isinstance(exc, cls)),
            (400, "bad_request"),
        )
    if isinstance(exc, ErasureStepError):
        context.update(request_id=exc.request_id, step=exc.step, table=exc.table)
    if isinstance(exc, MappingError) and exc.problems:
        context["problems"] = exc.problems
    if isinstance(exc, RegisterError):
        context["problems"] = [str(p) for p in exc.problems]
    for name in ("table", "rule"):
        value = getattr(exc, name, None)
        if isinstance(value, str):
            context.setdefault(name, value)
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc.message)
    return JSONResponse(body(status, code, exc.message, exc.hint, context), status_code=status)


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        fields.append({"field": where, "problem": error.get("msg", "invalid")})
    described = "; ".join(f"{f['field']}: {f['problem']}" for f in fields[:5])
    return JSONResponse(
        body(
            422,
            "invalid",
            f"the request is not valid: {described}",
            "see the API's OpenAPI document at /openapi.json for what each endpoint takes",
            {"fields": fields},
        ),
        status_code=422,
    )


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 404:
        code, message, hint = (
            "not_found",
            f"there is no {request.url.path}",
            "the API is under /api/v1; /docs lists its endpoints",
        )
    elif status == 405:
        code, message, hint = (
            "method_not_allowed",
            f"{request.method} is not a method of {request.url.path}",
            f"use {exc.headers.get('Allow', 'another method')}" if exc.headers else "",
        )
    else:
        code, message, hint = "http", str(exc.detail), ""
    return JSONResponse(body(status, code, message, hint), status_code=status, headers=exc.headers)


def _registre(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RegistreError)
    return error_response(request, exc)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # a bug: logged with its traceback for the operator, never shown to the caller
    log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        body(
            500,
            "internal",
            "the service failed on this request; nothing more is shown to callers",
            "the service's log has the details; please report it",
        ),
        status_code=500,
    )


def install(app: FastAPI) -> None:
    """Give every error of ``app`` the one JSON shape."""
    app.add_exception_handler(RegistreError, _registre)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
