"""chain tracking: the transaction in flight, finality, conflicts and refusals kept on every relayed row

A relayed row (batch, claim, report) now remembers its one transaction in flight (hash, nonce, when
sent) so that no second copy is sent while the first can still be mined; whether its anchor is final;
what the chain holds instead when it conflicts; and why the contract refused it. Rows are no longer
deleted, so a rejected batch that a new submission of its revision replaces moves aside: the
revision's unique key gains ``slot`` (empty for the row that speaks for the revision). A signed claim
is one row: its signature is unique, so two requests (or two instances) with the same claim share it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = {"batches": "anchored", "claims": "claimed", "evaluations": "anchored"}


def upgrade() -> None:
    for table, confirmed in TABLES.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("tx_nonce", sa.BigInteger(), nullable=True))
            batch.add_column(sa.Column("tx_sent_at", sa.DateTime(timezone=True), nullable=True))
            batch.add_column(sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.false()))
            batch.add_column(sa.Column("conflict", sa.Text(), nullable=True))
            batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        # confirmed before this migration: the watcher re-checks every one of them at start anyway
        op.execute(
            sa.text(f"UPDATE {table} SET final = :yes WHERE status = :confirmed").bindparams(
                yes=True, confirmed=confirmed
            )
        )
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("slot", sa.String(36), nullable=False, server_default=""))
        batch.drop_constraint("uq_batch_revision", type_="unique")
        batch.create_unique_constraint("uq_batch_revision", ["factory_id", "period", "revision", "slot"])
    with op.batch_alter_table("claims") as batch:
        batch.create_unique_constraint("uq_claim_signature", ["signature"])


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_constraint("uq_claim_signature", type_="unique")
    with op.batch_alter_table("batches") as batch:
        batch.drop_constraint("uq_batch_revision", type_="unique")
        batch.create_unique_constraint("uq_batch_revision", ["factory_id", "period", "revision"])
        batch.drop_column("slot")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for column in ("reason", "conflict", "final", "tx_sent_at", "tx_nonce"):
                batch.drop_column(column)
