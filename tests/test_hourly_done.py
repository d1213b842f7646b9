"""Issue 17's "done when", through the library: the example factory's year, with its hourly meter
data and its certificates' generation profiles (examples/hourly/), matched hour by hour, scores a
CFE below the 100 % that annual matching gives it, with deficit hours.

The path is the one a matching run takes (ledger/hourly: load → generation profiles → claim inputs
→ pieces → engine → summary), fed here from the example files instead of the chain: the factory's
revision-2 batches, its source register, its two GEC claims and the wind farm's two months. None
of the example's claims is refused by a double-counting finding (its only finding, the Feb–Dec
claim's excess under ``claim_period``, refuses nothing: tests/golden/test_row07_example_year_matching.py).
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ledger.accounting.inventory import InventoryRecord, compute_inventory
from ledger.claims import parse_claim
from ledger.claims.eligibility import assess_year
from ledger.claims.findings import ClaimedRetirement
from ledger.factors import load_factor_set
from ledger.factors.arithmetic import residual_mix
from ledger.factors.steam import parse_steam
from ledger.hourly import claim_inputs, deliverability, engine, generation, load, results, supply
from ledger.hourly.model import Span
from ledger.merkle import MerkleTree
from ledger.numbers import shown
from ledger.records import Batch, parse_batch
from tests.builders import EXAMPLE_STEAM, EXAMPLES, FACTORY_ID
from tests.hourly_example import batches, revision_two

YEAR = 2025
FACTORS = load_factor_set("cn-mee-2023")


def label(batch: Batch) -> str:
    """``factory/period/rN@0xroot``, as a run names a batch it read."""
    root = MerkleTree.build(batch.record_hashes()).root.hex()
    return f"{batch.factory_id}/{batch.period}/r{batch.revision}@0x{root}"


@functools.cache
def example_year() -> dict[str, Any]:
    """The matching run's summary of the example year, and the annual evaluation's figures beside it."""
    months = [parse_batch(batches.salted(revision_two(period))) for period in batches.MONTHS]
    records = [(name, r) for b, name in ((b, label(b)) for b in months) for r in b.records]
    site = [parse_batch(batches.salted(batches.generation_batch(p))) for p in batches.GENERATION_MONTHS]
    claims = [
        ClaimedRetirement(n, parse_claim(json.loads((EXAMPLES / "claims" / f"{name}.json").read_text())),
                          "0x" + "12" * 20, "0x" + "34" * 32)
        for n, name in enumerate(("gec-2025-01", "gec-2025-02-12", "ccer-2025"), 1)
    ]  # fmt: skip
    assessed, _ = assess_year(claims, YEAR, None)
    annual = compute_inventory(
        factory_id=FACTORY_ID, year=YEAR, records=[InventoryRecord(f"r{i}", r.period, r) for i, (_, r) in
                                                   enumerate(records)],
        claims=claims, invalid_claims=frozenset(), factors=FACTORS, eligibility=assessed, matching="annual",
        steam=parse_steam(EXAMPLE_STEAM),
    )  # fmt: skip
    register = batches.register()
    span = Span.year(YEAR)
    sources = load.hourly_sources(records, span, register["sources"])
    profiles = generation.generation_profiles([(name, b.factory_id, r) for b, name in ((b, label(b)) for b in site)
                                               for r in b.records])  # fmt: skip
    rule, validity = deliverability.load_deliverability(), claim_inputs.load_validity()
    supplied = [
        supply.claim_supply(
            claim_inputs.claim_input(c.claim_id, c.claim, assessed[c.claim_id], True, register["province"], rule,
                                     validity, span),
            profiles, FACTORY_ID, span, (c.claim.consumption_start, c.claim.consumption_end),
        )
        for c in claims
    ]  # fmt: skip
    result = engine.match(span, sources, [s.input for s in supplied], [s.supply for s in supplied if s.supply])
    summary = results.summarize(result, Fraction(residual_mix(FACTORS).exact), shown(annual.scope2_market))
    return {"summary": summary, "annual": annual}


def test_the_example_year_scores_below_its_annual_hundred_percent_with_deficit_hours() -> None:
    run, annual = example_year()["summary"], example_year()["annual"]
    assert annual.renewable_share == 1  # annual matching: 100 %
    year_cfe = Decimal(run["cfe"]["year"])
    assert 0 < year_cfe < 1
    assert run["hours"]["deficit"] > 0 and run["hours"]["scored"] == Span.year(YEAR).hours
    assert run["hours"]["unscored"] == 0  # every load source covers every hour (the office by its profile)
    # the two GEC claims supplied hours, June's only in June: other months get PV and nothing else
    used = {c["claim_id"]: c for c in run["claims"]}
    assert used[1]["usable"] and used[2]["usable"] and not used[3]["usable"]  # the CCER supplies no electricity
    assert Decimal(used[2]["matched_mwh"]) < Decimal(used[2]["offered_mwh"])
    assert Decimal(run["totals"]["unusable_excess_mwh"]) > 0
    june = run["cfe"]["months"]["2025-06"]
    assert all(
        Decimal(cfe) < Decimal(june) for m, cfe in run["cfe"]["months"].items() if m not in ("2025-01", "2025-06")
    )
    # the load is the annual accounting's consumption, to the mWh; the office meter's share is profiled
    assert Decimal(run["totals"]["load_mwh"]) == Decimal(shown(annual.electricity["total_mwh"], 9))
    assert 0 < Decimal(run["load_share"]["profiled"]) < Decimal("0.05")
    assert Decimal(run["scope2"]["market_hourly_tco2"]) > Decimal(run["scope2"]["market_annual_tco2"])
