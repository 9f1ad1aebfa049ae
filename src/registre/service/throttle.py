"""Rate limits: how many requests one address or source may file, how many sign-ins may fail.

Two doors are limited, each twice, over a sliding hour:

- filing a request (the privacy center and ``POST /api/v1/public/requests``): per email
  address, so that nobody can flood someone's mailbox with codes, and per source address;
- signing in to the console: failed attempts per account name and per source address, so
  that a password cannot be guessed by trying many, nor many accounts tried from one place.

The answer never depends on whether the person or the account exists: a filing searches
nothing, and the sign-in counts failures per name whether that name is a user or not. Each
event is one row of ``registre_throttle`` (migration ``0008``) holding an HMAC of the key,
never the address itself, keyed by the service's secret and kept for the window only.
Counting and recording happen in one write transaction; on PostgreSQL and MariaDB two
simultaneous events may both pass at the limit, a rate limit's usual slack.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import sqlalchemy as sa

from registre.service.errors import TooManyAttempts
from registre.state.db import UTCDateTime, read_connection, utcnow, write_transaction

metadata = sa.MetaData()

throttle_table = sa.Table(
    "registre_throttle",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("bucket", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

WINDOW = timedelta(hours=1)


class Throttle:
    """The rate limits of one state database; keys are HMACs under the service's secret."""

    def __init__(self, engine: sa.Engine, secret: bytes) -> None:
        self.engine = engine
        self._key = hmac.new(secret, b"registre-throttle", hashlib.sha256).digest()

    def bucket(self, door: str, kind: str, value: str) -> str:
        message = f"{door}:{kind}:{value.strip().lower()}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def over(self, door: str, limits: dict[str, tuple[str, int]]) -> str | None:
        """The first kind of key (``address``, ``source``, ...) at its limit, or None."""
        since = utcnow() - WINDOW
        with read_connection(self.engine) as connection:
            for kind, (value, most) in limits.items():
                seen = connection.execute(
                    sa.select(sa.func.count())
                    .select_from(throttle_table)
                    .where(
                        throttle_table.c.bucket == self.bucket(door, kind, value),
                        throttle_table.c.at > since,
                    )
                ).scalar_one()
                if seen >= most:
                    return kind
        return None

    def record(self, door: str, keys: dict[str, str]) -> None:
        """Count one event for each key, and forget the events older than the window."""
        now = utcnow()
        with write_transaction(self.engine) as connection:
            connection.execute(throttle_table.delete().where(throttle_table.c.at <= now - WINDOW))
            connection.execute(
                throttle_table.insert(),
                [
                    {"bucket": self.bucket(door, kind, value), "at": now}
                    for kind, value in keys.items()
                ],
            )

    def take(self, door: str, limits: dict[str, tuple[str, int]]) -> None:
        """Count one event, or raise :class:`TooManyAttempts` when a key is at its limit."""
        kind = self.over(door, limits)
        if kind is not None:
            raise too_many(door, kind)
        self.record(door, {k: value for k, (value, _) in limits.items()})


def too_many(door: str, kind: str) -> TooManyAttempts:
    """The refusal: it names the kind of key, never whether the person or account exists."""
    if door == "filing":
        what = "for this email address" if kind == "address" else "from your network address"
        return TooManyAttempts(
            f"too many requests were filed {what} in the last hour",
            hint="wait an hour, or write to the organization's privacy contact",
        )
    what = "for this account name" if kind == "account" else "from your network address"
    return TooManyAttempts(
        f"too many failed sign-ins {what} in the last hour",
        hint="wait an hour before trying again, or ask the DPO to reset the password",
    )
