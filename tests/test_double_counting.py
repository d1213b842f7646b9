"""Double counting re-checked from on-chain claims and anchored records: each check trips on the
pattern it names (with the claim ids, record ids and figures in the finding) and stays silent on the
nearest case that is fine, including the boundaries (touching serial ranges, exactly 24 months,
equal claimed and metered MWh, kWh sums that floats would get wrong).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from ledger.claims import parse_claim
from ledger.claims.double_counting import (
    CHECKS,
    GEC_AND_CCER,
    GENERATION_AFTER_CONSUMPTION,
    ONSITE_CERTIFICATES_SOLD,
    OUTSIDE_VALIDITY,
    RENEWABLE_EXCEEDS_CONSUMPTION,
    UNITS_CLAIMED_TWICE,
    AnchoredRecord,
    ClaimedRetirement,
    Finding,
    allocated_units,
    find_double_counting,
)
from ledger.records import RecordError, parse_record

FACTORY = "cn.js.suzhou:F-001"
OTHER = "cn.gd.shenzhen:F-009"
UNITS = {"GEC": "MWh", "I-REC": "MWh", "CCER": "tCO2e", "VCS": "tCO2e", "GS": "tCO2e"}


def claimed(claim_id: int, **changes: Any) -> ClaimedRetirement:
    """Claim ``claim_id`` of FACTORY: 100 GECs of block B-1 for 2025, generated in late 2024."""
    data: dict[str, Any] = {
        "factory_id": FACTORY,
        "registry": "GEC",
        "block_id": "B-1",
        "serial_start": "1",
        "serial_end": "100",
        "consumption_start": "2025-01",
        "consumption_end": "2025-12",
        "project_id": "P-WIND-1",
        "technology": "wind",
        "generation_start": "2024-07",
        "generation_end": "2024-12",
        "purpose": "zero-carbon factory evaluation 2025",
        "evidence_sha256": "ab" * 32,
        "country": "CN",
        "methodology": "ACM0002",
        "cancellation_number": "CXL-0001",
        "cancellation_date": "2025-12-31",
    }
    data.update(changes)
    data.setdefault("unit", UNITS[data["registry"]])
    data.setdefault("quantity", str(int(data["serial_end"]) - int(data["serial_start"]) + 1))
    return ClaimedRetirement(claim_id, parse_claim(data), signer="0x" + "00" * 20, tx_hash=None)


def anchored(
    record_id: str, kind: str, value: str, unit: str, period: str, source_id: str = "meter-1"
) -> AnchoredRecord:
    """A record covering the whole month ``period`` in Shanghai time."""
    year, month = int(period[:4]), int(period[5:])
    following = f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"
    wire = {
        "source_id": source_id,
        "kind": kind,
        "value": value,
        "unit": unit,
        "interval_start": f"{period}-01T00:00:00+08:00",
        "interval_end": f"{following}-01T00:00:00+08:00",
        "evidence": [],
        "salt": "0x" + "11" * 32,
    }
    return AnchoredRecord(record_id, parse_record(wire, factory_id=FACTORY, period=period))


def run(
    claims: Sequence[ClaimedRetirement] = (),
    records: Sequence[AnchoredRecord] = (),
    *,
    start: str = "2025-01",
    end: str = "2025-12",
    onsite: dict[str, str] | None = None,
    matching: str = "annual",
) -> list[Finding]:
    """The checks over the period; check 3 matches certificates over the whole period (``annual``)
    unless a test names another method (the claim-period and monthly cases below)."""
    return find_double_counting(
        factory_id=FACTORY,
        period_start=start,
        period_end=end,
        claims=claims,
        records=records,
        onsite_projects=onsite or {},
        matching=matching,
    )


def only(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


def plenty_of_grid() -> list[AnchoredRecord]:
    """Enough metered grid electricity in 2025 that check 3 stays quiet in other checks' tests."""
    return [anchored("grid-big", "grid_electricity", "1000000", "MWh", "2025-06")]


# --- 1. the same units claimed twice ----------------------------------------------------------


