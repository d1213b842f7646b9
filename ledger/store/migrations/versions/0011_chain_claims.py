"""chain_claims: every claim on chain (whoever relayed it), and the followers' cursors

Claims on chain are kept per issuance block in serial order, and each claim or lookup names a
position hint (the live claim just before the serial). The service finds hints in this index,
which follows the contract's RetirementClaimed, ClaimConfirmed and ClaimRevoked events from the
cursor in ``chain_cursors``; it also says, for a claim relayed here, whether it is provisional,
confirmed or revoked.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_claims",
        sa.Column("claim_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("factory_id", sa.String(64), nullable=False),
        sa.Column("registry", sa.String(128), nullable=False),
        sa.Column("block_id", sa.String(128), nullable=False),
        sa.Column("serial_start", sa.String(39), nullable=False),
        sa.Column("serial_end", sa.String(39), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_block", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_chain_claims_block_serial", "chain_claims", ["registry", "block_id", "serial_start"])
    op.create_table(
        "chain_cursors",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("next_block", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chain_cursors")
    op.drop_index("ix_chain_claims_block_serial", table_name="chain_claims")
    op.drop_table("chain_claims")
