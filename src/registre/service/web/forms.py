"""Reading a posted form, refused unless it carries the page's CSRF token."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from registre.service.web.rendering import keys
from registre.service.web.security import CSRF_FIELD, read_form


class CsrfRefused(Exception):
    """A form posted without the CSRF token of a page we served (answered with a 403 page)."""


async def checked_form(request: Request) -> dict[str, list[str]]:
    """The form's fields, once its CSRF token matches the signed cookie's value."""
    form = await read_form(request)
    expected = keys(request).csrf_value(request)
    given = first(form, CSRF_FIELD)
    if expected is None or not given or not hmac.compare_digest(expected, given):
        raise CsrfRefused
    return form


def first(form: dict[str, list[str]], name: str) -> str:
    """A field's first value, or the empty string."""
    values = form.get(name)
    return values[0] if values else ""
