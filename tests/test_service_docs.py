"""docs/service.md is a tested document: every setting and every endpoint is in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from registre.service.settings import ServiceSettings

DOC = (Path(__file__).resolve().parent.parent / "docs" / "service.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(ServiceSettings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"| `{name}` | `REGISTRE_{name.upper()}` |" in DOC


def test_every_endpoint_is_documented() -> None:
    from test_service_authz import MATRIX

    table = DOC[DOC.index("## Endpoints") : DOC.index("## Jobs")]
    missing = []
    for _, path in MATRIX:
        if path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"):
            continue
        short = re.sub(r"\{\w+\}", "{id}", path.removeprefix("/api/v1"))
        short = short.replace("/users/{id}", "/users/{name}")
        last = short.rsplit("/", 1)[-1]
        if short not in table and f"/{last}`" not in table:
            missing.append(path)
    assert missing == []
