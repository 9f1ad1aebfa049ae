"""Database URLs: read the same way everywhere, and never shown with their password.

A URL comes from an environment variable, an option or the register, and it often carries a
password. Every message that names a database shows it through :func:`masked`, including a URL
that cannot be read at all: ``postgresql+psycopg:/u:S3cretPW@host/db`` (one slash short) is
shown as ``postgresql+psycopg:/u:***@host/db``. SQLAlchemy itself masks only what it can
parse, and raises a bare ValueError, not its ArgumentError, for a port that is not a number.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

FORM = "dialect+driver://user:password@host:port/database"

_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][\w+.-]*:/+)?(?P<userinfo>.*)@(?P<rest>.*)$", re.S)
# greedy: a password may hold '@' itself, so everything up to the last '@' is hidden
_QUERY_SECRET = re.compile(r"(?i)\b(password|passwd|pwd|secret|token)=[^&\s]*")


def parse_url(url: str | URL) -> URL:
    """The URL parsed; ValueError saying what is wrong (never showing the password) if not."""
    if isinstance(url, URL):
        return url
    try:
        return make_url(url)
    except ArgumentError:
        raise ValueError(f"it is not written as {FORM}") from None
    except ValueError:  # int() of the port
        port = re.search(r"(?:@|//)[^/?@]*?:([^/?@]*)(?:[/?]|$)", str(url))
        shown = f" {port.group(1)!r}" if port else ""
        raise ValueError(f"its port{shown} is not a number") from None


def masked(url: str | URL) -> str:
    """The URL as it may be shown: its password, readable or not, replaced by ***."""
    try:
        shown = parse_url(url).render_as_string(hide_password=True)
    except ValueError:
        shown = str(url)
    # SQLAlchemy ends a password at its first '@' ('p@ss' shows 'ss'): hide up to the last
    shown = _masked_text(shown)
    return _QUERY_SECRET.sub(lambda match: f"{match.group(1)}=***", shown)


def _masked_text(text: str) -> str:
    match = _USERINFO.match(text)
    if match is None:
        return text
    user, colon, _ = match.group("userinfo").partition(":")
    if not colon:
        return text  # a user name alone is no secret
    return f"{match.group('scheme') or ''}{user}:***@{match.group('rest')}"
