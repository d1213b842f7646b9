"""Row 7, and the example year under each matching method.

The example year (examples/: the Suzhou factory's twelve months and its claims) has 800 GEC for
January and 15,876 GEC for February–December. January's grid use is above its 800 GEC and
February–December's is below its 15,876: the year is 100 % renewable only if February–December's
surplus is netted against January's shortfall. Before, it was (6★); each claim now covers only its
own declared months (``claim_period``, the default), and the report names the method, says why it
is the default, and shows the other methods' renewable share beside it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import Service
from tests.test_evaluation_service import evaluate, year  # noqa: F401 (the fixture)


def compared(report: dict[str, Any]) -> dict[str, str]:
    return {c["method"]: c["renewable_share"] for c in report["matching"]["compared"]}


def test_the_example_year_under_each_matching_method(service: Service, year: dict[str, Any]) -> None:  # noqa: F811
    """By hand, from examples/2025-*/batch.json (grid = the two grid meters, kWh ÷ 1,000):

    grid: Jan 1,324.6364; Feb 1,044.3573; Mar 1,389.1126; Apr 1,373.0226; May 1,407.5422;
          Jun 1,444.1957; Jul 1,545.9459; Aug 1,560.3748; Sep 1,434.5208; Oct 1,396.3912;
          Nov 1,386.1217; Dec 1,369.7788 MWh; the year 16,676 MWh; Feb–Dec 16,676 − 1,324.6364 = 15,351.3636.
    on-site PV self-consumed: 2,432.5081 MWh. Consumed: 16,676 + 2,432.5081 = 19,108.5081 MWh.
    claims: A = 800 GEC for 2025-01; B = 15,876 GEC for 2025-02..2025-12 (800 + 15,876 = 16,676).

    claim_period (default): A covers min(800, 1,324.6364) = 800 (524.6364 of January uncovered);
      B covers min(15,876, 15,351.3636) = 15,351.3636, excess 15,876 − 15,351.3636 = 524.6364 → finding.
      covered 800 + 15,351.3636 = 16,151.3636; renewable (2,432.5081 + 16,151.3636) ÷ 19,108.5081
      = 18,583.8717 ÷ 19,108.5081 = 0.972544… → 97.25 %; market-based electricity
      (16,676 − 16,151.3636) × 0.6096 = 524.6364 × 0.6096 = 319.81834944 tCO2. Level: none.
    monthly: B puts 15,876 ÷ 11 = 1,443.272727… on each of its months; the months with less grid use
      (Feb, Mar, Apr, May, Sep, Oct, Nov, Dec: 1,044.3573 + 1,389.1126 + 1,373.0226 + 1,407.5422 +
      1,434.5208 + 1,396.3912 + 1,386.1217 + 1,369.7788 = 10,800.8472) are covered to their grid use,
      Jun, Jul, Aug take 3 × 1,443.272727… = 4,329.818181…; January 800.
      covered 800 + 10,800.8472 + 4,329.818181… = 15,930.665381… → "15930.665382";
      renewable (2,432.5081 + 15,930.665381…) ÷ 19,108.5081 = 0.960994… → 96.10 %; 8 findings.
    annual (before): min(16,676, 800 + 15,876) = 16,676 → 100 %, market-based electricity 0 → 6★.
    """
    default = evaluate(service)
    assert default["matching"]["method"] == "claim_period" and default["matching"]["default"] == "claim_period"
    assert "as close as possible to the period of energy consumption" in default["matching"]["why_default"]
    assert "GHG Protocol Scope 2 Guidance" in default["matching"]["default_source"]
    e = default["electricity"]
    assert (e["grid_mwh"], e["certificates_mwh"], e["covered_mwh"]) == ("16676", "16676", "16151.3636")
    assert e["renewable_share"] == "97.25 %"
    assert e["market_based_arithmetic"].startswith("(16676 MWh grid − 16151.3636 MWh covered by valid certificates")
    assert e["market_based_arithmetic"].endswith("= 319.818349 tCO2")
    [finding] = default["double_counting"]
    feb_dec = next(c["claim_id"] for c in default["certificates"] if c["consumption"] == "2025-02..2025-12")
    assert finding["claim_ids"] == [feb_dec] and "excess 524.6364 MWh not counted" in finding["message"]
    assert finding["message"].startswith(f"claim {feb_dec}: 15,876 MWh of certificates for 2025-02..2025-12 > ")
    assert default["evaluation"]["level"] == "none"
    six = next(lv for lv in default["evaluation"]["levels"] if lv["level"] == "6★")
    assert six["rules"][0]["value"] == "97.25 %" and not six["rules"][0]["passed"]
    counted = {c["consumption"]: c["counted"] for c in default["certificates"]}
    assert counted == {"2025-01..2025-01": "800", "2025-02..2025-12": "15351.3636"}

    monthly = evaluate(service, matching="monthly")
    assert monthly["electricity"]["covered_mwh"] == "15930.665382"
    assert monthly["electricity"]["renewable_share"] == "96.10 %"
    assert len(monthly["double_counting"]) == 8 and monthly["evaluation"]["level"] == "none"

    annual = evaluate(service, matching="annual")
    assert annual["electricity"]["covered_mwh"] == "16676" and annual["electricity"]["renewable_share"] == "100 %"
    assert annual["double_counting"] == [] and annual["evaluation"]["level"] == "6★"

    # every report shows the three side by side, and each method's months add up to its year
    expected = {"claim_period": "97.25 %", "monthly": "96.10 %", "annual": "100 %"}
    for report in (default, monthly, annual):
        assert compared(report) == expected
        months = sum(Decimal(m["scope2_market"]) for m in report["monthly"])
        assert abs(months - Decimal(report["totals"]["scope2_market"])) <= Decimal("0.000006")
        covered = sum(Decimal(m["covered"]) for m in report["monthly"])
        assert abs(covered - Decimal(report["electricity"]["covered_mwh"])) <= Decimal("0.000006")
    page = service.http.get(f"/evaluations/{default['id']}/report.html").text
    assert "How certificates were matched to consumption" in page and "Why claim_period is the default" in page
    assert all(share in page for share in expected.values())
    assert "grid covered by valid certificates, as matched" in page  # the electricity chart draws what counted

    refused = service.http.post("/evaluations", json={"factory_id": "CN-JS-SZ-0001", "year": 2025, "type": "I",
                                                      "matching": "hourly"})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "matching"]
