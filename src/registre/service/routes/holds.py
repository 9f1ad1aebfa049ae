"""Legal holds: list, place (checked against the mapping and the data), release."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from registre.service.access import Principal
from registre.service.auth import READERS, WORKERS, requires, service
from registre.service.errors import Conflict, InvalidInput, NotFound
from registre.service.routes.params import RowId
from registre.service.runtime import Service
from registre.service.schemas import HoldOut
from registre.state.digests import normalize_identity

router = APIRouter(prefix="/api/v1/holds", tags=["holds"])


class PlaceHold(BaseModel):
    reason: str = Field(min_length=1, description="Why the data must be kept.")
    identity: dict[str, str] = Field(
        default_factory=dict, description="A person: KIND: VALUE, such as email: a@b.fr."
    )
    store: str | None = None
    table: str | None = None
    key: str | None = Field(None, description="A record: its store, table and primary key.")
    until: date | None = Field(None, description="The hold's last day.")


class Release(BaseModel):
    reason: str = Field(min_length=1)


@router.get("", response_model=list[HoldOut])
def list_holds(
    all: bool = False,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> list[dict[str, Any]]:
    """The holds in force; with ``all``, released and expired ones too."""
    holds = running.state.holds.all() if all else running.state.holds.active()
    return [hold.as_json() for hold in holds]


@router.post("", status_code=201, response_model=HoldOut)
def place_hold(
    body: PlaceHold,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Place a hold on a person or a record, checked first so that it protects something."""
    from registre.stores.hold_targets import person_identity, record_key

    record = (body.store, body.table, body.key)
    if body.identity and any(record):
        raise InvalidInput("hold either a person (identity) or a record (store, table, key)")
    if not body.identity and not all(record):
        raise InvalidInput(
            "give identity for a person, or all of store, table and key for a record"
        )
    try:
        person = normalize_identity(body.identity) if body.identity else None
        if body.store and body.table and body.key:
            key: str | None = record_key(
                running.register,
                body.store,
                body.table,
                body.key,
                url=running.settings.store_urls.get(body.store),
            )
        else:
            key = None
            assert person is not None
            urls = running.settings.store_urls
            person = person_identity(
                running.register, person, url=next(iter(urls.values())) if len(urls) == 1 else None
            )
        hold = running.state.holds.place(
            reason=body.reason,
            store=body.store,
            table=body.table,
            key=key,
            identity=person,
            until=body.until,
            actor=who.actor,
        )
    except ValueError as error:  # an empty identity value, a last day already past
        raise InvalidInput(str(error)) from None
    return hold.as_json()


@router.post("/{hold_id}/release", response_model=HoldOut)
def release_hold(
    hold_id: RowId,
    body: Release,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*WORKERS)),
) -> dict[str, Any]:
    """Release a hold: retention applies to the data again."""
    found = running.state.holds.get(hold_id)
    if found is None:
        raise NotFound(f"there is no legal hold {hold_id}", hint="GET /api/v1/holds lists them")
    if found.released_at is not None:
        raise Conflict(
            f"legal hold {hold_id} was already released by {found.released_by}",
            hint="GET /api/v1/holds?all=true shows it",
        )
    return running.state.holds.release(hold_id, reason=body.reason, actor=who.actor).as_json()
