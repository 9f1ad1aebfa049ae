"""The name of the database a store's URL reaches, for audit entries: never its credentials.

An audit entry must say which database a sweep or a request changed, and the trail is read by
people who must not learn a password, nor a login that is half of one. So the name keeps the
backend, host, port and database (a SQLite file's absolute path) and drops the user name and
password, which :meth:`sqlalchemy.engine.URL.render_as_string` would keep or mask. Two URLs of
one database with other users name it alike; two spellings of a host (``localhost`` and
``127.0.0.1``) do not.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}


def database_name(url: URL) -> str:
    """``postgresql://db.internal:5432/crm``, ``sqlite:////srv/app.sqlite``, ``sqlite://``."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return "sqlite://"
        return f"sqlite:///{Path(database).resolve()}"
    port = url.port or DEFAULT_PORTS.get(backend)
    return f"{backend}://{(url.host or 'localhost').lower()}:{port}/{url.database}"
