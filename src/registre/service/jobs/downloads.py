"""One-time, expiring download links for export packages: an export is never attached to a mail.

The link carries 32 random bytes; only their sha256 is kept (as API tokens are), with the
package, the request and the expiry (the package's own). The first download uses the link up;
a second one, an unknown or an expired link are refused with what to do.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from registre.service.errors import Conflict, NotFound
from registre.state.db import UTCDateTime, read_connection, utcnow, write_transaction

metadata = sa.MetaData()

download_table = sa.Table(
    "registre_download",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("request_id", sa.String(32), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
    sa.Column("used_from", sa.String(100), nullable=True),
)

ROUTE = "/api/v1/public/downloads/"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Download:
    request_id: str
    path: Path


def create(engine: Engine, request_id: str, path: str, expires_at: datetime) -> str:
    """A new link's secret for the package at ``path``; shown once, in the mail."""
    token = secrets.token_urlsafe(32)
    with write_transaction(engine) as connection:
        connection.execute(
            download_table.insert(),
            {
                "token_hash": _digest(token),
                "request_id": request_id,
                "path": path,
                "created_at": utcnow(),
                "expires_at": expires_at,
            },
        )
    return token


def use(engine: Engine, token: str, source: str) -> Download:
    """The package behind the link, which is used up by this call."""
    digest = _digest(token)
    with read_connection(engine, single=True) as connection:
        row = connection.execute(
            sa.select(download_table).where(download_table.c.token_hash == digest)
        ).first()
    now = utcnow()
    if row is None or row.expires_at <= now:
        raise NotFound(
            "this download link is unknown or has expired",
            hint="ask the organization's privacy contact for a new copy of your data",
        )
    with write_transaction(engine) as connection:
        taken = connection.execute(
            download_table.update()
            .where(download_table.c.id == row.id, download_table.c.used_at.is_(None))
            .values(used_at=now, used_from=source[:100])
        ).rowcount
    if taken != 1:
        raise Conflict(
            "this download link was used already: it works once",
            hint="ask the organization's privacy contact for a new link",
        )
    path = Path(row.path)
    if not path.is_file():
        raise NotFound(
            "the package behind this link has been deleted",
            hint="ask the organization's privacy contact for a new copy of your data",
        )
    return Download(row.request_id, path)
