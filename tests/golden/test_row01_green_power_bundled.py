"""Row 1: a green-power contract (绿电, its GEC bundled) and the same GECs claimed separately.

Before, a ``green_power_contract`` record's electricity counted by itself and a GEC claim counted
again beside it: the one attribute was counted twice. A contract's electricity now counts only
through the GEC range delivered bundled with it (the claim's signed ``bundled_with`` names the
record's ``source_id``), matched like any certificate and counted once; the same range claimed
again is refused by the contract; green power without a bundled range is uncertified, not counted.
A claim whose ``bundled_with`` names no green-power record in its months is a ``bundle_unmatched``
finding naming both sides, and counts for nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from ledger.records import new_salt
from tests.builders import FACTORY_ID, attest, batch_json, claim_body, claim_json, example_batch, register_factory
from tests.conftest import Service
from tests.golden.world import evaluate

BUNDLED = "ppa-js-2025-001"  # a green-power contract whose GEC range the factory claims as bundled with it
UNDECLARED = "ppa-js-2025-002"  # one whose GECs the factory claims as a plain, unbundled claim
NOWHERE = "ppa-js-2025-009"  # a contract the factory's anchored data holds no record of


def month(number: int, green: tuple[str, str] | None = None) -> dict[str, Any]:
    """2025-``number``: grid 100 MWh on one meter, and ``green`` = (source_id, MWh) of green power."""
    data = example_batch(month=f"2025-{number:02d}")
    grid = data["records"][0]
    assert grid["kind"] == "grid_electricity"
    data["records"] = [grid | {"value": "100", "unit": "MWh"}]
    if green is not None:
        source, mwh = green
        data["records"].append(grid | {"source_id": source, "kind": "green_power_contract", "value": mwh,
                                       "unit": "MWh", "salt": "0x" + new_salt().hex()})  # fmt: skip
    return data


@pytest.fixture
def factory(service: Service, new_account: Callable[[], LocalAccount]) -> LocalAccount:
    """The factory's year: grid 100 MWh every month; green power 40 MWh in January (BUNDLED) and
    30 MWh in February (UNDECLARED), delivered through the grid meter (part of its 100 MWh)."""
    key = new_account()
    register_factory(service.http, key)
    green = {1: (BUNDLED, "40"), 2: (UNDECLARED, "30")}
    for number in range(1, 13):
        response = service.http.post("/batches", json=batch_json(service.ledger, key, month(number, green.get(number))))
        assert response.status_code == 201, response.text
    return key


def claim(service: Service, key: LocalAccount, first: int, last: int, **changes: str) -> Any:
    return service.http.post(
        "/claims", json=claim_json(service.ledger, key, claim_body(FACTORY_ID, first, last, **changes))
    )


def test_a_bundled_range_is_one_attribute_counted_once(service: Service, factory: LocalAccount) -> None:
    """By hand (claim_period, residual mix 0.6096 tCO2/MWh):

    January: contract BUNDLED delivers 40 MWh with GEC 1..40 (40 units), claimed bundled_with BUNDLED
      for 2025-01 → 201. The same 40 GEC claimed again, unbundled → 409 naming the first claim: the
      range exists once on chain, whichever way it arrives.
    February: contract UNDECLARED delivers 30 MWh; its GEC 41..70 are claimed as a plain claim for
      2025-02 (bundled_with "") → the GECs count, the contract's 30 MWh are uncertified green power.
    covered: January min(40, 100) = 40, February min(30, 100) = 30 → 70 MWh (before: green power 70 +
      certificates 70 = 140: each attribute twice).
    renewable share 70 ÷ 1,200 = 5.8333… % → "5.83 %" (before 140 ÷ 1,200 = 11.67 %).
    Scope 2 market-based: (1,200 − 70) × 0.6096 = 1,130 × 0.6096 = 688.848 tCO2 (before 646.176).
    green power: BUNDLED delivered 40, bundled claim counted 40 → certified min(40, 40) = 40,
      uncertified 0; UNDECLARED delivered 30, no bundled claim → certified 0, uncertified 30.
    No finding: 40 ≤ 100 in January, 30 ≤ 100 in February.
    """
    first = claim(service, factory, 1, 40, bundled_with=BUNDLED)
    assert first.status_code == 201, first.text
    bundled_id = first.json()["claim_id"]
    again = claim(service, factory, 1, 40, bundled_with="", purpose="the same GECs, claimed separately")
    assert again.status_code == 409 and f"claim {bundled_id}" in again.json()["detail"], again.text
    plain = claim(service, factory, 41, 70, consumption_start="2025-02", consumption_end="2025-02")
    assert plain.status_code == 201, plain.text
    plain_id = plain.json()["claim_id"]
    for claim_id in (bundled_id, plain_id):
        attest(service.ledger, claim_id)

    response = service.http.post("/evaluations", json={"factory_id": FACTORY_ID, "year": 2025, "type": "I"})
    assert response.status_code == 201, response.text
    report = response.json()
    e = report["electricity"]
    assert (e["grid_mwh"], e["green_power_mwh"], e["certificates_mwh"], e["covered_mwh"]) == ("1200", "70", "70", "70")
    assert e["green_power_uncertified_mwh"] == "30" and e["renewable_share"] == "5.83 %"
    assert report["totals"]["scope2_market"] == "688.848"
    assert report["double_counting"] == []
    contracts = {g["source_id"]: g for g in report["green_power"]}
    assert contracts[BUNDLED] | {"explanation": ""} == {
        "source_id": BUNDLED, "delivered_mwh": "40", "bundled_claims": [bundled_id], "bundled_counted_mwh": "40",
        "certified_mwh": "40", "uncertified_mwh": "0", "explanation": "",
    }  # fmt: skip
    assert (contracts[UNDECLARED]["bundled_claims"], contracts[UNDECLARED]["uncertified_mwh"]) == ([], "30")
    assert "uncertified green power, not counted" in contracts[UNDECLARED]["explanation"]
    counted = {c["claim_id"]: c["counted"] for c in report["certificates"]}
    assert counted == {bundled_id: "40", plain_id: "30"}
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "Green-power contracts and their bundled certificates" in page and UNDECLARED in page


def test_a_bundle_the_data_does_not_hold_is_a_finding_and_counts_for_nothing(
    service: Service, factory: LocalAccount
) -> None:
    """By hand (claim_period, residual mix 0.6096 tCO2/MWh), the factory's data as above: BUNDLED
    delivers 40 MWh in January only, UNDECLARED 30 MWh in February, grid 100 MWh every month.

    claim good: GEC 1..40 bundled_with BUNDLED for 2025-01 → BUNDLED has a green_power_contract record
      in 2025-01: the bundle is in the data, counted min(40, 100) = 40.
    claim nowhere: GEC 41..60 (20) bundled_with NOWHERE for 2025-03 → no record of source NOWHERE in
      2025: finding bundle_unmatched, 0 records named.
    claim elsewhen: GEC 61..90 (30) bundled_with BUNDLED for 2025-04 → BUNDLED delivered in 2025-01
      only: finding, naming its one January record (40 MWh).
    claim meter: GEC 91..100 (10) bundled_with the grid meter for 2025-05 → a grid_electricity source,
      no green_power_contract: finding.
    The three are refused: valid false, counted 0; the findings come by claim id.
    covered 40 MWh (January); certificates 40 MWh; renewable share 40 ÷ 1,200 = 3.333… % → "3.33 %".
    Scope 2 market-based: (1,200 − 40) × 0.6096 = 1,160 × 0.6096 = 707.136 tCO2.
    green power: BUNDLED certified min(40, 40) = 40, UNDECLARED uncertified 30 → uncertified 30 MWh.
    Three double-counting findings: the gate needs ≤ 0 → no level.
    """
    meter = month(1)["records"][0]["source_id"]
    bodies = {
        "good": (1, 40, BUNDLED, "2025-01"), "nowhere": (41, 60, NOWHERE, "2025-03"),
        "elsewhen": (61, 90, BUNDLED, "2025-04"), "meter": (91, 100, meter, "2025-05"),
    }  # fmt: skip
    ids = {}
    for name, (first, last, source, consumed) in bodies.items():
        response = claim(service, factory, first, last, bundled_with=source, consumption_start=consumed,
                         consumption_end=consumed)  # fmt: skip
        assert response.status_code == 201, response.text
        ids[name] = response.json()["claim_id"]
        attest(service.ledger, ids[name])

    report = evaluate(service, FACTORY_ID)
    findings = report["double_counting"]
    assert [(f["check"], f["claim_ids"]) for f in findings] == [
        ("bundle_unmatched", [ids[name]]) for name in ("nowhere", "elsewhen", "meter")
    ]
    nowhere, elsewhen, grid = findings
    assert nowhere["message"] == (
        f"GEC claim {ids['nowhere']} (serials 41..60, 20 MWh for consumption 2025-03) is declared bundled with "
        f"green-power contract {NOWHERE}, but the factory's anchored data holds no record of source {NOWHERE} in "
        "2025-01..2025-12: the bundle is not in the anchored data, so the claim is not counted"
    )
    assert (nowhere["record_count"], nowhere["record_ids"], nowhere["consumption"]) == (0, [], [])
    assert (
        f"but contract {BUNDLED} delivered green power in 2025-01 only, none in the claim's months"
        in (elsewhen["message"])
    )
    [line] = elsewhen["consumption"]
    assert (elsewhen["record_count"], elsewhen["record_ids"]) == (1, [line["first_record_id"]])
    assert line | {"first_record_id": ""} == {
        "period": "2025-01", "source_id": BUNDLED, "kind": "green_power_contract", "records": 1, "quantity": "40",
        "unit": "MWh", "mwh": "40", "first_record_id": "",
    }  # fmt: skip
    assert (
        f"source {meter} holds grid_electricity records in 2025-01..2025-12, none of kind green_power_contract"
        in (grid["message"])
    )
    counted = {c["claim_id"]: (c["valid"], c["counted"]) for c in report["certificates"]}
    assert counted == {ids["good"]: (True, "40")} | {ids[n]: (False, "0") for n in ("nowhere", "elsewhen", "meter")}
    e = report["electricity"]
    assert (e["certificates_mwh"], e["covered_mwh"], e["renewable_share"]) == ("40", "40", "3.33 %")
    assert (e["green_power_mwh"], e["green_power_uncertified_mwh"]) == ("70", "30")
    assert report["totals"]["scope2_market"] == "707.136"
    contracts = {g["source_id"]: g for g in report["green_power"]}
    assert (contracts[BUNDLED]["bundled_claims"], contracts[BUNDLED]["certified_mwh"]) == ([ids["good"]], "40")
    assert set(contracts) == {BUNDLED, UNDECLARED}  # a refused bundle names no contract here
    gate = next(g for g in report["evaluation"]["gates"] if g["metric"] == "double_counting_findings")
    assert (gate["value"], gate["passed"], report["evaluation"]["level"]) == ("3", False, "none")
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "bundle_<wbr>unmatched" in page and "1 record<br>" in page and line["first_record_id"] in page