def test_overlap_at_one_unit_with_another_factory_is_found() -> None:
    mine = claimed(7, serial_start="1", serial_end="100")
    theirs = claimed(3, factory_id=OTHER, serial_start="100", serial_end="200")
    [finding] = only(run([mine, theirs], plenty_of_grid()), UNITS_CLAIMED_TWICE)
    assert finding.claim_ids == (3, 7)
    assert finding.record_ids == ()
    assert finding.message == (
        f"GEC block B-1: serials 100..200 (claim 3, {OTHER}) and 1..100 (claim 7, {FACTORY}) "
        "overlap in 100..100: 1 unit claimed twice"
    )


def test_contained_range_reports_the_overlap_size() -> None:
    outer = claimed(1, serial_start="1", serial_end="1000", consumption_start="2025-01")
    inner = claimed(2, factory_id=OTHER, serial_start="250", serial_end="1249")
    [finding] = only(run([outer, inner], plenty_of_grid()), UNITS_CLAIMED_TWICE)
    assert finding.claim_ids == (1, 2)
    assert "overlap in 250..1000: 751 units claimed twice" in finding.message


def test_every_overlapping_pair_is_reported() -> None:
    a = claimed(1, serial_start="1", serial_end="50")
    b = claimed(2, factory_id=OTHER, serial_start="40", serial_end="60")
    c = claimed(3, factory_id=OTHER, serial_start="45", serial_end="46")
    findings = only(run([c, b, a], plenty_of_grid()), UNITS_CLAIMED_TWICE)
    # (2, 3) is two other factories' business, not this factory's
    assert [f.claim_ids for f in findings] == [(1, 2), (1, 3)]


def test_touching_ranges_do_not_overlap() -> None:
    mine = claimed(1, serial_start="1", serial_end="100")
    theirs = claimed(2, factory_id=OTHER, serial_start="101", serial_end="200")
    assert only(run([mine, theirs], plenty_of_grid()), UNITS_CLAIMED_TWICE) == []


def test_same_serials_in_another_block_or_registry_do_not_overlap() -> None:
    mine = claimed(1)
    other_block = claimed(2, factory_id=OTHER, block_id="B-2")
    other_registry = claimed(3, factory_id=OTHER, registry="I-REC")
    assert only(run([mine, other_block, other_registry], plenty_of_grid()), UNITS_CLAIMED_TWICE) == []


def test_overlap_between_two_other_factories_is_not_this_factorys_finding() -> None:
    a = claimed(1, factory_id=OTHER)
    b = claimed(2, factory_id="cn.zj.ningbo:F-002", serial_start="50", serial_end="60")
    assert run([a, b]) == []


# --- 2. GEC and CCER for the same generation --------------------------------------------------


def test_gec_and_ccer_for_overlapping_generation_are_found() -> None:
    gec = claimed(4, project_id="P-OFFSHORE", generation_start="2024-01", generation_end="2024-06")
    ccer = claimed(
        9, factory_id=OTHER, registry="CCER", block_id="CCER-B", serial_start="1", serial_end="500",
        project_id="P-OFFSHORE", generation_start="2024-06", generation_end="2024-12",
    )  # fmt: skip
    [finding] = only(run([ccer, gec], plenty_of_grid()), GEC_AND_CCER)
    assert finding.claim_ids == (4, 9)
    assert finding.record_ids == ()
    assert finding.message == (
        f"project P-OFFSHORE: GEC claim 4 ({FACTORY}, 100 MWh generated 2024-01..2024-06) and CCER "
        f"claim 9 ({OTHER}, 500 tCO2e generated 2024-06..2024-12) both claim generation 2024-06"
    )


def test_factorys_own_ccer_against_someone_elses_gec_is_found() -> None:
    gec = claimed(1, factory_id=OTHER, project_id="P-X", generation_start="2024-01", generation_end="2024-12")
    ccer = claimed(
        2, registry="CCER", block_id="C", project_id="P-X", generation_start="2024-03", generation_end="2024-04"
    )
    [finding] = only(run([gec, ccer], plenty_of_grid()), GEC_AND_CCER)
    assert finding.claim_ids == (1, 2)
    assert "both claim generation 2024-03..2024-04" in finding.message


