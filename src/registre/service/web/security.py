"""What protects the web pages: signed cookies, CSRF tokens, status links, security headers.

Every secret here is an HMAC under a key derived from the service's secret (the one that keys
the one-time codes), one key per purpose, so that a value signed for one use is refused for
another. Nothing is stored server-side:

- CSRF is a signed double submit: the ``registre_csrf`` cookie holds a random value and its
  signature; every form carries the same random value in a hidden field. A post is accepted
  when the cookie's signature is ours and the field equals the cookie's value (a cross-site page
  can neither read the cookie nor set one with our signature).
- A console session is the cookie ``registre_session``: the user's name and an expiry, signed.
  The user is read again from the state database on every page, so a removed user or a changed
  role takes effect at once.
- A status link carries the request's number and its signature: only the person who verified
  the request (and received the link) can read it, and it says nothing about them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

CSRF_COOKIE = "registre_csrf"
CSRF_FIELD = "csrf"
SESSION_COOKIE = "registre_session"
SESSION_SECONDS = 8 * 3600
"""A working day: a console left open overnight asks for the password again."""
MAX_FORM_BYTES = 64 * 1024


class Keys:
    """The HMAC keys of the web pages, derived from the service's secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _key(self, purpose: str) -> bytes:
        return hmac.new(self._secret, f"registre-web:{purpose}".encode(), hashlib.sha256).digest()

    def sign(self, purpose: str, value: str) -> str:
        mac = hmac.new(self._key(purpose), value.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")

    def check(self, purpose: str, value: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(purpose, value), signature)

    # -- CSRF -----------------------------------------------------------------------------------

    def csrf_value(self, request: Request) -> str | None:
        """The random value of a valid CSRF cookie, or None."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        value, _, signature = cookie.partition(".")
        if value and signature and self.check("csrf", value, signature):
            return value
        return None

    def new_csrf_cookie(self) -> tuple[str, str]:
        """A new random value and the cookie that carries it signed."""
        value = secrets.token_urlsafe(24)
        return value, f"{value}.{self.sign('csrf', value)}"

    # -- sessions -------------------------------------------------------------------------------

    def session_cookie(self, name: str, now: float | None = None) -> str:
        expires = int((now or time.time()) + SESSION_SECONDS)
        payload = f"{name}|{expires}"
        encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{encoded}.{self.sign('session', payload)}"

    def session_user(self, request: Request) -> str | None:
        """The user name of a valid, unexpired session cookie, or None."""
        encoded, _, signature = request.cookies.get(SESSION_COOKIE, "").partition(".")
        if not encoded or not signature:
            return None
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        if not self.check("session", payload, signature):
            return None
        name, _, expires = payload.rpartition("|")
        if not expires.isdigit() or int(expires) < time.time():
            return None
        return name

    # -- status links ---------------------------------------------------------------------------

    def status_token(self, request_id: str) -> str:
        return f"{request_id}.{self.sign('status', request_id)}"

    def status_request(self, token: str) -> str | None:
        """The request a status token was signed for, or None."""
        request_id, _, signature = token.rpartition(".")
        if request_id and signature and self.check("status", request_id, signature):
            return request_id
        return None


async def read_form(request: Request) -> dict[str, list[str]]:
    """An urlencoded form body, parsed without python-multipart (the pages send no files)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def content_security_policy(*, sandbox: bool = False) -> str:
    """No inline script or style, nothing from elsewhere, never in a frame."""
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    # a letter is a document we wrote with its own inline styles: shown, but scripts never run
    return "sandbox; default-src 'none'; style-src 'unsafe-inline'" if sandbox else policy


def headers_middleware(
    secure: bool,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """A middleware adding the security headers; HSTS when the service is reached over TLS."""

    async def add_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy())
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.url.path.startswith("/static/"):
            headers.setdefault("Cache-Control", "public, max-age=3600")
        else:
            headers["Cache-Control"] = "no-store"
        if secure or request.url.scheme == "https":
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    return add_headers
