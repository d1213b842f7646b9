"""How findings name records, and check 7 (a claim bundled with green power the data does not hold).

A finding about consumption names it as lines - one per month, source, kind and unit, with the
records' count and exact sum - and at most twelve record ids (the first of each line): a year of
quarter-hour readings is 1.2 million records, which listed one by one would make the signed report
enormous. A claim whose ``bundled_with`` names no green-power record of the factory in its months is
a finding naming both sides, and the claim is refused.
"""

from __future__ import annotations

import pytest

from ledger.claims.double_counting import (
    BUNDLE_UNMATCHED,
    ONSITE_CERTIFICATES_SOLD,
    RENEWABLE_EXCEEDS_CONSUMPTION,
    AnchoredRecord,
    Finding,
    refused_claims,
)
from ledger.claims.findings import RECORD_SAMPLE
from tests.test_double_counting import anchored, claimed, only, plenty_of_grid, run


def meters(months: range, per_meter: int) -> list[AnchoredRecord]:
    """Per month of 2025: meter-a ``per_meter`` readings of 0.5 MWh, meter-b twice as many of 250.125 kWh."""
    records = []
    for month in months:
        period = f"2025-{month:02d}"
        records += [anchored(f"a-{month:02d}-{i:04d}", "grid_electricity", "0.5", "MWh", period, "meter-a")
                    for i in range(per_meter)]  # fmt: skip
        records += [anchored(f"b-{month:02d}-{i:04d}", "grid_electricity", "250.125", "kWh", period, "meter-b")
                    for i in range(2 * per_meter)]  # fmt: skip
    return records


def test_an_over_claim_names_its_consumption_as_lines_not_every_record() -> None:
    """By hand: each month meter-a 100 × 0.5 = 50.0 MWh, meter-b 200 × 250.125 = 50,025.000 kWh = 50.025
    MWh; a month 100.025 MWh, 2025-01..03 300.075 MWh over 900 records. Claim 5: 400 GEC for those
    months → counted 300.075, excess 99.925 MWh (claim_period). The finding: 6 lines (3 months × 2
    meters), record_count 100 + 200 per month × 3 = 900, record ids the first of each line."""
    claim = claimed(5, serial_end="400", consumption_start="2025-01", consumption_end="2025-03")
    [finding] = run([claim], meters(range(1, 4), 100), start="2025-01", end="2025-03", matching="claim_period")
    assert finding.check == RENEWABLE_EXCEEDS_CONSUMPTION and finding.claim_ids == (5,)
    assert finding.message.startswith(
        "claim 5: 400 MWh of certificates for 2025-01..2025-03 > 300.075 MWh of grid electricity consumed in "
        "2025-01..2025-03: 300.075 MWh counted, excess 99.925 MWh not counted"
    )
    assert finding.record_count == 900
    assert finding.record_ids == ("a-01-0000", "b-01-0000", "a-02-0000", "b-02-0000", "a-03-0000", "b-03-0000")
    assert [line.to_json() for line in finding.consumption[:2]] == [
        {"period": "2025-01", "source_id": "meter-a", "kind": "grid_electricity", "records": 100, "quantity": "50.0",
         "unit": "MWh", "mwh": "50", "first_record_id": "a-01-0000"},
        {"period": "2025-01", "source_id": "meter-b", "kind": "grid_electricity", "records": 200,
         "quantity": "50025.000", "unit": "kWh", "mwh": "50.025", "first_record_id": "b-01-0000"},
    ]  # fmt: skip
    assert [(line.period, line.source_id) for line in finding.consumption] == [
        (f"2025-0{m}", meter) for m in (1, 2, 3) for meter in ("meter-a", "meter-b")
    ]
    assert sum(line.records for line in finding.consumption) == finding.record_count
    entry = finding.to_json()
    assert list(entry)[:4] == ["check", "message", "claim_ids", "record_ids"]  # the keys reports always had
    assert (entry["record_count"], len(entry["consumption"])) == (900, 6)


def test_the_record_sample_is_bounded_however_many_lines() -> None:
    """By hand (annual): 12 months × (2 + 4) readings = 72 records; a month 2 × 0.5 + 4 × 0.250125 =
    2.0005 MWh, the year 24.006 MWh; claim 1 of 100 GEC for 2025 → excess 75.994 MWh. 24 lines (12
    months × 2 meters), but only the first 12 lines' first records are named."""
    [finding] = run([claimed(1)], meters(range(1, 13), 2))
    assert finding.message.startswith("renewable 100 MWh claimed > 24.006 MWh metered in 2025-01..2025-12")
    assert (finding.record_count, len(finding.consumption), len(finding.record_ids)) == (72, 24, RECORD_SAMPLE)
    assert finding.record_ids[-2:] == ("a-06-0000", "b-06-0000")


