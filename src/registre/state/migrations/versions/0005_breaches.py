"""The register of breaches (Art. 33(5)): one row per breach, its record as JSON.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# a breach's counts per client and category outgrow MariaDB's TEXT (64 KB)
RECORD = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "registre_breach",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("aware_at", TIMESTAMP, nullable=False),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("record", RECORD, nullable=False),
    )
    op.create_index("ix_registre_breach_aware_at", "registre_breach", ["aware_at"])


def downgrade() -> None:
    op.drop_index("ix_registre_breach_aware_at", table_name="registre_breach")
    op.drop_table("registre_breach")
