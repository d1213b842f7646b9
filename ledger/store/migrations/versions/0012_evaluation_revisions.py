"""evaluations.revisions: the revision each report used for each month

A report is stale once the chain holds a newer revision of a month it used (or a first one of a month
it lacked). The revisions it used are in its JSON, which for a big year is megabytes; they are kept
beside it too, so the evaluations list can say which reports are stale without reading every report.
Rows stored before this migration keep NULL and are read from their JSON.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("revisions", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("revisions")
