"""The export packages past their retention, deleted with the letters beside them.

An export package holds a copy of the person's data: it is kept ``export_retention`` (30 days
by default, :data:`registre.requests.context.EXPORT_RETENTION`), long enough to send it, then
deleted by ``registre request purge-exports`` (or :meth:`RequestDesk.purge_exports`). The
records of requests closed long ago stop naming the requester at the same time
(:mod:`registre.requests.closed_records`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from registre.requests import export
from registre.requests.closed_records import Forgotten, forget_closed
from registre.requests.context import RequestContext
from registre.requests.store import export_table
from registre.state.db import read_connection, write_transaction


@dataclass
class Purged:
    """What :func:`purge_exports` did."""

    deleted: list[str] = field(default_factory=list)
    """Packages deleted (absolute paths)."""
    missing: list[str] = field(default_factory=list)
    """Packages already gone from disk: nothing deleted, the record closed."""
    not_found: list[str] = field(default_factory=list)
    """Packages recorded with a relative path and not found from here: left untouched."""
    letters: list[str] = field(default_factory=list)
    """Letters and forward summaries deleted beside the packages."""
    forgotten: Forgotten = field(default_factory=Forgotten)
    """Records of closed requests past their retention that no longer name the requester."""

    def as_json(self) -> dict[str, list[str]]:
        return {
            "deleted": self.deleted,
            "missing": self.missing,
            "not_found": self.not_found,
            "letters": self.letters,
            "pseudonymized": self.forgotten.requests,
            "forward_files": self.forgotten.files,
        }


def purge_exports(context: RequestContext) -> Purged:
    """Delete the export packages past their retention, and the letters beside them.

    Each deletion is audited first (``request.export.deleted``). A package no longer on disk
    is audited as ``request.export.missing`` (registre deleted nothing) and its record
    closed; its letters are still deleted. A package recorded with a relative path that is
    not found from here is left as it is, for a purge run from the right folder. Then the
    records of requests closed longer than ``rights.closed_requests_kept`` ago stop naming
    the requester (:mod:`registre.requests.closed_records`). Running the purge again
    changes nothing more.
    """
    now = context.now()
    with read_connection(context.state.engine) as connection:
        due = connection.execute(
            sa.select(export_table)
            .where(export_table.c.deleted_at.is_(None), export_table.c.expires_at <= now)
            .order_by(export_table.c.id)
        ).all()
    purged = Purged()
    for row in due:
        where = export.locate(row.path, row.request_id, context.out_dir)
        if where.folder is None:
            purged.not_found.append(row.path)
            continue
        letters_beside = export.companions(where.folder, row.request_id)
        files = [where.path] if where.path else []
        details = {
            "path": str(where.path or row.path),
            "sha256": row.sha256,
            "expired": row.expires_at.isoformat(),
            "letters": [str(p) for p in letters_beside],
        }
        action = "request.export.deleted" if where.path else "request.export.missing"
        context.state.audit.append(
            action, details=details, actor=context.actor, request_id=row.request_id
        )
        export.remove(files + letters_beside)
        with write_transaction(context.state.engine) as connection:
            connection.execute(
                export_table.update().where(export_table.c.id == row.id).values(deleted_at=now)
            )
        (purged.deleted if where.path else purged.missing).append(details["path"])
        purged.letters += details["letters"]
    purged.forgotten = forget_closed(
        context.state,
        context.register.rights.closed_requests_kept,
        now,
        context.out_dir,
        context.tz,
        context.actor,
    )
    return purged
