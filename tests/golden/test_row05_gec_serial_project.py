"""Row 5 of issue 15: a GEC whose declared ``project_id`` differs from the project code in its serial,
with a CCER claimed for the serial's project: the project is taken from the serial, and the GEC–CCER
exclusivity check (国能综通新能〔2024〕124号) finds both claims.
"""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from tests.conftest import Service
from tests.golden.world import PROJECT, claim_body, claimed, entry, evaluate, factory_with_grid_year, gec_claim

FACTORY = "CN-JS-GOLD-05"


def test_the_serial_project_governs_and_meets_its_ccer(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """By hand:

    GEC claim: serials <11320520230900017>202502 0000001..0000200 = 200 MWh; the serial's digits 1-17
      give project 11320520230900017, production month 2025-02; the claim declares project
      99999999999999999 → mismatch finding, project 11320520230900017 used.
    CCER claim: project 11320520230900017 (offshore wind, CCER-01-002-V01), 50 tCO2e for generation
      2025-01..2025-03.
    GEC generation 2025-02 lies in the CCER's 2025-01..2025-03 → the same generation as GEC and CCER:
      a gec_and_ccer double-counting finding naming both claims; both count for nothing.
    With the declared project (99999999999999999) the two would never have met.
    """
    key = factory_with_grid_year(service, new_account, FACTORY)
    gec = claimed(service, key, gec_claim(FACTORY, "2025-02", 200, ("2025-02", "2025-03"), project_id="9" * 17))
    ccer = claimed(service, key, claim_body(
        FACTORY, registry="CCER", block_id=f"CCER-{PROJECT}-2025", serial_start="1", serial_end="50",
        project_id=PROJECT, quantity="50", unit="tCO2e", methodology="CCER-01-002-V01",
        generation_start="2025-01", generation_end="2025-03", consumption_start="2025-01", consumption_end="2025-12",
    ))  # fmt: skip

    report = evaluate(service, FACTORY)

    mismatch = next(f for f in report["eligibility"]["findings"] if f["kind"] == "serial_mismatch")
    assert mismatch["claim_id"] == gec
    assert "declared project 99999999999999999 but the serial says 11320520230900017" in mismatch["message"]
    exclusive = [f for f in report["double_counting"] if f["check"] == "gec_and_ccer"]
    assert len(exclusive) == 1 and exclusive[0]["claim_ids"] == sorted([gec, ccer])
    assert (
        f"project {PROJECT}" in exclusive[0]["message"] and "both claim generation 2025-02" in exclusive[0]["message"]
    )
    assert entry(report, gec)["valid"] is False and entry(report, ccer)["valid"] is False
    assert report["electricity"]["certificates_mwh"] == "0" and report["totals"]["offsets"] == "0"
    assert report["evaluation"]["level"] == "none"  # a double-counting finding blocks every level
