"""SQL for the batches' persisted Merkle trees: one row per batch, written beside its records."""

from __future__ import annotations

from sqlalchemy import Row, delete, insert, select
from sqlalchemy.orm import Session

from ledger.store.models import BatchTreeRow


def save(session: Session, batch_id: str, nodes: bytes, positions: bytes, digest: str) -> None:
    """The batch's tree, replacing any row it had (a damaged one, when the tree was rebuilt)."""
    session.execute(delete(BatchTreeRow).where(BatchTreeRow.batch_id == batch_id))
    session.execute(
        insert(BatchTreeRow), {"batch_id": batch_id, "nodes": nodes, "positions": positions, "digest": digest}
    )


def load(session: Session, batch_id: str) -> Row[bytes, bytes, str] | None:
    """``(nodes, positions, digest)`` of the batch's tree, or None when it has none."""
    query = select(BatchTreeRow.nodes, BatchTreeRow.positions, BatchTreeRow.digest)
    return session.execute(query.where(BatchTreeRow.batch_id == batch_id)).one_or_none()
