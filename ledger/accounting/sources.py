"""A factory's year of anchored data, each record verified against its on-chain root.

For every month the chain says which revision is the latest; this service's copy of that batch is
used only if every record re-hashes to its stored hash and the records' Merkle root equals the root
anchored on chain. Earlier revisions are listed as superseded; a month with no anchor, or whose
anchored batch this service does not hold, is listed as missing — never counted as zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ledger.accounting.inventory import InventoryRecord
from ledger.merkle import MerkleTree
from ledger.notary import Notary
from ledger.errors import IntegrityError
from ledger.records import parse_record, record_hash




@dataclass
class YearData:
    records: list[InventoryRecord] = field(default_factory=list)
    used: list[dict[str, Any]] = field(default_factory=list)
    superseded: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)


def gather_year(notary: Notary, factory_id: str, year: int) -> YearData:
    ledger = notary.ledger
    data = YearData()
    for month in range(1, 13):
        period = f"{year}-{month:02d}"
        latest = ledger.revision_count(factory_id, period)
        if latest == 0:
            data.missing.append({"period": period, "reason": "no batch anchored on chain"})
            continue
        for revision in range(1, latest):
            old = ledger.get_anchor(factory_id, period, revision)
            data.superseded.append({"period": period, "revision": revision, "root": "0x" + old.root.hex(),
                                    "anchored_block": old.anchored_block, "superseded_by": latest})  # fmt: skip
        anchor = ledger.get_anchor(factory_id, period, latest)
        batch = next((b for b in notary.list_batches(factory_id, period) if b.revision == latest), None)
        if batch is None or batch.status != "anchored":
            data.missing.append({"period": period, "reason": f"revision {latest} is anchored on chain, but this "
                                 "service does not hold its records"})  # fmt: skip
            continue
        full = notary.get_batch(batch.id)
        records = []
        hashes = []
        for row, body in zip(full.records, notary.record_bodies(batch.id), strict=True):
            record = parse_record(json.loads(body), factory_id=factory_id, period=period)
            computed = record_hash(record)
            if "0x" + computed.hex() != row.record_hash:
                raise IntegrityError(f"record {row.id} of batch {batch.id} no longer hashes to its stored hash")
            hashes.append(computed)
            records.append(InventoryRecord(row.id, period, record))
        root = MerkleTree.build(hashes).root
        if root != anchor.root:
            raise IntegrityError(
                f"batch {batch.id} ({period} revision {latest}): its records give root 0x{root.hex()}, "
                f"but the chain anchored 0x{anchor.root.hex()}"
            )
        data.records += records
        data.used.append({
            "period": period, "revision": latest, "batch_id": batch.id, "root": "0x" + anchor.root.hex(),
            "tx_hash": full.tx_hash, "block_number": anchor.anchored_block, "records": len(records),
        })  # fmt: skip
    return data
