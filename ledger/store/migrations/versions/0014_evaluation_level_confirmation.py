"""evaluations.level_confirmation: whether each report's level is confirmed, and why not

A level is confirmed only when its thresholds are the standard's and no material factor is
unconfirmed (``level_confirmed``, ``level_status`` and ``level_unconfirmed_because`` of the report's
evaluation). The evaluations list shows it; the report's JSON is megabytes for a big year, so those
three keys are kept beside it as JSON, like the revisions (0012). Rows stored before this migration
keep NULL and are read from their JSON.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("evaluations", sa.Column("level_confirmation", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("level_confirmation")
