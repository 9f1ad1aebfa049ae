"""What the API answers, as Pydantic models: the OpenAPI document describes each answer.

The routes still build plain dicts from the library's ``as_json()``; these models only describe
(and check) them. Each allows fields beyond those it names (``extra="allow"``), so that a field
the library adds reaches the caller before the model names it, and the document stays true:
an object may hold more than it lists.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- holds ------------------------------------------------------------------------------------


class HoldOut(Answer):
    id: int
    kind: Literal["record", "person"] = Field(
        description="On one record (store, table, key), or on a person (identity)."
    )
    reason: str
    store: str | None
    table: str | None
    key: str | None
    identity: dict[str, str] | None = Field(description="The person held, when on a person.")
    until: str | None = Field(description="Last day of the hold (ISO date), or none: open-ended.")
    placed_at: str | None
    placed_by: str
    released_at: str | None
    released_by: str | None
    release_reason: str | None


# -- jobs -------------------------------------------------------------------------------------


class JobOut(Answer):
    id: str
    kind: str = Field(
        description="request.execute, sweep, mail.code, mail.letter, mail.forward, "
        "exports.purge, reminders..."
    )
    arguments: dict[str, Any] = Field(description="Never a one-time code.")
    state: Literal["queued", "running", "done", "failed"]
    attempts: int
    max_attempts: int
    next_attempt: str | None = Field(description="When a queued job is tried next.")
    worker: str | None
    result: dict[str, Any] | None
    error: str | None = Field(description="The last attempt's error, while retried or failed.")
    created_at: str
    created_by: str
    started_at: str | None
    finished_at: str | None


class JobPage(Answer):
    total: int
    limit: int
    offset: int
    items: list[JobOut]


# -- sweep runs -------------------------------------------------------------------------------


class SweepRunListed(Answer):
    id: int
    status: str = Field(description="running, done or failed.")
    at: str | None = Field(description="The instant the cut-offs were computed from.")
    started_at: str | None
    finished_at: str | None
    register_version: str | None
    stores: list[str]
    changed: int | None = Field(description="Rows changed, once the run ended.")
    error: str | None


class SweepRunPage(Answer):
    total: int
    limit: int
    offset: int
    items: list[SweepRunListed]


class RuleResult(Answer):
    key: str | None = Field(None, description="The rule (its store, table and rule).")
    status: str
    changed: int | None = None


class SweepRunOut(Answer):
    id: int
    kind: str
    status: str
    register_version: str | None
    register_digest: str | None
    at: str | None
    started_at: str | None
    finished_at: str | None
    options: dict[str, Any]
    summary: dict[str, Any] | None
    progress: dict[str, Any]
    rules: list[RuleResult] = Field(
        description="Each rule's result (changed, held, restricted, blocked, batches) once the "
        "run ended; its progress while it runs."
    )


# -- consent ----------------------------------------------------------------------------------


class NoticeOut(Answer):
    version: str | None
    sha256: str | None


class ConsentRecordOut(Answer):
    consent: str = Field(description="The record's id.")
    person: str = Field(description="The digest of the person's identity, never the identity.")
    purpose: str = Field(description="An activity, or a cookie category.")
    decision: str = Field(description="given, refused or withdrawn.")
    at: str
    method: str
    controller: str | None
    notice: NoticeOut
    expires_at: str | None
    replaces: str | None
    note: str | None
    audit_seq: int
    request: str | None = Field(description="The erasure request a withdrawal opened, if any.")


class ChoiceRecorded(Answer):
    consent_id: str
    recorded: list[ConsentRecordOut]
