"""the factory's source register

One JSON column on factories: per source_id the declared measurement method (metered,
utility-attested, load-profile, estimated), meter, days in service and who declared it, with the
register's version and time (ledger/accounting/source_register.py). Factories before this migration
get NULL: nothing declared, every source "undeclared", never taken as metered.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain nullable ADD COLUMN: no table rebuilt, the expression index ix_factories_id_lower stays
    op.add_column("factories", sa.Column("source_register", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("factories") as batch:
        batch.drop_column("source_register")
    if op.get_bind().dialect.name == "sqlite":  # the batch rebuilt the table without its expression index (0008)
        op.create_index("ix_factories_id_lower", "factories", [sa.text("lower(id)")], unique=True)
