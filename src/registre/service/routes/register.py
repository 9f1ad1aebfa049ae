"""The register: its version, its lint findings, the privacy policy it generates."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from registre.service.access import Principal
from registre.service.auth import READERS, requires, service
from registre.service.runtime import Service

router = APIRouter(prefix="/api/v1/register", tags=["register"])


@router.get("")
def register_version(
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> dict[str, Any]:
    """The register the service enforces: version, date, digest, languages, stores."""
    from registre.state import register_digest

    register = running.register
    return {
        "organization": register.organization.name,
        "version": register.policy.version,
        "date": register.policy.date.isoformat(),
        "digest": register_digest(register),
        "languages": list(register.policy.languages),
        "timezone": register.policy.timezone,
        "stores": sorted(register.stores),
    }


@router.get("/lint")
def register_lint(
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> list[dict[str, Any]]:
    """What a DPO would flag in the register, with the article it comes from."""
    from registre.lint import lint

    return [
        {
            "code": finding.code,
            "severity": finding.severity.value,
            "title": finding.rule.title,
            "message": finding.message,
            "reference": finding.reference,
            "location": list(finding.location),
        }
        for finding in lint(running.register)
    ]


@router.get(
    "/policy",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "text/markdown": {}}}},
)
def register_policy(
    lang: Literal["fr", "en"] = "fr",
    format: Literal["html", "markdown"] = "html",
    running: Service = Depends(service),
) -> Response:
    """The privacy policy, as ``registre policy`` writes it; public, like the policy itself."""
    from registre.documents import render_policy

    text = render_policy(running.register, lang, "html" if format == "html" else "md")
    if format == "html":
        return HTMLResponse(text)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")
