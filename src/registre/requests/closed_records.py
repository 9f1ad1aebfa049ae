"""The records of closed requests, past their retention: the requester is then a digest.

A closed request's record proves that it was answered, and how: it is kept for
``rights.closed_requests_kept`` after closing (five years by default, the limitation period
for civil claims in France). Until then it names the requester in clear, as the person or an
authority may ask what was done. Past it, :func:`forget_closed` replaces the record's identity
(``registre_request.identity``) by ``{"digest": <the identity's digest>}``, the digest the audit
trail names the person by (HMAC-SHA256 under the deployment's key when it has one: see
:mod:`registre.state.digests`), and deletes the files in the request's folder that name the
person for the client it went to: the forward letters (``forward*.html``), ``forward.json`` and
a forwarded package (``forward-data*.zip``). Each record is audited as
``request.record.pseudonymized``, committed with the change; files are deleted before, so a run
killed between them deletes nothing more when run again and then records the change. A record
already pseudonymized is not read again.

What stays: the request's kind, dates, states, result and history; the person's own letters and
packages go with the export purge. Restrictions and objections in force keep the identities
they are matched by, and a released legal hold the identity it held.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from registre.durations import Duration, cutoff
from registre.requests.store import request_table
from registre.state import EngineState, identity_digest
from registre.state.db import read_connection, write_transaction

FORGOTTEN = "digest"
"""The only key of a pseudonymized record's identity."""

FORWARD_FILES = ("forward*.html", "forward.json", "forward-data*.zip")
"""The files of a request's folder naming the person for a client."""

# json.dumps(sort_keys=True) writes a pseudonymized identity so, and no identity kind sorts
# before it with this prefix: the records still to do are those not starting with it
_PREFIX = '{"' + FORGOTTEN + '": '


@dataclass
class Forgotten:
    """What :func:`forget_closed` did."""

    requests: list[str] = field(default_factory=list)
    """Requests whose record no longer names the requester."""
    files: list[str] = field(default_factory=list)
    """Forward letters, summaries and packages deleted (absolute paths)."""

    def as_json(self) -> dict[str, list[str]]:
        return {"requests": self.requests, "files": self.files}


def is_forgotten(identity: dict[str, Any]) -> bool:
    """Whether a request's identity is a pseudonymized record's."""
    return list(identity) == [FORGOTTEN]


def forget_closed(
    state: EngineState,
    kept: Duration,
    now: datetime,
    out_dir: Path,
    timezone: ZoneInfo,
    actor: str = "registre",
) -> Forgotten:
    """Pseudonymize the records of requests closed for longer than ``kept`` at ``now``."""
    before = cutoff(now, kept, timezone)
    done = Forgotten()
    for row in _due(state.engine, before):
        identity = json.loads(row.identity)
        digest = identity_digest(identity)
        files = _forward_files(out_dir, row.id, json.loads(row.result) if row.result else {})
        for path in files:
            path.unlink(missing_ok=True)
        with write_transaction(state.engine) as connection:
            changed = connection.execute(
                request_table.update()
                .where(request_table.c.id == row.id, request_table.c.identity == row.identity)
                .values(identity=json.dumps({FORGOTTEN: digest}, sort_keys=True))
            ).rowcount
            if changed != 1:
                continue  # another purge did it meanwhile
            state.audit.append_in(
                connection,
                "request.record.pseudonymized",
                details={
                    "person": digest,
                    "kind": row.kind,
                    "closed": row.closed_at.isoformat(),
                    "kept": str(kept),
                    "files": [path.name for path in files],
                },
                actor=actor,
                request_id=row.id,
            )
        done.requests.append(row.id)
        done.files += [str(path) for path in files]
    return done


def _due(engine: Engine, before: datetime) -> list[Any]:
    query = (
        sa.select(
            request_table.c.id,
            request_table.c.kind,
            request_table.c.identity,
            request_table.c.result,
            request_table.c.closed_at,
        )
        .where(
            request_table.c.closed_at.is_not(None),
            request_table.c.closed_at < before,
            sa.not_(request_table.c.identity.startswith(_PREFIX, autoescape=True)),
        )
        .order_by(request_table.c.closed_at, request_table.c.id)
    )
    with read_connection(engine) as connection:
        return list(connection.execute(query).all())


def _forward_files(out_dir: Path, request_id: str, result: dict[str, Any]) -> list[Path]:
    """The forward files of the request's folder: where its result says, else under ``out``.

    Only in a folder named after the request, so that no other file is ever touched.
    """
    folders = {out_dir / request_id}
    for part in (result, result.get("forwarded") or {}):
        if not isinstance(part, dict):
            continue
        named = [part.get("forward_summary"), *(part.get("forward_letters") or [])]
        folders |= {Path(p).parent for p in named if isinstance(p, str) and Path(p).is_absolute()}
    found = {
        path
        for folder in folders
        if folder.name == request_id and folder.is_dir()
        for pattern in FORWARD_FILES
        for path in folder.glob(pattern)
        if path.is_file()
    }
    return sorted(found)
