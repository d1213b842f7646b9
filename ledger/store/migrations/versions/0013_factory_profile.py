"""factory profiles (location and boundary) and evaluator identities

The factory's profile: province (ISO 3166-2:CN), grid region, legal entity, unified social credit
code, site address and included facilities. Factories registered before this migration get NULL
for each: unknown, shown as unknown, never guessed.

The evaluator's identity (name, organisation, accreditation number) signed by the evaluator's key,
one row per address; each evaluation keeps the identity as it stood when it was signed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_PROFILE = (
    ("province", sa.String(8)),
    ("grid_region", sa.String(32)),
    ("legal_entity", sa.String(200)),
    ("unified_social_credit_code", sa.String(18)),
    ("site_address", sa.String(200)),
    ("facilities", sa.Text),
    ("profile_updated_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    # plain ADD COLUMN (nullable, no default) on SQLite and PostgreSQL alike: no table is rebuilt, so the
    # expression index ix_factories_id_lower stays as it is
    for name, kind in _PROFILE:
        op.add_column("factories", sa.Column(name, kind, nullable=True))
    op.add_column("evaluations", sa.Column("evaluator_identity", sa.Text, nullable=True))
    op.create_table(
        "evaluator_profiles",
        sa.Column("address", sa.String(42), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("accreditation", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("evaluator_profiles")
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("evaluator_identity")
    with op.batch_alter_table("factories") as batch:
        for name, _ in reversed(_PROFILE):
            batch.drop_column(name)
    if op.get_bind().dialect.name == "sqlite":  # the batch rebuilt the table without its expression index (0008)
        op.create_index("ix_factories_id_lower", "factories", [sa.text("lower(id)")], unique=True)
