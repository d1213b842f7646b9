"""Row 8 of issue 15: a GEC generated 2023-02 claimed for all of 2025 is valid only for the consumption
months within 24 months of its generation; the units allocated to later months do not count.
"""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from tests.conftest import Service
from tests.golden.world import checks, claimed, entry, evaluate, factory_with_grid_year, gec_claim

FACTORY = "CN-JS-GOLD-08"


def test_validity_is_checked_per_consumption_month(service: Service, new_account: Callable[[], LocalAccount]) -> None:
    """By hand:

    grid: 100 MWh × 12 = 1,200 MWh.
    claim: GEC <project>202302 0000001..0001200 = 1,200 MWh, generated 2023-02, for consumption
      2025-01..2025-12: 1,200 ÷ 12 = 100 MWh allocated to each month.
    validity: GEC 24 months → 2023-02 + 24 months = 2025-02: consumption 2025-01 and 2025-02 count.
      counted = 100 × 2 = 200 MWh; not counted: 2025-03..2025-12 = 100 × 10 = 1,000 MWh (a finding).
    certificates = 200 MWh; monthly certificates: January 100, February 100, March..December 0;
    covered = min(200, 1,200) = 200; renewable share = 200 ÷ 1,200 = 16.666…% (shown 16.67 %).
    The claim-level check (consumption starts 2025-01, 23 months after 2023-02, ≤ 24) finds nothing.
    """
    key = factory_with_grid_year(service, new_account, FACTORY)
    gec = claimed(service, key, gec_claim(FACTORY, "2023-02", 1200, ("2025-01", "2025-12")))

    report = evaluate(service, FACTORY)

    assert entry(report, gec)["allocated_to_year"] == "1200" and entry(report, gec)["counted"] == "200"
    validity = checks(report, gec)["validity"]
    assert validity["passed"] is False and "consumption up to 2025-02" in validity["detail"]
    assert "1000 MWh allocated to 2025-03..2025-12 (10 months) do not count" in validity["detail"]
    partly = [f for f in report["eligibility"]["findings"] if f["kind"] == "partly_eligible"]
    assert [f["claim_id"] for f in partly] == [gec] and "200 of 1,200 MWh count" in partly[0]["message"]
    monthly = {m["period"]: m["certificates"] for m in report["monthly"]}
    assert monthly["2025-01"] == monthly["2025-02"] == "100" and monthly["2025-03"] == monthly["2025-12"] == "0"
    assert report["electricity"]["certificates_mwh"] == "200" and report["electricity"]["renewable_share"] == "16.67 %"
    assert report["double_counting"] == []
