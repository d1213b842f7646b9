"""chain_claims: an index by block and status, for the buyers' lookup of revoked claims

A lookup shows the revoked claims over the units it asks about, from the claim index (the chain's
walk shows live claims only). Found through the block's serial index, a range near the end of a
block of 10^5 claims read every claim before it (60 ms on SQLite); by block and status it reads the
block's few revoked claims.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_chain_claims_block_status", "chain_claims", ["registry", "block_id", "status", "serial_start"])


def downgrade() -> None:
    op.drop_index("ix_chain_claims_block_status", table_name="chain_claims")
