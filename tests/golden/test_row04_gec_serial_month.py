"""Row 4 of issue 15: a GEC whose serial says production month 2023-01 while the claim declares
2025-06. The serial governs: a mismatch finding naming both months, validity from the serial's month.
"""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from tests.conftest import Service
from tests.golden.world import checks, claimed, entry, evaluate, factory_with_grid_year, gec_claim

FACTORY = "CN-JS-GOLD-04"


def test_the_serial_production_month_governs_the_declared_one(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """By hand:

    grid: 100 MWh × 12 = 1,200 MWh.
    claim: GEC serials <project>202301 0000001..0000100 = 100 MWh; the serial's digits 18-23 give
      production month 2023-01; the claim declares generation 2025-06, consumption 2025-06.
    mismatch: declared 2025-06, serial 2023-01 → finding; the serial's month is used.
    validity: 24 months from 2023-01 → consumption up to 2025-01; 2025-06 is 5 months later → the
      100 MWh allocated to 2025-06 do not count: counted 0 MWh (with the declared month it would
      have been 100 MWh). The claim-level check: 2025-06 − 2023-01 = 29 months > 24 → outside_validity.
    certificates = 0 MWh; renewable share 0 %.
    """
    key = factory_with_grid_year(service, new_account, FACTORY)
    gec = claimed(service, key, gec_claim(FACTORY, "2023-01", 100, ("2025-06", "2025-06"), declared_month="2025-06"))

    report = evaluate(service, FACTORY)

    mismatches = [f for f in report["eligibility"]["findings"] if f["kind"] == "serial_mismatch"]
    assert [f["claim_id"] for f in mismatches] == [gec]
    assert "declared production month 2025-06 but the serial says 2023-01" in mismatches[0]["message"]
    assert report["eligibility"]["findings"][0]["kind"] == "serial_mismatch"  # shown first
    validity = checks(report, gec)["validity"]
    assert validity["passed"] is False and "generated 2023-01" in validity["detail"]
    assert "consumption up to 2025-01" in validity["detail"]
    assert entry(report, gec)["counted"] == "0" and report["electricity"]["certificates_mwh"] == "0"
    # the claim-level validity check reads the serial's month too: consumption from 2025-06 is 29 months after
    # 2023-01 (> 24), so it also refuses the claim as double counting, as it would had the claim declared 2023-01
    outside = [f for f in report["double_counting"] if f["check"] == "outside_validity"]
    assert [f["claim_ids"] for f in outside] == [[gec]] and "generated up to 2023-01" in outside[0]["message"]
    assert "29 months" in outside[0]["message"]
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert 'id="serial-mismatches"' in page and "the serial says 2023-01" in page
