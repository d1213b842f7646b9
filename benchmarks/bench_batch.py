"""Throughput of the batch pipeline: parse → record hash → Merkle tree → proofs.

Run: .venv/bin/python benchmarks/bench_batch.py [N]   (default 100000 records)
Prints per-record figures and the share of each stage; nothing is asserted.
"""

from __future__ import annotations

import sys
import time

from ledger.merkle import MerkleTree
from ledger.records import parse_record, record_hash


def wire(i: int) -> dict[str, object]:
    return {
        "source_id": f"meter-{i % 500:03d}",
        "kind": "grid_electricity",
        "value": f"{i}.{i % 97:02d}",
        "unit": "kWh",
        "interval_start": "2025-01-01T00:00:00+08:00",
        "interval_end": "2025-02-01T00:00:00+08:00",
        "evidence": [{"sha256": f"{i:064x}", "file_name": "bill.pdf", "media_type": "application/pdf"}] if i % 2 else [],
        "salt": "0x" + f"{i:064x}",
    }


def main(n: int) -> None:
    wires = [wire(i) for i in range(n)]
    stages: list[tuple[str, float]] = []
    t = time.perf_counter()
    records = [parse_record(w, factory_id="CN-BENCH", period="2025-01", path=f"records[{i}]") for i, w in enumerate(wires)]
    stages.append(("parse_record", time.perf_counter() - t))
    t = time.perf_counter()
    hashes = [record_hash(r) for r in records]
    stages.append(("record_hash", time.perf_counter() - t))
    t = time.perf_counter()
    tree = MerkleTree.build(hashes)
    stages.append(("MerkleTree.build", time.perf_counter() - t))
    t = time.perf_counter()
    for i in range(n):
        tree.proof(i)
    stages.append(("all proofs", time.perf_counter() - t))
    total = sum(s for _, s in stages)
    print(f"{n:,} records, total {total:.2f} s ({n / total:,.0f} records/s)")
    for name, seconds in stages:
        print(f"  {name:<18} {seconds:8.3f} s  {seconds / n * 1e6:8.2f} µs/record  {seconds / total:6.1%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
