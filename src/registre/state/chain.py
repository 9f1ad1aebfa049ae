"""The hash chain of the audit trail: how an entry is hashed, and how a stored trail is judged.

No I/O here: :func:`verify_rows` takes the rows and the head record as read from the database
and says, for each ``seq`` concerned, what is wrong. Each problem is reported once, at the entry
that was tampered with, not at every later entry whose link merely follows from it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from registre.state.db import canonical_json

GENESIS = "0" * 64
"""The hash the first entry is chained to."""

ProblemKind = Literal["altered", "reordered", "inserted", "removed"]


@dataclass(frozen=True, order=True)
class AuditProblem:
    """One thing wrong with the stored trail, at the ``seq`` it concerns."""

    seq: int
    kind: ProblemKind = field(compare=False)
    message: str = field(compare=False)

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.kind}: {self.message}"


class StoredEntry(Protocol):
    """A row of the audit entry table, as read (``details`` is the stored JSON text)."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def action(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def run_id(self) -> int | None: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def details(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def format_at(at: datetime) -> str:
    """The hashed form of a timestamp: ISO 8601 UTC to the microsecond, ``Z`` suffix."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: datetime,
    action: str,
    actor: str,
    run_id: int | None,
    request_id: str | None,
    details: Any,
) -> str:
    """The chained hash of one entry: sha256 of the previous hash and the canonical JSON."""
    payload = canonical_json(
        {
            "seq": seq,
            "at": format_at(at),
            "action": action,
            "actor": actor,
            "run_id": run_id,
            "request_id": request_id,
            "details": details,
        }
    )
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def content_problem(row: StoredEntry) -> str | None:
    """Why the entry does not match its own hash, or None when it does."""
    try:
        details = json.loads(row.details)
    except ValueError:
        return "its details are not valid JSON any more"
    try:
        canonical = canonical_json(details)
    except ValueError:
        return "its details hold a value registre never writes (NaN or infinity)"
    if canonical != row.details:
        # The parsed value may even be equal (a space, an escape): registre only writes the
        # canonical form, so any other spelling was written by someone else.
        return "its details were edited"
    digest = entry_hash(
        row.prev_hash,
        seq=row.seq,
        at=row.at,
        action=row.action,
        actor=row.actor,
        run_id=row.run_id,
        request_id=row.request_id,
        details=details,
    )
    if digest != row.hash:
        return "its content does not match its hash"
    return None


def verify_rows(rows: Sequence[StoredEntry], head: tuple[int, str] | None) -> list[AuditProblem]:
    """Every problem with a stored trail (rows in ``seq`` order), sorted by seq."""
    problems: dict[int, AuditProblem] = {}

    def report(seq: int, kind: ProblemKind, message: str) -> None:
        problems.setdefault(seq, AuditProblem(seq, kind, message))

    head_seq = head[0] if head is not None else None
    content = {row.seq: content_problem(row) for row in rows}
    seq_of_hash = {row.hash: row.seq for row in rows}

    expected = 1
    previous: StoredEntry | None = None
    for row in rows:
        if row.seq < 1:
            report(row.seq, "inserted", "registre numbers entries from 1")
            continue
        if head_seq is not None and row.seq > head_seq:
            report(row.seq, "inserted", f"it lies beyond the head record, which ends at {head_seq}")
            continue
        gap = row.seq > expected
        if gap:
            report(expected, "removed", _missing(expected, row.seq - 1))
        expected_prev = previous.hash if previous is not None else GENESIS
        if row.prev_hash != expected_prev and not gap:
            _judge_link(row, previous, content, seq_of_hash, problems, report)
        if content[row.seq] is not None:
            report(row.seq, "altered", content[row.seq] or "")
        previous = row
        expected = row.seq + 1

    if head is None:
        report(expected - 1, "removed", "the head record, which anchors the end, is missing")
    else:
        _judge_tail(previous, head, content, problems, report)
    return sorted(problems.values())


def _judge_link(
    row: StoredEntry,
    previous: StoredEntry | None,
    content: dict[int, str | None],
    seq_of_hash: dict[str, int],
    problems: dict[int, AuditProblem],
    report: Any,
) -> None:
    # The entry does not chain to the one stored before it: find out which of the two was
    # tampered with, so the problem is reported where it happened.
    row_ok = content[row.seq] is None
    if previous is not None and previous.seq in problems and row_ok:
        return  # a consequence of the previous entry's problem, already reported
    linked_to = seq_of_hash.get(row.prev_hash)
    previous_seq = previous.seq if previous is not None else 0
    if previous is not None and row_ok and content[previous.seq] is None and linked_to is None:
        # Both entries match their hashes, and this entry's hash covers its link, so the link
        # is original: the previous entry was rewritten together with its hash.
        report(
            previous.seq,
            "altered",
            f"its content and hash were rewritten; entry {row.seq} was chained to another hash",
        )
    elif linked_to is not None and linked_to != previous_seq:
        report(row.seq, "reordered", f"it was written after entry {linked_to}")
    elif not row_ok:
        report(row.seq, "altered", "its content and its link to the previous entry were changed")
    else:
        report(row.seq, "inserted", "it is chained to an entry that is not in the trail")


def _judge_tail(
    last: StoredEntry | None,
    head: tuple[int, str],
    content: dict[int, str | None],
    problems: dict[int, AuditProblem],
    report: Any,
) -> None:
    head_seq, head_hash = head
    last_seq = last.seq if last is not None else 0
    if last_seq < head_seq:
        report(last_seq + 1, "removed", _missing(last_seq + 1, head_seq) + " at the end")
    elif last is not None and last.hash != head_hash and last.seq not in problems:
        report(last.seq, "altered", "its hash differs from the head record's: it was rewritten")
    elif last is None and head_hash != GENESIS:
        report(0, "altered", "the head record was rewritten")


def _missing(first: int, last: int) -> str:
    if first == last:
        return "this entry is missing: it was removed"
    return f"entries {first} to {last} are missing: they were removed"
