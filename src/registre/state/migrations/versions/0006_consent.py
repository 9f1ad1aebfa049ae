"""The consent ledger (issue 16): one row per decision, the identities it names.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "registre_consent",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("method", sa.String(30), nullable=False),
        sa.Column("controller", sa.String(300), nullable=False),
        sa.Column("notice_version", sa.String(100), nullable=True),
        sa.Column("notice_sha256", sa.String(64), nullable=True),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.Column("replaces", sa.String(32), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("identity", sa.Text, nullable=False),
        sa.Column("audit_seq", sa.BigInteger, nullable=False),
        sa.Column("request_id", sa.String(32), nullable=True),
    )
    op.create_index("ix_registre_consent_purpose", "registre_consent", ["purpose", "decision"])
    op.create_table(
        "registre_consent_identity",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("consent_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("value", sa.String(320), nullable=False),
    )
    op.create_index(
        "ix_registre_consent_identity_consent_id", "registre_consent_identity", ["consent_id"]
    )
    op.create_index(
        "ix_registre_consent_identity_value", "registre_consent_identity", ["kind", "value"]
    )


def downgrade() -> None:
    op.drop_index("ix_registre_consent_identity_value", table_name="registre_consent_identity")
    op.drop_index("ix_registre_consent_identity_consent_id", table_name="registre_consent_identity")
    op.drop_table("registre_consent_identity")
    op.drop_index("ix_registre_consent_purpose", table_name="registre_consent")
    op.drop_table("registre_consent")
