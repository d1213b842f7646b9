"""Row 2 of issue 15: an I-REC for power generated in China after 2024-12-31 is not eligible.

I-REC issues nothing for Chinese generation after 2024-12-31; from 2025 the GEC is the sole proof
of renewable electricity in China (eligibility-cn.toml, ``[[cutoff]]``).
"""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from tests.conftest import Service
from tests.golden.world import checks, claim_body, claimed, entry, evaluate, factory_with_grid_year

FACTORY = "CN-GD-GOLD-02"


def test_a_chinese_i_rec_generated_after_2024_is_not_eligible(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """By hand:

    grid: 100 MWh × 12 months = 1,200 MWh.
    claim A: I-REC 0000-0000-0000-0001..0600 = 600 MWh, generated in CN (CN-GD) 2025-01..2025-06,
      for consumption 2025-01..2025-06. Last generation month 2025-06 > cut-off 2024-12 → not
      eligible: counted 0 MWh.
    claim B: I-REC 0000-0000-0000-0601..0700 = 100 MWh, generated in CN 2024-12, for consumption
      2025-07. 2024-12 ≤ 2024-12 → within the cut-off; within the CN market → counted 100 MWh
      (July's grid use is 100 MWh: no over-claim; neither claim exceeds its months' 100 MWh a month).
    certificates = 0 + 100 = 100 MWh; covered = min(100, 1,200) = 100 MWh;
    renewable share = 100 ÷ 1,200 = 8.333…% (shown 8.33 %).
    """
    key = factory_with_grid_year(service, new_account, FACTORY)
    late = claimed(service, key, claim_body(
        FACTORY, registry="I-REC", serial="0000-0000-0000-0001..0000-0000-0000-0600", project_id="IREC-DEV-GD-7",
        technology="solar", quantity="600", unit="MWh", region="CN-GD", generation_start="2025-01",
        generation_end="2025-06", consumption_start="2025-01", consumption_end="2025-06",
    ))  # fmt: skip
    early = claimed(service, key, claim_body(
        FACTORY, registry="I-REC", serial="0000-0000-0000-0601..0000-0000-0000-0700", project_id="IREC-DEV-GD-7",
        technology="solar", quantity="100", unit="MWh", region="CN-GD", generation_start="2024-12",
        generation_end="2024-12", consumption_start="2025-07", consumption_end="2025-07",
    ))  # fmt: skip

    report = evaluate(service, FACTORY)

    assert report["eligibility"]["rule_set"]["label"] == "eligibility-cn@1"
    cutoff = checks(report, late)["cutoff"]
    assert cutoff["passed"] is False and "up to 2024-12" in cutoff["detail"] and "2025-01..2025-06" in cutoff["detail"]
    assert entry(report, late)["counted"] == "0" and entry(report, early)["counted"] == "100"
    assert checks(report, early)["cutoff"]["passed"] is True
    ineligible = report["eligibility"]["ineligible_claims"]
    assert [c["claim_id"] for c in ineligible] == [late] and "2024-12" in ineligible[0]["reason"]
    assert report["electricity"]["certificates_mwh"] == "100" and report["electricity"]["covered_mwh"] == "100"
    assert report["electricity"]["renewable_share"] == "8.33 %"
    assert report["double_counting"] == []  # eligibility is its own section, not double counting
