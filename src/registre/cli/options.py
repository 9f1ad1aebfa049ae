"""Command-line options shared by several command groups, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

Url = Annotated[
    str | None,
    typer.Option(
        "--url",
        show_default=False,
        help="Database URL of the store, in place of its url_env variable "
        "(registers with a single store).",
    ),
]
StateUrl = Annotated[
    str | None,
    typer.Option(
        "--state-url",
        show_default=False,
        help="SQLAlchemy URL of registre's state database "
        "[default: $REGISTRE_STATE_URL, else sqlite:///registre-state.sqlite]",
    ),
]
