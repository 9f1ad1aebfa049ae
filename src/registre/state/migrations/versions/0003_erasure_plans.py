"""Erasure plans numbered within their request: a request answered for our part and forwarded
for the rest may later be carried out on the client's instruction, with a plan of its own.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plans stored before this revision are each their request's first, numbered 0
    op.add_column(
        "registre_erasure_step",
        sa.Column("plan", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("registre_erasure_step") as batch:
        batch.drop_column("plan")
