"""The hash chain of the audit trail: how an entry is hashed, and how a stored trail is judged.

No I/O here: :func:`verify_rows` takes the rows and the head record as read from the database
and says, for each ``seq`` concerned, what is wrong. Each problem is reported once, at the entry
that was tampered with, not at every later entry whose link merely follows from it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
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


def verify_rows(
    rows: Iterable[StoredEntry],
    head: tuple[int, str] | None,
    seq_of_hash: Callable[[str], int | None],
) -> list[AuditProblem]:
    """Every problem with a stored trail, sorted by seq.

    ``rows`` come in ``seq`` order and are read once, so a long trail is streamed;
    ``seq_of_hash`` finds the entry holding a hash, asked only about broken links.
    """
    problems: dict[int, AuditProblem] = {}

    def report(seq: int, kind: ProblemKind, message: str) -> None:
        problems.setdefault(seq, AuditProblem(seq, kind, message))

    head_seq = head[0] if head is not None else None
    expected = 1
    previous: StoredEntry | None = None
    previous_ok = True
    for row in rows:
        if row.seq < 1:
            report(row.seq, "inserted", "registre numbers entries from 1")
            continue
        if head_seq is not None and row.seq > head_seq:
            problems.setdefault(row.seq, beyond_head(row.seq, head_seq))
            continue
        problem = content_problem(row)
        gap = row.seq > expected
        if gap:
            report(expected, "removed", _missing(expected, row.seq - 1))
        expected_prev = previous.hash if previous is not None else GENESIS
        if row.prev_hash != expected_prev and not gap:
            link = _judge_link(row, problem is None, previous, previous_ok, problems, seq_of_hash)
            if link is not None:
                report(*link)
        if problem is not None:
            report(row.seq, "altered", problem)
        previous, previous_ok = row, problem is None
        expected = row.seq + 1

    if head is None:
        report(expected - 1, "removed", "the head record, which anchors the end, is missing")
    else:
        _judge_tail(previous, head, problems, report)
    return sorted(problems.values())


def beyond_head(seq: int, head_seq: int) -> AuditProblem:
    """The problem of an entry numbered after the head record: it was not appended by registre."""
    return AuditProblem(
        seq, "inserted", f"it lies beyond the head record, which ends at {head_seq}"
    )


def _judge_link(
    row: StoredEntry,
    row_ok: bool,
    previous: StoredEntry | None,
    previous_ok: bool,
    problems: dict[int, AuditProblem],
    seq_of_hash: Callable[[str], int | None],
) -> tuple[int, ProblemKind, str] | None:
    # The entry does not chain to the one stored before it: find out which of the two was
    # tampered with, so the problem is reported where it happened.
    if previous is not None and previous.seq in problems and row_ok:
        return None  # a consequence of the previous entry's problem, already reported
    linked_to = seq_of_hash(row.prev_hash)
    previous_seq = previous.seq if previous is not None else 0
    if previous is not None and row_ok and previous_ok and linked_to is None:
        # Both entries match their hashes, and this entry's hash covers its link, so the link
        # is original: the previous entry was rewritten together with its hash.
        return (
            previous.seq,
            "altered",
            f"its content and hash were rewritten; entry {row.seq} was chained to another hash",
        )
    if linked_to is not None and linked_to != previous_seq:
        return (row.seq, "reordered", f"it was written after entry {linked_to}")
    if not row_ok:
        return (row.seq, "altered", "its content and its link to the previous entry were changed")
    return (row.seq, "inserted", "it is chained to an entry that is not in the trail")


def _judge_tail(
    last: StoredEntry | None,
    head: tuple[int, str],
    problems: dict[int, AuditProblem],
    report: Callable[[int, ProblemKind, str], None],
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
