"""SQL for the index of every claim on chain (:class:`~ledger.store.models.ChainClaimRow`) and the
followers' cursors. Serials are zero-padded like the relayed claims' (:func:`serial_key`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ledger.store.claims import serial_key
from ledger.store.models import ChainClaimRow, ChainCursorRow

LIVE = ("provisional", "confirmed")


def cursor(session: Session, name: str) -> int:
    """The first block the follower ``name`` has not read (0 before its first round)."""
    row = session.get(ChainCursorRow, name)
    return row.next_block if row is not None else 0


def set_cursor(session: Session, name: str, next_block: int) -> None:
    row = session.get(ChainCursorRow, name)
    if row is None:
        session.add(ChainCursorRow(name=name, next_block=next_block))
    else:
        row.next_block = next_block


def upsert(session: Session, claims: Sequence[tuple[int, str, str, str, int, int, int]]) -> None:
    """Record claims ``(claim id, factory, registry, block id, start, end, claimed block)`` as
    provisional; a claim already indexed keeps its status (events re-read inside the reorg margin).
    New claims go in as one multi-row insert: the first round indexes every claim on chain."""
    if not claims:
        return
    known = {
        int(claim_id)
        for claim_id in session.scalars(
            select(ChainClaimRow.claim_id).where(ChainClaimRow.claim_id.in_([c[0] for c in claims]))
        )
    }
    new = [
        {"claim_id": claim_id, "factory_id": factory_id, "registry_name": registry, "block_id": block_id,
         "serial_start": serial_key(start), "serial_end": serial_key(end), "status": "provisional",
         "claimed_block": claimed_block}
        for claim_id, factory_id, registry, block_id, start, end, claimed_block in claims
        if claim_id not in known
    ]  # fmt: skip
    if new:
        session.execute(insert(ChainClaimRow), new)
    for claim_id, factory_id, registry, block_id, start, end, claimed_block in claims:
        if claim_id in known:
            row = session.get(ChainClaimRow, claim_id)
            assert row is not None
            row.factory_id, row.registry_name, row.block_id = factory_id, registry, block_id
            row.serial_start, row.serial_end, row.claimed_block = serial_key(start), serial_key(end), claimed_block


def set_status(session: Session, claim_id: int, status: str) -> None:
    row = session.get(ChainClaimRow, claim_id)
    if row is not None:
        row.status = status


def status_counts(session: Session) -> tuple[tuple[str, int], ...]:
    """How many indexed claims stand in each status: changes when a claim is made, confirmed or revoked."""
    rows = session.execute(select(ChainClaimRow.status, func.count()).group_by(ChainClaimRow.status))
    return tuple(sorted((str(status), int(n)) for status, n in rows))


def statuses(session: Session, claim_ids: Sequence[int]) -> dict[int, str]:
    """The indexed status of each claim that is indexed."""
    if not claim_ids:
        return {}
    rows = session.execute(
        select(ChainClaimRow.claim_id, ChainClaimRow.status).where(ChainClaimRow.claim_id.in_(list(claim_ids)))
    )
    return {int(claim_id): status for claim_id, status in rows}


def live_before(session: Session, registry: str, block_id: str, serial: int, limit: int = 3) -> list[int]:
    """The live claims of a block starting at or before ``serial``, nearest first: position hints
    (one index seek, whatever the block holds)."""
    return [
        int(claim_id)
        for claim_id in session.scalars(
            select(ChainClaimRow.claim_id)
            .where(
                ChainClaimRow.registry_name == registry,
                ChainClaimRow.block_id == block_id,
                ChainClaimRow.serial_start <= serial_key(serial),
                ChainClaimRow.status.in_(LIVE),
            )
            .order_by(ChainClaimRow.serial_start.desc())
            .limit(limit)
        )
    ]
