"""Command: serve (the JSON API over the library; see docs/service.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from registre.cli.application import app, err

STARTED = time.perf_counter()


@app.command()
def serve(
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
    host: Annotated[
        str | None,
        typer.Option("--host", show_default=False, help="Address to listen on [127.0.0.1]."),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", show_default=False, help="Port [8000].")
    ] = None,
    state_url: Annotated[
        str | None,
        typer.Option(
            "--state-url",
            show_default=False,
            help="The state database [default: $REGISTRE_STATE_URL, else found from the register].",
        ),
    ] = None,
) -> None:
    """Serve the JSON API (/api/v1, /docs, /health, /ready) until interrupted."""
    import uvicorn

    from registre.service import create_app, load_settings

    settings = load_settings(
        settings_file, register=register, host=host, port=port, state_url=state_url
    )
    application = create_app(settings)
    service = application.state.service
    for note in service.notes:
        err.print(f"[yellow]note:[/yellow] {escape(note)}")
    err.print(
        f"registre serve: register {escape(str(settings.register))} "
        f"(version {escape(service.register.policy.version)}), state {escape(service.state.url)}, "
        f"opened in {service.started_in:.2f} s ({time.perf_counter() - STARTED:.2f} s since "
        f"launch); API on http://{settings.host}:{settings.port}/api/v1, docs at /docs"
    )
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")
