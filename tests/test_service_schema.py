# ruff: noqa: F811  (the fixtures imported from test_service_fixtures are used by name)
"""schemathesis against the OpenAPI document: every endpoint, called with an operator's token.

For each operation schemathesis generates requests from the document, valid ones and invalid
ones, a bounded number of each so that the module runs in CI in well under a minute. No answer
may be a 5xx (a caller's mistake is a 4xx saying what to fix), and none may break the schema
the document states for it. The service runs on a copy of the shop (a sweep may run), with a
real SMTP server, so that filing a request is not refused for want of one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from registre.service import create_app
from test_service_fixtures import (  # noqa: F401  (fixtures are used by name)
    Inbox,
    _no_settings_from_outside,
    bearer,
    service_over,
    shop_url,
    smtp,
)

EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 3}
"""Examples per operation and mode: under 450 calls over the whole API."""
SKIPPED: set[tuple[str, str]] = set()
"""Operations not generated: none."""


@pytest.fixture
def document(shop_url: str, tmp_path: Path, smtp: tuple[Inbox, int]) -> Iterator[Any]:
    _, port = smtp
    copy = tmp_path / "shop.sqlite"
    shutil.copy(shop_url.removeprefix("sqlite:///"), copy)
    running = service_over(
        f"sqlite:///{copy}",
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="privacy@boutique-lumen.example",
    )
    try:
        app = create_app(running)
        running.jobs.start()
        yield schemathesis.openapi.from_asgi("/openapi.json", app), bearer(running, "operator")
    finally:
        running.close()


def _short(error: Exception) -> str:
    """What failed and the call that shows it, without the traceback the service logged."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    return "\n".join(lines[:12])


def test_no_5xx_and_no_answer_that_breaks_the_schema(document: Any) -> None:
    schema, headers = document
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        operations += 1
        for mode, count in EXAMPLES.items():

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=count,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                response = case.call(headers=dict(headers))
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )

            try:
                check()
            except Unsatisfiable:
                pass  # nothing can be sent wrong: no parameter, or free strings only
            except Exception as error:  # every operation's failure, not only the first
                failures.append(f"{operation.label} ({mode.value}): {_short(error)}")
    assert failures == [], "\n\n".join(failures)
    assert operations >= 56
