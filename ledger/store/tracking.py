"""SQL shared by every relayed table (batches, claims, evaluations): the transaction in flight, the
confirmed rows the watcher re-checks, conflicts and refusals. Nothing here deletes a row."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ledger.store.models import BatchRow, ClaimRow, EvaluationRow

Tracked = TypeVar("Tracked", BatchRow, ClaimRow, EvaluationRow)
CONFLICT = "conflict"


def record_tx(session: Session, model: type[Tracked], row_id: str, tx_hash: str | None, nonce: int | None) -> None:
    """The row's one transaction in flight (or none), written before the transaction is sent."""
    row = session.get(model, row_id)
    if row is not None:
        row.tx_hash, row.tx_nonce = tx_hash, nonce
        row.tx_sent_at = datetime.now(UTC) if tx_hash is not None else None


def mark_confirmed(
    row: BatchRow | ClaimRow | EvaluationRow, status: str, tx_hash: str | None, block: int | None, final: bool
) -> None:
    """The chain holds the row's content in ``block`` (by ``tx_hash``): nothing in flight, no conflict."""
    row.status, row.tx_hash, row.block_number, row.final = status, tx_hash, block, final
    row.tx_nonce, row.tx_sent_at, row.conflict, row.reason = None, None, None, None


def confirmed(
    session: Session, model: type[Tracked], status: str, *, recent_from: int | None, after: str | None, limit: int
) -> Sequence[Tracked]:
    """Confirmed rows in id order after ``after``: a page for the watcher. With ``recent_from``, only
    those not final or confirmed in that block or later."""
    query = select(model).where(model.status == status)
    if recent_from is not None:
        query = query.where(or_(model.final.is_(False), model.block_number >= recent_from))
    if after is not None:
        query = query.where(model.id > after)
    return session.scalars(query.order_by(model.id).limit(limit)).all()


def mark_conflict(session: Session, model: type[Tracked], row_id: str, what: dict[str, Any], message: str) -> None:
    """The chain holds other content in this row's place: keep the row, name the other side."""
    row = session.get(model, row_id)
    if row is not None:
        row.status, row.conflict, row.reason, row.final = CONFLICT, json.dumps(what, sort_keys=True), message, False


def reopen(session: Session, model: type[Tracked], row_id: str, pending: str) -> None:
    """The chain lost a confirmed row: pending again, its signed item to be sent anew (it may come
    back in another block, with another id)."""
    row = session.get(model, row_id)
    if row is None:
        return
    row.status, row.final, row.block_number = pending, False, None
    row.tx_hash, row.tx_nonce, row.tx_sent_at = None, None, None
    for chain_number in ("anchored_at", "claim_id", "report_id"):
        if hasattr(row, chain_number):
            setattr(row, chain_number, None)


def conflict_of(row: BatchRow | ClaimRow | EvaluationRow) -> dict[str, Any] | None:
    return json.loads(row.conflict) if row.conflict else None
