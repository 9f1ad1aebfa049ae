"""Parameters several routes share, bounded so that a number no column can hold is a 422.

An id beyond what the state's ``INTEGER`` columns hold (2**31 - 1 on PostgreSQL and MariaDB)
would otherwise reach the database and fail there, as a 500.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

INTEGER_MAX = 2**31 - 1
"""The largest value of a 32-bit ``INTEGER`` column: the ids of holds, tokens, runs."""
BIGINT_MAX = 2**63 - 1
"""The largest value of a ``BIGINT`` column: the audit trail's sequence numbers."""

RowId = Annotated[int, Path(ge=1, le=INTEGER_MAX)]
"""The id of a row of the state: a hold, a token, a run."""
Seq = Annotated[int, Query(ge=0, le=BIGINT_MAX, description="Only entries after this seq.")]
