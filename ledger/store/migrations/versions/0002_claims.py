"""retirement claims

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("claim_id", sa.Integer),
        sa.Column("factory_id", sa.String(64), nullable=False),
        sa.Column("registry", sa.String(32), nullable=False),
        sa.Column("block_id", sa.String(128), nullable=False),
        sa.Column("serial_start", sa.String(39), nullable=False),
        sa.Column("serial_end", sa.String(39), nullable=False),
        sa.Column("consumption_start", sa.String(7), nullable=False),
        sa.Column("consumption_end", sa.String(7), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("signer", sa.String(42), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tx_hash", sa.String(66)),
        sa.Column("block_number", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("claim_id", name="uq_claim_chain_id"),
    )
    op.create_index("ix_claims_block", "claims", ["registry", "block_id"])
    op.create_index("ix_claims_factory_id", "claims", ["factory_id"])


def downgrade() -> None:
    op.drop_table("claims")
