"""Command: worker (a Celery worker running the service's jobs; see docs/service.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from registre.cli.application import app, err


@app.command()
def worker(
    register: Annotated[
        Path | None,
        typer.Option(
            "--register",
            show_default=False,
            help="The register.yaml (or folder) [default: $REGISTRE_REGISTER, or the settings "
            "file's register].",
        ),
    ] = None,
    settings_file: Annotated[
        Path | None,
        typer.Option(
            "--settings",
            show_default=False,
            help="A TOML settings file (docs/service.md) [default: $REGISTRE_SETTINGS].",
        ),
    ] = None,
    state_url: Annotated[
        str | None,
        typer.Option(
            "--state-url",
            show_default=False,
            help="The state database [default: $REGISTRE_STATE_URL, else found from the register].",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Jobs run at once.")
    ] = 2,
    name: Annotated[
        str | None,
        typer.Option("--name", show_default=False, help="The worker's name [celery@HOST]."),
    ] = None,
) -> None:
    """Run the service's jobs from the Celery broker (jobs_backend = "celery") until stopped."""
    from registre.service import load_settings, open_service
    from registre.service.errors import SettingsError
    from registre.service.jobs import celery_app

    settings = load_settings(settings_file, register=register, state_url=state_url)
    if settings.jobs_backend != "celery":
        raise SettingsError(
            "registre worker runs Celery jobs, and jobs_backend is in-process: `registre serve` "
            "runs the jobs itself",
            hint='set jobs_backend = "celery" and jobs_broker_url (REGISTRE_JOBS_BACKEND, '
            "REGISTRE_JOBS_BROKER_URL)",
        )
    service = open_service(settings)
    for note in service.notes:
        err.print(f"[yellow]note:[/yellow] {escape(note)}")
    err.print(
        f"registre worker: register {escape(str(settings.register))}, state "
        f"{escape(service.state.url)}, queue {escape(settings.jobs_queue)}, "
        f"{concurrency} thread(s)"
    )
    try:
        celery_app.serve(service, concurrency, name)
    finally:
        service.close()
