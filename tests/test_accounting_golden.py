"""Golden cases for the inventory and the zero-carbon evaluation, with the arithmetic written out.

Factors (cn-mee-2023 unless named): location 0.5306 tCO2/MWh, residual mix 0.6096 tCO2/MWh,
natural gas NCV 389.31 GJ/10^4 Nm3, carbon content 15.3 tC/TJ, oxidation 0.99, CH4 1 kg/TJ and N2O
0.1 kg/TJ (GWP 28 and 265, from version 1.2); electricity 0.1229 kgce/kWh.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from ledger.accounting.evaluation import evaluate, load_rules
from ledger.accounting.inventory import Inventory, InventoryRecord, compute_inventory
from ledger.accounting.park import evaluate_park
from ledger.accounting.scope3 import Exclusion
from ledger.claims import parse_claim
from ledger.claims.double_counting import AnchoredRecord, ClaimedRetirement, find_double_counting
from ledger.claims.eligibility import assess_claims
from ledger.claims.eligibility_rules import load_eligibility
from ledger.factors import load_factor_set
from tests.builders import inventory_record as record

YEAR = 2025
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
RULES = load_rules()
CN_2023 = load_factor_set("cn-mee-2023")
ELIGIBILITY = load_eligibility()


def inventory(**arguments: Any) -> Inventory:
    """:func:`compute_inventory` with the claims' eligibility for a factory in China (eligibility-cn)."""
    return compute_inventory(**arguments, eligibility=assess_claims(arguments["claims"], ELIGIBILITY, "CN"))


def every_month(kind: str, value: str, unit: str, start: int = 0) -> list[InventoryRecord]:
    return [record(start + i, p, kind, value, unit) for i, p in enumerate(MONTHS)]


def claim(claim_id: int, registry: str, first: int, last: int, *, factory: str = "CN-G", block: str = "B-1",
          technology: str = "offshore wind", project: str = "11320520230900017",
          methodology: str = "ACM0002") -> ClaimedRetirement:  # fmt: skip
    c = parse_claim({
        "factory_id": factory, "registry": registry, "block_id": block, "serial_start": str(first),
        "serial_end": str(last), "consumption_start": "2025-01", "consumption_end": "2025-12",
        "project_id": project, "technology": technology, "quantity": str(last - first + 1),
        "unit": "MWh" if registry in ("GEC", "I-REC") else "tCO2e",
        "generation_start": "2025-01", "generation_end": "2025-06", "purpose": "golden", "evidence_sha256": "ab" * 32,
        "country": "CN", "methodology": methodology, "cancellation_number": "CXL-1", "cancellation_date": "2025-12-31",
    })  # fmt: skip
    return ClaimedRetirement(claim_id, c, "0x" + "12" * 20, "0x" + "34" * 32)


def test_scope2_location_versus_market_based() -> None:
    # grid 100 MWh a month = 1200 MWh; green power 10 MWh a month = 120 MWh with no GEC range bundled
    # (uncertified: not counted); GEC 600 MWh for 2025 (50 a month, within each month's 100)
    records = every_month("grid_electricity", "100", "MWh") + every_month("green_power_contract", "10", "MWh", 100)
    inv = inventory(factory_id="CN-G", year=YEAR, records=records, claims=[claim(1, "GEC", 1, 600)],
                            invalid_claims=frozenset(), factors=CN_2023)  # fmt: skip
    # location-based: 1200 MWh × 0.5306 = 636.72 tCO2
    assert inv.scope2_location == Fraction("636.72")
    # market-based: (1200 − 600) MWh × 0.6096 = 600 × 0.6096 = 365.76 tCO2
    assert inv.scope2_market == Fraction("365.76")
    # renewable share: 600 ÷ 1200 = 50 %
    assert inv.renewable_share == Fraction(1, 2)
    # the monthly view adds up to the year: each month (100 − 50) × 0.6096 = 30.48
    assert all(m["scope2_market"] == Fraction("30.48") for m in inv.monthly.values())
    # the 120 MWh of green power are reported, uncertified: no GEC range was bundled with them
    assert inv.electricity["green_power_uncertified_mwh"] == 120
    [contract] = inv.green_power
    assert (contract["source_id"], contract["delivered_mwh"], contract["bundled_claims"]) == (
        "meter-green_power_contract", "120", []
    )  # fmt: skip
    assert (contract["certified_mwh"], contract["uncertified_mwh"]) == ("0", "120")
    # energy: 1200 MWh × 0.1229 tce/MWh = 147.48 tce
    assert inv.energy_tce == Fraction("147.48")


