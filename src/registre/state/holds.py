"""Legal holds: records or people whose data must not be deleted, whatever the retention says.

A hold is either on one record (``store`` + ``table`` + ``key``, the primary key value as a
string) or on a person (``identity``, e.g. ``{"email": "a@b.fr"}``, with the identity names of
the register's ``stores`` mapping). It lasts until it is released, or through its ``until``
date (inclusive, a UTC date) when it has one.

Placing and releasing a hold are audited (actions ``hold.placed`` and ``hold.released``); the
audit entry is committed in the same transaction as the change, so neither exists without the
other. The append-only trail outlives erasure requests, so it names a held person only by
:func:`identity_digest` (the identity itself stays in the hold's row, which can be erased).

Additions after the first version: :meth:`LegalHolds.get`, :meth:`LegalHolds.all`,
:meth:`LegalHolds.for_record`, :meth:`LegalHolds.for_person`, :meth:`Hold.covers_record`,
:meth:`Hold.covers_person`, :meth:`Hold.covers_any`, :meth:`Hold.is_active`,
:func:`normalize_identity`. Email addresses are stored lower-cased and phone numbers in
E.164, as data-subject requests compare them; other identity values as given (surrounding
spaces removed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine, Row

from registre._exceptions import StateError
from registre.engine.record_keys import key_text
from registre.state import digests
from registre.state.audit import AuditTrail
from registre.state.db import (
    canonical_json,
    inserted_id,
    legal_hold,
    read_connection,
    to_utc,
    utcnow,
    write_transaction,
)
from registre.state.digests import normalize_identity
from registre.state.protections import Protections


@dataclass(frozen=True)
class Hold:
    """One legal hold, active or released."""

    id: int
    reason: str
    store: str | None
    table: str | None
    key: str | None
    identity: dict[str, str] | None
    until: date | None
    placed_at: datetime
    placed_by: str
    released_at: datetime | None = None
    released_by: str | None = None
    release_reason: str | None = None

    @property
    def kind(self) -> Literal["record", "person"]:
        """'record' for a hold on one record, 'person' for a hold on someone's data."""
        return "person" if self.identity else "record"

    def is_active(self, at: datetime | None = None) -> bool:
        """Whether the hold protects data at ``at`` (default now)."""
        moment = to_utc(at) if at is not None else utcnow()
        if self.placed_at > moment:
            return False
        if self.released_at is not None and self.released_at <= moment:
            return False
        return self.until is None or moment.date() <= self.until

    def covers_record(self, store: str, table: str, key: object) -> bool:
        """Whether this is a hold on that very record."""
        return (
            self.kind == "record"
            and self.store == store
            and self.table == table
            and self.key == key_text(key)
        )

    def covers_person(self, identity: dict[str, Any]) -> bool:
        """Whether this person hold matches any of the identity values given."""
        if not self.identity:
            return False
        values = {k: str(v) for k, v in identity.items() if v is not None}
        given = normalize_identity(values, strict=False)
        return any(given.get(name) == value for name, value in self.identity.items())

    def covers_any(self, pairs: Iterable[tuple[str, str]]) -> bool:
        """Whether this person hold names one of ``(kind, value)``, values normalized as holds
        store them: the identities found in a person's own rows (a phone number the request
        did not give, read from their account as :mod:`registre.engine.identities` reads it).
        """
        if not self.identity:
            return False
        return any(self.identity.get(kind) == value for kind, value in pairs)

    def describe(self) -> str:
        """What is held, for people: ``email a@b.fr`` or ``crm.customer #42``."""
        if self.identity:
            return ", ".join(f"{name} {value}" for name, value in sorted(self.identity.items()))
        return f"{self.store}.{self.table} #{self.key}"

    def as_json(self) -> dict[str, Any]:
        """The hold as plain JSON values."""
        return {
            "id": self.id,
            "kind": self.kind,
            "reason": self.reason,
            "store": self.store,
            "table": self.table,
            "key": self.key,
            "identity": self.identity,
            "until": self.until.isoformat() if self.until else None,
            "placed_at": _iso(self.placed_at),
            "placed_by": self.placed_by,
            "released_at": _iso(self.released_at),
            "released_by": self.released_by,
            "release_reason": self.release_reason,
        }


def identity_digest(identity: dict[str, str]) -> str:
    """The digest of a normalized identity's canonical JSON, as recorded in the audit trail:
    HMAC-SHA256 under the deployment's key when it has one (:mod:`registre.state.digests`)."""
    return digests.digest(canonical_json(normalize_identity(identity)))


