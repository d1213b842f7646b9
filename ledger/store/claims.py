"""SQL for the retirement claims this service relayed: the overlap pre-check, state changes, reads.

Serials are stored zero-padded to 39 digits (:func:`serial_key`), so comparing the strings compares
the numbers (up to 2**128 - 1) in any database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.eip712 import RetirementClaim
from ledger.store import tracking
from ledger.store.citations import cite_statement
from ledger.store.models import ClaimRow

PENDING, CLAIMED, REJECTED = "pending", "claimed", "rejected"


def serial_key(serial: int) -> str:
    return f"{serial:039d}"


def confirmed_overlap(session: Session, registry: str, block_id: str, start: int, end: int) -> ClaimRow | None:
    """The confirmed claim of block (``registry``, ``block_id``) holding a unit of ``start..end``.

    Confirmed claims of one block never overlap — the contract refused every overlap before they
    were confirmed — so in order of first serial their last serials rise too, and the claim that
    starts last at or before ``end`` is the only one that can reach ``start``. That makes the check
    one descending index seek (registry, block_id, serial_start), independent of how many claims
    the block or the database holds. Should the rows ever disagree with that (a database pointed
    at a second deployment), a missed overlap here is still refused by the contract on relay.
    """
    row = session.scalars(
        select(ClaimRow)
        .where(
            ClaimRow.registry_name == registry,
            ClaimRow.block_id == block_id,
            ClaimRow.status == CLAIMED,
            ClaimRow.serial_start <= serial_key(end),
        )
        .order_by(ClaimRow.serial_start.desc())
        .limit(1)
    ).first()
    return row if row is not None and row.serial_end >= serial_key(start) else None


def insert_pending(session: Session, row_id: str, claim: RetirementClaim, signature: bytes, signer: str) -> None:
    """The claim's row (``pending``) and its citation of the retirement statement."""
    session.add(
        ClaimRow(
            id=row_id, factory_id=claim.factory_id, registry_name=claim.registry, block_id=claim.block_id,
            serial_start=serial_key(claim.serial_start), serial_end=serial_key(claim.serial_end),
            consumption_start=claim.consumption_start, consumption_end=claim.consumption_end,
            body=json.dumps(claim.to_json(), sort_keys=True, ensure_ascii=False),
            signature="0x" + signature.hex(), signer=signer, status=PENDING, created_at=datetime.now(UTC),
        )
    )  # fmt: skip
    session.flush()  # the citation refers to the row
    cite_statement(session, row_id, claim.details.evidence_sha256)


def get(session: Session, row_id: str) -> ClaimRow | None:
    return session.get(ClaimRow, row_id)


def by_claim_id(session: Session, claim_id: int) -> ClaimRow | None:
    return session.scalars(select(ClaimRow).where(ClaimRow.claim_id == claim_id)).one_or_none()


def for_factory(session: Session, factory_id: str) -> Sequence[ClaimRow]:
    """The claims this service relayed for a factory, oldest first (what its page lists)."""
    return session.scalars(
        select(ClaimRow).where(ClaimRow.factory_id == factory_id).order_by(ClaimRow.created_at)
    ).all()


def by_signature(session: Session, signature: str) -> ClaimRow | None:
    """The row of a signed claim (its signature names it), however it ended."""
    return session.scalars(select(ClaimRow).where(ClaimRow.signature == signature).limit(1)).first()


def mark_claimed(
    session: Session, row_id: str, claim_id: int, tx_hash: str | None, block: int | None, final: bool
) -> tuple[ClaimRow, ClaimRow | None]:
    """Mark a row as chain claim ``claim_id``; returns it, and the other row already holding that claim
    (the same claim signed twice), in which case this row is left for the caller to mark."""
    stored = session.get(ClaimRow, row_id)
    assert stored is not None
    twin = session.scalars(select(ClaimRow).where(ClaimRow.claim_id == claim_id, ClaimRow.id != row_id)).one_or_none()
    if twin is not None:
        return stored, twin
    tracking.mark_confirmed(stored, CLAIMED, tx_hash, block, final)
    stored.claim_id = claim_id
    return stored, None


def mark_rejected(session: Session, row_id: str, reason: str) -> None:
    row = session.get(ClaimRow, row_id)
    if row is not None:
        row.status, row.reason = REJECTED, reason


def pending(session: Session) -> Sequence[ClaimRow]:
    return session.scalars(select(ClaimRow).where(ClaimRow.status == PENDING).order_by(ClaimRow.created_at)).all()


def confirmed_bodies(session: Session) -> dict[int, str]:
    """The stored details (claim JSON) of every confirmed claim, by chain claim id."""
    rows = session.scalars(select(ClaimRow).where(ClaimRow.status == CLAIMED))
    return {row.claim_id: row.body for row in rows if row.claim_id is not None}
