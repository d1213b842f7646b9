"""SQL for batches and their records: bulk insert, lookups, pages of records, state changes.

Functions take the caller's :class:`~sqlalchemy.orm.Session`, so a use case decides what one
transaction holds. Records are written with Core ``executemany`` (:data:`INSERT_CHUNK` at a time) and
read as plain tuples: a month may hold a million of them, too many for an ORM object each.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Row, Table, func, insert, select
from sqlalchemy.orm import Session

from ledger.eip712 import BatchCommit
from ledger.records import MeasurementRecord
from ledger.signing import SignedBatch
from ledger.store import tracking
from ledger.store.citations import BatchCitations
from ledger.store.models import BatchRow, RecordRow

PENDING, ANCHORED, REJECTED = "pending", "anchored", "rejected"
INSERT_CHUNK = 5000
"""Records per INSERT executemany: few round trips, bounded parameter lists."""
_BODY_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_RECORDS = cast(Table, RecordRow.__table__)
_BATCHES = cast(Table, BatchRow.__table__)
RECORD_COLUMNS = (
    _RECORDS.c.id, _RECORDS.c.position, _RECORDS.c.record_hash, _RECORDS.c.source_id, _RECORDS.c.kind,
    _RECORDS.c.value, _RECORDS.c.unit, _RECORDS.c.interval_start, _RECORDS.c.interval_end,
)  # fmt: skip
"""What a page of records shows, in :class:`~ledger.services.views.RecordView`'s order."""


def insert_batch(session: Session, batch_id: str, signed: SignedBatch, signer: str) -> None:
    """The batch row (``pending``) and its records, in bulk. Portable Core: SQLite and PostgreSQL."""
    insert_header(session, batch_id, signed.commit, signed.signature, signer)
    records, hashes = signed.batch.records, signed.batch.record_hashes()
    insert_records(session, batch_id, (record_columns(r, hashes[i]) for i, r in enumerate(records)), len(records))


def insert_streamed(
    session: Session, batch_id: str, commit: BatchCommit, signature: bytes, signer: str,
    columns: Iterable[dict[str, Any]],
) -> None:  # fmt: skip
    """A streamed batch: its row and its records from an iterator (a spool on disk), never all in memory."""
    insert_header(session, batch_id, commit, signature, signer)
    insert_records(session, batch_id, columns, commit.leaf_count)


def insert_header(session: Session, batch_id: str, commit: BatchCommit, signature: bytes, signer: str) -> None:
    """The batch row alone, ``pending``: its records follow with :func:`insert_records`."""
    session.execute(
        insert(_BATCHES),
        {
            "id": batch_id, "factory_id": commit.factory_id, "period": commit.period, "revision": commit.revision,
            "root": "0x" + commit.root.hex(), "leaf_count": commit.leaf_count, "uri": commit.uri,
            "signature": "0x" + signature.hex(), "signer": signer, "status": PENDING,
            "created_at": datetime.now(UTC),
        },
    )  # fmt: skip


def insert_records(session: Session, batch_id: str, columns: Iterable[dict[str, Any]], n: int) -> None:
    """The batch's ``n`` records, each given as its :func:`record_columns`, in batch order, inserted
    :data:`INSERT_CHUNK` at a time as the iterator yields them (a streamed batch's come from disk),
    and the evidence they cite (:class:`~ledger.store.citations.BatchCitations`)."""
    statement = insert(_RECORDS)
    ids = record_ids(n)
    citations = BatchCitations(session, batch_id)
    chunk: list[dict[str, Any]] = []
    for position, values in enumerate(columns):
        chunk.append(values | {"id": next(ids), "batch_id": batch_id, "position": position})
        citations.add(values["body"])
        if len(chunk) == INSERT_CHUNK:
            session.execute(statement, chunk)
            chunk = []
    if chunk:
        session.execute(statement, chunk)
    citations.flush()


def record_ids(n: int) -> Iterator[str]:
    """Ids for a batch's ``n`` records: UUID-shaped (version 8, RFC 9562's custom layout), 72 random
    bits per batch followed by the position. Ascending within a batch, they are appended to the
    primary-key index rather than scattered over it, which makes a big batch's insert faster."""
    r = os.urandom(10).hex()
    prefix = f"{r[:8]}-{r[8:12]}-8{r[12:15]}-{'89ab'[int(r[15], 16) & 3]}{r[16:19]}-"
    return (f"{prefix}{position:012x}" for position in range(n))


def record_columns(record: MeasurementRecord, record_hash: bytes) -> dict[str, Any]:
    """A record's row but its id, batch and position: what a streamed batch spools to disk."""
    body = record.to_json()
    return {
        "record_hash": "0x" + record_hash.hex(),
        "source_id": record.source_id,
        "kind": record.kind,
        "value": record.value,
        "unit": record.unit,
        "interval_start": body["interval_start"],
        "interval_end": body["interval_end"],
        "body": _BODY_ENCODER.encode(body),
    }


def get(session: Session, batch_id: str) -> BatchRow | None:
    return session.get(BatchRow, batch_id)


