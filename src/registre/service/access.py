"""Console users and API tokens, kept in the state database (migration ``0004``).

Three roles, from the most to the least trusted:

- ``dpo``: everything, and manages users and tokens;
- ``operator``: works requests, places and releases holds, plans sweeps;
- ``auditor``: reads everything and verifies the audit trail, changes nothing.

A password is kept as an argon2id hash (argon2-cffi's defaults: 64 MiB, three passes). A token
is 32 random bytes shown once when it is created; only its sha256 is kept: a token cannot be
guessed, so a slow hash would only slow every call down. Adding, removing a user and creating,
revoking a token are audited with who did it (``user.added``, ``token.created``...).
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from registre.service.errors import Conflict, InvalidInput, NotFound
from registre.state import EngineState
from registre.state.db import UTCDateTime, inserted_id, read_connection, utcnow, write_transaction

metadata = sa.MetaData()

user_table = sa.Table(
    "registre_user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

token_table = sa.Table(
    "registre_api_token",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("revoked_by", sa.String(200), nullable=True),
)

TOKEN_PREFIX = "rgt_"
"""Starts every token, so that a secret scanner recognises one pasted where it should not be."""
MIN_PASSWORD = 12
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Checked when the user does not exist, so that an unknown name takes as long.

    Made on first use, not at import: an argon2 hash takes a tenth of a second or more, and
    ``registre serve`` must be ready in under two.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


class Role(StrEnum):
    dpo = "dpo"
    operator = "operator"
    auditor = "auditor"


@dataclass(frozen=True)
class Principal:
    """Who calls: a console user, a token, or a person without an account (``public``)."""

    kind: str  # user | token | public
    name: str
    role: Role | None

    @property
    def actor(self) -> str:
        """As the audit trail names it, such as ``user:alice`` or ``token:ci``."""
        return f"{self.kind}:{self.name}" if self.kind != "public" else "public"


PUBLIC = Principal("public", "public", None)


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: Role
    created_at: datetime
    created_by: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class Token:
    id: int
    name: str
    role: Role
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    def is_active(self, at: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or at < self.expires_at)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_by": self.revoked_by,
        }


def role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a role", hint="use dpo, operator or auditor", field="role"
        ) from None


def check_name(name: str, what: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(
            f"{name!r} is not a {what} name",
            hint="use lowercase letters, digits and . _ @ -, starting with a letter or digit, "
            "at most 100 characters",
            field="name",
        )
    return name


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Access:
    """The users and tokens of one state database."""

    def __init__(self, state: EngineState) -> None:
        self.state = state
        self.engine = state.engine

    # -- users ----------------------------------------------------------------------------------

    def add_user(self, name: str, user_role: str, password: str, *, actor: str) -> User:
        check_name(name, "user")
        chosen = role(user_role)
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(
                f"the password has {len(password)} characters; it needs at least {MIN_PASSWORD}",
                hint="a passphrase of four or five words is long and easy to type",
                field="password",
            )
        hashed = _hasher.hash(password)
        with write_transaction(self.engine) as connection:
            if connection.execute(
                sa.select(user_table.c.id).where(user_table.c.name == name)
            ).first():
                raise Conflict(
                    f"there is already a user {name}",
                    hint="`registre user list` shows them; remove it first to change its role",
                )
            user_id = inserted_id(
                connection.execute(
                    user_table.insert(),
                    {
                        "name": name,
                        "role": chosen.value,
                        "password_hash": hashed,
                        "created_at": utcnow(),
                        "created_by": actor,
                    },
                )
            )
            self.state.audit.append_in(
                connection,
                "user.added",
                details={"user": name, "role": chosen.value},
                actor=actor,
            )
            row = connection.execute(sa.select(user_table).where(user_table.c.id == user_id)).one()
        return _user(row)

    def users(self) -> list[User]:
        with read_connection(self.engine) as connection:
            rows = connection.execute(sa.select(user_table).order_by(user_table.c.name)).all()
        return [_user(row) for row in rows]

    def remove_user(self, name: str, *, actor: str) -> User:
        with write_transaction(self.engine) as connection:
            row = connection.execute(sa.select(user_table).where(user_table.c.name == name)).first()
            if row is None:
                raise NotFound(
                    f"there is no user {name}", hint="`registre user list` shows them", user=name
                )
            user = _user(row)
            connection.execute(user_table.delete().where(user_table.c.id == user.id))
            self.state.audit.append_in(
                connection,
                "user.removed",
                details={"user": name, "role": user.role.value},
                actor=actor,
            )
        return user

    def check_password(self, name: str, password: str) -> User | None:
        """The user if the password is theirs; None otherwise, taking as long either way."""
        with read_connection(self.engine) as connection:
            row = connection.execute(sa.select(user_table).where(user_table.c.name == name)).first()
        try:
            _hasher.verify(row.password_hash if row else _dummy_hash(), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return _user(row) if row else None

    # -- tokens ---------------------------------------------------------------------------------

    def create_token(
        self, name: str, token_role: str, *, actor: str, expires_at: datetime | None = None
    ) -> tuple[Token, str]:
        """A new token and its secret, which is shown once and never kept."""
        check_name(name, "token")
        chosen = role(token_role)
        now = utcnow()
        if expires_at is not None and expires_at.tzinfo is None:
            raise InvalidInput(
                "the expiry needs its time zone",
                hint="such as 2027-01-01T00:00:00+01:00",
                field="expires_at",
            )
        if expires_at is not None and expires_at <= now:
            raise InvalidInput(
                "the token would expire before it is created",
                hint="give a later expiry",
                field="expires_at",
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with write_transaction(self.engine) as connection:
            token_id = inserted_id(
                connection.execute(
                    token_table.insert(),
                    {
                        "name": name,
                        "role": chosen.value,
                        "token_hash": token_digest(secret),
                        "created_at": now,
                        "created_by": actor,
                        "expires_at": expires_at,
                    },
                )
            )
            self.state.audit.append_in(
                connection,
                "token.created",
                details={
                    "token": token_id,
                    "name": name,
                    "role": chosen.value,
                    "expires_at": expires_at.isoformat() if expires_at else None,
                },
                actor=actor,
            )
            row = connection.execute(
                sa.select(token_table).where(token_table.c.id == token_id)
            ).one()
        return _token(row), secret

    def tokens(self) -> list[Token]:
        with read_connection(self.engine) as connection:
            rows = connection.execute(sa.select(token_table).order_by(token_table.c.id)).all()
        return [_token(row) for row in rows]

    def revoke_token(self, token_id: int, *, actor: str) -> Token:
        with write_transaction(self.engine) as connection:
            row = connection.execute(
                sa.select(token_table).where(token_table.c.id == token_id).with_for_update()
            ).first()
            if row is None:
                raise NotFound(
                    f"there is no token {token_id}",
                    hint="`registre token list` shows them",
                    token=token_id,
                )
            if row.revoked_at is not None:
                raise Conflict(
                    f"token {token_id} was already revoked, by {row.revoked_by}", token=token_id
                )
            connection.execute(
                token_table.update()
                .where(token_table.c.id == token_id)
                .values(revoked_at=utcnow(), revoked_by=actor)
            )
            self.state.audit.append_in(
                connection,
                "token.revoked",
                details={"token": token_id, "name": row.name, "role": row.role},
                actor=actor,
            )
            row = connection.execute(
                sa.select(token_table).where(token_table.c.id == token_id)
            ).one()
        return _token(row)

    def token_for(self, secret: str) -> Token | None:
        """The active token whose secret this is; None for an unknown, revoked or expired one."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        with read_connection(self.engine, single=True) as connection:
            row = connection.execute(
                sa.select(token_table).where(token_table.c.token_hash == token_digest(secret))
            ).first()
        if row is None:
            return None
        token = _token(row)
        return token if token.is_active(utcnow()) else None


def _user(row: Any) -> User:
    return User(row.id, row.name, Role(row.role), row.created_at, row.created_by)


def _token(row: Any) -> Token:
    return Token(
        row.id,
        row.name,
        Role(row.role),
        row.created_at,
        row.created_by,
        row.expires_at,
        row.revoked_at,
        row.revoked_by,
    )
