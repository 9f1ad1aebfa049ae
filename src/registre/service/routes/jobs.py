"""Jobs: the queue as operators see it; sweeps queued on demand; one-time download links.

``POST /requests/{id}/execute`` and ``POST /sweeps`` answer at once (202) with the job; its
state is then read at ``GET /jobs/{id}``. A mail that could not go out yet is a queued job with
its attempts and last error, visible here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from registre.service.access import Principal
from registre.service.auth import READERS, WORKERS, requires, service
from registre.service.errors import InvalidInput
from registre.service.jobs import downloads
from registre.service.runtime import Service
from registre.service.schemas import JobOut, JobPage

router = APIRouter(tags=["jobs"])

JobState = Literal["queued", "running", "done", "failed"]


class SweepOrder(BaseModel):
    store: str = Field(description="The store to sweep.")
    batch_size: int = Field(5_000, ge=1, le=1_000_000)


@router.get("/api/v1/jobs", response_model=JobPage)
def list_jobs(
    state: JobState | None = None,
    kind: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> dict[str, Any]:
    """The jobs, the newest first; filtered by state and kind, one page at a time."""
    total, jobs = running.jobs.queue.list(state=state, kind=kind, limit=limit, offset=offset)
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [job.as_json() for job in jobs],
    }


@router.get("/api/v1/jobs/{job_id}", response_model=JobOut)
def show_job(
    job_id: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> dict[str, Any]:
    """A job: its state, attempts, result or last error."""
    return running.jobs.queue.get(job_id).as_json()


@router.post("/api/v1/sweeps", status_code=202, response_model=JobOut)
def queue_sweep(
    body: SweepOrder,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Sweep a store now, as a job: what is due at this instant is deleted or anonymized."""
    from registre.state.db import utcnow

    if body.store not in running.register.stores:
        raise InvalidInput(
            f"the register has no store {body.store}",
            hint=f"its stores: {', '.join(sorted(running.register.stores))}",
            field="store",
        )
    at: datetime = utcnow()
    job = running.jobs.submit(
        "sweep",
        {"store": body.store, "at": at.isoformat(), "batch_size": body.batch_size},
        actor=who.actor,
    )
    return job.as_json()


@router.get("/api/v1/public/downloads/{token}", response_class=FileResponse)
def download(token: str, request: Request, running: Service = Depends(service)) -> FileResponse:
    """The export package behind a link mailed to the person; the link works once."""
    source = request.client.host if request.client else "unknown"
    found = downloads.use(running.state.engine, token, source)
    running.state.audit.append(
        "request.export.downloaded",
        details={"path": str(found.path), "from": source},
        actor="public",
        request_id=found.request_id,
    )
    return FileResponse(found.path, media_type="application/zip", filename=found.path.name)