def find_revision(session: Session, factory_id: str, period: str, revision: int) -> BatchRow | None:
    """The row that speaks for a revision (rejected rows moved aside are history)."""
    return session.scalars(
        select(BatchRow).where(
            BatchRow.factory_id == factory_id,
            BatchRow.period == period,
            BatchRow.revision == revision,
            BatchRow.slot == "",
        )
    ).one_or_none()


def list_for(session: Session, factory_id: str, period: str | None = None) -> Sequence[BatchRow]:
    query = select(BatchRow).where(BatchRow.factory_id == factory_id)
    if period is not None:
        query = query.where(BatchRow.period == period)
    return session.scalars(query.order_by(BatchRow.period, BatchRow.revision)).all()


def counts_and_latest(session: Session) -> tuple[dict[str, int], dict[str, str]]:
    """Per factory: how many batches, and the latest period."""
    counts = session.execute(select(BatchRow.factory_id, func.count()).group_by(BatchRow.factory_id)).all()
    latest = session.execute(select(BatchRow.factory_id, func.max(BatchRow.period)).group_by(BatchRow.factory_id)).all()
    return {f: int(n) for f, n in counts}, {f: str(p) for f, p in latest}


def created_at(session: Session, batch_id: str) -> datetime | None:
    created = session.scalar(select(BatchRow.created_at).where(BatchRow.id == batch_id))
    if created is None:
        return None
    return created if created.tzinfo else created.replace(tzinfo=UTC)


def record_page(session: Session, batch_id: str, offset: int = 0, limit: int | None = None) -> list[Row[Any]]:
    """The records from position ``offset`` on, ``limit`` of them (all when None), as tuples of
    :data:`RECORD_COLUMNS`."""
    query = select(*RECORD_COLUMNS).where(_RECORDS.c.batch_id == batch_id, _RECORDS.c.position >= offset)
    query = query.order_by(_RECORDS.c.position)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query))


def record_bodies(session: Session, batch_id: str, offset: int = 0, limit: int | None = None) -> list[str]:
    """The canonical JSON of each record (what was hashed), in batch order."""
    query = select(RecordRow.body).where(RecordRow.batch_id == batch_id, RecordRow.position >= offset)
    query = query.order_by(RecordRow.position)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query).all())  # one fetchall: row by row costs ~10 µs a record


def stored_records(session: Session, batch_id: str) -> tuple[list[str], list[str], list[str]]:
    """The record ids, record hashes (hex) and canonical JSON bodies of every record, in batch order:
    one pass for a check that re-hashes every body (two queries cost a second walk over a million
    rows), as three columns."""
    query = select(_RECORDS.c.id, _RECORDS.c.record_hash, _RECORDS.c.body).where(_RECORDS.c.batch_id == batch_id)
    rows = session.execute(query.order_by(_RECORDS.c.position)).all()
    if not rows:
        return [], [], []
    ids, hashes, bodies = zip(*rows, strict=True)
    return list(ids), list(hashes), list(bodies)


def record_hashes(session: Session, batch_id: str) -> list[str]:
    """Every stored record hash (hex), in batch order."""
    query = select(RecordRow.record_hash).where(RecordRow.batch_id == batch_id).order_by(RecordRow.position)
    return list(session.scalars(query))


def record_ids_and_hashes(
    session: Session, batch_id: str, offset: int = 0, limit: int | None = None
) -> list[tuple[str, str]]:
    """(record id, record hash hex) of the records from position ``offset`` on, ``limit`` of them
    (all when None), in batch order."""
    query = select(_RECORDS.c.id, _RECORDS.c.record_hash).where(
        _RECORDS.c.batch_id == batch_id, _RECORDS.c.position >= offset
    )
    query = query.order_by(_RECORDS.c.position)
    if limit is not None:
        query = query.limit(limit)
    return [(r[0], r[1]) for r in session.execute(query).all()]


def get_record(session: Session, record_id: str) -> RecordRow | None:
    return session.get(RecordRow, record_id)


def pending(session: Session) -> Sequence[BatchRow]:
    """Every pending batch, in the order they must be anchored."""
    query = select(BatchRow).where(BatchRow.status == PENDING)
    return session.scalars(query.order_by(BatchRow.factory_id, BatchRow.period, BatchRow.revision)).all()


def has_pending_before(session: Session, row: BatchRow) -> bool:
    """Whether an earlier revision of the same month is still pending."""
    count = session.scalar(
        select(func.count()).select_from(BatchRow).where(
            BatchRow.factory_id == row.factory_id, BatchRow.period == row.period,
            BatchRow.revision < row.revision, BatchRow.status == PENDING,
        )
    )  # fmt: skip
    return bool(count)


def mark_anchored(
    session: Session, batch_id: str, tx_hash: str | None, block: int, anchored_at: int, final: bool
) -> None:
    row = session.get(BatchRow, batch_id)
    assert row is not None
    tracking.mark_confirmed(row, ANCHORED, tx_hash, block, final)
    row.anchored_at = anchored_at


def mark_rejected(session: Session, batch_id: str, reason: str) -> None:
    row = session.get(BatchRow, batch_id)
    if row is not None:
        row.status, row.reason = REJECTED, reason


def move_aside(session: Session, batch_id: str) -> None:
    """A rejected batch gives its revision back to a new submission; its data stays."""
    row = session.get(BatchRow, batch_id)
    if row is not None:
        row.slot = row.id
