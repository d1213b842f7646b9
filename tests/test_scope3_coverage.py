"""Scope 3 coverage (:mod:`ledger.accounting.scope3`) when one category has data and the other has
neither data nor an exclusion: the measured part is shown, the total stays unknown."""

from __future__ import annotations

from ledger.accounting.evaluation import evaluate, load_rules
from ledger.accounting.inventory import compute_inventory
from ledger.accounting.scope3 import Exclusion
from ledger.factors import load_factor_set
from tests.builders import inventory_record as record

RULES = load_rules()
CN_2023 = load_factor_set("cn-mee-2023")


def test_one_category_measured_and_one_without_data_leaves_remaining_unknown() -> None:
    """On-site PV 100 MWh and road freight 10,000 tkm a month. Transport: 120,000 tkm × 0.0001
    tCO2e/tkm = 12 tCO2e (data). Purchased goods: no record, no exclusion → no data. Remaining =
    0 + 12 + unknown = unknown; the gate counts 1 category; no Type II level. Excluding purchased goods
    with a reason makes remaining 12 tCO2e, of which scope3.road_freight (confirmed = false) is 100 %."""
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    records = [record(i, p, "onsite_renewable_self_consumed", "100", "MWh") for i, p in enumerate(months)]
    records += [record(20 + i, p, "transport_road_freight", "10000", "tkm") for i, p in enumerate(months)]
    inv = compute_inventory(factory_id="CN-G", year=2025, records=records, claims=[], invalid_claims=frozenset(),
                            factors=CN_2023)  # fmt: skip
    result = evaluate(inv, RULES, "II", 0, 0, incomplete_sources=0, factors=CN_2023)
    assert result["level"] == "none" and result["remaining_emissions"] == "unknown"
    transport, goods = result["scope3"]["categories"]
    assert (transport["status"], transport["tco2e"], transport["records"]) == ("data", "12", 12)
    assert goods["status"] == "no data" and result["scope3"]["complete"] is False
    gate = next(g for g in result["gates"] if g["metric"] == "scope3_categories_without_data")
    assert gate["value"] == "1" and "(purchased_goods)" in gate["explanation"]

    reason = [Exclusion("purchased_goods", "the factory buys no steel, aluminium, cement or plastics")]
    bounded = evaluate(inv, RULES, "II", 0, 0, incomplete_sources=0, factors=CN_2023, scope3_exclusions=reason)
    assert bounded["remaining_emissions"] == "12" and bounded["scope3"]["complete"] is True
    assert [(f["key"], f["share"], f["material"]) for f in bounded["unconfirmed_factors"]] == [
        ("scope3.road_freight", "100 %", True)
    ]
    # no removals: 0 ÷ 12 → neither 6★ nor any placeholder level
    assert bounded["level"] == "none"
