"""Database URLs: read the same way everywhere, and never shown with their password.

A URL comes from an environment variable, an option or the register, and it often carries a
password. Every message that names a database shows it through :func:`masked`, including a URL
that cannot be read at all: ``postgresql+psycopg:/u:S3cretPW@host/db`` (one slash short) is
shown as ``postgresql+psycopg:/u:***@host/db``. SQLAlchemy itself masks only what it can
parse, and raises a bare ValueError, not its ArgumentError, for a port that is not a number.
"""

from __future__ import annotations

import importlib.util
import re

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

FORM = "dialect+driver://user:password@host:port/database"

_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][\w+.-]*:/+)?(?P<userinfo>.*)@(?P<rest>.*)$", re.S)
# greedy: a password may hold '@' itself, so everything up to the last '@' is hidden
# any parameter naming one of these words: sslpassword (a client key's), access_token, ...
_QUERY_SECRET = re.compile(r"(?i)\b([\w.-]*(?:password|passwd|pwd|secret|token)[\w.-]*)=[^&\s]*")


def parse_url(url: str | URL) -> URL:
    """The URL parsed; ValueError saying what is wrong (never showing the password) if not."""
    return installed_driver(_parsed(url))


def _parsed(url: str | URL) -> URL:
    """The URL parsed as written."""
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


_DRIVERS = {
    # backend: SQLAlchemy's default driver module, then the driver registre installs
    "postgresql": ("psycopg2", "psycopg"),
    "mysql": ("MySQLdb", "pymysql"),
    "mariadb": ("MySQLdb", "pymysql"),
}


def installed_driver(url: URL) -> URL:
    """``mysql://``, ``mariadb://`` and ``postgresql://`` as users write them, with the driver
    that is installed: SQLAlchemy's default for them (mysqlclient, psycopg2) is not a
    dependency of registre, and PyMySQL and psycopg 3 are."""
    backend, plus, _ = url.drivername.partition("+")
    if plus or backend not in _DRIVERS:
        return url
    default, ours = _DRIVERS[backend]
    if importlib.util.find_spec(default) is not None or importlib.util.find_spec(ours) is None:
        return url
    return url.set(drivername=f"{backend}+{ours}")


def masked(url: str | URL) -> str:
    """The URL as it may be shown: its password, readable or not, replaced by ***."""
    try:
        shown = _parsed(url).render_as_string(hide_password=True)
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
