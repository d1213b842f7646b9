"""Issue 15, row 13: a park where one member sells steam to another counted the steam twice, and a
member with 6 months missing still passed. Transfers between members are netted; incomplete members
block a pass; each member counts once; both numerator variants are shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount

from tests.builders import attest, claim_body, claim_json
from tests.conftest import Service
from tests.golden.monthly import factory_with_months

SELLER, BUYER, PARTIAL = "CN-GOLD-PA", "CN-GOLD-PB", "CN-GOLD-PC"
STEAM_TRANSFER = {"from_factory": SELLER, "to_factory": BUYER, "source_id": "steam-B"}


def park(service: Service, factories: list[str], transfers: list[dict[str, str]] | None = None) -> Any:
    body = {"factories": factories, "year": 2025, "transfers": transfers or []}
    return service.http.post("/parks/evaluations", json=body)


def build_park(service: Service, new_account: Callable[[], LocalAccount]) -> None:
    factory_with_months(service, new_account, SELLER, [
        ("pv-A", "onsite_renewable_self_consumed", "100000", "MWh"), ("gas-A", "natural_gas", "58614", "GJ"),
    ])  # fmt: skip
    buyer = factory_with_months(service, new_account, BUYER, [
        ("pv-B", "onsite_renewable_self_consumed", "50000", "MWh"), ("grid-B", "grid_electricity", "100", "MWh"),
        ("steam-B", "purchased_steam", "29307", "GJ"),
    ])  # fmt: skip
    response = service.http.post("/claims", json=claim_json(service.ledger, buyer, claim_body(BUYER, 1, 100)))
    assert response.status_code == 201, response.text  # 100 GEC for January's grid electricity
    attest(service.ledger, response.json()["claim_id"])


def test_steam_sold_between_members_is_counted_once(service: Service, new_account: Callable[[], LocalAccount]) -> None:
    """Two members, every month of 2025 (cn-mee-2023: gas 15.3 tC/TJ, oxidation 0.99, CH4 1 and N2O
    0.1 kg/TJ at GWP 28 and 265; heat 0.11 tCO2/GJ; grid 0.5306 tCO2/MWh; 29.307 MJ/kgce; electricity
    0.1229 kgce/kWh):

    Seller A burns 58,614 GJ of natural gas a month in its boiler (and sells steam from it to B):
      CO2 = 58,614 × 0.0153 × 0.99 × 44/12 = 3,255.362946 tCO2/month; CH4 58,614 × 1 ÷ 10^6 × 28 =
      1.641192 and N2O 58,614 × 0.1 ÷ 10^6 × 265 = 1.553271 tCO2e/month; Scope 1 = 3,258.557409
      tCO2e/month → 39,102.688908 tCO2e/year (39,064.355352 of it CO2)
      tce = 58,614 × 1000 ÷ 29.307 ÷ 1000 = 2,000 tce/month → 24,000 tce; PV 100,000 MWh × 0.1229 =
      12,290 tce/month → 147,480 tce.
    Buyer B: PV 50,000 MWh → 73,740 tce/year; grid 100 MWh/month → 1,200 MWh × 0.5306 = 636.72 tCO2,
      1,200 × 0.1229 = 147.48 tce; steam bought from A 29,307 GJ/month → Scope 2 29,307 × 0.11 =
      3,223.77 tCO2/month → 38,685.24 tCO2/year, and 1,000 tce/month → 12,000 tce/year; a GEC claim
      of 100 MWh covers January's grid electricity.

    Counted twice (before): emissions 39,102.688908 + 636.72 + 38,685.24 = 78,424.648908 tCO2e over
      24,000 + 147,480 + 73,740 + 147.48 + 12,000 = 257,367.48 tce = 0.30472 tCO2e/tce > 0.20 → fail.
    Netted (B's steam-B declared as a transfer from A): 78,424.648908 − 38,685.24 = 39,739.408908 tCO2e
      over 257,367.48 − 12,000 = 245,367.48 tce (band 200,000-1,000,000 tce, ≤ 0.20)
      = 0.161958744117… → 0.161959 → pass.
    Variant with green electricity deducted: 39,739.408908 − 100 MWh × 0.5306 = 39,686.348908 tCO2e
      ÷ 245,367.48 = 0.161742497041… → 0.161742 → pass: the variants agree.
    """
    build_park(service, new_account)
    naive = park(service, [SELLER, BUYER]).json()
    assert (naive["emissions_tco2"], naive["energy_tce"], naive["verdict"]) == ("78424.648908", "257367.48", "fail")

    response = park(service, [SELLER, BUYER], [STEAM_TRANSFER])
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["emissions_tco2"], result["energy_tce"], result["intensity"]) == (
        "39739.408908", "245367.48", "0.161959"
    )  # fmt: skip
    assert result["verdict"] == "pass" and result["passed"] and result["completeness_checked"]
    assert result["netted"] == {"tco2": "38685.24", "tce": "12000"}
    [transfer] = result["transfers"]
    assert (transfer["seller"], transfer["buyer"], transfer["source_id"], transfer["records"]) == (
        SELLER, BUYER, "steam-B", 12
    )  # fmt: skip
    assert "netted transfers between members: 38685.24 tCO2, 12000 tce" in result["explanation"]
    variants = {v["name"]: v for v in result["variants"]}
    assert variants["no_deduction"]["emissions_tco2"] == "39739.408908"
    assert variants["green_electricity_deducted"]["emissions_tco2"] == "39686.348908"
    assert variants["green_electricity_deducted"]["intensity"] == "0.161742"
    assert result["variants_agree"] is True and result["numerator_confirmed"] is False


def test_a_member_with_six_months_missing_makes_the_park_incomplete(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """The passing park above plus member C with PV readings (10 MWh) for January-June only: C lacks
    2025-07..2025-12, so the verdict is "incomplete", never a pass, though the figure over the data
    held would be within the band (C adds 6 × 10 MWh × 0.1229 = 7.374 tce and no emissions:
    39,739.408908 ÷ 245,374.854 = 0.161954 ≤ 0.20)."""
    build_park(service, new_account)
    factory_with_months(service, new_account, PARTIAL, [("pv-C", "onsite_renewable_self_consumed", "10", "MWh")],
                        months=range(1, 7))  # fmt: skip
    result = park(service, [SELLER, BUYER, PARTIAL], [STEAM_TRANSFER]).json()
    assert result["energy_tce"] == "245374.854" and result["intensity"] == "0.161954"
    assert result["verdict"] == "incomplete" and result["passed"] is False
    assert result["missing_months"] == {PARTIAL: [f"2025-{m:02d}" for m in range(7, 13)]}
    assert all(v["verdict"] == "incomplete" and not v["passed"] for v in result["variants"])
    assert f"{PARTIAL} lacks 2025-07, 2025-08" in result["explanation"]


def test_members_once_and_transfers_between_members_only(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """A member listed twice is refused (not deduplicated: the caller's list is wrong); a transfer must
    name two members and a purchased steam or heat source of the buyer."""
    build_park(service, new_account)
    cases = [
        ([SELLER, BUYER, SELLER.lower()], [], ["body", "factories", 2]),
        (
            [SELLER, BUYER],
            [STEAM_TRANSFER | {"from_factory": "CN-ELSEWHERE"}],
            ["body", "transfers", 0, "from_factory"],
        ),
        ([SELLER, BUYER], [STEAM_TRANSFER | {"to_factory": SELLER}], ["body", "transfers", 0, "to_factory"]),
        ([SELLER, BUYER], [STEAM_TRANSFER | {"source_id": "grid-B"}], ["body", "transfers", 0, "source_id"]),
        ([SELLER, BUYER], [STEAM_TRANSFER, STEAM_TRANSFER], ["body", "transfers", 1, "source_id"]),
    ]
    for factories, transfers, loc in cases:
        response = park(service, factories, transfers)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == loc, response.text
