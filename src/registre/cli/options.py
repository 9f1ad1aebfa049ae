"""Command-line options shared by several command groups, declared once."""

from __future__ import annotations

from pathlib import Path
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
        help="SQLAlchemy URL of registre's state database [default: $REGISTRE_STATE_URL, "
        "else the register's state: setting, else registre-state.sqlite beside the register; "
        "never the current directory]",
    ),
]
StateRegister = Annotated[
    Path | None,
    typer.Option(
        "--register",
        envvar="REGISTRE_REGISTER",
        show_default=False,
        help="The register.yaml (or folder) whose state to use, found from its state: setting "
        "or beside it, unless --state-url or REGISTRE_STATE_URL names it.",
    ),
]
