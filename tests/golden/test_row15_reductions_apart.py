"""Issue 15, row 15: "reductions" were certificate purchases × the grid factor. Now the factory's own
reductions (on-site renewable; efficiency against a declared base year) are kept apart from
certificates (their market-based Scope 2 effect), offsets and removals — the "floating zero" — and no
figure adds them up."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.records import new_salt
from tests.builders import attest, batch_json, claim_body, claim_json, register_factory
from tests.conftest import Service
from tests.golden.world import evaluate

FACTORY = "CN-GOLD-R15"
READINGS = [
    ("grid-main", "grid_electricity", "100", "MWh"),
    ("pv-roof", "onsite_renewable_self_consumed", "20", "MWh"),
    ("kiln-process", "process_emissions", "2", "tCO2e"),
    ("line-1", "production_output", "10", "t"),
]
CCER = json.loads((Path(__file__).resolve().parents[2] / "examples" / "claims" / "ccer-2025.json").read_text())
BASE_YEAR = {"year": 2023, "gross_emissions_tco2e": "900", "output": "100", "output_unit": "t",
             "source": "2023 GHG inventory, verification statement no. GOLD-2023-15"}  # fmt: skip


def _batch(period: str) -> dict[str, Any]:
    y, m = map(int, period.split("-"))
    end = f"{y + (m == 12)}-{m % 12 + 1:02d}-01T00:00:00+08:00"
    records = [
        {"source_id": s, "kind": k, "value": v, "unit": u, "evidence": [], "salt": "0x" + new_salt().hex(),
         "interval_start": f"{period}-01T00:00:00+08:00", "interval_end": end}
        for s, k, v, u in READINGS
    ]  # fmt: skip
    return {"factory_id": FACTORY, "period": period, "revision": 1, "uri": "", "records": records}


def _claim(service: Service, key: LocalAccount, body: dict[str, Any]) -> None:
    response = service.http.post("/claims", json=claim_json(service.ledger, key, body))
    assert response.status_code == 201, response.text
    attest(service.ledger, response.json()["claim_id"])


def _year(service: Service, new_account: Callable[[], LocalAccount]) -> None:
    key = new_account()
    register_factory(service.http, key, FACTORY, name="Golden row 15")
    for month in range(1, 13):
        response = service.http.post("/batches", json=batch_json(service.ledger, key, _batch(f"2025-{month:02d}")))
        assert response.status_code == 201, response.text
    year = {"consumption_start": "2025-01", "consumption_end": "2025-12"}
    _claim(service, key, claim_body(FACTORY, 1, 600, **year))  # 600 GEC (MWh) for 2025
    credit = {k: v for k, v in CCER.items() if k != "serial"} | {"factory_id": FACTORY, "serial_start": "1"}
    _claim(service, key, credit | {"block_id": "CCER-01-2024-0007-V2024-B01", "project_id": "CCER-01-2024-0007",
                                   "technology": "offshore wind", "methodology": "CCER-01-002-V01",  # avoidance by its code
                                   "serial_end": "100", "quantity": "100"})  # fmt: skip
    _claim(service, key, credit | {"block_id": "CCER-14-2024-0031-V2024-B15", "serial_end": "50", "quantity": "50"})


def test_own_reductions_certificates_offsets_and_removals_are_apart_and_never_summed(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """A year of 12 equal months: grid 100 MWh, rooftop PV self-consumed 20 MWh, process emissions
    2 tCO2e, output 10 t; 600 GEC for 2025, 100 CCER from a wind farm (an offset) and 50 CCER of
    afforestation (a removal), all confirmed.

    By hand (cn-mee-2023: grid.national_average 0.5306, grid.residual_mix 0.6096 tCO2/MWh):
    - grid 12 × 100 = 1,200 MWh; on-site 12 × 20 = 240 MWh; Scope 1 = 12 × 2 = 24 tCO2e;
      output 12 × 10 = 120 t.
    - Scope 2 location = 1,200 × 0.5306 = 636.72 tCO2.
    - own, on-site renewable = 240 MWh × 0.5306 = 127.344 tCO2e.
    - certificates: covered = min(600, 1,200) = 600 MWh; market-based effect = 600 × 0.6096 = 365.76 tCO2e
      (Scope 2 market = (1,200 − 600) × 0.6096 = 365.76 too, by coincidence of the half).
    - offsets 100 tCO2e; removals 50 tCO2e.
    - efficiency without base-year data: "no base year", null — not 0.
    - with the declared base year 2023 (gross 900 tCO2e for 100 t): gross 2025 = 24 + 636.72 + 127.344 =
      788.064 tCO2e; intensity 900 ÷ 100 = 9 then, 788.064 ÷ 120 = 6.5672 now; efficiency =
      (9 − 6.5672) × 120 = 2.4328 × 120 = 291.936 tCO2e.
    - the old "reductions" was renewable (240 + 600) × 0.5306 = 445.704; any sum of the apart figures
      (127.344 + 365.76 + 100 + 50 = 643.104; + 291.936 = 935.04) must appear nowhere.
    """
    _year(service, new_account)
    report = evaluate(service, FACTORY)
    zero = report["floating_zero"]
    own = zero["own_reductions"]
    assert own["onsite_renewable"]["tco2e"] == "127.344" and own["onsite_renewable"]["mwh"] == "240"
    assert own["efficiency"]["status"] == "no base year" and own["efficiency"]["tco2e"] is None
    assert zero["certificates"]["covered_mwh"] == "600"
    assert zero["certificates"]["scope2_market_effect_tco2e"] == "365.76"
    assert zero["offsets"]["tco2e"] == "100" and zero["removals"]["tco2e"] == "50"
    assert zero["summed"] is False and "reductions" not in report["totals"]
    assert report["totals"]["scope2_location"] == "636.72" and report["totals"]["scope1"] == "24"
    text = json.dumps(report)
    for total in ("445.704", "643.104"):
        assert total not in text, total

    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    for figure in ("127.344", "365.76", "no base year"):
        assert figure in page, figure
    assert "Reductions</div>" not in page and "643.104" not in page

    based = evaluate(service, FACTORY, base_year=BASE_YEAR)
    efficiency = based["floating_zero"]["own_reductions"]["efficiency"]
    assert efficiency["status"] == "computed" and efficiency["method"] == "intensity"
    assert efficiency["gross_emissions_tco2e"] == "788.064"
    assert efficiency["intensity_base"] == "9" and efficiency["intensity_now"] == "6.5672"
    assert efficiency["tco2e"] == "291.936" and efficiency["base_year"]["declared"] is True
    assert "935.04" not in json.dumps(based)
    assert "291.936" in service.http.get(f"/evaluations/{based['id']}/report.html").text


def test_a_base_year_in_a_unit_the_year_lacks_is_not_computed_and_bad_input_names_the_field(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """Same year. A base year per piece ("pcs") while the year records only tonnes: the intensity
    cannot be compared, so efficiency is null with the reason — not 0. Without output the comparison
    is absolute: 900 − 788.064 = 111.936 tCO2e."""
    _year(service, new_account)
    pieces = evaluate(service, FACTORY, base_year=BASE_YEAR | {"output_unit": "pcs"})["floating_zero"]["own_reductions"]
    assert pieces["efficiency"]["tco2e"] is None and "no production output in pcs" in pieces["efficiency"]["status"]
    absolute = {k: v for k, v in BASE_YEAR.items() if k not in ("output", "output_unit")}
    efficiency = evaluate(service, FACTORY, base_year=absolute)["floating_zero"]["own_reductions"]["efficiency"]
    assert efficiency["method"] == "absolute" and efficiency["tco2e"] == "111.936"
    for bad, field in (({"year": 2025}, "base_year.year"), ({"gross_emissions_tco2e": "-1"}, "base_year.gross_emissions_tco2e"),
                       ({"output": None}, "base_year.output")):  # fmt: skip
        body = {"factory_id": FACTORY, "year": 2025, "type": "I", "base_year": BASE_YEAR | bad}
        response = service.http.post("/evaluations", json=body)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", *field.split(".")], (bad, response.text)
