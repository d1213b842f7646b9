"""matching_allocations: a matching run's every piece and its allocation, kept so proofs need no re-run

A matching run (issue 17, hourly 24/7 matching) is an evaluation row of report_type "H" whose document
names the Merkle root of its allocation leaves. A proof for one unit's hour needs every leaf to
rebuild the tree; recomputing them means re-reading a year of interval data and re-running the engine,
and would give a different tree if a rule file changed since. So the allocation arrays are kept
(``np.savez_compressed``: ~10^5 pieces a year of GEC compress to a few hundred KiB) beside the claims
the run read, with the leaf count and root to check them against before a proof is served.

Generation profiles are records of kind ``renewable_generation`` in any factory's batch (an attestor
site signs them), found by their ``source_id`` across factories: the index on records (kind,
source_id) finds them without reading every record.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matching_allocations",
        sa.Column(
            "evaluation_id", sa.String(36), sa.ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("arrays", sa.LargeBinary(), nullable=False),
        sa.Column("claims", sa.Text(), nullable=False),
        sa.Column("leaf_count", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(66), nullable=False),
    )
    op.create_index("ix_records_kind_source", "records", ["kind", "source_id"])


def downgrade() -> None:
    op.drop_index("ix_records_kind_source", table_name="records")
    op.drop_table("matching_allocations")
