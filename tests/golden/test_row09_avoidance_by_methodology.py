"""Row 9 of issue 15: VCS REDD+ (VM0048, VM0007) and GS tidal barrage (ACM0002) credits are avoidance
(offsets), not removals, by methodology code — whatever words ("forest", "arr" in "barrage") their
descriptions hold. An unknown code is a finding and never a removal.
"""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from tests.conftest import Service
from tests.golden.world import checks, claim_body, claimed, entry, evaluate, factory_with_grid_year

FACTORY = "CN-JS-GOLD-09"


def vcs(first: int, last: int, country: str, project: int) -> str:
    return f"0001-{first:06d}-{last:06d}-VCS-VCU-003-VER-{country}-14-{project}-01012023-31122023-0"


def test_credits_are_removals_or_avoidance_by_methodology(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """By hand (tCO2e, each credit 1 tCO2e, all retired for 2025):

    VCS VM0048 "REDD+ avoided deforestation", BR, 500 → avoidance (offset)
    VCS VM0007 "REDD+ forest conservation", PE, 40 → avoidance (offset)
    GS ACM0002 "tidal barrage", KR, 300 → avoidance (offset)
    VCS VM0047 "ARR reforestation", CN, 50 → removal
    VCS VM9999 "forest restoration", ID, 20 → code not in the rules: a finding; offset, never a removal
    offsets = 500 + 40 + 300 + 20 = 860; removals = 50.
    (Word matching counted "forest" and "arr" in "barrage": removals were 500 + 40 + 300 + 50 + 20 = 910.)
    """
    key = factory_with_grid_year(service, new_account, FACTORY)

    def credit(registry: str, serial: str, units: int, methodology: str, technology: str, country: str) -> int:
        return claimed(service, key, claim_body(
            FACTORY, registry=registry, serial=serial, project_id=f"{registry}-{methodology}", quantity=str(units),
            unit="tCO2e", methodology=methodology, technology=technology, country=country, generation_start="2023-01",
            generation_end="2023-12", consumption_start="2025-01", consumption_end="2025-12",
        ))  # fmt: skip

    redd = credit("VCS", vcs(1, 500, "BR", 981), 500, "VM0048", "REDD+ avoided deforestation", "BR")
    framework = credit("VCS", vcs(501, 540, "PE", 944), 40, "VM0007", "REDD+ forest conservation", "PE")
    tidal = credit("GS", "GS1-1-KR-GS1234-16-2023-30645-1-300", 300, "ACM0002", "tidal barrage", "KR")
    arr = credit("VCS", vcs(541, 590, "CN", 5678), 50, "VM0047", "ARR reforestation", "CN")
    unknown = credit("VCS", vcs(591, 610, "ID", 777), 20, "VM9999", "forest restoration", "ID")

    report = evaluate(service, FACTORY)

    kinds = {cid: entry(report, cid)["kind"] for cid in (redd, framework, tidal, arr, unknown)}
    assert kinds == {redd: "offset", framework: "offset", tidal: "offset", arr: "removal", unknown: "offset"}
    assert report["totals"]["offsets"] == "860" and report["totals"]["removals"] == "50"
    assert (
        "VM0048" in checks(report, redd)["methodology"]["detail"]
        and "avoidance" in checks(report, tidal)["methodology"]["detail"]
    )
    assert "verra.org" in checks(report, arr)["methodology"]["source"]
    unknown_findings = [f for f in report["eligibility"]["findings"] if f["kind"] == "unknown_methodology"]
    assert [f["claim_id"] for f in unknown_findings] == [unknown]
    assert "never as a removal" in unknown_findings[0]["message"]
    assert report["double_counting"] == []
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text  # each credit's checklist is shown
    assert "VM0048 Reducing Emissions from Deforestation" in page and "VM9999 is not in eligibility-cn@1" in page
