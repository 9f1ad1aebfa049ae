"""The service's jobs (issue 14): the queue, the schedules' lock rows, one-time download links.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "registre_job",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("arguments", sa.Text, nullable=False),
        sa.Column("key", sa.String(200), nullable=True, unique=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt", TIMESTAMP, nullable=False),
        sa.Column("dispatched_at", TIMESTAMP, nullable=True),
        sa.Column("lease_until", TIMESTAMP, nullable=True),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_registre_job_state", "registre_job", ["state", "next_attempt"])
    op.create_table(
        "registre_schedule",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("last_occurrence", TIMESTAMP, nullable=False),
        sa.Column("fired_at", TIMESTAMP, nullable=False),
        sa.Column("job_id", sa.String(32), nullable=False),
    )
    op.create_table(
        "registre_download",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
        sa.Column("used_from", sa.String(100), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("registre_download")
    op.drop_table("registre_schedule")
    op.drop_index("ix_registre_job_state", table_name="registre_job")
    op.drop_table("registre_job")
