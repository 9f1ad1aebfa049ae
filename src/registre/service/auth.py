"""Who is calling, and whether their role allows the call.

A token is sent as ``Authorization: Bearer rgt_...``; a console user may call with HTTP Basic
(the web console of issue 15 adds sessions with CSRF protection on top). No credentials make
the caller ``public``, which only the public endpoints accept. Wrong credentials are a 401,
never a silent fall back to ``public``.

HTTP Basic is limited like the console's sign-in, and counted with it (the same ``sign_in``
door of :mod:`registre.service.throttle`): ``sign_in_attempts`` failures an hour per account
name, whether or not the name is a user's, and ``sign_in_source_attempts`` per source address;
beyond, a 429 before the password is even checked. Alternating the API and the console gives
no more guesses.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from fastapi import Depends, Request

from registre.service.access import PUBLIC, Principal, Role
from registre.service.errors import Forbidden, Unauthenticated
from registre.service.runtime import Service

READERS = (Role.dpo, Role.operator, Role.auditor)
WORKERS = (Role.dpo, Role.operator)
MANAGERS = (Role.dpo,)


def _running(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


async def service(request: Request) -> Service:
    """The running service (async: a dependency that does no I/O costs no worker thread)."""
    return _running(request)


def principal(request: Request) -> Principal:
    """The caller, from the Authorization header; ``public`` without one."""
    header = request.headers.get("authorization")
    if not header:
        return PUBLIC
    scheme, _, credentials = header.partition(" ")
    running = _running(request)
    if scheme.lower() == "bearer":
        token = running.access.token_for(credentials.strip())
        if token is None:
            raise Unauthenticated(
                "this token is not valid: unknown, revoked or expired",
                hint="create one with `registre token create NAME --role ROLE`",
            )
        return Principal("token", token.name, token.role)
    if scheme.lower() == "basic":
        try:
            name, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("the Basic credentials are not base64 of NAME:PASSWORD") from None
        return _basic_user(request, running, name, password)
    raise Unauthenticated(
        f"{scheme!r} is not a way to sign in here", hint="use Bearer TOKEN or Basic"
    )


def _basic_user(request: Request, running: Service, name: str, password: str) -> Principal:
    """The console user of Basic credentials; failures throttled with the console's sign-in."""
    from registre.service.throttle import Throttle, too_many

    settings = running.settings
    limits = {
        "account": (name, settings.sign_in_attempts),
        "source": (
            request.client.host if request.client else "unknown",
            settings.sign_in_source_attempts,
        ),
    }
    limited = Throttle(running.codes.engine, running.codes.secret)
    kind = limited.over("sign_in", limits)
    if kind is not None:
        raise too_many("sign_in", kind)
    user = running.access.check_password(name, password)
    if user is None:
        limited.record("sign_in", {k: value for k, (value, _) in limits.items()})
        raise Unauthenticated("wrong user name or password")
    return Principal("user", user.name, user.role)


def requires(*roles: Role) -> Callable[..., Principal]:
    """A dependency letting in callers with one of ``roles``."""

    def allowed(who: Principal = Depends(principal)) -> Principal:
        if who.role is None:
            raise Unauthenticated(
                "this endpoint needs a token or a console user",
                hint="send Authorization: Bearer TOKEN (`registre token create`)",
            )
        if who.role not in roles:
            names = ", ".join(r.value for r in roles)
            raise Forbidden(
                f"the {who.role.value} role may not do this",
                hint=f"it needs one of: {names}",
            )
        return who

    return allowed
