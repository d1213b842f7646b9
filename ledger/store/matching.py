"""SQL for matching runs (issue 17): a run's stored allocation, and where generation profiles lie.

A run itself is an evaluation row (report_type "H", :mod:`ledger.store.evaluations`); this module
keeps beside it what a proof needs and the document does not hold (every piece's leaf fields), and
finds the batches, of any factory, holding records of a certificate project's hourly output.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ledger.store.models import BatchRow, MatchingAllocationRow, RecordRow


class StoredAllocation(NamedTuple):
    arrays: bytes  # np.savez_compressed of the Allocation arrays
    claims: str  # JSON list of the ClaimInputs the run read
    leaf_count: int
    root: str  # 0x-hex Merkle root of the allocation leaves


def save(session: Session, evaluation_id: str, stored: StoredAllocation) -> None:
    """The run's allocation, replacing any it had (a run is stored once; a retry writes the same)."""
    session.execute(delete(MatchingAllocationRow).where(MatchingAllocationRow.evaluation_id == evaluation_id))
    session.execute(insert(MatchingAllocationRow), {"evaluation_id": evaluation_id, **stored._asdict()})


def load(session: Session, evaluation_id: str) -> StoredAllocation | None:
    row = session.get(MatchingAllocationRow, evaluation_id)
    return None if row is None else StoredAllocation(row.arrays, row.claims, row.leaf_count, row.root)


def batches_with_sources(
    session: Session, kind: str, source_ids: Collection[str], periods: Collection[str]
) -> list[tuple[str, str, int]]:
    """``(factory_id, period, revision)`` of every stored batch, of any factory, in ``periods`` holding a
    record of ``kind`` whose source is one of ``source_ids`` (found by the (kind, source_id) index)."""
    if not source_ids or not periods:
        return []
    query = (
        select(BatchRow.factory_id, BatchRow.period, BatchRow.revision)
        .join(RecordRow, RecordRow.batch_id == BatchRow.id)
        .where(
            RecordRow.kind == kind, RecordRow.source_id.in_(sorted(source_ids)), BatchRow.period.in_(sorted(periods))
        )
        .distinct()
        .order_by(BatchRow.factory_id, BatchRow.period, BatchRow.revision)
    )
    return [(f, p, int(r)) for f, p, r in session.execute(query).all()]