def six_star_case(findings_from: list[ClaimedRetirement]) -> tuple[object, list[object]]:
    # grid 100 MWh/month, all covered: GEC 1200 MWh for 2025 (100 a month); green power 40 MWh/month
    # arrives without a bundled GEC range: uncertified, not counted on its own
    # natural gas 10,000 Nm3/month = 1 × 10^4 Nm3: 1 × 389.31 = 389.31 GJ × 15.3/1000 × 0.99 × 44/12
    #   = 389.31 × 0.0153 = 5.956443 tC × 0.99 = 5.89687857 × 44/12 = 21.62188809 tCO2 a month
    #   → 259.46265708 tCO2 for the year;
    #   CH4 389.31 GJ × 1 kg/TJ = 0.00038931 t × 28 = 0.01090068 tCO2e, N2O 389.31 GJ × 0.1 kg/TJ
    #   = 0.000038931 t × 265 = 0.010316715 tCO2e: 0.021217395 a month → 0.25460874 tCO2e for the year
    #   → Scope 1 = 259.46265708 + 0.25460874 = 259.71726582 tCO2e; Scope 2 market-based = 0 (all grid
    #   electricity covered)
    # offsets: VCS 260 tCO2e ≥ 259.71726582 → neutralised
    records = (
        every_month("grid_electricity", "100", "MWh")
        + every_month("green_power_contract", "40", "MWh", 100)
        + every_month("natural_gas", "10000", "Nm3", 200)
    )
    claims = [claim(1, "GEC", 1, 1200), claim(2, "VCS", 1, 260, block="VCS-B")]
    anchored = [AnchoredRecord(r.record_id, r.record) for r in records]
    findings = find_double_counting(factory_id="CN-G", period_start="2025-01", period_end="2025-12",
                                    claims=claims + findings_from, records=anchored)  # fmt: skip
    invalid = frozenset(i for f in findings for i in f.claim_ids)
    inv = inventory(factory_id="CN-G", year=YEAR, records=records, claims=claims, invalid_claims=invalid,
                            factors=CN_2023)  # fmt: skip
    return inv, findings


def test_type_i_six_stars() -> None:
    inv, findings = six_star_case([])
    assert findings == []
    co2 = sum(ln.result for ln in inv.lines if ln.scope == "scope1" and ln.gases == "CO2")
    assert co2 == Fraction("259.46265708") and inv.scope1 == Fraction("259.71726582") and inv.scope2_market == 0
    assert inv.renewable_share == 1 and inv.offsets == 260
    result = evaluate(inv, RULES, "I", missing_months=0, findings=0, incomplete_sources=0, factors=CN_2023)
    assert result["level"] == "6★" and result["level_confirmed"] is True
    six = result["levels"][0]
    assert [r["passed"] for r in six["rules"]] == [True, True]
    assert "offsets 260 + removals 0 = 260 tCO2e ÷ remaining 259.717266 tCO2e" in six["rules"][1]["explanation"]


def test_double_claimed_gecs_refuse_the_level() -> None:
    # another factory's claim on the same block overlaps units 1100..1200 of ours (the contract would
    # refuse it; here the events are replayed to the checks as if a broken chain had let it through)
    rival = claim(3, "GEC", 1100, 1300, factory="CN-OTHER")
    inv, findings = six_star_case([rival])
    assert [(f.check, f.claim_ids) for f in findings] == [("units_claimed_twice", (1, 3))]
    # claim 1 no longer counts: nothing covered (the green power is uncertified), 1200 MWh at the
    # residual mix = 1200 × 0.6096 = 731.52 tCO2
    assert inv.scope2_market == Fraction("731.52")
    result = evaluate(inv, RULES, "I", missing_months=0, findings=len(findings), incomplete_sources=0, factors=CN_2023)
    assert result["level"] == "none"
    gate = next(g for g in result["gates"] if g["metric"] == "double_counting_findings")
    assert not gate["passed"] and gate["value"] == "1"
    # even the metrics alone would no longer reach 6★: renewable 0/1200 = 0 %
    assert result["levels"][0]["rules"][0]["value"] == "0 %"


def test_a_missing_month_refuses_every_level() -> None:
    inv, _ = six_star_case([])
    result = evaluate(inv, RULES, "I", missing_months=1, findings=0, incomplete_sources=0, factors=CN_2023)
    assert result["level"] == "none" and all(not lv["passed"] for lv in result["levels"])


def park_member(factory_id: str, onsite_mwh: str, process_t: str) -> object:
    records = [record(1, "2025-01", "onsite_renewable_self_consumed", onsite_mwh, "MWh"),
               record(2, "2025-01", "process_emissions", process_t, "tCO2e")]  # fmt: skip
    return compute_inventory(factory_id=factory_id, year=YEAR, records=records, claims=[],
                             invalid_claims=frozenset(), factors=CN_2023)  # fmt: skip


