"""Requests about data we hold as a processor: forwarded to the controller, never executed.

The controller (the client company the data is processed for) answers the request; we send it
a letter naming the request and the data concerned, and a JSON summary with the client ids the
rows belong to (Art. 28(3)(e)). For an access or portability request the controller also gets
the data itself, as the person's package would hold it (``forward-data.zip``: JSON and one CSV
per table), so that it can answer without asking us again; the package is recorded and purged
like the person's own. When the person's rows belong to several clients, each gets its own
letter and package with its own rows only. The person is told which controller their request
went to.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from registre._exceptions import RequestError
from registre.register.model import Register
from registre.requests import letters, packages, pending_files, table_activities
from registre.requests.context import RequestContext
from registre.requests.controllers import Controller
from registre.requests.controllers import controllers as controllers_of
from registre.requests.find import Finder, Found
from registre.requests.lifecycle import RequestKind, RequestState
from registre.requests.packages import AuditEntries
from registre.requests.pending_files import StateWrite
from registre.requests.store import SubjectRequest

SENDS_DATA = (RequestKind.access, RequestKind.portability)
"""The requests whose forward carries the controller's data."""


def split(register: Register, finder: Finder, found: Found) -> tuple[Found, Found]:
    """The rows we control, and the rows we hold as a processor for a client."""
    mine, processed = Found(found.identity), Found(found.identity)
    mine.queries = found.queries
    for key, rows in found.tables.items():
        mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
        target = processed if table_activities.processor_only(register, mapping) else mine
        target.tables[key] = rows
    return mine, processed


def forward(context: RequestContext, request: SubjectRequest, processed: Found) -> SubjectRequest:
    """Send the package to the controller and close the request as forwarded, audited.

    The person gets a letter too, saying which controller their request went to.
    """
    entries: AuditEntries = []
    writes: list[StateWrite] = []
    held_for = controllers_of(context.finder, processed)
    result = package(context, request, processed, entries, held_for, writes=writes)
    letter = letters.outcome_letter(
        context.register,
        context.finder,
        request,
        Found(request.identity),
        processed,
        {},
        context.today(),
        held_for=held_for,
    )
    html = letter.render()
    result["letter"] = str(context.write_letter(request, request.kind.value, html, writes=writes))
    return packages.close_recorded(
        context,
        request,
        "forward",
        RequestState.forwarded,
        result,
        result,
        entries,
        writes,
    )


def package(
    context: RequestContext,
    request: SubjectRequest,
    processed: Found,
    entries: AuditEntries,
    held_for: list[Controller] | None = None,
    *,
    writes: list[StateWrite],
) -> dict[str, Any]:
    """Write each controller's letter (and data package), then the summary.

    The audit entries go to ``entries`` and the packages' records to ``writes``, for the
    transaction that closes the request; the caller deletes ``forward_data`` if it fails.
    """
    if held_for is None:
        held_for = controllers_of(context.finder, processed)
    activities = letters.controllers(context.register, context.finder, processed)
    entries.append(
        (
            "forwarded",
            {
                "rows": processed.summary(),
                "controllers": activities,
                "tenants": [c.key for c in held_for],
            },
        )
    )
    paths, data = [], []
    for number, controller in enumerate(held_for, 1):
        suffix = "" if len(held_for) == 1 else f"-{number}"
        sent = None
        if request.kind in SENDS_DATA and controller.found is not None:
            sent = packages.write_package(
                context,
                request,
                controller.found,
                context.out_dir / request.id / f"forward-data{suffix}.zip",
                entries=entries,
                writes=writes,
                controller={
                    "tenant": controller.key,
                    "name": letters.controller_name(
                        context.register,
                        context.finder,
                        context.register.policy.languages[0],
                        controller,
                    ),
                },
            )
            if sent is not None:
                data.append(str(sent.path))
        letter = letters.forward_letter(
            context.register,
            context.finder,
            request,
            controller,
            context.today(),
            attached=sent.path.name if sent else None,
        )
        paths.append(
            str(
                context.write_letter(
                    request, f"forward{suffix}", letter.render(), letter.lang, writes=writes
                )
            )
        )
    found_tenants = tenants(context.finder, processed)
    summary = {
        "request": request.id,
        "kind": request.kind.value,
        "identity": request.identity,
        "received": request.received_at.isoformat(),
        "due": request.due.isoformat(),
        "rows": processed.summary(),
        "tenants": found_tenants,
        "controllers": [c.as_json() for c in held_for],
        "data": [Path(p).name for p in data],
    }
    summary_path = context.out_dir / request.id / "forward.json"
    pending_files.write_later(
        summary_path,
        json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n",
        writes,
    )
    return {
        "forward_letter": paths[0],
        "forward_letters": paths,
        "forward_summary": str(summary_path),
        "forward_data": data,
        "rows": processed.summary(),
        "tenants": found_tenants,
        "controllers": [
            letters.controller_name(context.register, context.finder, request.lang, c)
            for c in held_for
        ],
        # who may instruct us to carry the request out (`registre request instruct`)
        "held_for": [{"store": c.store, "tenant": c.key} for c in held_for],
    }


