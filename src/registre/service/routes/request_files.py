"""A request's letters and packages, as the desk wrote them in its folder (``OUT/REQUEST/``).

Letters (to the person, to a controller: ``NAME-LANG.html``) are read by every reader, as the
CLI's operator reads them on disk. Packages (the person's export, the data forwarded to a
controller and its summary) hold the personal data itself: only operators and the DPO may
download one, and each download is in the audit trail with who made it. Files are found by the
names registre gives them (:mod:`registre.requests.pending_files`), never by a path the caller
sends: a temporary file still being written, or any other file, is not served.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, HTMLResponse

from registre.requests.pending_files import PACKAGE_NAME
from registre.service.access import Principal
from registre.service.auth import READERS, WORKERS, requires, service
from registre.service.errors import NotFound
from registre.service.routes.requests import exists
from registre.service.runtime import Service

router = APIRouter(prefix="/api/v1/requests", tags=["requests"])

LETTER_NAME = re.compile(r"(?P<name>[a-z0-9-]+)-(?P<lang>[a-z]{2})\.html")
"""A letter as :meth:`RequestDesk.write_letter` names it."""
SUMMARY_NAME = "forward.json"
"""What went to the controllers, for them; with the packages: it names the person."""


def _folder(running: Service, request_id: str) -> Path:
    exists(running, request_id)
    return running.desk.out_dir / request_id


def _letters(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and LETTER_NAME.fullmatch(p.name))


def _packages(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and (PACKAGE_NAME.fullmatch(p.name) or p.name == SUMMARY_NAME)
    )


def _named(found: list[Path], name: str, what: str, request_id: str) -> Path:
    for path in found:
        if path.name == name:
            return path
    names = ", ".join(p.name for p in found) or "none yet"
    raise NotFound(
        f"request {request_id} has no {what} {name!r}",
        hint=f"its {what}s: {names} (GET /api/v1/requests/{request_id}/{what}s)",
    )


@router.get("/{request_id}/letters")
def list_letters(
    request_id: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> list[dict[str, Any]]:
    """The letters written for a request: to the person, to the controllers, oldest first."""
    folder = _folder(running, request_id)
    listed = []
    for path in _letters(folder):
        parts = LETTER_NAME.fullmatch(path.name)
        assert parts is not None
        stat = path.stat()
        listed.append(
            {
                "name": path.name,
                "letter": parts["name"],
                "lang": parts["lang"],
                "size": stat.st_size,
                "url": f"/api/v1/requests/{request_id}/letters/{path.name}",
                "_at": stat.st_mtime,
            }
        )
    listed.sort(key=lambda item: (item.pop("_at"), item["name"]))
    return listed


@router.get(
    "/{request_id}/letters/{name}",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}},
)
def show_letter(
    request_id: str,
    name: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> HTMLResponse:
    """One letter, as HTML, as it was written (and mailed)."""
    path = _named(_letters(_folder(running, request_id)), name, "letter", request_id)
    return HTMLResponse(path.read_text(encoding="utf-8"))


@router.get("/{request_id}/packages")
def list_packages(
    request_id: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> list[dict[str, Any]]:
    """The packages of a request: the person's export, the data forwarded to controllers."""
    return [
        {
            "name": path.name,
            "size": path.stat().st_size,
            "url": f"/api/v1/requests/{request_id}/packages/{path.name}",
        }
        for path in _packages(_folder(running, request_id))
    ]


@router.get(
    "/{request_id}/packages/{name}",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}, "application/json": {}}}},
)
def download_package(
    request_id: str,
    name: str,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> FileResponse:
    """Download a package (operators and the DPO only: it holds the personal data); audited."""
    path = _named(_packages(_folder(running, request_id)), name, "package", request_id)
    running.state.audit.append(
        "request.package.downloaded",
        details={"package": path.name},
        actor=who.actor,
        request_id=request_id,
    )
    media = "application/json" if path.suffix == ".json" else "application/zip"
    return FileResponse(path, media_type=media, filename=path.name)
