"""``/health`` (the process answers) and ``/ready`` (the state answers, the register is loaded)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from registre.service.auth import service
from registre.service.runtime import Service, ready

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """The process is up. Cheap: for a load balancer's liveness probe."""
    return {"status": "ok"}


@router.get("/ready")
def readiness(running: Service = Depends(service)) -> dict[str, Any]:
    """The state database answers and the register is loaded; a 503 in the error shape if not."""
    return ready(running)
