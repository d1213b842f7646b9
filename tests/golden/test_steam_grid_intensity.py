"""Issue 15, item 5 (accounting fidelity) through the API: steam metered in tonnes becomes heat by the
accounting guidelines' method at its supplier's declared conditions (IAPWS-IF97 enthalpy − 83.74 kJ/kg
feed water), the heat factor and a province's grid factor name their publication, every total says it
is CO2 only, and the report gives tCO2e per unit of output, each with its arithmetic.

The arithmetic is worked out by hand in the docstring; the enthalpy is IAPWS-IF97's, checked against
the IAPWS verification values in tests/test_steam.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount

from tests.builders import batch_json, month_of, register_factory
from tests.conftest import Service

FACTORY = "CN-HE-SJZ-0007"
STEAM = {"meter-steam": {"absolute_pressure_mpa": "1.0", "temperature_c": "250"}}
ROWS = [("meter-grid", "grid_electricity", "100", "MWh"), ("meter-steam", "purchased_steam", "10", "t"),
        ("meter-heat", "purchased_heat", "20", "GJ"), ("line-1", "production_output", "40", "t")]  # fmt: skip


def _post(service: Service, **body: Any) -> Any:
    return service.http.post("/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I"} | body)


def test_steam_heat_province_grid_and_intensity(service: Service, new_account: Callable[[], LocalAccount]) -> None:
    """A Hebei factory, each month: 100 MWh from the grid, 10 t of steam (supplier: 1.0 MPa absolute,
    250 °C), 20 GJ of hot water, 40 t of output. Factor set cn-mee-2022, grid CN-HE (Hebei).

    - steam: h(1.0 MPa, 250 °C) = 2943.22 kJ/kg (IAPWS-IF97; printed tables give ≈ 2943);
      (2943.22 − 83.74) kJ/kg ÷ 1000 = 2.85948 GJ/t; 10 t × 2.85948 = 28.5948 GJ a month;
      × 0.11 tCO2/GJ = 3.145428 tCO2 a month; × 12 = 37.745136 tCO2
    - hot water: 20 GJ × 0.11 = 2.2 tCO2 a month; × 12 = 26.4 tCO2
    - grid, location-based at Hebei's 2022 factor 0.7252: 1200 MWh × 0.7252 = 870.24 tCO2
    - Scope 2 location = 870.24 + 37.745136 + 26.4 = 934.385136 tCO2 (CO2 only)
    - Scope 2 market: no certificates, 1200 MWh × 0.5856 (2022 residual mix) = 702.72;
      + 37.745136 + 26.4 = 766.865136 tCO2
    - intensity, 480 t of output: 934.385136 ÷ 480 = 1.9466357 → 1.946636 tCO2e/t (location);
      766.865136 ÷ 480 = 1.5976357 → 1.597636 tCO2e/t (market)
    """
    key = new_account()
    register_factory(service.http, key, FACTORY, name="Shijiazhuang Steam-Heated Textiles")
    for month in range(1, 13):
        data = month_of(FACTORY, f"2025-{month:02d}", ROWS)
        assert service.http.post("/batches", json=batch_json(service.ledger.domain(), key, data)).status_code == 201

    response = _post(service, factor_set="cn-mee-2022", grid="CN-HE", steam=STEAM)
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["totals"]["scope1"] == "0"
    assert report["totals"]["scope2_location"] == "934.385136" and report["totals"]["scope2_market"] == "766.865136"

    (steam,) = report["steam_conditions"]
    assert (steam["source_id"], steam["enthalpy_kj_per_kg"], steam["heat_gj_per_t"]) == (
        "meter-steam",
        "2943.22",
        "2.85948",
    )
    assert steam["saturated"] is False and steam["temperature_c"] == "250" and steam["method"].startswith("IAPWS-IF97")
    january = next(ln for ln in report["lines"] if ln["period"] == "2025-01" and ln["category"] == "purchased_steam"
                   and ln["scope"] == "scope2")  # fmt: skip
    assert january["result"] == "3.145428" and january["arithmetic"] == (
        "10 t × (2943.22 kJ/kg − 83.74 kJ/kg) ÷ 1000 = 28.5948 GJ (h by IAPWS-IF97 at 1.0 MPa (absolute), 250 °C, "
        "less feed water); 28.5948 GJ × 0.11 tCO2/GJ = 3.145428 tCO2"
    )
    assert ("steam.feedwater_enthalpy", "83.74 kJ/kg") in [(f["key"], f["value"]) for f in january["factors"]]

    grid = report["grid_factor"]
    assert (grid["grid"], grid["key"], grid["value"]) == ("CN-HE", "grid.province.cn_he", "0.7252")
    assert "2022年电力二氧化碳排放因子" in grid["source"] and grid["confirmed"] is False
    sources = {f["key"]: f for f in report["factors_used"]}
    assert "0.11 tCO2/GJ" in sources["heat.purchased"]["source"] and sources["heat.purchased"]["confirmed"] is False
    assert "83.74" in sources["steam.feedwater_enthalpy"]["source"]
    assert report["gases"]["scope2_location"] == {"basis": "CO2 only", "gases": ["CO2"]}
    assert report["biogenic_co2"]["total_tco2"] == "0"

    rows = {r["emissions"]: r["tco2e_per_unit"] for r in report["intensity"]["rows"]}
    assert rows == {"Scope 1 + Scope 2 (location-based)": "1.946636", "Scope 1 + Scope 2 (market-based)": "1.597636"}
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "2,943.22" in page and "0.7252" in page and "1.946636" in page and "2022年电力二氧化碳排放因子" in page

    # refused, naming what is wrong: no declared conditions, a province without a sourced figure,
    # steam colder than saturation at its pressure (1.0 MPa: 179.89 °C)
    missing = _post(service, factor_set="cn-mee-2022", grid="CN-HE")
    assert missing.status_code == 422 and "steam source 'meter-steam' is metered in t" in missing.text
    unknown = _post(service, factor_set="cn-mee-2022", grid="CN-XZ", steam=STEAM)  # Tibet: not in the announcement
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "grid"]
    assert "grid.province.cn_xz" in unknown.text
    cold = _post(service, factor_set="cn-mee-2022", steam={"meter-steam": {"absolute_pressure_mpa": "1.0",
                                                                          "temperature_c": "150"}})  # fmt: skip
    assert cold.status_code == 422 and cold.json()["detail"][0]["loc"] == [
        "body",
        "steam",
        "meter-steam",
        "temperature_c",
    ]
    assert "179.89 °C" in cold.text
