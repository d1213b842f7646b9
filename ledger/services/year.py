"""A factory's year of anchored data, each month's records checked against its on-chain root.

For every month the chain says which revision is the latest; this service's copy of that batch is
used only if every record re-hashes to its stored hash and the records' Merkle root equals the root
anchored on chain (:mod:`ledger.services.integrity`). Earlier revisions are listed as superseded; a
month with no anchor, or whose anchored batch this service does not hold, is listed as missing —
never counted as zero. A month signed under a key the admin forced in (a lost key replaced without
its own signature) is used, with a ``note`` saying so, for the evaluator to weigh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.accounting.sources import YearData
from ledger.chain.client import LedgerClient, SignerEpoch
from ledger.records import MeasurementRecord
from ledger.services.batches import BatchService
from ledger.services.integrity import BatchIntegrity
from ledger.store.batches import ANCHORED


@dataclass(frozen=True)
class YearSource:
    """Where a year comes from: the chain, this service's batches, and the check between them."""

    ledger: LedgerClient
    batches: BatchService
    integrity: BatchIntegrity


def gather_year(source: YearSource, factory_id: str, year: int) -> YearData:
    data = YearData()
    history: list[SignerEpoch] | None = None
    for month in range(1, 13):
        read = read_month(source, factory_id, f"{year}-{month:02d}")
        data.superseded += read.superseded
        if read.missing is not None:
            data.missing.append(read.missing)
            continue
        assert read.used is not None and read.signer is not None
        data.add(read.used["period"], read.record_ids, read.records)  # generation profiles filed apart
        history = history if history is not None else source.ledger.signer_history(factory_id)
        epoch = epoch_of(history, read.signer, read.used["block_number"])
        if epoch is not None and epoch.forced:
            read.used["note"] = f"signed under a key the admin forced in block {epoch.valid_from_block}"
        data.used.append(read.used)
    return data


@dataclass
class MonthRead:
    """One month of one factory as the chain has it: the records of its latest revision (checked
    against the anchored root) and ``used`` describing that batch, or ``missing`` saying why not;
    ``superseded``: the earlier revisions."""

    record_ids: list[str] = field(default_factory=list)
    records: list[MeasurementRecord] = field(default_factory=list)
    used: dict[str, Any] | None = None
    missing: dict[str, Any] | None = None
    superseded: list[dict[str, Any]] = field(default_factory=list)
    signer: str | None = None


def read_month(source: YearSource, factory_id: str, period: str) -> MonthRead:
    """The month's latest anchored revision, used only when every record re-hashes and the records'
    root equals the root on chain (:mod:`ledger.services.integrity`); a damaged batch is refused."""
    ledger, batches, integrity = source.ledger, source.batches, source.integrity
    read = MonthRead()
    latest = ledger.revision_count(factory_id, period)
    if latest == 0:
        read.missing = {"period": period, "reason": "no batch anchored on chain"}
        return read
    for revision in range(1, latest):
        old = ledger.get_anchor(factory_id, period, revision)
        read.superseded.append({"period": period, "revision": revision, "root": "0x" + old.root.hex(),
                                "anchored_block": old.anchored_block, "superseded_by": latest})  # fmt: skip
    batch = next((b for b in batches.list_for(factory_id, period) if b.revision == latest), None)
    if batch is None or batch.status != ANCHORED:
        read.missing = {"period": period, "revision": latest, "reason": f"revision {latest} is anchored on "
                        "chain, but this service does not hold its records"}  # fmt: skip
        return read
    checked = integrity.check(batch.id, rehash=True)
    checked.raise_unless_intact()
    assert checked.anchor is not None
    read.record_ids, read.records = list(checked.record_ids), list(checked.records)
    read.used = {
        "period": period, "revision": latest, "batch_id": batch.id, "root": "0x" + checked.anchor.root.hex(),
        "tx_hash": batch.tx_hash, "block_number": checked.anchor.anchored_block, "records": len(checked.records),
    }  # fmt: skip
    read.signer = checked.anchor.signer
    return read


def epoch_of(history: list[SignerEpoch], signer: str, block: int) -> SignerEpoch | None:
    """The epoch under which ``signer`` signed an anchor of block ``block``: its latest epoch that had
    begun by then (a rotation later in the same block does not end it: the anchor came first)."""
    started = [e for e in history if e.signer.lower() == signer.lower() and e.valid_from_block <= block]
    return started[-1] if started else None
