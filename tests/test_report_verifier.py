"""The report page's verifier sections, rendered from report JSON as ``build_report`` and the claim
rules write it: the floating zero apart, boundary, methodology slots, data quality, factors, the
certificates' cancellation and eligibility checklist, and the evaluator's identity — and an older
report without them still renders, saying so."""

from __future__ import annotations

import copy
from typing import Any

from ledger.reports.html import render_html
from tests.test_report_html import _text, make_report

SECTIONS: dict[str, Any] = {
    "floating_zero": {
        "own_reductions": {
            "onsite_renewable": {"mwh": "240", "location_factor": "0.5306", "tco2e": "127.344",
                                 "arithmetic": "240 MWh self-consumed × 0.5306 tCO2/MWh = 127.344 tCO2e"},
            "efficiency": {"status": "computed", "method": "intensity", "tco2e": "-12.5", "arithmetic": "(9 − 9.1) × 125",
                           "base_year": {"year": 2023, "gross_emissions_tco2e": "900", "output": "100", "output_unit": "t",
                                         "source": "inventory <2023>", "declared": True}},
        },
        "certificates": {"green_power_mwh": "0", "certificates_mwh": "600", "covered_mwh": "600",
                         "residual_mix_factor": "0.6096", "scope2_market_effect_tco2e": "365.76",
                         "arithmetic": "600 MWh covered × 0.6096", "note": "not a physical reduction"},
        "offsets": {"tco2e": "100", "note": "credits"}, "removals": {"tco2e": "50", "note": "removal credits"},
        "summed": False, "note": "no total adds them",
    },
    "boundary": {"legal_entity": "Acme <script>alert(1)</script> Ltd", "unified_social_credit_code": None,
                 "site_address": "1 Road", "facilities": ["hall A", "hall B"], "province": "CN-JS", "grid_region": None,
                 "unknown": ["unified_social_credit_code", "grid_region"], "complete": False, "source": "profile"},
    "methodology": {"standards": ["T/CECA-G 0171-2022"], "gases": {"covered": ["CO2"], "note": "CO2 only"},
                    "gwp_set": None, "matching_method": {"method": "claim period", "note": "per declared months"},
                    "grid_factor": "national_average", "exclusions": [{"what": "Scope 3", "reason": "Type I"}],
                    "scope3_exclusions": None},
    "data_quality": [{"source_id": "meter-7", "kinds": ["grid_electricity"], "units": ["kWh"], "records": 11,
                      "months_present": [f"2024-{m:02d}" for m in range(1, 12)], "months_absent": ["2024-12"],
                      "measurement": None, "records_with_evidence": 9, "records_without_evidence": 2,
                      "evidence_files": 3, "evidence_files_held": 1}],
    "factors_used": [{"key": "grid.national_average", "value": "0.5306", "unit": "tCO2/MWh", "source": "MEE 2023",
                      "year": 2023, "confirmed": True},
                     {"key": "scope3.steel", "value": "2.1", "unit": "tCO2e/t", "source": "illustrative", "year": None,
                      "confirmed": False}],
}  # fmt: skip


def _with(report: dict[str, Any], **parts: Any) -> dict[str, Any]:
    out = copy.deepcopy(report) | copy.deepcopy(SECTIONS) | parts
    return out


def test_the_four_ways_towards_zero_are_shown_apart_and_the_sections_render() -> None:
    page = render_html(_with(make_report("draft")))
    text = _text(page)
    for figure in ("127.344 tCO₂e", "-12.5 tCO₂e", "365.76 tCO₂e", "never summed"):
        assert figure in text, figure
    assert "inventory &lt;2023&gt;" in page  # declared base year's source, escaped
    assert "Acme &lt;script&gt;" in page and "<script>alert" not in page
    assert "hall A; hall B" in text and "incomplete" in text
    assert "claim period — per declared months" in text and "not stated in this report" in text  # GWP slot
    assert "meter-7" in page and "1 absent" in text and "2 without evidence" in text and "(1 held)" in text
    assert "grid.national_average" in text.replace("<wbr>", "") and "unconfirmed" in text


def test_certificates_show_cancellation_and_their_eligibility_checklist_when_present() -> None:
    report = make_report("draft")
    report["certificates"][0] |= {"project_id": "11320520230900017", "cancellation_number": "GEC-CXL-2025-0042",
                                  "cancellation_date": "2025-02-03",
                                  "eligibility": [{"check": "market_boundary", "passed": True, "detail": "generated in CN-QH"},
                                                  {"check": "china_cutoff", "passed": False, "detail": "I-REC after 2024"}]}  # fmt: skip
    page = render_html(_with(report))
    text = _text(page)
    assert "GEC-CXL-2025-0042" in text.replace("<wbr>", "") and "2025-02-03" in text
    assert 'badge pass">market_boundary' in page.replace("<wbr>", "") and "generated in CN-QH" in text
    assert 'badge fail">china_cutoff' in page.replace("<wbr>", "") and "I-REC after 2024" in text
    assert "not given" in text  # the other claims carry no cancellation fields


def test_an_older_report_without_the_sections_still_renders_and_says_so() -> None:
    text = _text(render_html(make_report("anchored")))
    assert text.count("Not in this report") >= 4
    assert "no signed profile" in text  # signed, but no identity kept with it


def test_the_evaluators_identity_is_shown_beside_the_address() -> None:
    report = _with(make_report("anchored"), evaluator_identity={
        "name": "Li Wei", "organisation": "CQC", "accreditation": "CNAS C001-M", "version": 2, "signature": "0x12",
        "updated_at": "2026-12-01T00:00:00+00:00"})  # fmt: skip
    text = _text(render_html(report))
    assert "Li Wei · CQC · accreditation CNAS C001-M" in text and "profile version 2" in text
