"""The audit trail: an append-only, hash-chained log of everything registre does.

Each entry's ``hash`` is ``sha256(prev_hash + canonical JSON of (seq, at, action, actor,
run_id, request_id, details))``, where ``prev_hash`` is the previous entry's hash (64 zeros for
the first). A separate head record keeps the last ``seq`` and ``hash`` and is updated in the
same transaction as each append, so removing entries from the end is detected too.

Appending takes the writers' lock (``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on
the head row elsewhere), so concurrent writers get strictly increasing, gap-free ``seq``.

Appending after tampering (decision): ``append`` does not re-verify the whole trail, which would
cost O(n) per entry. It chains from the head record, never from the last stored row, so an
altered or removed entry cannot be laundered by later appends and :meth:`AuditTrail.verify`
keeps reporting it. ``append`` raises :class:`AuditError` only when it cannot chain safely: the
head record is missing, or an entry already sits beyond the head (a forged insert).

What the chain cannot prove: someone with write access who rewrites entries *and* recomputes
every later hash *and* the head goes undetected. Publish the head hash printed by
``registre audit verify`` elsewhere (a ticket, a signed email) to anchor it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Connection, Engine, Row

from registre._exceptions import AuditError
from registre.state.chain import (
    AuditProblem,
    beyond_head,
    entry_hash,
    format_at,
    verify_rows,
)
from registre.state.db import (
    audit_entry,
    audit_head,
    canonical_json,
    read_connection,
    utcnow,
    write_transaction,
)

HEAD_ID = 1

# Constant statements, values bound at execution: building and hashing a statement per entry
# costs about as much client time as the database takes to run it.
_HEAD_FOR_UPDATE = (
    sa.select(audit_head.c.seq, audit_head.c.hash)
    .where(audit_head.c.id == HEAD_ID)
    .with_for_update()
)
_MOVE_HEAD = audit_head.update().where(audit_head.c.id == HEAD_ID)
_INSERT_ENTRY = audit_entry.insert()
# Entries read per query when streaming the trail.
PAGE = 1000


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit trail, as stored."""

    seq: int
    at: datetime
    action: str
    actor: str
    run_id: int | None
    request_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def as_json(self) -> dict[str, Any]:
        """The entry as plain JSON values (``at`` in ISO 8601 UTC)."""
        return {
            "seq": self.seq,
            "at": format_at(self.at),
            "action": self.action,
            "actor": self.actor,
            "run_id": self.run_id,
            "request_id": self.request_id,
            "details": self.details,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


class AuditTrail:
    """The audit trail of one state database (``state.audit``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(
        self,
        action: str,
        *,
        details: dict[str, Any],
        actor: str = "registre",
        run_id: int | None = None,
        request_id: str | None = None,
    ) -> AuditEntry:
        """Record ``action`` and commit it, before the caller performs it.

        ``details`` must be JSON-serialisable (no NaN); it is stored as canonical JSON.
        """
        with write_transaction(self._engine) as connection:
            return self.append_in(
                connection,
                action,
                details=details,
                actor=actor,
                run_id=run_id,
                request_id=request_id,
            )

    def append_in(
        self,
        connection: Connection,
        action: str,
        *,
        details: dict[str, Any],
        actor: str = "registre",
        run_id: int | None = None,
        request_id: str | None = None,
    ) -> AuditEntry:
        """Append inside the caller's write transaction (see ``db.write_transaction``).

        For changes to the state database itself that must commit together with their entry,
        such as placing a legal hold.
        """
        (entry,) = self.append_many_in(
            connection, [(action, details)], actor=actor, run_id=run_id, request_id=request_id
        )
        return entry

    def append_many_in(
        self,
        connection: Connection,
        entries: Sequence[tuple[str, dict[str, Any]]],
        *,
        actor: str = "registre",
        run_id: int | None = None,
        request_id: str | None = None,
    ) -> list[AuditEntry]:
        """Append several ``(action, details)`` entries in order, inside the caller's transaction.

        The same chain as that many :meth:`append_in` calls, with the head read and written
        once and the entries inserted in one statement: a request closes with a few entries,
        and each round trip to the database shows in its latency.
        """
        if not entries:
            return []
        if not all(action for action, _ in entries):
            raise ValueError("an audit action must not be empty")
        head = connection.execute(_HEAD_FOR_UPDATE).first()
        if head is None:
            raise AuditError(
                "the audit trail's head record is missing, so the trail cannot be extended",
                hint="run `registre audit verify`; the state database was altered by hand",
            )
        seq, previous = head.seq, head.hash
        appended: list[AuditEntry] = []
        rows: list[dict[str, Any]] = []
        for action, details in entries:
            details_text = canonical_json(details)
            stored_details = json.loads(details_text)
            seq += 1
            at = utcnow()
            digest = entry_hash(
                previous,
                seq=seq,
                at=at,
                action=action,
                actor=actor,
                run_id=run_id,
                request_id=request_id,
                details=stored_details,
            )
            rows.append(
                {
                    "seq": seq,
                    "at": at,
                    "action": action,
                    "actor": actor,
                    "run_id": run_id,
                    "request_id": request_id,
                    "details": details_text,
                    "prev_hash": previous,
                    "hash": digest,
                }
            )
            appended.append(
                AuditEntry(
                    seq, at, action, actor, run_id, request_id, stored_details, previous, digest
                )
            )
            previous = digest
        try:
            connection.execute(_INSERT_ENTRY, rows)
        except exc.IntegrityError:
            taken = f"{head.seq + 1}" if seq == head.seq + 1 else f"{head.seq + 1} to {seq}"
            raise AuditError(
                f"an audit entry with seq {taken} already exists beyond the head "
                f"record (seq {head.seq}): it was inserted by hand",
                hint="run `registre audit verify` and investigate before registre writes again",
            ) from None
        connection.execute(_MOVE_HEAD, {"seq": seq, "hash": previous})
        return appended

    def entries(
        self,
        since_seq: int | None = None,
        action_prefix: str | None = None,
        *,
        actions: Sequence[str] = (),
    ) -> Iterator[AuditEntry]:
        """Every entry, or those with ``seq > since_seq``, in order; only actions starting with
        the prefix, or only the ``actions`` named.

        Every stored row, an entry numbered 0 or below (registre numbers from 1, so it was
        inserted by hand) included: what verify reports, log shows. Read in pages, without
        holding a connection between them, so the caller may append while iterating. Entries
        whose details are not valid JSON any more (tampering) come with
        ``details == {"<unreadable>": <stored text>}``; :meth:`verify` says more.
        """
        for row in self._rows(since_seq, action_prefix, actions):
            try:
                details = json.loads(row.details)
            except ValueError:
                details = {"<unreadable>": row.details}
            yield AuditEntry(
                row.seq,
                row.at,
                row.action,
                row.actor,
                row.run_id,
                row.request_id,
                details,
                row.prev_hash,
                row.hash,
            )

    def _rows(
        self,
        since_seq: int | None = None,
        action_prefix: str | None = None,
        actions: Sequence[str] = (),
    ) -> Iterator[Row[Any]]:
        after = since_seq
        while True:
            query = sa.select(audit_entry)
            if after is not None:
                query = query.where(audit_entry.c.seq > after)
            if action_prefix:
                query = query.where(audit_entry.c.action.startswith(action_prefix, autoescape=True))
            if actions:
                # equality, not a prefix: the action index serves it on every database
                query = query.where(audit_entry.c.action.in_(actions))
            query = query.order_by(audit_entry.c.seq).limit(PAGE)
            with read_connection(self._engine) as connection:
                page = connection.execute(query).all()
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1].seq

    def head(self) -> tuple[int, str] | None:
        """The head record: the last ``seq`` and ``hash`` appended; None if it was deleted.

        Before the first append it is ``(0, "000...0")``.
        """
        with read_connection(self._engine) as connection:
            row = connection.execute(
                sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == HEAD_ID)
            ).first()
        return None if row is None else (row.seq, row.hash)

    def verify(self) -> list[AuditProblem]:
        """Every problem with the stored trail, sorted by seq; empty when intact.

        Streams the trail; a concurrent append may make the head newer than the rows read,
        so the head is read first and rows beyond it are left to the next verification.
        """
        head = self.head()
        beyond: list[int] = []

        def up_to_head(rows: Iterable[Row[Any]]) -> Iterator[Row[Any]]:
            for row in rows:
                if head is not None and row.seq > head[0]:
                    beyond.append(row.seq)
                else:
                    yield row

        problems = verify_rows(up_to_head(self._rows()), head, self._seq_of_hash)
        if beyond:
            # Entries past the head read at the start are either appended meanwhile (the head
            # has moved past them since) or forged.
            latest = self.head()
            latest_seq = latest[0] if latest is not None else 0
            problems += [beyond_head(seq, latest_seq) for seq in beyond if seq > latest_seq]
        return sorted(problems)

    def _seq_of_hash(self, digest: str) -> int | None:
        with read_connection(self._engine) as connection:
            return connection.execute(
                sa.select(sa.func.min(audit_entry.c.seq)).where(audit_entry.c.hash == digest)
            ).scalar()
