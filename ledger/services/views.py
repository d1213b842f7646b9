"""What the services answer: plain frozen dataclasses, never ORM rows (a row outlives no session)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ledger.accounting.source_register import SourceRegister
from ledger.store.models import BatchRow


@dataclass(frozen=True)
class FactoryView:
    id: str
    name: str | None
    signer: str
    signer_history: list[dict[str, Any]]
    registered_tx: str | None
    profile: dict[str, Any]
    """Location and boundary (:mod:`ledger.accounting.profile`); None where unknown."""

    @property
    def province(self) -> str | None:
        """ISO 3166-2:CN code of the factory's province, or None when unknown (never guessed)."""
        return self.profile.get("province")

    @property
    def source_register(self) -> SourceRegister:
        """What the factory declared of its sources (:mod:`ledger.accounting.source_register`)."""
        return SourceRegister.from_json(self.profile.get("source_register"))


@dataclass(frozen=True)
class RecordView:
    id: str
    position: int
    record_hash: str
    source_id: str
    kind: str
    value: str
    unit: str
    interval_start: str
    interval_end: str


@dataclass(frozen=True)
class BatchView:
    id: str
    factory_id: str
    period: str
    revision: int
    root: str
    leaf_count: int
    uri: str
    signer: str
    signature: str
    status: str
    tx_hash: str | None
    block_number: int | None
    anchored_at: int | None
    records: list[RecordView]
    record_count: int = 0  # all the batch's records; ``records`` may be one page of them
    offset: int = 0  # the position of ``records[0]``
    reason: str | None = None  # why the contract refused it, or what the chain holds in its place
    final: bool = False  # anchored under ZCL_CONFIRMATIONS blocks, and found there by the watcher
    conflict: dict[str, Any] | None = None  # what the chain holds for its revision instead (status conflict)


@dataclass(frozen=True)
class BatchSummary:
    id: str
    period: str
    revision: int
    root: str
    leaf_count: int
    status: str
    tx_hash: str | None
    block_number: int | None
    final: bool = False


def batch_view(row: BatchRow, records: list[RecordView], offset: int) -> BatchView:
    return BatchView(
        id=row.id,
        factory_id=row.factory_id,
        period=row.period,
        revision=row.revision,
        root=row.root,
        leaf_count=row.leaf_count,
        uri=row.uri,
        signer=row.signer,
        signature=row.signature,
        status=row.status,
        tx_hash=row.tx_hash,
        block_number=row.block_number,
        anchored_at=row.anchored_at,
        records=records,
        record_count=row.leaf_count,
        offset=offset,
        reason=row.reason,
        final=bool(row.final),
        conflict=json.loads(row.conflict) if row.conflict else None,
    )


def batch_summary(row: BatchRow) -> BatchSummary:
    return BatchSummary(row.id, row.period, row.revision, row.root, row.leaf_count, row.status, row.tx_hash,
                        row.block_number, bool(row.final))  # fmt: skip
