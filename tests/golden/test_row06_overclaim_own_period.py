"""Row 6: 1,200 GEC claimed for January alone while January's grid use is 100 MWh.

Before, certificates were matched over the year: the 1,200 MWh covered the whole year's 1,200 MWh
and the factory read 100 % renewable. A certificate covers only consumption in its own declared
months (``claim_period``, the default): 100 MWh counted, an over-claim finding for its period.
The finding names the consumption it weighs per month and source (count, exact sum) with a bounded
sample of record ids: a year of quarter-hour readings would otherwise put 1.2 million ids in it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from ledger.records import new_salt
from tests.builders import FACTORY_ID, attest, batch_json, claim_body, claim_json, example_batch, register_factory
from tests.conftest import Service
from tests.golden.world import claimed, evaluate

FACTORY_B = "CN-JS-GOLD-06"
"""A factory read daily in January: a finding names its records as lines, not one by one."""


@pytest.fixture
def january_claimed_for_the_year(service: Service, new_account: Callable[[], LocalAccount]) -> int:
    """Grid electricity 100 MWh in every month of 2025 (one meter, one record a month) and one confirmed
    claim of 1,200 GEC for consumption 2025-01..2025-01; returns its claim id."""
    factory = new_account()
    register_factory(service.http, factory)
    domain = service.ledger.domain()
    for month in range(1, 13):
        data = example_batch(month=f"2025-{month:02d}")
        grid = data["records"][0]
        assert grid["kind"] == "grid_electricity"
        data["records"] = [grid | {"value": "100", "unit": "MWh"}]
        response = service.http.post("/batches", json=batch_json(domain, factory, data))
        assert response.status_code == 201, response.text
    response = service.http.post("/claims", json=claim_json(domain, factory, claim_body(FACTORY_ID, 1, 1200)))
    assert response.status_code == 201, response.text
    claim_id = int(response.json()["claim_id"])
    attest(service.ledger, claim_id)
    return claim_id


def test_a_claim_beyond_its_own_months_consumption_is_an_over_claim(
    service: Service, january_claimed_for_the_year: int
) -> None:
    """By hand (residual mix 0.6096 tCO2/MWh, cn-mee-2023):

    grid use: 12 × 100 MWh = 1,200 MWh; the claim: 1,200 MWh, declared for 2025-01 only.

    claim_period (default): the claim's months hold 100 MWh (January) → counted min(1,200, 100) = 100;
      excess 1,200 − 100 = 1,100 MWh, not counted anywhere else → one over-claim finding.
      renewable share 100 ÷ 1,200 = 8.333…% → "8.33 %".
      Scope 2 market-based: (1,200 − 100) × 0.6096 = 1,100 × 0.6096 = 670.56 tCO2;
      by month: January (100 − 100) × 0.6096 = 0, each other month 100 × 0.6096 = 60.96;
      11 × 60.96 = 670.56 = the year.
    monthly: January 1,200 against 100 → 100 counted: also 8.33 %.
    annual (before): min(1,200, 1,200) = 1,200 → 100 %, Scope 2 market-based 0.
    The finding blocks every level (gate double_counting_findings ≤ 0); 8.33 % is far from 6★ anyway.
    """
    claim_id = january_claimed_for_the_year
    report = evaluate(service, FACTORY_ID)
    assert report["matching"]["method"] == "claim_period"
    e = report["electricity"]
    assert (e["grid_mwh"], e["certificates_mwh"], e["covered_mwh"]) == ("1200", "1200", "100")
    assert e["renewable_share"] == "8.33 %"
    assert report["totals"]["scope2_market"] == "670.56"
    [finding] = report["double_counting"]
    assert finding["check"] == "renewable_exceeds_consumption" and finding["claim_ids"] == [claim_id]
    assert finding["message"].startswith(
        f"claim {claim_id}: 1,200 MWh of certificates for 2025-01 > 100 MWh of grid electricity consumed in "
        "2025-01: 100 MWh counted, excess 1,100 MWh not counted"
    )
    [certificate] = report["certificates"]
    assert (certificate["claim_id"], certificate["counted"], certificate["valid"]) == (claim_id, "100", True)
    months = {m["period"]: m for m in report["monthly"]}
    assert months["2025-01"]["scope2_market"] == "0" and months["2025-01"]["covered"] == "100"
    assert all(months[f"2025-{m:02d}"]["scope2_market"] == "60.96" for m in range(2, 13))
    assert sum(Decimal(m["scope2_market"]) for m in report["monthly"]) == Decimal(report["totals"]["scope2_market"])
    assert report["evaluation"]["level"] == "none"
    gate = next(g for g in report["evaluation"]["gates"] if g["metric"] == "double_counting_findings")
    assert not gate["passed"]

    # the other methods, side by side in the same report, and each on request
    compared = {c["method"]: c for c in report["matching"]["compared"]}
    assert [compared[m]["renewable_share"] for m in ("claim_period", "monthly", "annual")] == [
        "8.33 %", "8.33 %", "100 %"
    ]  # fmt: skip
    assert (compared["claim_period"]["not_counted_mwh"], compared["annual"]["scope2_market"]) == ("1100", "0")
    netted = evaluate(service, FACTORY_ID, matching="annual")
    assert netted["electricity"]["renewable_share"] == "100 %" and netted["double_counting"] == []
    assert netted["matching"]["method"] == "annual" and netted["totals"]["scope2_market"] == "0"
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "How certificates were matched to consumption" in page and "excess 1,100 MWh not counted" in page


def daily(source_id: str, value: str, unit: str) -> list[dict[str, Any]]:
    """January 2025 read once a day on ``source_id``: 31 grid_electricity records of ``value`` ``unit``."""
    return [{
        "source_id": source_id, "kind": "grid_electricity", "value": value, "unit": unit,
        "interval_start": f"2025-01-{day:02d}T00:00:00+08:00",
        "interval_end": f"2025-{'02-01' if day == 31 else f'01-{day + 1:02d}'}T00:00:00+08:00",
        "evidence": [], "salt": "0x" + new_salt().hex(),
    } for day in range(1, 32)]  # fmt: skip


def test_an_over_claim_names_its_months_sources_and_sums_not_every_record(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """By hand (claim_period, residual mix 0.6096 tCO2/MWh): January is read daily on two meters,
    meter-a 31 × 2.5 MWh = 77.5 MWh and meter-b 31 × 750 kWh = 23,250 kWh = 23.25 MWh: 100.75 MWh
    over 62 records; February..December one record of 100 MWh each on meter-a. The year 1,200.75 MWh.

    1,200 GEC claimed for 2025-01 only: counted min(1,200, 100.75) = 100.75; excess 1,099.25 MWh.
    renewable share 100.75 ÷ 1,200.75 = 8.3906… % → "8.39 %".
    Scope 2 market-based: (1,200.75 − 100.75) × 0.6096 = 1,100 × 0.6096 = 670.56 tCO2.
    The finding names January's consumption as two lines (meter-a, meter-b: they sort so), 31 + 31 =
    62 records, and names two record ids (the first of each meter's January), not 62.
    """
    factory = new_account()
    register_factory(service.http, factory, FACTORY_B)
    first_ids = {}
    for month in range(1, 13):
        period = f"2025-{month:02d}"
        end = f"{2025 + (month == 12)}-{month % 12 + 1:02d}-01T00:00:00+08:00"
        records = daily("meter-a", "2.5", "MWh") + daily("meter-b", "750", "kWh") if month == 1 else [{
            "source_id": "meter-a", "kind": "grid_electricity", "value": "100", "unit": "MWh",
            "interval_start": f"{period}-01T00:00:00+08:00", "interval_end": end, "evidence": [],
            "salt": "0x" + new_salt().hex(),
        }]  # fmt: skip
        batch = {"factory_id": FACTORY_B, "period": period, "revision": 1, "uri": "", "records": records}
        response = service.http.post("/batches", json=batch_json(service.ledger, factory, batch))
        assert response.status_code == 201, response.text
        if month == 1:
            listed = response.json()["records"]
            first_ids = {
                meter: next(r["id"] for r in listed if r["source_id"] == meter) for meter in ("meter-a", "meter-b")
            }
    claim_id = claimed(service, factory, claim_body(FACTORY_B, 1, 1200))

    report = evaluate(service, FACTORY_B)
    e = report["electricity"]
    assert (e["grid_mwh"], e["covered_mwh"], e["renewable_share"]) == ("1200.75", "100.75", "8.39 %")
    assert report["totals"]["scope2_market"] == "670.56"
    [finding] = report["double_counting"]
    assert finding["message"].startswith(
        f"claim {claim_id}: 1,200 MWh of certificates for 2025-01 > 100.75 MWh of grid electricity consumed in "
        "2025-01: 100.75 MWh counted, excess 1,099.25 MWh not counted"
    )
    assert (finding["record_count"], finding["record_ids"]) == (62, [first_ids["meter-a"], first_ids["meter-b"]])
    assert finding["consumption"] == [
        {"period": "2025-01", "source_id": "meter-a", "kind": "grid_electricity", "records": 31, "quantity": "77.5",
         "unit": "MWh", "mwh": "77.5", "first_record_id": first_ids["meter-a"]},
        {"period": "2025-01", "source_id": "meter-b", "kind": "grid_electricity", "records": 31, "quantity": "23250",
         "unit": "kWh", "mwh": "23.25", "first_record_id": first_ids["meter-b"]},
    ]  # fmt: skip
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "62 records<br>" in page and '31 records = 23,250<span class="unit">&nbsp;kWh</span>' in page
