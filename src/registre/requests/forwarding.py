"""Requests about data we hold as a processor: forwarded to the controller, never executed.

The controller (the client company the data is processed for) answers the request; we send it
a letter naming the request and the data concerned, and a JSON summary with the client ids the
rows belong to (Art. 28(3)(e)).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from registre.register.model import Register
from registre.requests import letters, scope, store
from registre.requests.find import Finder, Found
from registre.requests.lifecycle import RequestState
from registre.requests.store import SubjectRequest
from registre.state.db import write_transaction

if TYPE_CHECKING:
    from registre.requests.service import SubjectRequests

AuditEntries = list[tuple[str, dict[str, Any]]]
"""Audit entries (action, details) to write in the transaction that closes a request."""


def split(register: Register, finder: Finder, found: Found) -> tuple[Found, Found]:
    """The rows we control, and the rows we hold as a processor for a client."""
    mine, processed = Found(found.identity), Found(found.identity)
    mine.queries = found.queries
    for key, rows in found.tables.items():
        mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
        target = processed if scope.processor_only(register, mapping) else mine
        target.tables[key] = rows
    return mine, processed


def forward(desk: SubjectRequests, request: SubjectRequest, processed: Found) -> SubjectRequest:
    """Send the package to the controller and close the request as forwarded, audited."""
    entries: AuditEntries = []
    result = package(desk, request, processed, entries)
    with write_transaction(desk.state.engine) as connection:
        desk.audit_many_in(connection, request, entries)
        return store.transition(
            connection,
            request,
            "forward",
            RequestState.forwarded,
            desk.actor,
            result,
            result=result,
        )


def package(
    desk: SubjectRequests, request: SubjectRequest, processed: Found, entries: AuditEntries
) -> dict[str, Any]:
    """Write the controller's letter and summary; add the audit entry to ``entries``."""
    controllers = letters.controllers(desk.register, desk.finder, processed)
    entries.append(("forwarded", {"rows": processed.summary(), "controllers": controllers}))
    letter = letters.forward_letter(desk.register, desk.finder, request, processed, desk.today())
    path = desk.write_letter(request, "forward", letter.render())
    found_tenants = tenants(desk.finder, processed)
    summary = {
        "request": request.id,
        "kind": request.kind.value,
        "identity": request.identity,
        "received": request.received_at.isoformat(),
        "due": request.due.isoformat(),
        "rows": processed.summary(),
        "tenants": found_tenants,
    }
    summary_path = desk.out_dir / request.id / "forward.json"
    summary_path.write_text(
        json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return {
        "forward_letter": str(path),
        "forward_summary": str(summary_path),
        "rows": processed.summary(),
        "tenants": found_tenants,
    }


def tenants(finder: Finder, found: Found) -> dict[str, list[Any]]:
    """The client companies the processed rows belong to (direct tenant columns only)."""
    out: dict[str, set[Any]] = {}
    for rows in found:
        graph = finder.graphs_by_id[rows.store]
        column = graph.mapping(rows.table).tenant
        if not rows.rows or not column or "." in column:
            continue
        table = finder.tables(graph)[rows.table]
        pk = table.c[graph.mapping(rows.table).primary_key]
        keys = sorted(rows.rows)
        with finder.engine(rows.store).connect() as connection:
            for start in range(0, len(keys), finder.batch):
                query = (
                    sa.select(table.c[column])
                    .where(pk.in_(keys[start : start + finder.batch]))
                    .distinct()
                )
                out.setdefault(rows.store, set()).update(v for (v,) in connection.execute(query))
    return {s: sorted(v, key=repr) for s, v in out.items()}
