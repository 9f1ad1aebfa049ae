"""Data-subject requests: requests and their history, restrictions, objections, erasure plans,
exports.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registre_request",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("identity", sa.Text, nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("starts", sa.Date, nullable=False),
        sa.Column("first_due", sa.Date, nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("extended", sa.Boolean, nullable=False),
        sa.Column("extension_reason", sa.Text, nullable=True),
        sa.Column("identity_method", sa.Text, nullable=True),
        sa.Column("identity_doubt", sa.Text, nullable=True),
        sa.Column("refusal_reason", sa.Text, nullable=True),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=False), nullable=True),
    )
    op.create_index("ix_registre_request_state", "registre_request", ["state"])
    op.create_index("ix_registre_request_due", "registre_request", ["due"])

    op.create_table(
        "registre_request_event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("from_state", sa.String(30), nullable=True),
        sa.Column("to_state", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_registre_request_event_request_id", "registre_request_event", ["request_id"]
    )

    op.create_table(
        "registre_restriction",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("value", sa.String(320), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=False), nullable=True),
    )
    op.create_index("ix_registre_restriction_value", "registre_restriction", ["kind", "value"])

    op.create_table(
        "registre_objection",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("value", sa.String(320), nullable=False),
        sa.Column("activity_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=False), nullable=False),
    )
    op.create_index("ix_registre_objection_value", "registre_objection", ["kind", "value"])

    op.create_table(
        "registre_erasure_step",
        sa.Column("request_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("store", sa.String(64), nullable=False),
        sa.Column("table_name", sa.String(200), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("keys", sa.Text, nullable=False),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=False), nullable=True),
    )

    op.create_table(
        "registre_export",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=False), nullable=True),
    )
    op.create_index("ix_registre_export_request_id", "registre_export", ["request_id"])
    op.create_index("ix_registre_export_expires_at", "registre_export", ["expires_at"])


def downgrade() -> None:
    op.drop_table("registre_export")
    op.drop_table("registre_erasure_step")
    op.drop_table("registre_objection")
    op.drop_table("registre_restriction")
    op.drop_table("registre_request_event")
    op.drop_table("registre_request")
