"""Batches on the wire: the signed batch a factory submits, and the batch (a page of its records)
and batch summaries the service answers with. Quantities are strings (exact decimals)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictInt, StrictStr

from api.schemas.common import Out, Strict


class EvidenceIn(Strict):
    sha256: StrictStr = Field(description="sha256 of the document, 64 hex characters")
    file_name: StrictStr
    media_type: StrictStr = Field(examples=["application/pdf"])


class RecordIn(Strict):
    source_id: StrictStr = Field(description="meter or source id", examples=["meter-grid-01"])
    kind: StrictStr = Field(examples=["grid_electricity"])
    value: StrictStr = Field(description="exact decimal string; never a JSON number", examples=["412345.6"])
    unit: StrictStr = Field(examples=["kWh"])
    interval_start: StrictStr = Field(examples=["2025-01-01T00:00:00+08:00"])
    interval_end: StrictStr = Field(examples=["2025-02-01T00:00:00+08:00"])
    evidence: list[EvidenceIn] = Field(default_factory=list)
    salt: StrictStr = Field(description="0x + 32 random bytes, chosen by the factory")
    factory_id: StrictStr | None = None
    period: StrictStr | None = None


class SignedBatchIn(Strict):
    factory_id: StrictStr
    period: StrictStr = Field(examples=["2025-01"])
    revision: StrictInt = Field(description="1 for the first batch of the period, n + 1 for each correction")
    uri: StrictStr = ""
    records: list[RecordIn]
    root: StrictStr
    leaf_count: StrictInt
    signature: StrictStr = Field(description="the factory's EIP-712 signature of the BatchCommit")
    signer: StrictStr | None = None
    chain_id: StrictInt
    contract: StrictStr


class RecordOut(Out):
    id: str
    position: int
    record_hash: str
    source_id: str
    kind: str
    value: str
    unit: str
    interval_start: str
    interval_end: str


class BatchOut(Out):
    id: str
    factory_id: str
    period: str
    revision: int
    root: str
    leaf_count: int
    uri: str
    signer: str
    signature: str
    status: str = Field(
        description="`pending` (stored; not yet on chain, or its anchor was lost and it is being sent again), "
        "`anchored` (the chain holds its root), `conflict` (the chain holds another root for its revision; "
        "see `conflict`) or `rejected` (the contract refused it; see `reason`)"
    )
    final: bool = Field(description="anchored under ZCL_CONFIRMATIONS blocks: a reorg can no longer take it")
    conflict: dict[str, Any] | None = Field(description="what the chain holds for this revision instead")
    tx_hash: str | None
    block_number: int | None
    anchored_at: int | None
    records: list[RecordOut] = Field(description="one page of the records: `offset` on, at most `limit` of them")
    record_count: int = Field(description="all the batch's records")
    offset: int = Field(description="the position of `records[0]`")
    next_offset: int | None = Field(description="the offset of the next page, or null after the last")


class BatchStatusOut(BatchOut):
    """A batch as submitted or read back: why it was rejected, or what happens next while it waits."""

    reason: str | None = None  # why the contract refused it, or what the chain holds in its place
    message: str | None = None  # what happens next to a queued (pending) batch


class BatchSummaryOut(Out):
    id: str
    period: str
    revision: int
    root: str
    leaf_count: int
    status: str
    tx_hash: str | None
    block_number: int | None
    final: bool
