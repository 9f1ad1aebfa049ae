"""Initial state schema: audit trail and its head, legal holds, runs and their progress.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Naive UTC to the microsecond everywhere: the audit hashes cover the microseconds, which
# MySQL/MariaDB drop unless asked for them.
TIMESTAMP = sa.DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

# The hash the first audit entry is chained to.
GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "registre_audit_entry",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("request_id", sa.String(200), nullable=True),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_registre_audit_entry_action", "registre_audit_entry", ["action"])
    op.create_index("ix_registre_audit_entry_run_id", "registre_audit_entry", ["run_id"])
    op.create_index("ix_registre_audit_entry_request_id", "registre_audit_entry", ["request_id"])

    head = op.create_table(
        "registre_audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])

    op.create_table(
        "registre_legal_hold",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("store", sa.String(200), nullable=True),
        sa.Column("table_name", sa.String(200), nullable=True),
        sa.Column("record_key", sa.String(500), nullable=True),
        sa.Column("identity", sa.Text, nullable=True),
        sa.Column("until", sa.Date, nullable=True),
        sa.Column("placed_at", TIMESTAMP, nullable=False),
        sa.Column("placed_by", sa.String(200), nullable=False),
        sa.Column("released_at", TIMESTAMP, nullable=True),
        sa.Column("released_by", sa.String(200), nullable=True),
        sa.Column("release_reason", sa.Text, nullable=True),
    )

    op.create_table(
        "registre_run",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("register_version", sa.String(100), nullable=False),
        sa.Column("register_digest", sa.String(64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=True),
    )
    op.create_index("ix_registre_run_kind", "registre_run", ["kind"])

    op.create_table(
        "registre_run_progress",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("registre_run.id"), primary_key=True, nullable=False
        ),
        sa.Column("key", sa.String(300), primary_key=True, nullable=False),
        sa.Column("done", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("registre_run_progress")
    op.drop_table("registre_run")
    op.drop_table("registre_legal_hold")
    op.drop_table("registre_audit_head")
    op.drop_table("registre_audit_entry")