def test_gec_and_ccer_for_adjacent_generation_or_other_projects_pass() -> None:
    gec = claimed(1, project_id="P-X", generation_start="2024-01", generation_end="2024-06")
    ccer_later = claimed(
        2, factory_id=OTHER, registry="CCER", block_id="C", project_id="P-X",
        generation_start="2024-07", generation_end="2024-12",
    )  # fmt: skip
    ccer_other_project = claimed(
        3, factory_id=OTHER, registry="CCER", block_id="C2", project_id="P-Y",
        generation_start="2024-01", generation_end="2024-06",
    )  # fmt: skip
    assert only(run([gec, ccer_later, ccer_other_project], plenty_of_grid()), GEC_AND_CCER) == []
    # the GEC-CCER rule (国能综通新能〔2024〕124号) is about GECs; an I-REC is not one
    irec = claimed(4, registry="I-REC", block_id="I", project_id="P-Y", generation_start="2024-01")
    assert only(run([irec, ccer_other_project], plenty_of_grid()), GEC_AND_CCER) == []


def test_gec_and_ccer_of_other_factories_only_are_not_reported() -> None:
    gec = claimed(1, factory_id=OTHER, project_id="P-X")
    ccer = claimed(2, factory_id=OTHER, registry="CCER", block_id="C", project_id="P-X")
    assert run([gec, ccer]) == []


# --- 3. renewable MWh claimed above metered electricity ---------------------------------------


def quarter_grid(january: str) -> list[AnchoredRecord]:
    return [
        anchored("g-01", "grid_electricity", january, "kWh", "2025-01"),
        anchored("g-02", "grid_electricity", "100000", "kWh", "2025-02"),
        anchored("g-03", "grid_electricity", "100000.000", "kWh", "2025-03"),
    ]


def test_claimed_above_metered_kwh_is_found_exactly() -> None:
    # 301 GEC against 299.999999 MWh: 1.000001 MWh over, a whole certificate and 1 Wh more. (Less than
    # one whole certificate over is the remainder whole units leave, not a finding: test_matching.)
    claim = claimed(5, serial_start="1", serial_end="301", consumption_start="2025-01", consumption_end="2025-03")
    findings = run([claim], quarter_grid("99999.999"), start="2025-01", end="2025-03")
    [finding] = only(findings, RENEWABLE_EXCEEDS_CONSUMPTION)
    assert findings == [finding]
    assert finding.claim_ids == (5,)
    assert finding.record_ids == ("g-01", "g-02", "g-03")
    assert finding.message.startswith(
        "renewable 301 MWh claimed > 299.999999 MWh metered in 2025-01..2025-03 (excess 1.000001 MWh; "
        "certificates 301 MWh from claims 5,"
    )


def test_claimed_equal_to_metered_kwh_passes() -> None:
    # 0.1 kWh steps: summed as floats, 0.1 + 0.2 != 0.3; summed exactly, metered is 300 MWh
    records = [
        anchored("g-01", "grid_electricity", "99999.9", "kWh", "2025-01"),
        anchored("g-02", "grid_electricity", "100000.1", "kWh", "2025-02"),
        anchored("g-03", "grid_electricity", "100000", "kWh", "2025-03"),
    ]
    claim = claimed(5, serial_start="1", serial_end="300", consumption_start="2025-01", consumption_end="2025-03")
    assert run([claim], records, start="2025-01", end="2025-03") == []


def test_year_long_claim_is_allocated_evenly_over_its_months() -> None:
    # 1,200 GECs for 2024-07..2025-06: 100 per month, so 600 fall in the 2025 evaluation
    claim = claimed(
        8, serial_start="1", serial_end="1200", consumption_start="2024-07", consumption_end="2025-06",
        generation_start="2024-06", generation_end="2024-06",
    )  # fmt: skip
    assert allocated_units(claim.claim, "2025-01", "2025-12") == 600
    short = [anchored("g", "grid_electricity", "598.5", "MWh", "2025-03")]  # 1.5 MWh over: a whole unit and more
    [finding] = run([claim], short)
    assert finding.check == RENEWABLE_EXCEEDS_CONSUMPTION
    assert finding.claim_ids == (8,)
    assert finding.message.startswith("renewable 600 MWh claimed > 598.5 MWh metered in 2025-01..2025-12")
    enough = [anchored("g", "grid_electricity", "599.5", "MWh", "2025-03")]  # 0.5 MWh over: a remainder
    assert run([claim], enough) == []