class LegalHolds:
    """The legal holds of one state database (``state.holds``)."""

    def __init__(self, engine: Engine, audit: AuditTrail) -> None:
        self._engine = engine
        self._audit = audit
        self._protections = Protections(engine)

    def place(
        self,
        *,
        reason: str,
        store: str | None = None,
        table: str | None = None,
        key: str | None = None,
        identity: dict[str, str] | None = None,
        until: date | None = None,
        actor: str = "registre",
    ) -> Hold:
        """Place a hold on one record or on a person; audited as ``hold.placed``."""
        if not reason or not reason.strip():
            raise ValueError("a legal hold needs a reason")
        record = (store, table, key)
        if identity:
            if any(part is not None for part in record):
                raise ValueError("a hold is on a record (store, table, key) or a person, not both")
            identity = normalize_identity(identity)
            if not all(identity.values()):
                raise ValueError("identity values of a hold must not be empty")
        elif not all(record):
            raise ValueError("a record hold needs store, table and key; a person hold identity")
        now = utcnow()
        if until is not None and until < now.date():
            raise ValueError(f"the hold's last day, {until.isoformat()}, is already past")
        values = {
            "reason": reason.strip(),
            "store": store,
            "table_name": table,
            "record_key": None if key is None else key_text(key),
            "identity": canonical_json(identity) if identity else None,
            "until": until,
            "placed_at": now,
            "placed_by": actor,
        }
        with write_transaction(self._engine) as connection:
            result = connection.execute(legal_hold.insert().values(**values))
            hold_id = inserted_id(result)
            hold = _hold(connection.execute(_by_id(hold_id)).one())
            self._audit.append_in(connection, "hold.placed", details=_details(hold), actor=actor)
        return hold

    def release(self, hold_id: int, *, reason: str, actor: str = "registre") -> Hold:
        """Release a hold; audited as ``hold.released``.

        Raises :class:`StateError` when there is no such hold or it was already released.
        """
        if not reason or not reason.strip():
            raise ValueError("releasing a legal hold needs a reason")
        with write_transaction(self._engine) as connection:
            row = connection.execute(_by_id(hold_id).with_for_update()).first()
            if row is None:
                raise StateError(
                    f"there is no legal hold {hold_id}",
                    hint="`registre hold list` shows the active holds and their numbers",
                )
            if row.released_at is not None:
                raise StateError(
                    f"legal hold {hold_id} was already released on "
                    f"{row.released_at:%Y-%m-%d %H:%M} UTC by {row.released_by}"
                )
            connection.execute(
                legal_hold.update()
                .where(legal_hold.c.id == hold_id)
                .values(released_at=utcnow(), released_by=actor, release_reason=reason.strip())
            )
            hold = _hold(connection.execute(_by_id(hold_id)).one())
            details = {**_details(hold), "release_reason": hold.release_reason}
            self._audit.append_in(connection, "hold.released", details=details, actor=actor)
        return hold

    def get(self, hold_id: int) -> Hold | None:
        """One hold by id, active or not."""
        with read_connection(self._engine) as connection:
            row = connection.execute(_by_id(hold_id)).first()
        return None if row is None else _hold(row)

    def all(self) -> list[Hold]:
        """Every hold ever placed, released ones included, by id."""
        with read_connection(self._engine) as connection:
            rows = connection.execute(sa.select(legal_hold).order_by(legal_hold.c.id)).all()
        return [_hold(row) for row in rows]

    def active(self, at: datetime | None = None) -> list[Hold]:
        """The holds in force at ``at`` (default now), by id.

        What sweeps and erasures keep: first checked against the audit trail
        (:meth:`registre.state.protections.Protections.check`), so that a hold removed or
        edited by hand in the state database stops them with a :class:`StateError`.
        """
        self._protections.check()
        moment = to_utc(at) if at is not None else utcnow()
        query = (
            sa.select(legal_hold)
            .where(legal_hold.c.placed_at <= moment)
            .where(sa.or_(legal_hold.c.released_at.is_(None), legal_hold.c.released_at > moment))
            .where(sa.or_(legal_hold.c.until.is_(None), legal_hold.c.until >= moment.date()))
            .order_by(legal_hold.c.id)
        )
        with read_connection(self._engine) as connection:
            rows = connection.execute(query).all()
        return [_hold(row) for row in rows]

    def for_record(
        self, store: str, table: str, key: object, at: datetime | None = None
    ) -> list[Hold]:
        """The active record holds on that record."""
        return [h for h in self.active(at) if h.covers_record(store, table, key)]

    def for_person(self, identity: dict[str, Any], at: datetime | None = None) -> list[Hold]:
        """The active person holds matching any of the identity values given."""
        return [h for h in self.active(at) if h.covers_person(identity)]


def _by_id(hold_id: int) -> sa.Select[Any]:
    return sa.select(legal_hold).where(legal_hold.c.id == hold_id)


def _hold(row: Row[Any]) -> Hold:
    return Hold(
        id=row.id,
        reason=row.reason,
        store=row.store,
        table=row.table_name,
        key=row.record_key,
        identity=json.loads(row.identity) if row.identity else None,
        until=row.until,
        placed_at=row.placed_at,
        placed_by=row.placed_by,
        released_at=row.released_at,
        released_by=row.released_by,
        release_reason=row.release_reason,
    )


def _details(hold: Hold) -> dict[str, Any]:
    details: dict[str, Any] = {"hold_id": hold.id, "kind": hold.kind, "reason": hold.reason}
    if hold.identity:
        # The trail is append-only and outlives erasure requests: it names the person only
        # by a digest, which proves the identity held when compared with the hold's record.
        details["identity_names"] = sorted(hold.identity)
        details["identity_sha256"] = identity_digest(hold.identity)
    else:
        details.update(store=hold.store, table=hold.table, key=hold.key)
    if hold.until:
        details["until"] = hold.until.isoformat()
    return details


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
