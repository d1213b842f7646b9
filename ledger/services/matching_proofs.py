"""Proofs of a matching run's allocations (issue 17, design item 10): for one claim, the pieces a
reader asks about (one unit by ``serial``, one hour by ``hour``, or all of them: the signed matching
claim) with their leaf fields and Merkle proofs, under the anchored run's header and its evaluator's
signature, so that anyone can check leaf → root → document hash → the chain without this service.

The leaves are rebuilt from the stored allocation (never by re-running the year), and the tree's
root is compared with the stored root and with the root the signed document names before any proof
leaves: a damaged row is refused, never served.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from ledger.accounting.report import UNSIGNED_FIELDS
from ledger.claims.serials import SERIAL_FORMATS, parse_serial
from ledger.eip712 import LedgerDomain
from ledger.errors import IntegrityError
from ledger.hourly import bundle, leaves, pipeline
from ledger.hourly.model import CHINA, HOUR, ClaimInput, Span
from ledger.records.errors import RecordError
from ledger.store.matching import StoredAllocation


def bundle_of(
    run: dict[str, Any],
    kept: StoredAllocation,
    domain: LedgerDomain,
    claim_id: int,
    serial: str | None = None,
    hour: str | None = None,
) -> dict[str, Any]:
    """The signed bundle of claim ``claim_id``'s pieces in the anchored ``run`` (its stored allocation
    ``kept``, anchored under ``domain``): of unit ``serial`` only, of the hour starting at ``hour``
    (ISO 8601 with its offset) only, or, with neither, every piece (the signed matching claim)."""
    claims = pipeline.claims_from_json(kept.claims)
    index = next((i for i, c in enumerate(claims) if c.claim_id == claim_id), None)
    if index is None:
        raise RecordError("claim", f"claim {claim_id} is not among the claims of matching run {run['id']}")
    claim = claims[index]
    start = datetime.fromisoformat(run["span"]["start"])
    span = Span(int(start.timestamp()), int(run["span"]["hours"]), start.utcoffset() or CHINA)
    result = pipeline.stored_result(span, claims, pipeline.unpack_allocation(kept.arrays))
    tree = leaves.allocation_tree(result, run["factory_id"])
    root = "0x" + tree.root.hex()
    if root != kept.root or tree.leaf_count != kept.leaf_count or root != run["allocations"]["root"]:
        raise IntegrityError(f"matching run {run['id']}: the stored allocation no longer gives its root {root}")
    allocation = result.allocation
    chosen = allocation.claim_index == index
    if serial is not None:
        chosen &= allocation.unit_offset == unit_number(claim, serial) - claim.serial_start
    if hour is not None:
        chosen &= allocation.hour == _hour_index(span, hour)
    picked = [int(i) for i in np.flatnonzero(chosen)]
    if not picked:
        if hour is not None:
            raise RecordError("hour", "no piece of this claim lies in the hour asked")
        raise RecordError("claim", f"claim {claim_id} has no piece in this run (not usable)")
    pieces = [(leaves.leaf_fields(result, run["factory_id"], i), leaves.allocation_proof(tree, i)) for i in picked]
    anchor = {
        "report_id": run["anchor"]["report_id"], "tx_hash": run["anchor"]["tx_hash"], "chain_id": domain.chain_id,
        "contract": domain.verifying_contract, "evaluator": run["evaluator"],
    }  # fmt: skip
    document = {k: v for k, v in run.items() if k not in UNSIGNED_FIELDS}
    return bundle.allocation_bundle(document, bytes.fromhex(run["signature"][2:]), anchor, claim, pieces)


def unit_number(claim: ClaimInput, serial: str) -> int:
    """The unit a reader names, as the claim's registry writes its serial (``1132…202507000015011``) or
    as its number in the claim's block (``150``); refused, naming ``serial``, outside the claim."""
    text = serial.strip()
    if text.isascii() and text.isdigit() and len(text) <= 18:
        number, block = int(text), claim.block_id
    else:
        found = parse_serial(text, claim.registry if claim.registry in SERIAL_FORMATS else None)
        if found.start != found.end:
            raise RecordError("serial", f"names {found.end - found.start + 1} units; name one")
        number, block = found.start, found.block_id
    if block != claim.block_id or not claim.serial_start <= number <= claim.serial_end:
        raise RecordError("serial", f"{serial} is not a serial of claim {claim.claim_id} "
                                    f"({claim.block_id} {claim.serial_start}..{claim.serial_end})")  # fmt: skip
    return number


def _hour_index(span: Span, hour: str) -> int:
    try:
        when = datetime.fromisoformat(hour)
    except ValueError:
        raise RecordError("hour", f"must be an ISO 8601 time with its offset (2025-07-01T13:00+08:00), got {hour!r}")
    if when.tzinfo is None:
        raise RecordError("hour", f"must name its UTC offset (2025-07-01T13:00+08:00), got {hour!r}")
    t = int(when.timestamp())
    if t % HOUR or not span.start <= t < span.end:
        raise RecordError("hour", f"must be the start of a whole hour inside the run's year, got {hour!r}")
    return span.index(t)
