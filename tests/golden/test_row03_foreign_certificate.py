"""Row 3 of issue 15: a foreign certificate (a Vietnamese I-REC) for a Chinese factory is outside the
market boundary and counts for nothing.

The consumer's market is the evaluation's ``consumer_country``; without one, the eligibility rule
file's ``consumer_country = "CN"`` (the factory's own location fields are another change's).
"""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from tests.conftest import Service
from tests.golden.world import checks, claim_body, claimed, entry, evaluate, factory_with_grid_year

FACTORY = "CN-JS-GOLD-03"


def test_a_vietnamese_i_rec_does_not_count_for_a_chinese_factory(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """By hand:

    grid: 100 MWh × 12 = 1,200 MWh.
    claim: I-REC 0000-0000-0000-0001..0300 = 300 MWh generated in VN (VN-SG) 2024-06, for
      consumption 2025-01..2025-03. Consumer market CN (the rule file's default) accepts generation
      in CN only; VN ∉ {CN} → outside the market boundary: counted 0 MWh.
    certificates = 0 MWh; covered = 0 MWh; renewable share = 0 ÷ 1,200 = 0 %; Scope 2 market-based =
    1,200 MWh × residual mix, as if no certificate had been bought.
    """
    key = factory_with_grid_year(service, new_account, FACTORY)
    foreign = claimed(service, key, claim_body(
        FACTORY, registry="I-REC", serial="0000-0000-0000-0001..0000-0000-0000-0300", project_id="IREC-VN-SOLAR-12",
        technology="solar", quantity="300", unit="MWh", country="VN", region="VN-SG", generation_start="2024-06",
        generation_end="2024-06", consumption_start="2025-01", consumption_end="2025-03",
    ))  # fmt: skip

    report = evaluate(service, FACTORY)

    eligibility = report["eligibility"]
    assert eligibility["consumer_country"] == "CN" and eligibility["consumer_country_from"] == "the rule file's default"
    market = checks(report, foreign)["market_boundary"]
    assert market["passed"] is False and "generated in VN" in market["detail"] and "generated in CN" in market["detail"]
    assert entry(report, foreign)["counted"] == "0" and entry(report, foreign)["country"] == "VN"
    assert [c["claim_id"] for c in eligibility["ineligible_claims"]] == [foreign]
    assert report["electricity"]["certificates_mwh"] == "0" and report["electricity"]["covered_mwh"] == "0"
    assert report["electricity"]["renewable_share"] == "0 %"
    # the same claim for a consumer the evaluation places in Vietnam: the rules define no VN market,
    # so it still counts for nothing (and says why) rather than counting by default
    in_vietnam = evaluate(service, FACTORY, consumer_country="VN")
    assert in_vietnam["eligibility"]["consumer_country_from"] == "the evaluation's input"
    assert "defines no market for a consumer in VN" in checks(in_vietnam, foreign)["market_boundary"]["detail"]
    refused = service.http.post(
        "/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I", "consumer_country": "China"}
    )
    assert refused.status_code == 422 and "consumer_country" in refused.text
