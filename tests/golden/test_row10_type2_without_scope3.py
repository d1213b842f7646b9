"""Issue 15, row 10: Type II with no Scope 3 data at all gave "Scope 3 = 0, 6★"; missing Scope 3 must
block Type II, never count as zero."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount

from tests.conftest import Service
from tests.golden.monthly import factory_with_months

FACTORY = "CN-GOLD-R10"
READINGS = [("pv-roof", "onsite_renewable_self_consumed", "100", "MWh"), ("line-1", "production_output", "10", "t")]
REASONS = {
    "transport": "all goods are collected by customers at the gate; no transport is bought by the factory",
    "purchased_goods": "the factory assembles customer-owned parts; it buys no steel, aluminium, cement or plastics",
}


def evaluate(service: Service, report_type: str, **body: Any) -> Any:
    return service.http.post("/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": report_type} | body)


def test_type_ii_without_scope3_data_gets_no_level_and_says_why(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """A factory that runs on its own rooftop PV: 100 MWh a month, all self-consumed, nothing else.

    By hand (cn-mee-2023):
    - Scope 1 = 0, Scope 2 (market) = 0: no fuel, no grid electricity, no heat.
    - renewable share = on-site 1,200 MWh ÷ consumed 1,200 MWh = 100 %.
    - Type I: remaining = Scope 1 + Scope 2 = 0 tCO2e → neutralised 100 % (nothing to neutralise) → 6★,
      confirmed: 6★ is the standard's published rule and no factor enters the remaining emissions.
    - Type II, no Scope 3 record and no exclusion: the two Scope 3 categories of the rule file (transport,
      purchased_goods) have no data, so Scope 3 is unknown ("no data"), remaining = 0 + unknown =
      unknown, removal_share = removals 0 ÷ unknown = undefined → 6★ fails; the gate
      scope3_categories_without_data = 2 > 0 fails every Type II level → level "none".
      (Before: Scope 3 = 0, remaining 0, 6★.)
    - Type II with a reasoned exclusion of both categories: Scope 3 = 0 inside the declared boundary,
      remaining 0 → 6★, the exclusions and their reasons in the report.
    """
    factory_with_months(service, new_account, FACTORY, READINGS)

    type_i = evaluate(service, "I").json()
    assert type_i["evaluation"]["level"] == "6★" and type_i["evaluation"]["level_confirmed"] is True
    assert type_i["evaluation"]["level_status"] == "confirmed" and "scope3" not in type_i["evaluation"]

    response = evaluate(service, "II")
    assert response.status_code == 201, response.text
    report = response.json()
    ev = report["evaluation"]
    assert ev["level"] == "none" and ev["level_confirmed"] is None and ev["remaining_emissions"] == "unknown"
    assert report["totals"]["scope3"] == "no data"  # never "0"
    assert {m["scope3"] for m in report["monthly"]} == {"no data"}
    assert [(c["category"], c["status"]) for c in ev["scope3"]["categories"]] == [
        ("transport", "no data"), ("purchased_goods", "no data"),
    ]  # fmt: skip
    assert ev["scope3"]["complete"] is False and "not zero" in ev["scope3"]["explanation"]
    gate = next(g for g in ev["gates"] if g["metric"] == "scope3_categories_without_data")
    assert gate["value"] == "2" and not gate["passed"] and "transport, purchased_goods" in gate["explanation"]
    six = next(lv for lv in ev["levels"] if lv["level"] == "6★")
    renewable, removal = six["rules"]
    assert renewable["value"] == "100 %" and renewable["passed"]
    assert removal["value"].startswith("undefined") and not removal["passed"]
    assert (
        "remaining unknown (0 tCO2e known; Scope 3 has no data for transport, purchased_goods)"
        in removal["explanation"]
    )
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "no data" in page and "purchased_goods" in page

    excluded = evaluate(service, "II", scope3_exclusions=[{"category": c, "reason": r} for c, r in REASONS.items()])
    assert excluded.status_code == 201, excluded.text
    ev = excluded.json()["evaluation"]
    assert ev["level"] == "6★" and ev["level_confirmed"] is True and ev["remaining_emissions"] == "0"
    assert [(c["status"], c["reason"]) for c in ev["scope3"]["categories"]] == [
        ("excluded", REASONS["transport"]), ("excluded", REASONS["purchased_goods"]),
    ]  # fmt: skip
    assert excluded.json()["totals"]["scope3"] == "0"


def test_an_exclusion_needs_a_known_category_and_a_reason(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """Each bad exclusion is refused (422) naming its field; nothing is stored."""
    factory_with_months(service, new_account, FACTORY, READINGS, months=[1])
    cases = [
        ("II", [{"category": "business_travel", "reason": "not in the rule file's categories"}],
         ["body", "scope3_exclusions", 0, "category"]),
        ("II", [{"category": "transport", "reason": "n/a"}], ["body", "scope3_exclusions", 0, "reason"]),
        ("II", [{"category": "transport", "reason": REASONS["transport"]}] * 2,
         ["body", "scope3_exclusions", 1, "category"]),
        ("I", [{"category": "transport", "reason": REASONS["transport"]}], ["body", "scope3_exclusions", 0]),
    ]  # fmt: skip
    for report_type, exclusions, loc in cases:
        response = evaluate(service, report_type, scope3_exclusions=exclusions)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == loc, response.text
    assert service.http.get(f"/factories/{FACTORY}/evaluations").json() == []