def test_allocation_without_a_finite_decimal_is_compared_exactly() -> None:
    # 100 GECs over 2024-12..2025-02: 2/3 of them, 66.666… MWh, fall in 2025
    claim = claimed(
        2, consumption_start="2024-12", consumption_end="2025-02", generation_start="2024-11", generation_end="2024-11"
    )
    assert allocated_units(claim.claim, "2025-01", "2025-12") * 3 == 200
    # over by 1.000000666… MWh: a finding; by 0.999999666… MWh: under one whole certificate, a remainder
    [finding] = run([claim], [anchored("g", "grid_electricity", "65666.666", "kWh", "2025-01")])
    assert finding.message.startswith("renewable ≈66.666667 MWh claimed > 65.666666 MWh metered")
    assert run([claim], [anchored("g", "grid_electricity", "65666.667", "kWh", "2025-01")]) == []


def test_a_contract_claims_nothing_by_itself_and_onsite_counts_on_both_sides() -> None:
    """A green-power contract's attribute is the GEC range bundled with it: 70 MWh of contract with
    60 MWh of grid is no over-claim by itself; 100 GECs (claim 1, 2025) are. On-site 20 MWh is
    renewable and consumed alike: 100 + 20 = 120 MWh claimed > 60 + 20 = 80 MWh metered, excess 40."""
    records = [
        anchored("grid", "grid_electricity", "60", "MWh", "2025-02"),
        anchored("gpc", "green_power_contract", "70000", "kWh", "2025-02", source_id="contract-1"),
        anchored("pv", "onsite_renewable_self_consumed", "20", "MWh", "2025-02", source_id="pv-roof"),
        anchored("gas", "natural_gas", "1000", "Nm3", "2025-02", source_id="gas-1"),
    ]
    assert run([], records) == []
    [finding] = run([claimed(1)], records)
    assert finding.check == RENEWABLE_EXCEEDS_CONSUMPTION
    assert finding.claim_ids == (1,)
    assert finding.record_ids == ("grid", "pv")
    assert finding.message == (
        "renewable 120 MWh claimed > 80 MWh metered in 2025-01..2025-12 (excess 40 MWh; certificates "
        "100 MWh from claims 1, on-site self-consumed 20 MWh, grid 60 MWh; matching annual)"
    )


def test_gj_records_convert_exactly() -> None:
    # 360 GJ is exactly 100 MWh
    claim = claimed(1)
    assert run([claim], [anchored("g", "grid_electricity", "360", "GJ", "2025-05")]) == []
    # 356.4 GJ is exactly 99 MWh: 100 GEC are exactly one whole certificate too many
    [finding] = run([claim], [anchored("g", "grid_electricity", "356.4", "GJ", "2025-05")])
    assert finding.message.startswith("renewable 100 MWh claimed > 99 MWh metered")
    [finding] = run([claim], [anchored("g", "grid_electricity", "356.399", "GJ", "2025-05")])
    assert finding.message.startswith("renewable 100 MWh claimed > ≈98.999722 MWh metered")
    assert run([claim], [anchored("g", "grid_electricity", "356.401", "GJ", "2025-05")]) == []


def test_only_own_certificates_in_the_period_count() -> None:
    others = claimed(1, factory_id=OTHER, serial_start="1", serial_end="5000")
    credit = claimed(2, registry="CCER", block_id="C", serial_start="1", serial_end="5000", project_id="P-FOREST")
    last_year = claimed(
        3, block_id="B-9", consumption_start="2024-01", consumption_end="2024-12",
        generation_start="2023-06", generation_end="2023-12",
    )  # fmt: skip
    mine = claimed(4, block_id="B-4", serial_start="1", serial_end="10")
    records = [
        anchored("g", "grid_electricity", "10", "MWh", "2025-12"),
        anchored("old", "green_power_contract", "500", "MWh", "2024-12"),  # outside the period
    ]
    assert run([others, credit, last_year, mine], records) == []
    [finding] = run([others, credit, last_year, mine], records[:1], end="2025-11")
    assert finding.claim_ids == (4,)
    assert finding.record_ids == ()
    assert finding.message.startswith("renewable ≈9.166667 MWh claimed > 0 MWh metered in 2025-01..2025-11")


