"""Rate limits of the service (issue 15): filings and console sign-ins, counted per key.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "registre_throttle",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("bucket", sa.String(64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_registre_throttle_bucket", "registre_throttle", ["bucket", "at"])
    op.create_index("ix_registre_throttle_at", "registre_throttle", ["at"])


def downgrade() -> None:
    op.drop_index("ix_registre_throttle_at", table_name="registre_throttle")
    op.drop_index("ix_registre_throttle_bucket", table_name="registre_throttle")
    op.drop_table("registre_throttle")