def test_park_at_0_19_passes_and_at_0_21_fails() -> None:
    # two factories with on-site renewable 2,000,000 MWh each: 4,000,000 MWh × 0.1229 tce/MWh = 491,600 tce
    # (band 200,000–1,000,000 tce → ≤ 0.20 tCO2/tce); process emissions set the numerator:
    # 0.19 × 491,600 = 93,404 tCO2 → split 46,702 + 46,702;  0.21 × 491,600 = 103,236 → 51,618 + 51,618
    low = evaluate_park(
        [park_member("P-1", "2000000", "46702"), park_member("P-2", "2000000", "46702")], RULES, incomplete_sources={}
    )
    assert (low["energy_tce"], low["emissions_tco2"], low["intensity"]) == ("491600", "93404", "0.19")
    assert low["passed"] and "≤ 0.20" in low["threshold"]
    high = evaluate_park(
        [park_member("P-1", "2000000", "51618"), park_member("P-2", "2000000", "51618")], RULES, incomplete_sources={}
    )
    assert high["intensity"] == "0.21" and not high["passed"]
    # above 1,000,000 tce the band is ≤ 0.30: 10,000,000 MWh × 0.1229 = 1,229,000 tce, 0.21 × that = 258,090
    big = evaluate_park([park_member("P-3", "10000000", "258090")], RULES, incomplete_sources={})
    assert big["intensity"] == "0.21" and big["passed"] and "≤ 0.30" in big["threshold"]
    small = evaluate_park([park_member("P-4", "1000", "1")], RULES, incomplete_sources={})
    assert not small["passed"] and "no band" in small["threshold"]


def test_the_result_changes_with_the_factor_set_and_names_it() -> None:
    records = every_month("grid_electricity", "100", "MWh")
    results = {}
    for set_id in ("cn-mee-2023", "cn-mee-2022", "cn-ets-2023"):
        factors = load_factor_set(set_id)
        inv = inventory(factory_id="CN-G", year=YEAR, records=records, claims=[],
                                invalid_claims=frozenset(), factors=factors)  # fmt: skip
        results[inv.factor_set] = inv.scope2_location
    # 1200 MWh × 0.5306 = 636.72 (2023); × 0.5366 = 643.92 (2022); × 0.5703 = 684.36 (ETS 2023)
    assert results == {
        f"cn-mee-2023@{CN_2023.version}": Fraction("636.72"),
        f"cn-mee-2022@{load_factor_set('cn-mee-2022').version}": Fraction("643.92"),
        f"cn-ets-2023@{load_factor_set('cn-ets-2023').version}": Fraction("684.36"),
    }


def test_removals_and_offsets_are_kept_apart_for_type_ii() -> None:
    records = every_month("grid_electricity", "100", "MWh") + every_month("transport_road_freight", "10000", "tkm", 50)
    claims = [claim(1, "GEC", 1, 1200), claim(2, "VCS", 1, 100, block="V-1", technology="landfill gas",
                    methodology="ACM0001"),
              claim(3, "VCS", 1, 20, block="V-2", technology="Afforestation, reforestation and revegetation", methodology="VM0047")]  # fmt: skip
    inv = inventory(factory_id="CN-G", year=YEAR, records=records, claims=claims,
                            invalid_claims=frozenset(), factors=CN_2023)  # fmt: skip
    # Scope 3: 120,000 tkm × 0.0001 tCO2e/tkm = 12 tCO2e; offsets 100, removals 20, never netted
    assert inv.scope3 == Fraction(12) and (inv.offsets, inv.removals) == (100, 20)
    bought = [Exclusion("purchased_goods", "golden case: no purchased materials in the boundary")]
    result = evaluate(inv, RULES, "II", missing_months=0, findings=0, incomplete_sources=0, factors=CN_2023,
                      scope3_exclusions=bought)  # fmt: skip
    # Type II 6★ needs removals ≥ remaining (12): 20 ≥ 12 → 6★; not confirmed: scope3.road_freight is a
    # placeholder factor carrying 12 of the 12 tCO2e
    assert result["level_confirmed"] is False and result["unconfirmed_factors"][0]["key"] == "scope3.road_freight"
    assert result["level"] == "6★"
    assert Decimal(result["remaining_emissions"]) == 12


def test_a_park_with_11_of_12_months_missing_is_incomplete_not_a_pass() -> None:
    members = [park_member("P-1", "2000000", "46702"), park_member("P-2", "2000000", "46702")]
    assert evaluate_park(members, RULES, incomplete_sources={})["passed"]  # 0.19 in the ≤ 0.20 band, as above
    gaps = {"P-1": [f"2025-{m:02d}" for m in range(2, 13)]}
    result = evaluate_park(members, RULES, gaps, incomplete_sources={})
    assert not result["passed"] and result["verdict"] == "incomplete" and result["missing_months"] == gaps
    assert result["intensity"] == "0.19" and "P-1 lacks 2025-02, " in result["explanation"]
