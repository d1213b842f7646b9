"""batch trees: each batch's Merkle tree kept beside its records

A batch page and a record's proof used to rebuild the batch's tree from every stored record hash (or
hold it in memory until a restart): at 10^5 records that is most of a page view. The tree built when
the batch is stored is now kept, one row per batch (nodes, positions and a digest of both); a batch
stored before this migration gets its row the first time its tree is needed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_trees",
        sa.Column("batch_id", sa.String(36), sa.ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("nodes", sa.LargeBinary(), nullable=False),
        sa.Column("positions", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("batch_trees")
