"""claims: index (registry, block_id, serial_start) for the overlap pre-check

The pre-check asks for the newest confirmed claim of a block starting at or before a range's last
serial; with this index that is one seek instead of sorting the block's rows, so a check stays
sub-millisecond at a million claims. It replaces the (registry, block_id) index, which is its
prefix.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_claims_block_serial", "claims", ["registry", "block_id", "serial_start"])
    op.drop_index("ix_claims_block", table_name="claims")


def downgrade() -> None:
    op.create_index("ix_claims_block", "claims", ["registry", "block_id"])
    op.drop_index("ix_claims_block_serial", table_name="claims")
