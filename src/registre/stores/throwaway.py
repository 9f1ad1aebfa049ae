"""Throwaway databases for tests and demonstrations, never touching an existing one.

On a PostgreSQL or MariaDB server, :func:`scratch_database` creates ``<prefix>_<random>`` and
drops it on exit, so tests running at the same time on the same server never see each other's
tables. For SQLite it hands out a file in a temporary folder.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(server_url: str, prefix: str = "registre_test") -> Iterator[str]:
    """Yield the URL of a new, empty database on the server of ``server_url``; drop it after."""
    url = make_url(server_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"{prefix}_") as folder:
            yield f"sqlite:///{Path(folder) / 'scratch.db'}"
        return
    if backend not in ("postgresql", "mysql", "mariadb"):
        raise ValueError(f"no scratch databases on {backend}")
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {quote(name)}"))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                if backend == "postgresql":
                    # connections a test left open would block the drop
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = :name AND pid <> pg_backend_pid()"
                        ),
                        {"name": name},
                    )
                conn.execute(text(f"DROP DATABASE IF EXISTS {quote(name)}"))
    finally:
        admin.dispose()
