"""Who may use the service: the caller, console users and API tokens (dpo only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from registre.service.access import Principal, Role
from registre.service.auth import MANAGERS, READERS, requires, service
from registre.service.routes.params import RowId
from registre.service.runtime import Service

router = APIRouter(prefix="/api/v1", tags=["access"])


class AddUser(BaseModel):
    name: str
    role: Role
    password: str = Field(description="At least 12 characters; kept as an argon2id hash.")


class CreateToken(BaseModel):
    name: str
    role: Role
    expires_at: datetime | None = Field(None, description="Aware instant; never by default.")


@router.get("/me")
def me(who: Principal = Depends(requires(*READERS))) -> dict[str, Any]:
    """Who the credentials sent are, and their role."""
    return {"kind": who.kind, "name": who.name, "role": who.role, "actor": who.actor}


@router.get("/users")
def list_users(
    running: Service = Depends(service), who: Principal = Depends(requires(*MANAGERS))
) -> list[dict[str, Any]]:
    return [user.as_json() for user in running.access.users()]


@router.post("/users", status_code=201)
def add_user(
    body: AddUser,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*MANAGERS)),
) -> dict[str, Any]:
    return running.access.add_user(body.name, body.role, body.password, actor=who.actor).as_json()


@router.delete("/users/{name}")
def remove_user(
    name: str, running: Service = Depends(service), who: Principal = Depends(requires(*MANAGERS))
) -> dict[str, Any]:
    return running.access.remove_user(name, actor=who.actor).as_json()


@router.get("/tokens")
def list_tokens(
    running: Service = Depends(service), who: Principal = Depends(requires(*MANAGERS))
) -> list[dict[str, Any]]:
    return [token.as_json() for token in running.access.tokens()]


@router.post("/tokens", status_code=201)
def create_token(
    body: CreateToken,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*MANAGERS)),
) -> dict[str, Any]:
    """A new token; ``token`` is shown in this answer only, and kept as its sha256."""
    token, secret = running.access.create_token(
        body.name, body.role, actor=who.actor, expires_at=body.expires_at
    )
    return {**token.as_json(), "token": secret}


@router.delete("/tokens/{token_id}")
def revoke_token(
    token_id: RowId,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*MANAGERS)),
) -> dict[str, Any]:
    return running.access.revoke_token(token_id, actor=who.actor).as_json()