def went_to(request: SubjectRequest) -> list[dict[str, Any]] | None:
    """The clients (``{"store", "tenant"}``) the request was forwarded to; None when nothing of
    it was. Read from its result: the ``forwarded`` part when we answered the rest ourselves,
    else the forward's own result, whose clients an instruction carried out keeps."""
    result = request.result or {}
    part = result.get("forwarded")
    if part is None and ("held_for" in result or "tenants" in result):
        part = result  # forwarded whole, or an instruction carried out, which keeps them
    if part is None:
        return None
    return list(part.get("held_for") or []) or [
        {"store": store_id, "tenant": key}
        for store_id, keys in (part.get("tenants") or {}).items()
        for key in keys
    ]


def instructing(request: SubjectRequest, tenant: str | None) -> dict[str, Any]:
    """The client an instruction about a forwarded request comes from: the only one the request
    went to, or the one named ``tenant`` (its key in the store's table of clients)."""
    clients = went_to(request)
    if clients is None:
        raise RequestError(
            f"request {request.id} was answered by us alone: nothing of it went to a client, "
            "so no client can instruct it; nothing was recorded",
            hint="a new request from the person is opened with `registre request open`",
        )
    named = ", ".join(str(c["tenant"]) for c in clients if c["tenant"] is not None)
    if tenant is not None:
        chosen = [c for c in clients if c["tenant"] is not None and str(c["tenant"]) == tenant]
        if not chosen:
            raise RequestError(
                f"request {request.id} was not forwarded to a client {tenant!r}; nothing was "
                "recorded",
                hint=f"the clients it went to: {named or 'none that registre can name'}",
            )
        return dict(chosen[0])
    if len(clients) == 1:
        return dict(clients[0])
    if not clients:
        raise RequestError(
            f"registre does not know which client request {request.id} went to; nothing was "
            "recorded",
            hint="its rows map no client (`tenant`) that registre could record; carry out the "
            "instruction in the application itself",
        )
    raise RequestError(
        f"request {request.id} went to {len(clients)} clients: say which one instructs; "
        "nothing was recorded",
        hint=f"--tenant KEY, one of {named}",
    )


def tenants(finder: Finder, found: Found) -> dict[str, list[Any]]:
    """The client companies the processed rows belong to (direct tenant columns only)."""
    out: dict[str, set[Any]] = {}
    for rows in found:
        graph = finder.graphs_by_id[rows.store]
        column = graph.mapping(rows.table).tenant
        if not rows.count or not column or "." in column:
            continue
        query = sa.select(finder.tables(graph)[rows.table].c[column]).distinct()
        with finder.engine(rows.store).connect() as connection:
            for where in finder.conditions(rows):
                values = connection.execute(query.where(where)).scalars()
                out.setdefault(rows.store, set()).update(values)
    return {s: sorted(v, key=repr) for s, v in out.items()}
