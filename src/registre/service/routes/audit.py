"""The audit trail: read it, verify its chain."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import APIRouter, Depends, Query

from registre.service.access import Principal
from registre.service.auth import READERS, requires, service
from registre.service.routes.params import Seq
from registre.service.runtime import Service

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("")
def audit_log(
    since: Seq = 0,
    action: str | None = Query(None, description="Only actions starting with this prefix."),
    request_id: str | None = Query(None, description="Only entries about this request."),
    limit: int = Query(100, ge=1, le=1000),
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> dict[str, Any]:
    """Entries oldest first, a page of ``limit`` after ``since``; ``next`` is the next ``since``."""
    entries = running.state.audit.entries(since_seq=since, action_prefix=action)
    if request_id is not None:
        entries = (e for e in entries if e.request_id == request_id)
    page = list(itertools.islice(entries, limit))
    return {
        "items": [entry.as_json() for entry in page],
        "next": page[-1].seq if len(page) == limit else None,
    }


@router.get("/verify")
def audit_verify(
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> dict[str, Any]:
    """Check that no entry was altered, reordered, inserted or removed; the head to publish."""
    problems = running.state.audit.verify()
    head = running.state.audit.head()
    return {
        "intact": not problems,
        "problems": [str(problem) for problem in problems],
        "entries": head[0] if head else 0,
        "head": head[1] if head else None,
    }
