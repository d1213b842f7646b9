"""One matching run from its gathered inputs: load → generation profiles → claim inputs → pieces →
engine → summary → allocation leaves and root → run document (the design's data flow, issue 17).

Rules only: what the run reads is gathered by the service (:mod:`ledger.services.matching`) from
anchored batches and the chain, and handed over here as plain values, so the same steps run in the
examples and benchmarks without a database. The allocation is packed for storage here too, so that a
proof rebuilt from storage is built from exactly the arrays the run's root was computed from.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ledger.accounting.inventory import InventoryRecord
from ledger.accounting.source_register import SourceRegister
from ledger.claims.eligibility import ClaimEligibility
from ledger.claims.findings import ClaimedRetirement
from ledger.hourly.model import Allocation, ClaimInput, MatchingResult, Span


@dataclass(frozen=True)
class GenerationBatch:
    """Records of kind ``renewable_generation`` from one anchored batch: ``label`` names the batch
    (``factory_id/period/rN@0xroot``), ``attestor`` the factory or site that signed it."""

    label: str
    attestor: str
    period: str
    records: Sequence[InventoryRecord]


@dataclass(frozen=True)
class Inputs:
    """What a run reads, all of it anchored or on chain (the service checks that)."""

    factory_id: str
    year: int
    records: Sequence[InventoryRecord]  # the factory's year, latest revisions
    batches: Mapping[str, str]  # period → batch label of the factory's own months
    register: SourceRegister
    province: str | None
    claims: Sequence[ClaimedRetirement]  # the factory's claims on chain (details held here)
    eligibility: Mapping[int, ClaimEligibility]  # as the annual evaluation assesses them
    refused: frozenset[int]  # claims a double-counting finding refuses
    generation: Sequence[GenerationBatch]
    residual_factor: Fraction  # tCO2/MWh of the factor set's residual mix
    factor_set: str  # id@version
    annual_market_tco2: str | None  # the annual evaluation's market-based Scope 2, shown beside


@dataclass(frozen=True)
class Computed:
    document: dict[str, Any]  # the run document with its "report_hash"
    result: MatchingResult
    root: str
    leaf_count: int


def compute(inputs: Inputs) -> Computed:
    """The run: every step's rules are the domain's; nothing here decides a figure."""
    from ledger.hourly import claim_inputs, engine, generation, leaves, load, pieces, results, run

    span = Span.year(inputs.year)
    sources = load.hourly_sources(inputs.records, inputs.register, span, inputs.batches)
    profiles = generation.profiles(inputs.generation, claimant=inputs.factory_id)
    claims = claim_inputs.claim_inputs(
        inputs.claims, inputs.eligibility, inputs.refused, span=span, province=inputs.province, profiles=profiles
    )
    supplies = pieces.supplies(claims, profiles, sources, span)
    result = engine.match(span, sources, claims, supplies)
    summary = results.summarize(result, inputs.residual_factor, inputs.annual_market_tco2)
    root, count = leaves.allocation_root(result, inputs.factory_id)
    document = run.run_document(
        factory_id=inputs.factory_id, year=inputs.year, span=span, sources=sources, profiles=profiles,
        claims=inputs.claims, factor_set=inputs.factor_set, results=summary, root=root, count=count,
    )  # fmt: skip
    return Computed(document, result, root, count)


ARRAYS = ("claim_index", "unit_offset", "hour", "energy", "allocated", "kind")


def pack_allocation(allocation: Allocation) -> bytes:
    """The allocation's arrays, compressed (``np.savez_compressed``), for storage beside the run."""
    out = io.BytesIO()
    np.savez_compressed(out, **{name: getattr(allocation, name) for name in ARRAYS})
    return out.getvalue()


def unpack_allocation(data: bytes) -> Allocation:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return Allocation(**{name: arrays[name] for name in ARRAYS})


def claims_json(claims: Sequence[ClaimInput]) -> str:
    return json.dumps([asdict(c) for c in claims], sort_keys=True, ensure_ascii=False)


def claims_from_json(text: str) -> tuple[ClaimInput, ...]:
    return tuple(ClaimInput(**(c | {"reasons": tuple(c["reasons"])})) for c in json.loads(text))
