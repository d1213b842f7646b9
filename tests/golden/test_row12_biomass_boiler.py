"""Issue 15, row 12: a biomass boiler. It was refused ("no accounting rule"); now its CO2 is biogenic,
reported apart from every scope and total, and its CH4 and N2O are Scope 1 in CO2e with a named GWP
set (IPCC AR5 GWP-100), every total saying whether it is CO2 only or CO2e.

Driven through the API as a user would: a factory registered, twelve signed monthly batches anchored,
``POST /evaluations``; the figures are worked out by hand in each test's docstring.
"""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from tests.builders import batch_json, month_of, register_factory
from tests.conftest import Service
from tests.golden.world import evaluate

FACTORY = "CN-GD-BIO-0001"
BOILER = "boiler-wood-01"


def _year(service: Service, key: LocalAccount, rows: list[tuple[str, str, str, str]]) -> None:
    register_factory(service.http, key, FACTORY, name="Foshan Biomass Furniture Co.")
    for month in range(1, 13):
        data = month_of(FACTORY, f"2025-{month:02d}", rows)
        response = service.http.post("/batches", json=batch_json(service.ledger.domain(), key, data))
        assert response.status_code == 201, response.text


def test_a_biomass_boiler_reports_biogenic_co2_apart_and_ch4_n2o_in_scope_1(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """Each month: 100 t of wood in the boiler, 500 t of furniture out, nothing else.

    Factor set cn-mee-2023 (IPCC 2006 defaults for wood/wood waste; IPCC AR5 GWP-100):
    - energy: 100 t × 15.6 GJ/t = 1560 GJ a month; 12 × 1560 = 18720 GJ a year
    - biogenic CO2: 1560 GJ × 112000 kgCO2/TJ ÷ 10^6 = 174.72 tCO2 a month; × 12 = 2096.64 tCO2,
      reported on its own and in no total
    - CH4: 1560 GJ × 30 kgCH4/TJ ÷ 10^6 = 0.0468 tCH4; × 28 = 1.3104 tCO2e a month
    - N2O: 1560 GJ × 4 kgN2O/TJ ÷ 10^6 = 0.00624 tN2O; × 265 = 1.6536 tCO2e a month
    - Scope 1 = 12 × (1.3104 + 1.6536) = 12 × 2.964 = 35.568 tCO2e (CH4 and N2O only: no fossil CO2)
    - Scope 2 = 0 (no grid, heat or steam); Scope 1 + Scope 2 = 35.568 tCO2e under both methods
    - energy: 18720 GJ × 1000 ÷ 29.307 MJ/kgce ÷ 1000 = 638.755246 tce (6 places, half-even)
    - intensity: 35.568 tCO2e ÷ 6000 t = 0.005928 tCO2e/t
    """
    _year(service, new_account(), [(BOILER, "biomass_wood", "100", "t"), ("line-1", "production_output", "500", "t")])
    report = evaluate(service, FACTORY)

    totals = report["totals"]
    assert totals["scope1"] == "35.568" and totals["scope2_location"] == "0" and totals["scope2_market"] == "0"
    assert totals["energy_tce"] == "638.755246"
    assert report["evaluation"]["remaining_emissions"] == "35.568"  # biogenic CO2 is not remaining emissions
    assert report["biogenic_co2"]["total_tco2"] == "2096.64"
    assert "no scope and no total" in report["biogenic_co2"]["counted_in"]
    assert report["biogenic_co2"]["sources"] == [BOILER] and report["biogenic_co2"]["records"] == 12

    january = [ln for ln in report["lines"] if ln["period"] == "2025-01" and ln["category"] == "biomass_wood"]
    by_gases = {ln["gases"]: ln for ln in january}
    assert set(by_gases) == {"CO2 (biogenic)", "CH4 as CO2e", "N2O as CO2e", "none (energy, tce)"}
    assert by_gases["CO2 (biogenic)"]["scope"] == "biogenic_co2" and by_gases["CO2 (biogenic)"]["result"] == "174.72"
    assert by_gases["CH4 as CO2e"]["scope"] == "scope1" and by_gases["CH4 as CO2e"]["result"] == "1.3104"
    assert by_gases["N2O as CO2e"]["scope"] == "scope1" and by_gases["N2O as CO2e"]["result"] == "1.6536"
    assert by_gases["CH4 as CO2e"]["arithmetic"] == (
        "100 t × 15.6 GJ/t = 1560 GJ; 1560 GJ × 30 kgCH4/TJ ÷ 1000000 = 0.0468 tCH4; "
        "× 28 tCO2e/tCH4 (GWP) = 1.3104 tCO2e"
    )

    gases = report["gases"]
    assert gases["scope1"] == {"basis": "CO2e", "gases": ["CH4 as CO2e", "N2O as CO2e"]}
    assert gases["biogenic_co2"] == {"basis": "CO2 only", "gases": ["CO2 (biogenic)"]}
    assert gases["gwp"]["set"] == "IPCC AR5 GWP-100" and gases["gwp"]["ch4"] == "28 tCO2e/tCH4"
    assert gases["gwp"]["n2o"] == "265 tCO2e/tN2O" and "Table 8.7" in gases["gwp"]["source"]
    sources = {f["key"]: f for f in report["factors_used"]}
    assert {
        "biomass.wood.ncv",
        "biomass.wood.co2",
        "biomass.wood.ch4",
        "biomass.wood.n2o",
        "gwp.ch4",
        "gwp.n2o",
    } <= set(sources)
    assert "IPCC" in sources["biomass.wood.co2"]["source"] and sources["biomass.wood.co2"]["value"] == "112000"

    rows = {r["emissions"]: r for r in report["intensity"]["rows"]}
    assert rows["Scope 1 + Scope 2 (market-based)"]["tco2e_per_unit"] == "0.005928"
    assert rows["Scope 1 + Scope 2 (market-based)"]["arithmetic"] == (
        "35.568 tCO2e (Scope 1 + Scope 2 (market-based)) ÷ 6000 t = 0.005928 tCO2e/t"
    )

    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "Biogenic CO₂ (reported, not counted)" in page and "2,096.64" in page and "IPCC AR5 GWP-100" in page


def test_wood_metered_by_energy_and_in_kilograms_gives_the_same_tonnes(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """The same boiler metered two ways each month: 50000 kg of wood and, from a heat meter on a second
    boiler, 780 GJ of wood burned.

    - 50000 kg = 50 t × 15.6 GJ/t = 780 GJ; the second boiler 780 GJ as measured: 1560 GJ a month, as above
    - so Scope 1 = 35.568 tCO2e and biogenic CO2 = 2096.64 tCO2 for the year, as in the test above;
      the energy-metered line has no NCV step: "780 GJ × 112000 kgCO2/TJ ÷ 1000000 = 87.36 tCO2 …"
    """
    rows = [(BOILER, "biomass_wood", "50000", "kg"), ("boiler-wood-02", "biomass_wood", "780", "GJ")]
    _year(service, new_account(), rows)
    report = evaluate(service, FACTORY)
    assert report["totals"]["scope1"] == "35.568" and report["biogenic_co2"]["total_tco2"] == "2096.64"
    by_energy = next(ln for ln in report["lines"] if ln["activity"] == "780 GJ" and ln["scope"] == "biogenic_co2")
    assert by_energy["arithmetic"].startswith("780 GJ × 112000 kgCO2/TJ ÷ 1000000 = 87.36 tCO2")
    assert report["intensity"] == {"rows": [], "note": "no production_output records: not computed"}
