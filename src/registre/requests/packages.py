"""Export packages as a request records them: written, audited, kept for a while, then purged.

An access or portability request gets one package of the data we control (for the person), and
one per controller of the data we hold as a processor (for that client, to answer the person
with: Art. 28(3)(e)). Each package is written first, then recorded in the transaction that
closes the request (:func:`close_recorded`): an ``export.created`` audit entry and a row of
``registre_export`` with its expiry, after which ``registre request purge-exports`` deletes it.
A package is written under a temporary name and given its own once that transaction commits;
if it fails, the package is deleted (see :mod:`registre.requests.pending_files` for why the
rename comes after the commit, and what a kill leaves).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from registre.consent import ledger as consent_ledger
from registre.requests import store
from registre.requests.context import RequestContext
from registre.requests.export import ExportFile, write_export
from registre.requests.find import Found, Reading
from registre.requests.lifecycle import RequestKind, RequestState
from registre.requests.pending_files import FileRecord, PendingFile, StateWrite
from registre.requests.store import SubjectRequest, export_table
from registre.state.db import write_transaction

AuditEntries = list[tuple[str, dict[str, Any]]]
"""Audit entries (action, details) to write in the transaction that closes a request."""


@dataclass
class Package:
    """A package written for a request, not yet recorded: under a temporary name until it is."""

    file: ExportFile
    expires: datetime
    path: Path
    """Where it will be once recorded."""


class PackageRecord(FileRecord):
    """The state write that records a package, and what becomes of its file after it."""

    def __init__(self, row: dict[str, Any], pending: PendingFile) -> None:
        super().__init__(pending)
        self.row = row

    def __call__(self, connection: Connection) -> None:
        connection.execute(export_table.insert(), self.row)


def write_package(
    context: RequestContext,
    request: SubjectRequest,
    found: Found,
    path: Path,
    *,
    entries: AuditEntries,
    writes: list[StateWrite],
    letter_html: str | None = None,
    reading: Reading | None = None,
    controller: dict[str, Any] | None = None,
) -> Package | None:
    """Write ``found``'s package at ``path`` and queue its audit entry and record.

    None, and no file left, when nothing of ``found`` may be exported (a portability request
    about data that was neither provided by the person nor processed on consent or contract).
    ``controller`` (the client's description) marks a package made for a controller.
    """
    header: dict[str, Any] = {
        "request": request.id,
        "kind": request.kind.value,
        "received": request.received_at.isoformat(),
        "organization": context.register.organization.name,
    }
    if controller is not None:
        header["controller"] = controller
    pending = PendingFile(path)
    try:
        exported = write_export(
            pending.path,
            context.register,
            context.finder,
            found,
            portability=request.kind is RequestKind.portability,
            header=header,
            letter_html=letter_html,
            reading=reading,
            # a client reads its package in the language we deal with clients in, as its letter
            lang=request.lang if controller is None else context.register.policy.languages[0],
            for_controller=controller is not None,
            consents=None
            if controller
            else consent_ledger.exported(context.state, request.identity),
        )
    except BaseException:
        pending.discard()
        raise
    if controller is not None and exported.rows == 0:
        pending.discard()
        return None
    created = context.now()
    # in calendar time where the organization is: a month from 31 January ends on 28 February
    expires = context.export_retention.add_to(created.astimezone(context.tz)).astimezone(UTC)
    details: dict[str, Any] = {
        "path": str(path),
        "rows": found.summary(),
        "sha256": exported.sha256,
    }
    if controller is not None:
        details["for_controller"] = controller.get("tenant")
    entries.append(("export.created", details))

    record = PackageRecord(
        {
            "request_id": request.id,
            "path": str(path),
            "sha256": exported.sha256,
            "size": exported.size,
            "created_at": created,
            "expires_at": expires,
        },
        pending,
    )
    writes.append(record)
    return Package(exported, expires, path)


def close_recorded(
    context: RequestContext,
    request: SubjectRequest,
    action: str,
    to_state: RequestState,
    details: dict[str, Any],
    result: dict[str, Any],
    entries: AuditEntries,
    writes: list[StateWrite],
) -> SubjectRequest:
    """Audit ``entries``, make ``writes`` and move the request, in one state transaction.

    The packages and letters of ``writes`` get their names once it commits; if it fails, they
    are deleted: nothing records them. A process that loses the race to close the request (its
    transition finds the request moved) so leaves no file behind, and the winner's stay as
    recorded.
    """
    packages = [write for write in writes if isinstance(write, FileRecord)]
    try:
        with write_transaction(context.state.engine) as connection:
            context.audit_many_in(connection, request, entries)
            for write in writes:
                write(connection)
            closed = store.transition(
                connection, request, action, to_state, context.actor, details, result=result
            )
    except BaseException:
        # (a commit the server made but whose answer was lost lands here too: the package is
        # then recorded and gone, and purge-exports reports it as missing)
        for package in packages:
            package.abandoned()
        raise
    for package in packages:
        package.committed()
    return closed
