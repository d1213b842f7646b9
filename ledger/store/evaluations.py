"""SQL for evaluation reports: the draft, its signature while it is relayed, and its anchor."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from ledger.store import tracking
from ledger.store.models import EvaluationRow

DRAFT, PENDING, ANCHORED = "draft", "pending", "anchored"
LEVEL_TYPES = ("I", "II")
"""Report types that evaluate a level; an hourly matching run is stored beside them as type "H"."""


def add(session: Session, row: EvaluationRow) -> None:
    session.add(row)


def get(session: Session, evaluation_id: str) -> EvaluationRow | None:
    return session.get(EvaluationRow, evaluation_id)


def list_for(session: Session, factory_id: str) -> Sequence[EvaluationRow]:
    """The factory's reports, oldest first; each report's JSON (megabytes for a big year) is read only
    if asked for, within the session."""
    query = select(EvaluationRow).where(EvaluationRow.factory_id == factory_id).options(defer(EvaluationRow.report))
    return session.scalars(query.order_by(EvaluationRow.created_at)).all()


def latest_id(session: Session, factory_id: str) -> str | None:
    """The id of the factory's newest evaluation report (not a matching run), or None (no report is loaded)."""
    query = select(EvaluationRow.id).where(
        EvaluationRow.factory_id == factory_id, EvaluationRow.report_type.in_(LEVEL_TYPES)
    )
    return session.scalars(query.order_by(EvaluationRow.created_at.desc()).limit(1)).first()


def pending(session: Session) -> Sequence[EvaluationRow]:
    query = select(EvaluationRow).where(EvaluationRow.status == PENDING)
    return session.scalars(query.order_by(EvaluationRow.created_at)).all()


def mark_pending(
    session: Session, evaluation_id: str, evaluator: str, signature: str, identity: str | None = None
) -> None:
    """The signed report is about to be relayed: its signature is kept, so a crash loses nothing;
    ``identity`` is the evaluator's signed profile (JSON) as it stands now."""
    row = session.get(EvaluationRow, evaluation_id)
    assert row is not None
    row.status, row.evaluator, row.signature = PENDING, evaluator, signature
    row.evaluator_identity = identity


def mark_anchored(
    session: Session, evaluation_id: str, report_id: int, tx_hash: str | None, block: int, final: bool
) -> None:
    row = session.get(EvaluationRow, evaluation_id)
    assert row is not None
    tracking.mark_confirmed(row, ANCHORED, tx_hash, block, final)
    row.report_id = report_id


def back_to_draft(session: Session, evaluation_id: str, reason: str) -> None:
    """The chain refused the signed report: it is a draft again, to be signed anew (the reason kept)."""
    row = session.get(EvaluationRow, evaluation_id)
    if row is not None:
        row.status, row.evaluator, row.signature, row.reason = DRAFT, None, None, reason
        row.evaluator_identity = None
        row.tx_hash, row.tx_nonce, row.tx_sent_at = None, None, None
