"""Sweep runs, as the state recorded them: when, on which register, and what each rule did.

A sweep (``POST /api/v1/sweeps``, a schedule, ``registre sweep``) records a run with the
register version and digest it enforced and the instant it computed cut-offs from; when it
ends, its summary holds each rule's result (rows changed, held, restricted, blocked, its
batches). While it runs, each rule's progress counter says how far it got; an interrupted run
is marked failed by the sweep that resumes it (``resumed_by``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from registre.service.access import Principal
from registre.service.auth import READERS, requires, service
from registre.service.errors import NotFound
from registre.service.routes.params import RowId
from registre.service.runtime import Service
from registre.service.schemas import SweepRunOut, SweepRunPage
from registre.state.runs import Run

router = APIRouter(prefix="/api/v1/sweeps", tags=["sweeps"])


def _rules(found: Run) -> list[dict[str, Any]]:
    """Each rule's result: the summary's once the run ended, its progress while it runs."""
    items = (found.summary or {}).get("items")
    if items is not None:
        return [{"status": "done", **item} for item in items]
    return [
        {"key": key, "changed": done, "status": found.status}
        for key, done in sorted(found.progress.items())
    ]


def _listed(found: Run) -> dict[str, Any]:
    summary = found.summary or {}
    return {
        "id": found.id,
        "status": found.status,
        "at": found.as_json()["at"],
        "started_at": found.as_json()["started_at"],
        "finished_at": found.as_json()["finished_at"],
        "register_version": found.register_version,
        "stores": found.options.get("stores", []),
        "changed": summary.get("changed"),
        "error": summary.get("error"),
    }


@router.get("", response_model=SweepRunPage)
def list_runs(
    limit: int = Query(20, ge=1, le=500),
    offset: int = Query(0, ge=0),
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> dict[str, Any]:
    """The sweep runs, the newest first, one page at a time."""
    runs = running.state.runs
    return {
        "total": runs.count(kind="sweep"),
        "limit": limit,
        "offset": offset,
        "items": [_listed(r) for r in runs.list(limit, kind="sweep", offset=offset)],
    }


@router.get("/{run_id}", response_model=SweepRunOut)
def show_run(
    run_id: RowId,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> dict[str, Any]:
    """One sweep run: its register, options, summary and each rule's result."""
    found = running.state.runs.get(run_id)
    if found is None or found.kind != "sweep":
        raise NotFound(
            f"there is no sweep run {run_id}",
            hint="GET /api/v1/sweeps lists them",
            run_id=run_id,
        )
    return {**found.as_json(), "rules": _rules(found)}
