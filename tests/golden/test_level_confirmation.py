"""Issue 15, item 4: a 3★-5★ placeholder is never shown as a confirmed level, and a level resting on a
material unconfirmed factor is not confirmed either; the report says which factor."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount

from tests.builders import EXAMPLES, attest, claim_json
from tests.conftest import Service
from tests.golden.monthly import Reading, factory_with_months

CCER: dict[str, Any] = json.loads((EXAMPLES / "claims" / "ccer-2025.json").read_text())
PV: Reading = ("pv", "onsite_renewable_self_consumed", "100", "MWh")
GAS: Reading = ("gas", "natural_gas", "10000", "Nm3")


def evaluated(
    service: Service, new_account: Callable[[], LocalAccount], factory_id: str, readings: list[Reading],
    credits: tuple[int, int],
) -> dict[str, Any]:  # fmt: skip
    """``factory_id`` with ``readings`` every month and CCER credits ``credits`` retired for 2025, evaluated."""
    key = factory_with_months(service, new_account, factory_id, readings)
    first, last = credits
    body = CCER | {"factory_id": factory_id, "serial_start": str(first), "serial_end": str(last),
                   "quantity": str(last - first + 1)}  # fmt: skip
    response = service.http.post("/claims", json=claim_json(service.ledger, key, body))
    assert response.status_code == 201, response.text
    attest(service.ledger, response.json()["claim_id"])
    response = service.http.post("/evaluations", json={"factory_id": factory_id, "year": 2025, "type": "I"})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_small_unconfirmed_factor_leaves_the_level_confirmed(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """PV 100 MWh, natural gas 10,000 Nm3 and steam 1 GJ a month; 600 CCER credits.

    Gas CO2 (confirmed factors): 389.31 GJ × 0.0153 × 0.99 × 44/12 = 21.62188809 tCO2/month → 259.46265708.
    Gas CH4 and N2O (IPCC defaults, confirmed = false; from cn-mee-2023 1.2): 389.31 GJ × 1 kg/TJ ÷ 10^6
    × 28 = 0.01090068 and 389.31 × 0.1 ÷ 10^6 × 265 = 0.010316715 tCO2e/month → 0.13080816 (CH4) +
    0.12380058 (N2O) = 0.25460874 tCO2e for the year.
    Steam at heat.purchased 0.11 tCO2/GJ (confirmed = false): 12 GJ × 0.11 = 1.32 tCO2.
    Remaining 259.46265708 + 0.25460874 + 1.32 = 261.03726582 tCO2e; 600 ≥ that → neutralised;
    renewable 100 % → 6★. heat.purchased weighs 1.32 ÷ 261.03726582 = 0.51 %, fuel.natural_gas.ch4
    0.13080816 ÷ 261.03726582 = 0.05 %, fuel.natural_gas.n2o and gwp.n2o (unconfirmed too) 0.12380058 ÷
    261.03726582 = 0.05 %: all < 5 % materiality → listed, not material → level_confirmed true.
    """
    report = evaluated(service, new_account, "CN-GOLD-LC1", [PV, GAS, ("steam", "purchased_steam", "1", "GJ")],
                       (1, 600))  # fmt: skip
    ev = report["evaluation"]
    assert ev["remaining_emissions"] == "261.037266" and ev["level"] == "6★"
    assert ev["level_confirmed"] is True and ev["level_status"] == "confirmed" and ev["level_unconfirmed_because"] == []
    listed = {f["key"]: (f["value"], f["tco2e"], f["share"], f["material"]) for f in ev["unconfirmed_factors"]}
    assert listed == {
        "fuel.natural_gas.ch4": ("1 kgCH4/TJ", "0.130808", "0.05 %", False),
        "fuel.natural_gas.n2o": ("0.1 kgN2O/TJ", "0.123801", "0.05 %", False),
        "gwp.n2o": ("265 tCO2e/tN2O", "0.123801", "0.05 %", False),
        "heat.purchased": ("0.11 tCO2/GJ", "1.32", "0.51 %", False),
    }


def test_a_material_unconfirmed_factor_makes_the_level_unconfirmed(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """As above with steam 200 GJ a month: 2,400 GJ × 0.11 = 264 tCO2; remaining 259.46265708 +
    0.25460874 (gas CH4 and N2O) + 264 = 523.71726582 ≤ 600 credits → the 6★ rules pass, but
    heat.purchased weighs 264 ÷ 523.71726582 = 50.41 % ≥ 5 % → material and unconfirmed → level 6★ with
    level_confirmed false, naming the factor (the gas CH4 and N2O factors weigh 0.02 % each: listed, not
    material)."""
    report = evaluated(service, new_account, "CN-GOLD-LC2", [PV, GAS, ("steam", "purchased_steam", "200", "GJ")],
                       (601, 1200))  # fmt: skip
    ev = report["evaluation"]
    assert ev["level"] == "6★" and ev["level_confirmed"] is False and ev["level_status"] == "unconfirmed factors"
    [factor] = [f for f in ev["unconfirmed_factors"] if f["material"]]
    assert (factor["key"], factor["tco2e"], factor["share"], factor["material"]) == ("heat.purchased", "264", "50.41 %",
                                                                                      True)  # fmt: skip
    assert {f["share"] for f in ev["unconfirmed_factors"] if not f["material"]} == {"0.02 %"}
    [because] = ev["level_unconfirmed_because"]
    assert "heat.purchased = 0.11 tCO2/GJ (50.41 %" in because and "cn-mee-2023" in because
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "not confirmed" in page and "heat.purchased" in page
    [listed] = service.http.get("/factories/CN-GOLD-LC2/evaluations").json()
    assert listed["level_placeholder"] is False  # 6★ is the standard's rule; the report says why it is unconfirmed
    # what the evaluator signs and the chain keeps says it too
    typed = service.http.get(f"/evaluations/{report['id']}/typed-data", params={"evaluator": "0x" + "11" * 20})
    assert typed.status_code == 200, typed.text
    assert typed.json()["message"]["level"] == "6★ (not confirmed)"


def test_a_placeholder_level_is_shown_as_a_placeholder(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """PV 90 MWh and grid 10 MWh a month; 100 CCER credits. Renewable = 1,080 ÷ 1,200 MWh = 90 %: 6★
    (100 %) fails, 5★ (≥ 80 %, a placeholder of the rule file) passes. Remaining = 120 MWh × residual mix
    0.6096 = 73.152 tCO2e ≤ 100 → neutralised. The result is 5★ as an unconfirmed placeholder."""
    report = evaluated(service, new_account, "CN-GOLD-LC3",
                       [("pv", "onsite_renewable_self_consumed", "90", "MWh"), ("grid", "grid_electricity", "10", "MWh")],
                       (1201, 1300))  # fmt: skip
    ev = report["evaluation"]
    assert ev["remaining_emissions"] == "73.152" and ev["level"] == "5★"
    assert ev["level_confirmed"] is False and ev["level_status"] == "placeholder"
    assert "5★ Type I is a placeholder" in ev["level_unconfirmed_because"][0]
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "placeholder thresholds" in page
    [listed] = service.http.get("/factories/CN-GOLD-LC3/evaluations").json()
    assert (listed["level"], listed["level_placeholder"]) == ("5★", True)
    assert "placeholder, unconfirmed" in service.http.get("/factory/CN-GOLD-LC3").text
