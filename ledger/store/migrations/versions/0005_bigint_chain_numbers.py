"""chain numbers (block numbers, timestamps, on-chain ids) as 64-bit integers

SQLite's INTEGER always held 64 bits; PostgreSQL's is 32 bits, too small for a block timestamp after
2038 or a block number or id past 2**31 - 1.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = {
    "factories": ["registered_block"],
    "batches": ["block_number", "anchored_at"],
    "claims": ["claim_id", "block_number"],
    "evaluations": ["report_id", "block_number"],
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.BigInteger, existing_type=sa.Integer, existing_nullable=True)


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.Integer, existing_type=sa.BigInteger, existing_nullable=True)
