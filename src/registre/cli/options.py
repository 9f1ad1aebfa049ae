"""Command-line options shared by several command groups, declared once."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

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
RegisterOpt = Annotated[
    Path | None,
    typer.Option(
        "--register",
        envvar="REGISTRE_REGISTER",
        show_default=False,
        help="The register.yaml (or folder).",
    ),
]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        show_default=False,
        help="Act as of this instant: YYYY-MM-DD or YYYY-MM-DDTHH:MM, in the policy's "
        "time zone [default: now].",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
JsonLines = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]


def parse_instant(text: str | None, tz: ZoneInfo, option: str = "--at") -> datetime | None:
    """``YYYY-MM-DD`` (the start of that day) or ``YYYY-MM-DDTHH:MM`` in ``tz`` unless the
    text gives its offset; None for None. A usage error names ``option``."""
    if text is None:
        return None
    try:
        if len(text.strip()) == 10:
            return datetime.combine(date.fromisoformat(text.strip()), time(0), tzinfo=tz)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date; write 2026-11-01 or 2026-11-01T08:30", param_hint=option
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
