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

from ledger.accounting.source_register import measurement_methods
from ledger.claims.claim import details_hash
from ledger.claims.eligibility import ClaimEligibility
from ledger.claims.findings import ClaimedRetirement
from ledger.hourly import claim_inputs, deliverability, engine, generation, leaves, load, results, run, supply
from ledger.hourly.load_profiles import load_profiles
from ledger.hourly.model import (
    CONTRACT_KIND,
    Allocation,
    ClaimInput,
    GenerationProfile,
    HourTotals,
    MatchingResult,
    Span,
)
from ledger.records.record import MeasurementRecord


@dataclass(frozen=True)
class Inputs:
    """What a run reads, all of it anchored or on chain (the service checks that)."""

    factory_id: str
    year: int
    records: Sequence[tuple[str, MeasurementRecord]]  # the factory's year, latest revisions, with batch labels
    register: Mapping[str, Mapping[str, Any]]  # the source register's entries by source_id (method, profile)
    province: str | None
    claims: Sequence[ClaimedRetirement]  # the factory's confirmed claims on chain (details held here)
    eligibility: Mapping[int, ClaimEligibility]  # as the annual evaluation assesses them
    refused: frozenset[int]  # claims a double-counting finding refuses
    generation: Sequence[tuple[str, str, MeasurementRecord]]  # (batch label, attestor, record) of any factory
    residual_factor: Fraction  # tCO2/MWh of the factor set's residual mix
    factor_set: str  # id@version
    annual_market_tco2: str | None  # the annual evaluation's market-based Scope 2, shown beside
    annual_renewable_share: Fraction | None = None  # the annual evaluation's renewable share, shown beside


@dataclass(frozen=True)
class Computed:
    document: dict[str, Any]  # the run document with its "report_hash"
    result: MatchingResult
    root: str
    leaf_count: int


def compute(inputs: Inputs) -> Computed:
    """The run: every step's rules are the domain's; nothing here decides a figure."""
    span = Span.year(inputs.year)
    sources = load.hourly_sources(inputs.records, span, inputs.register)
    profiles = generation.generation_profiles(inputs.generation)
    rule, validity = deliverability.load_deliverability(), claim_inputs.load_validity()
    months = span.month_index()
    contracts = {s.source_id: s for s in sources if s.kind == CONTRACT_KIND}  # a bundled GEC splits over these
    supplied = []
    for c in inputs.claims:
        assessed = inputs.eligibility.get(c.claim_id)
        if assessed is None:  # not for consumption in this year
            continue
        ci = claim_inputs.claim_input(c.claim_id, c.claim, assessed, c.claim_id not in inputs.refused, inputs.province,
                                      rule, validity, span)  # fmt: skip
        consumption = (c.claim.consumption_start, c.claim.consumption_end)
        supplied.append(supply.claim_supply(ci, profiles, inputs.factory_id, span, consumption, months,
                                            bundled_with=c.claim.details.bundled_with, contracts=contracts))  # fmt: skip
    result = engine.match(span, sources, [s.input for s in supplied], [s.supply for s in supplied if s.supply])
    summary = results.summarize(
        result, inputs.residual_factor, inputs.annual_market_tco2, inputs.annual_renewable_share
    )
    tree = leaves.allocation_tree(result, inputs.factory_id) if len(result.allocation.hour) else None
    root, count = (tree.root, tree.leaf_count) if tree is not None else (run.EMPTY_ROOT, 0)
    hashes = {c.claim_id: "0x" + details_hash(c.claim.details).hex() for c in inputs.claims}
    used = {
        "batches": sorted({label for label, _record in inputs.records}),
        "profiles": [profile_json(p) for s in supplied for p in s.profiles],
        "claims": [claim_inputs.claim_input_json(s.input) | {"details_hash": hashes[s.input.claim_id]}
                   | ({"problem": s.problem} if s.problem else {}) for s in supplied],
    }  # fmt: skip
    rules = {
        "deliverability": rule.label, "load_profiles": load_profiles().label, "validity": validity.label,
        "measurement_methods": measurement_methods()[0], "factor_set": inputs.factor_set,
    }  # fmt: skip
    parameters = {"order": "expiry,vintage,serial", "unit": "mWh"}
    document = run.run_document(inputs.factory_id, inputs.year, summary, used, rules, parameters, root, count)
    document["report_hash"] = "0x" + run.document_hash(document).hex()
    return Computed(document, result, document["allocations"]["root"], count)


def profile_json(profile: GenerationProfile) -> dict[str, Any]:
    """A generation profile a run used, named by the anchored batch it was read from."""
    return {"registry": profile.registry, "project_id": profile.project_id, "period": profile.period,
            "tier": profile.tier, "attestor": profile.attestor, "batch": profile.batch}  # fmt: skip


def stored_result(span: Span, claims: Sequence[ClaimInput], allocation: Allocation) -> MatchingResult:
    """A stored run's allocation as the leaves read a result (span, claims, allocation): the hour totals
    are the run document's, not needed to rebuild a leaf, and left empty."""
    empty = np.zeros(0, dtype=np.int64)
    names = ("load", "grid", "onsite", "contract", "certificates", "matched", "excess", "metered", "profiled")
    hours = HourTotals(**dict.fromkeys(names, empty), known=np.zeros(0, dtype=bool))
    return MatchingResult(span, tuple(claims), hours, allocation)


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
