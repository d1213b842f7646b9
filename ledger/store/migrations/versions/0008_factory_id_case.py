"""factories: ids unique case-insensitively (a unique index on lower(id))

``CN-JS-SZ-0001`` and ``cn-js-sz-0001`` would be two factories to the service and to the chain, yet
one to every reader. The service refuses the second (409 naming the first); this index is the
backstop for two registrations racing. A database that already holds two such ids cannot take the
index: the upgrade stops and names them, for the operator to decide which is the real one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    clashes = (
        op.get_bind()
        .execute(sa.text("SELECT lower(id), count(*) FROM factories GROUP BY lower(id) HAVING count(*) > 1"))
        .all()
    )
    if clashes:
        names = ", ".join(row[0] for row in clashes)
        raise RuntimeError(f"factory ids that differ only in case are registered ({names}); keep one of each first")
    op.create_index("ix_factories_id_lower", "factories", [sa.text("lower(id)")], unique=True)


def downgrade() -> None:
    op.drop_index("ix_factories_id_lower", table_name="factories")
