"""evidence citations: who cites each evidence file, under which name and media type

The evidence store takes only files that a stored batch or claim cites, and names them as the
citation does. This table records the citations; the upgrade fills it from what is already stored:
each batch's records' evidence (one row per distinct sha256 a batch cites, its first citation's
name and media type) and each claim's retirement statement (``evidence_sha256``). It reads only
records whose evidence list is not empty, batch by batch, and writes in chunks. Files stored before
this revision keep the name and media type they were uploaded with.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_CHUNK = 5000
# The claim's own words carry no file name or media type: as ledger.store.citations names them.
_STATEMENT_MEDIA_TYPE = "application/pdf"


def upgrade() -> None:
    citations = op.create_table(
        "evidence_citations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("batch_id", sa.String(36), sa.ForeignKey("batches.id", ondelete="CASCADE"), nullable=True),
        sa.Column("claim_id", sa.String(36), sa.ForeignKey("claims.id", ondelete="CASCADE"), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(255), nullable=False),
        sa.CheckConstraint("(batch_id IS NULL) <> (claim_id IS NULL)", name="ck_citation_one_citer"),
    )
    op.create_index("ix_evidence_citations_sha256", "evidence_citations", ["sha256"])
    bind = op.get_bind()
    pending: list[dict[str, Any]] = []

    def add(row: dict[str, Any]) -> None:
        pending.append(row)
        if len(pending) >= _CHUNK:
            bind.execute(citations.insert(), pending)
            pending.clear()

    records = bind.execute(
        sa.text(
            "SELECT r.batch_id, r.body FROM records r JOIN batches b ON b.id = r.batch_id "
            "WHERE r.body NOT LIKE '%\"evidence\": []%' ORDER BY b.created_at, b.id, r.position"
        ).execution_options(stream_results=True, yield_per=_CHUNK)
    )
    batch: str | None = None
    seen: set[str] = set()
    for batch_id, body in records:
        if batch_id != batch:
            batch, seen = batch_id, set()
        for ref in json.loads(body).get("evidence", []):
            if ref["sha256"] not in seen:
                seen.add(ref["sha256"])
                add({"sha256": ref["sha256"], "batch_id": batch_id, "claim_id": None,
                     "file_name": ref["file_name"], "media_type": ref["media_type"]})  # fmt: skip
    for claim_id, body in bind.execute(sa.text("SELECT id, body FROM claims ORDER BY created_at, id")):
        sha256 = str(json.loads(body)["evidence_sha256"]).lower().removeprefix("0x")
        add({"sha256": sha256, "batch_id": None, "claim_id": claim_id,
             "file_name": f"retirement-statement-{claim_id}.pdf", "media_type": _STATEMENT_MEDIA_TYPE})  # fmt: skip
    if pending:
        bind.execute(citations.insert(), pending)


def downgrade() -> None:
    op.drop_index("ix_evidence_citations_sha256", table_name="evidence_citations")
    op.drop_table("evidence_citations")