# --- 4. certificates outside their validity window --------------------------------------------


def test_gec_consumed_25_months_after_generation_is_outside() -> None:
    claim = claimed(
        6, generation_start="2022-06", generation_end="2023-01", consumption_start="2025-02", consumption_end="2025-12"
    )
    [finding] = only(run([claim], plenty_of_grid()), OUTSIDE_VALIDITY)
    assert finding.claim_ids == (6,)
    assert finding.record_ids == ()
    assert finding.message == (
        "GEC claim 6: 100 MWh generated up to 2023-01 claimed for consumption from 2025-02, 25 months "
        "later; GEC is valid 24 months after generation, so consumption must start by 2025-01"
    )


def test_gec_consumed_exactly_24_months_after_generation_is_inside() -> None:
    claim = claimed(6, generation_start="2023-01", generation_end="2023-01", consumption_start="2025-01")
    assert only(run([claim], plenty_of_grid()), OUTSIDE_VALIDITY) == []


def test_registries_without_validity_and_other_factories_are_not_checked() -> None:
    irec = claimed(1, registry="I-REC", generation_start="2019-01", generation_end="2019-01")
    others = claimed(2, factory_id=OTHER, block_id="B-2", generation_start="2019-01", generation_end="2019-01")
    assert only(run([irec, others], plenty_of_grid()), OUTSIDE_VALIDITY) == []


# --- 5. generation after consumption ----------------------------------------------------------


def test_generation_after_consumption_is_found() -> None:
    claim = claimed(
        11, consumption_start="2025-01", consumption_end="2025-02", generation_start="2025-03", generation_end="2025-04"
    )
    [finding] = only(run([claim], plenty_of_grid()), GENERATION_AFTER_CONSUMPTION)
    assert finding.claim_ids == (11,)
    assert finding.record_ids == ()
    assert finding.message == (
        "GEC claim 11: 100 MWh generated 2025-03..2025-04 claimed for consumption 2025-01..2025-02; "
        "generation starts after consumption ends"
    )


def test_generation_starting_in_the_last_consumption_month_fits() -> None:
    claim = claimed(
        11, consumption_start="2025-01", consumption_end="2025-02", generation_start="2025-02", generation_end="2025-04"
    )
    credit = claimed(
        12, registry="CCER", block_id="C", consumption_start="2025-01", consumption_end="2025-02",
        generation_start="2025-06", generation_end="2025-06",
    )  # fmt: skip
    others = claimed(
        13, factory_id=OTHER, block_id="B-3", consumption_start="2025-01", consumption_end="2025-02",
        generation_start="2025-06", generation_end="2025-06",
    )  # fmt: skip
    assert only(run([claim, credit, others], plenty_of_grid()), GENERATION_AFTER_CONSUMPTION) == []


# --- 6. on-site generation self-consumed and sold as certificates -----------------------------


def onsite_records() -> list[AnchoredRecord]:
    return [
        anchored("grid", "grid_electricity", "5000", "MWh", "2025-03"),
        anchored("pv-03", "onsite_renewable_self_consumed", "120000", "kWh", "2025-03", source_id="pv-roof"),
        anchored("pv-04", "onsite_renewable_self_consumed", "130000.5", "kWh", "2025-04", source_id="pv-roof"),
        anchored("pv-05", "onsite_renewable_self_consumed", "90", "MWh", "2025-05", source_id="pv-roof"),
    ]


