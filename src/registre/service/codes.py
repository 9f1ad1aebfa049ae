"""One-time codes: how a person without an account proves the email address of a request.

A code is six digits, valid ``code_minutes`` (15 by default), used once. Only its HMAC, keyed
by the service's secret and bound to the request, is kept; the code entered is compared with
:func:`hmac.compare_digest`. Attempts are limited twice: per request (``code_attempts`` wrong
codes burn the code) and per source address (``source_attempts`` wrong codes an hour, over all
requests, so that one address cannot try many requests). At most ``code_sends`` codes are sent
for one request. Each attempt is recorded (request, source address, instant, outcome); the
proof, once the code is right, is recorded on the request by the desk's ``verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from registre.service.errors import Conflict, InvalidInput, TooManyAttempts
from registre.service.settings import ServiceSettings
from registre.state.db import UTCDateTime, read_connection, utcnow, write_transaction

metadata = sa.MetaData()

code_table = sa.Table(
    "registre_verification_code",
    metadata,
    sa.Column("request_id", sa.String(32), primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("sent_to", sa.String(320), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("sends", sa.Integer, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
)

attempt_table = sa.Table(
    "registre_verification_attempt",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(32), nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
)

DIGITS = 6
SOURCE_WINDOW = timedelta(hours=1)


class OneTimeCodes:
    """The codes of one state database, keyed by the service's secret."""

    def __init__(self, engine: sa.Engine, secret: bytes, settings: ServiceSettings) -> None:
        self.engine = engine
        self.secret = secret
        self.lifetime = timedelta(minutes=settings.code_minutes)
        self.max_attempts = settings.code_attempts
        self.max_sends = settings.code_sends
        self.source_limit = settings.source_attempts

    def _digest(self, request_id: str, code: str) -> str:
        message = f"{request_id}:{code}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def issue(self, request_id: str, email: str) -> tuple[str, datetime]:
        """A new code for the request (replacing any earlier one) and its expiry."""
        code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
        now = utcnow()
        expires = now + self.lifetime
        values = {
            "code_hash": self._digest(request_id, code),
            "sent_to": email,
            "created_at": now,
            "expires_at": expires,
            "attempts": 0,
            "used_at": None,
        }
        with write_transaction(self.engine) as connection:
            row = connection.execute(
                sa.select(code_table).where(code_table.c.request_id == request_id)
            ).first()
            if row is None:
                connection.execute(
                    code_table.insert(), {"request_id": request_id, "sends": 1, **values}
                )
            elif row.used_at is not None:
                raise Conflict(
                    f"request {request_id} is verified already",
                    hint="a verified request needs no code",
                )
            elif row.sends >= self.max_sends:
                raise TooManyAttempts(
                    f"{row.sends} codes were sent for request {request_id}: no more are sent",
                    hint="write to the organization's privacy contact to verify your request",
                )
            else:
                connection.execute(
                    code_table.update()
                    .where(code_table.c.request_id == request_id)
                    .values(sends=row.sends + 1, **values)
                )
        return code, expires

    def check(self, request_id: str, code: str, source: str) -> dict[str, Any]:
        """Accept the code once, or raise; every attempt is recorded with its source.

        Returns what the proof records: the address the code went to and when it was sent.
        """
        now = utcnow()
        entered = code.strip()
        with write_transaction(self.engine) as connection:
            failures = connection.execute(
                sa.select(sa.func.count())
                .select_from(attempt_table)
                .where(
                    attempt_table.c.source == source,
                    attempt_table.c.ok.is_(False),
                    attempt_table.c.at > now - SOURCE_WINDOW,
                )
            ).scalar_one()
            if failures >= self.source_limit:
                raise TooManyAttempts(
                    f"{failures} wrong codes came from this address in the last hour",
                    hint="wait an hour before trying again",
                )
            row = connection.execute(
                sa.select(code_table).where(code_table.c.request_id == request_id).with_for_update()
            ).first()
            problem = self._problem(row, now)
            right = (
                problem is None
                and row is not None
                and hmac.compare_digest(row.code_hash, self._digest(request_id, entered))
            )
            connection.execute(
                attempt_table.insert(),
                {"request_id": request_id, "source": source[:100], "at": now, "ok": right},
            )
            if row is not None and problem is None:
                changes: dict[str, Any] = {"attempts": row.attempts + (0 if right else 1)}
                if right:
                    changes["used_at"] = now
                connection.execute(
                    code_table.update()
                    .where(code_table.c.request_id == request_id)
                    .values(**changes)
                )
        # raised after the commit: a wrong code counts even though the call fails
        if problem is not None:
            raise problem
        if not right:
            assert row is not None
            left = self.max_attempts - row.attempts - 1
            raise InvalidInput(
                "this is not the code we sent"
                + (f"; {left} attempt{'s' if left > 1 else ''} left" if left else ""),
                hint="enter the six digits of the latest message" if left else "ask for a new code",
                field="code",
            )
        assert row is not None
        return {"sent_to": row.sent_to, "sent_at": row.created_at.isoformat()}

    def _problem(self, row: Any, now: datetime) -> Exception | None:
        if row is None:
            return InvalidInput(
                "no code was sent for this request", hint="ask for a code first", field="code"
            )
        if row.used_at is not None:
            return Conflict("this code was used already", hint="a code works once")
        if row.attempts >= self.max_attempts:
            return TooManyAttempts(
                f"{row.attempts} wrong codes were entered for this request",
                hint="ask for a new code",
            )
        if now >= row.expires_at:
            return InvalidInput(
                f"this code expired at {row.expires_at:%H:%M} UTC",
                hint="ask for a new code",
                field="code",
            )
        return None

    def sent_to(self, request_id: str) -> str | None:
        with read_connection(self.engine, single=True) as connection:
            return connection.execute(
                sa.select(code_table.c.sent_to).where(code_table.c.request_id == request_id)
            ).scalar_one_or_none()
