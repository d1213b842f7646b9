"""evaluation reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("factory_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("report_type", sa.String(2), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("report_hash", sa.String(66), nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("evaluator", sa.String(42)),
        sa.Column("signature", sa.Text),
        sa.Column("report_id", sa.Integer),
        sa.Column("tx_hash", sa.String(66)),
        sa.Column("block_number", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_evaluations_factory_id", "evaluations", ["factory_id"])


def downgrade() -> None:
    op.drop_table("evaluations")
