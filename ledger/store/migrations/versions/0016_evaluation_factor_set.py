"""evaluations.factor_set: the factor set each report was computed with, as ``id@version``

The evaluations list shows it with the date, so that several drafts of one year can be told apart.
The report's JSON is megabytes for a big year, so it is kept beside it, like the revisions (0012)
and the level's confirmation (0014). Rows stored before this migration keep NULL and are read from
their JSON.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("evaluations", sa.Column("factor_set", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("factor_set")
