"""factories, batches and records

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "factories",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("registered_tx", sa.String(66)),
        sa.Column("registered_block", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("factory_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("root", sa.String(66), nullable=False),
        sa.Column("leaf_count", sa.Integer, nullable=False),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("signer", sa.String(42), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tx_hash", sa.String(66)),
        sa.Column("block_number", sa.Integer),
        sa.Column("anchored_at", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("factory_id", "period", "revision", name="uq_batch_revision"),
    )
    op.create_index("ix_batches_factory_id", "batches", ["factory_id"])
    op.create_table(
        "records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("batch_id", sa.String(36), sa.ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("record_hash", sa.String(66), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("interval_start", sa.String(32), nullable=False),
        sa.Column("interval_end", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.UniqueConstraint("batch_id", "position", name="uq_record_position"),
    )
    op.create_index("ix_records_batch_id", "records", ["batch_id"])
    op.create_index("ix_records_record_hash", "records", ["record_hash"])


def downgrade() -> None:
    op.drop_table("records")
    op.drop_table("batches")
    op.drop_table("factories")