def test_a_finding_keeps_its_count_honest() -> None:
    assert Finding(BUNDLE_UNMATCHED, "m", (1,), ("r1", "r2")).record_count == 2
    with pytest.raises(ValueError, match="record_ids: at most 12"):
        Finding(BUNDLE_UNMATCHED, "m", (1,), tuple(f"r{i}" for i in range(13)), 13)
    with pytest.raises(ValueError, match="record_count 1 is below the 2 ids named"):
        Finding(BUNDLE_UNMATCHED, "m", (1,), ("r1", "r2"), 1)


def test_sold_onsite_certificates_count_and_sum_the_records_they_collide_with() -> None:
    """By hand: pv-roof in April 3 readings of 40,000 kWh = 120 MWh, in May 1 of 90 MWh; claim 21's
    generation 2025-04..06 collides with both months: 4 records in 2 lines, 210 MWh."""
    records = [anchored(f"pv-04-{i}", "onsite_renewable_self_consumed", "40000", "kWh", "2025-04", "pv-roof")
               for i in range(3)]  # fmt: skip
    records.append(anchored("pv-05", "onsite_renewable_self_consumed", "90", "MWh", "2025-05", "pv-roof"))
    sold = claimed(21, block_id="ROOF-1", project_id="P-ROOF", generation_start="2025-04", generation_end="2025-06")
    [finding] = only(run([sold], records + plenty_of_grid(), onsite={"pv-roof": "P-ROOF"}), ONSITE_CERTIFICATES_SOLD)
    assert (finding.record_count, finding.record_ids) == (4, ("pv-04-0", "pv-05"))
    assert [(c.period, c.records, f"{c.quantity:f}", c.unit) for c in finding.consumption] == [
        ("2025-04", 3, "120000", "kWh"), ("2025-05", 1, "90", "MWh")
    ]  # fmt: skip
    assert "self-consumed in 2025-04, 2025-05 (210 MWh)" in finding.message


# --- 7. a claim bundled with green power the anchored data does not hold -----------------------


def green(record_id: str, period: str, source_id: str = "ppa-1", mwh: str = "40") -> AnchoredRecord:
    return anchored(record_id, "green_power_contract", mwh, "MWh", period, source_id)


def bundled(claim_id: int, source: str, month: str, **changes: str) -> object:
    return claimed(
        claim_id, block_id=f"B-{claim_id}", serial_end="40", bundled_with=source, consumption_start=month,
        consumption_end=month, generation_start=month, generation_end=month, **changes,
    )  # fmt: skip


def test_a_bundle_the_data_holds_is_no_finding() -> None:
    records = [green("gpc-01", "2025-01"), *plenty_of_grid()]
    plain = claimed(9, block_id="B-9", consumption_start="2025-01", consumption_end="2025-01")
    assert run([bundled(1, "ppa-1", "2025-01"), plain], records) == []
    # a claim whose months lie outside the evaluation period is another period's business
    assert run([bundled(2, "ppa-x", "2024-12", cancellation_date="2024-12-31")], records) == []


def test_a_bundle_naming_no_record_is_a_refusing_finding_naming_both_sides() -> None:
    claim = bundled(3, "ppa-x", "2025-02")
    findings = run([claim], [green("gpc-01", "2025-01"), *plenty_of_grid()])
    [finding] = only(findings, BUNDLE_UNMATCHED)
    assert findings == [finding] and finding.claim_ids == (3,)
    assert finding.message == (
        "GEC claim 3 (serials 1..40, 40 MWh for consumption 2025-02) is declared bundled with green-power "
        "contract ppa-x, but the factory's anchored data holds no record of source ppa-x in 2025-01..2025-12: "
        "the bundle is not in the anchored data, so the claim is not counted"
    )
    assert (finding.record_count, finding.record_ids, finding.consumption) == (0, (), ())
    assert refused_claims(findings) == {3}


def test_a_bundle_naming_a_grid_meter_or_another_month_is_a_finding() -> None:
    """meter-1 is a grid meter (plenty_of_grid: 2025-06); ppa-1 delivered 40 MWh in January only, so a
    range bundled with it for March has no delivery in its months (the January line is shown)."""
    records = [green("gpc-01", "2025-01"), *plenty_of_grid()]
    findings = run([bundled(4, "meter-1", "2025-06"), bundled(5, "ppa-1", "2025-03")], records)
    grid, march = only(findings, BUNDLE_UNMATCHED)
    assert (
        grid.claim_ids == (4,)
        and ("source meter-1 holds grid_electricity records in 2025-01..2025-12, none of kind green_power_contract")
        in grid.message
    )
    assert (
        march.claim_ids == (5,)
        and ("contract ppa-1 delivered green power in 2025-01 only, none in the claim's months") in march.message
    )
    assert (march.record_count, march.record_ids) == (1, ("gpc-01",))
    assert [(c.period, c.source_id, c.kind, c.mwh) for c in march.consumption] == [
        ("2025-01", "ppa-1", "green_power_contract", 40)
    ]
    assert refused_claims(findings) == {4, 5}