def test_certificates_sold_for_self_consumed_onsite_generation_are_found() -> None:
    sold = claimed(
        21, factory_id=OTHER, block_id="ROOF-1", project_id="P-ROOF", technology="solar",
        generation_start="2025-04", generation_end="2025-06",
    )  # fmt: skip
    findings = run([sold], onsite_records(), onsite={"pv-roof": "P-ROOF"})
    [finding] = only(findings, ONSITE_CERTIFICATES_SOLD)
    assert findings == [finding]
    assert finding.claim_ids == (21,)
    assert finding.record_ids == ("pv-04", "pv-05")
    assert finding.message == (
        "project P-ROOF: on-site source pv-roof counted as self-consumed in 2025-04, 2025-05 "
        f"(220.0005 MWh), but GEC claim 21 ({OTHER}) retires 100 MWh generated 2025-04..2025-06"
    )


def test_factorys_own_certificates_for_its_onsite_generation_are_found() -> None:
    own = claimed(22, block_id="ROOF-1", project_id="P-ROOF", generation_start="2025-01", generation_end="2025-03")
    [finding] = only(run([own], onsite_records(), onsite={"pv-roof": "P-ROOF"}), ONSITE_CERTIFICATES_SOLD)
    assert finding.claim_ids == (22,)
    assert finding.record_ids == ("pv-03",)


def test_onsite_without_sold_certificates_passes() -> None:
    march = {"generation_start": "2025-03", "generation_end": "2025-03"}
    later = claimed(
        21,
        factory_id=OTHER,
        block_id="ROOF-1",
        project_id="P-ROOF",
        generation_start="2025-06",
        generation_end="2025-06",
    )
    other_project = claimed(23, factory_id=OTHER, block_id="X", project_id="P-FARM", **march)
    credit = claimed(24, factory_id=OTHER, registry="CCER", block_id="C", project_id="P-ROOF", **march)
    claims = [later, other_project, credit]
    assert run(claims, onsite_records(), onsite={"pv-roof": "P-ROOF"}) == []
    # without the mapping nothing ties the meter to a certificate project
    sold = claimed(25, factory_id=OTHER, block_id="R", project_id="P-ROOF", **march)
    assert run([sold], onsite_records()) == []


# --- the whole picture and bad input ----------------------------------------------------------


def test_clean_factory_has_no_findings_and_findings_follow_check_order() -> None:
    clean = claimed(1, serial_start="1", serial_end="100")
    assert run([clean], plenty_of_grid()) == []
    messy = [
        clean,
        claimed(2, factory_id=OTHER, serial_start="50", serial_end="60"),
        claimed(3, block_id="OLD", generation_start="2020-01", generation_end="2020-01"),
        claimed(4, block_id="FUT", consumption_end="2025-01", generation_start="2025-02", generation_end="2025-02"),
    ]
    checks = [f.check for f in run(messy)]
    assert checks == [
        UNITS_CLAIMED_TWICE,
        RENEWABLE_EXCEEDS_CONSUMPTION,
        OUTSIDE_VALIDITY,
        GENERATION_AFTER_CONSUMPTION,
    ]
    assert sorted(checks, key=CHECKS.index) == checks


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="claim_id 1 appears twice"):
        run([claimed(1), claimed(1, block_id="B-2")])
    with pytest.raises(ValueError, match="record_id 'g' appears twice"):
        run([], [anchored("g", "grid_electricity", "1", "MWh", "2025-01")] * 2)
    foreign = AnchoredRecord(
        "f",
        parse_record(
            {
                "source_id": "m", "kind": "grid_electricity", "value": "1", "unit": "MWh",
                "interval_start": "2025-01-01T00:00:00+08:00", "interval_end": "2025-02-01T00:00:00+08:00",
                "evidence": [], "salt": "0x" + "11" * 32,
            },
            factory_id=OTHER,
            period="2025-01",
        ),
    )  # fmt: skip
    with pytest.raises(ValueError, match="belongs to factory"):
        run([], [foreign])
    with pytest.raises(RecordError, match="period_start"):
        run([], start="2025-13")
    with pytest.raises(ValueError, match="before period_start"):
        run([], start="2025-06", end="2025-05")
    with pytest.raises(ValueError, match="unknown check"):
        Finding("nope", "", (), ())
