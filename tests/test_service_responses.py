# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""The OpenAPI document describes what the newer routes answer, and the answers match it.

Holds, jobs, sweep runs and the consent ledger's records are described by the models of
:mod:`registre.service.schemas`: a client generated from the document knows their fields. The
schemathesis run (tests/test_service_schema.py) checks every answer against the document; here
the answers of a hold placed and released, a sweep and a banner's choice are read through the
models' fields.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    CAMILLE,
    _no_settings_from_outside,
    bearer,
    client,
    service,
    shop_url,
)

DESCRIBED = {
    ("get", "/api/v1/holds", "200"): "HoldOut",
    ("post", "/api/v1/holds", "201"): "HoldOut",
    ("post", "/api/v1/holds/{hold_id}/release", "200"): "HoldOut",
    ("get", "/api/v1/jobs", "200"): "JobPage",
    ("get", "/api/v1/jobs/{job_id}", "200"): "JobOut",
    ("post", "/api/v1/sweeps", "202"): "JobOut",
    ("get", "/api/v1/sweeps", "200"): "SweepRunPage",
    ("get", "/api/v1/sweeps/{run_id}", "200"): "SweepRunOut",
    ("post", "/api/v1/consent/choices", "201"): "ChoiceRecorded",
    ("get", "/api/v1/consent/choices/{consent_id}", "200"): "ConsentRecordOut",
}


def test_the_document_names_a_model_for_each_answer(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    for (method, path, status), model in DESCRIBED.items():
        schema = document["paths"][path][method]["responses"][status]["content"][
            "application/json"
        ]["schema"]
        assert model in str(schema), (method, path, schema)
        assert components[model]["properties"], model
    job = components["JobOut"]
    assert job["properties"]["state"]["enum"] == ["queued", "running", "done", "failed"]
    assert "code" not in job["properties"]  # a one-time code is never an answer's field


def test_answers_carry_the_fields_the_document_names(client: TestClient, service: Any) -> None:
    operator = bearer(service, "operator")
    components = client.get("/openapi.json").json()["components"]["schemas"]

    def named(model: str) -> set[str]:
        return set(components[model]["properties"])

    placed = client.post(
        "/api/v1/holds",
        json={"identity": {"email": CAMILLE}, "reason": "litigation 2026-17"},
        headers=operator,
    )
    assert placed.status_code == 201, placed.text
    assert named("HoldOut") <= set(placed.json()) and placed.json()["kind"] == "person"
    released = client.post(
        f"/api/v1/holds/{placed.json()['id']}/release",
        json={"reason": "settled"},
        headers=operator,
    )
    assert released.json()["release_reason"] == "settled"

    queued = client.post("/api/v1/sweeps", json={"store": "shop"}, headers=operator)
    assert queued.status_code == 202, queued.text
    assert named("JobOut") <= set(queued.json())
    page = client.get("/api/v1/jobs", headers=operator).json()
    assert named("JobPage") <= set(page) and all(named("JobOut") <= set(j) for j in page["items"])
    runs = client.get("/api/v1/sweeps", headers=operator).json()
    assert named("SweepRunPage") <= set(runs)
