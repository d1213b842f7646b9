"""Hourly load from anchored records (ledger/hourly/load.py): quarter-hours sum into their hour
exactly, gaps are unknown hours (never zero), overlaps and straddling readings are refused naming the
records, a load-profile source's monthly total is spread by its profile to the exact mWh, and a
monthly total of any other source is refused with the fix. The interval check of a batch
(ledger/hourly/intervals.py) lists the same problems without stopping at the first."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.accounting.source_register import load_profile_names, parse_sources
from ledger.hourly.errors import HourlyError
from ledger.hourly.intervals import interval_report
from ledger.hourly.load import hourly_sources, load_share
from ledger.hourly.load_profiles import load_profiles, profile_weights
from ledger.hourly.model import HOUR, KWH, Gap, Span
from ledger.hourly.spread import largest_remainder
from ledger.records import RecordError, new_salt
from ledger.records.batch import Batch
from ledger.records.record import MeasurementRecord

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]
CN = timezone(timedelta(hours=8))
JAN = Span(int(datetime(2025, 1, 1, tzinfo=CN).timestamp()), 31 * 24)
LABEL = "CN-JS-SZ-0001/2025-01/r1@0xabc"
GRID = "meter-3205-10K-0457"


def record(start: datetime, minutes: int, value: str, source: str = GRID, kind: str = "grid_electricity",
           unit: str = "kWh") -> MeasurementRecord:  # fmt: skip
    end = start + timedelta(minutes=minutes)
    return MeasurementRecord("CN-JS-SZ-0001", "2025-01", source, kind, value, unit, start, end, (), new_salt())


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 1, day, hour, minute, tzinfo=CN)


def quarter_hours(first: datetime, count: int, value: str = "12.5", **kw: str) -> list[MeasurementRecord]:
    return [record(first + timedelta(minutes=15 * i), 15, value, **kw) for i in range(count)]


def month_record(value: str, source: str = GRID, kind: str = "grid_electricity") -> MeasurementRecord:
    return record(at(1, 0), 31 * 24 * 60, value, source, kind)


def labelled(records: list[MeasurementRecord]) -> list[tuple[str, MeasurementRecord]]:
    return [(LABEL, r) for r in records]


METERED = {GRID: {"method": "metered"}}


def test_quarter_hours_sum_exactly_into_their_hour_and_gaps_are_unknown_hours() -> None:
    """The whole of January in 15-min readings of 12.5 kWh, but for 2025-01-02 10:00-12:00 (8 readings
    missing) and one reading of 0.000001 kWh (1 mWh) at 2025-01-03 00:00: every full hour holds
    4 × 12.5 kWh = 50 kWh = 5·10⁷ mWh; hours 10 and 11 of 2 January are unknown, one gap of 2 hours."""
    readings = quarter_hours(at(1, 0), 31 * 96)
    missing = {JAN.index(int(at(2, 10).timestamp())) * 4 + q for q in range(8)}
    readings = [r for i, r in enumerate(readings) if i not in missing]
    readings = [record(at(3, 0), 15, "0.000001") if r.interval_start == at(3, 0) else r for r in readings]
    (source,) = hourly_sources(labelled(readings), JAN, METERED)
    assert source.resolution == 900 and source.method == "metered" and source.batches == (LABEL,)
    assert source.energy.dtype == np.int64
    first_of_3rd = JAN.index(int(at(3, 0).timestamp()))
    assert source.energy[first_of_3rd] == 3 * 125 * KWH // 10 + 1
    assert source.energy[0] == 50 * KWH
    unknown = np.flatnonzero(~source.known).tolist()
    assert unknown == [24 + 10, 24 + 11]
    assert source.gaps == (Gap(int(at(2, 10).timestamp()), int(at(2, 12).timestamp())),)
    assert source.energy[unknown].tolist() == [0, 0]  # nothing read: unknown, and no energy invented
    assert int(source.energy.sum()) == sum(int(Decimal(r.value) * KWH) for r in readings)


def test_a_partly_read_hour_keeps_what_was_read_but_is_not_known() -> None:
    readings = quarter_hours(at(1, 0), 3) + [record(at(1, 1), 60, "40")]
    (source,) = hourly_sources(labelled(readings), JAN, {})
    assert source.method == "undeclared" and load_share(source.method) is None  # counts as load, in neither share
    assert source.energy[:2].tolist() == [3 * 125 * KWH // 10, 40 * KWH]
    assert source.known[:2].tolist() == [False, True] and source.resolution == 900
    assert source.gaps[0] == Gap(JAN.start, JAN.start + HOUR)
    assert source.gaps[-1] == Gap(JAN.start + 2 * HOUR, JAN.end)  # the rest of the month: one merged gap


def test_hours_outside_the_declared_service_days_are_no_gap() -> None:
    """A meter in service from 2025-01-10 to 2025-01-20 (both inclusive, China time) read hourly on
    those days only: every hour of the month is known, and an hour missing inside the service days
    is still a gap."""
    days = [record(at(d, h), 60, "7") for d in range(10, 21) for h in range(24) if (d, h) != (15, 3)]
    entry = {"method": "metered", "in_service_from": "2025-01-10", "in_service_until": "2025-01-20"}
    (source,) = hourly_sources(labelled(days), JAN, {GRID: entry})
    missing = JAN.index(int(at(15, 3).timestamp()))
    assert np.flatnonzero(~source.known).tolist() == [missing]
    assert source.gaps == (Gap(int(at(15, 3).timestamp()), int(at(15, 4).timestamp())),)
    (undeclared,) = hourly_sources(labelled(days), JAN, {GRID: {"method": "metered"}})
    assert (~undeclared.known).sum() == JAN.hours - len(days)  # without the dates: the other days are gaps


def test_overlapping_readings_are_refused_naming_both() -> None:
    readings = quarter_hours(at(5, 8), 4) + [record(at(5, 8, 30), 30, "25")]
    with pytest.raises(HourlyError) as refused:
        hourly_sources(labelled(readings), JAN, METERED)
    assert refused.value.field == GRID
    message = refused.value.message
    assert "2025-01-05T08:30:00+08:00..2025-01-05T08:45:00+08:00" in message  # the quarter-hour it covers again
    assert "2025-01-05T08:30:00+08:00..2025-01-05T09:00:00+08:00" in message and "overlap" in message
    other_kind = [record(at(5, 8), 60, "1", kind="onsite_renewable_self_consumed")]
    assert len(hourly_sources(labelled(quarter_hours(at(5, 8), 4) + other_kind), JAN, METERED)) == 2


@pytest.mark.parametrize(("start", "minutes"), [(at(1, 0, 10), 15), (at(1, 0, 45), 30), (at(1, 0, 0), 7)])
def test_a_reading_that_straddles_an_hour_or_is_misaligned_is_refused(start: datetime, minutes: int) -> None:
    with pytest.raises(HourlyError) as refused:
        hourly_sources(labelled([record(start, minutes, "1")]), JAN, METERED)
    assert refused.value.field == f"{GRID}.interval_start" and start.isoformat() in refused.value.message


def test_a_value_finer_than_a_mwh_is_refused_naming_the_record() -> None:
    with pytest.raises(HourlyError) as refused:
        hourly_sources(labelled([record(at(1, 0), 15, "0.0000001")]), JAN, METERED)
    assert refused.value.field == f"{GRID}.value"
    assert f"0.0000001 kWh of {LABEL} 2025-01-01T00:00:00+08:00..2025-01-01T00:15:00+08:00" in refused.value.message
    (source,) = hourly_sources(labelled([record(at(1, 0), 60, "0.001", unit="MWh")]), JAN, METERED)
    assert source.energy[0] == KWH  # 0.001 MWh = 1 kWh, exactly


@pytest.mark.parametrize("method", [None, "metered", "estimated"])
def test_a_monthly_total_not_declared_load_profile_is_refused_with_the_fix(method: str | None) -> None:
    methods = {} if method is None else {GRID: {"method": method}}
    with pytest.raises(HourlyError) as refused:
        hourly_sources(labelled([month_record("1286420.4")]), JAN, methods)
    assert refused.value.field == GRID
    text = refused.value.message
    assert f"the source is {method or 'undeclared'}" in text
    assert "Declare the source load-profile in the source register" in text and "send interval readings" in text


def test_a_load_profile_month_is_spread_by_its_profile_to_the_exact_mwh() -> None:
    """examples/2025-01's grid meter, 1,286,420.4 kWh = 1,286,420,400,000 mWh, declared load-profile
    with the two-shift profile: the 744 hours add up to exactly that; each hour is within 1 mWh of
    total × weight / Σ weights; a weekday 10:00 (weight 100) gets 4× a weekday 03:00 (weight 25) ±1 mWh."""
    declared = {GRID: {"method": "load-profile", "profile": "cn-industrial-two-shift"}}
    (source,) = hourly_sources(labelled([month_record("1286420.4")]), JAN, declared)
    total = 1_286_420_400_000
    weights = profile_weights("cn-industrial-two-shift", JAN.start, JAN.hours)
    assert int(source.energy.sum()) == total and source.known.all() and source.gaps == ()
    exact = [Fraction(total * int(w), int(weights.sum())) for w in weights]
    assert all(abs(e - int(x)) < 1 for e, x in zip(exact, source.energy, strict=True))
    assert abs(int(source.energy[10]) - 4 * int(source.energy[3])) <= 4
    assert source.resolution == 0 and source.profile == "load-profiles@1/cn-industrial-two-shift"
    assert load_share(source.method) == "profiled"
    (flat,) = hourly_sources(labelled([month_record("1286420.4")]), JAN, {GRID: {"method": "load-profile"}})
    assert flat.profile == "load-profiles@1/flat" and int(flat.energy.max()) - int(flat.energy.min()) <= 1


def test_readings_of_different_resolutions_in_one_month_mix_and_records_outside_the_span_are_skipped() -> None:
    """1-15 January in quarter-hours, 16-31 January in hours: no gap; a span of 2 January sees 24 hours
    only; a February record is skipped."""
    readings = quarter_hours(at(1, 0), 15 * 96, "1") + [record(at(16, 0) + timedelta(hours=h), 60, "4")
                                                        for h in range(16 * 24)]  # fmt: skip
    (source,) = hourly_sources(labelled(readings), JAN, METERED)
    assert source.known.all() and source.resolution == 900 and (source.energy == 4 * KWH).all()
    day = Span(int(at(2, 0).timestamp()), 24)
    (two,) = hourly_sources(labelled(readings), day, METERED)
    assert two.energy.tolist() == [4 * KWH] * 24 and two.known.all()
    declared = {GRID: {"method": "load-profile"}}
    (clipped,) = hourly_sources(labelled([month_record("744")]), day, declared)  # 1 kWh an hour, flat
    assert clipped.energy.tolist() == [KWH] * 24


def test_only_electricity_kinds_are_read() -> None:
    gas = record(at(1, 0), 60, "10", source="meter-gas-G-0091", kind="natural_gas", unit="Nm3")
    contract = record(at(1, 0), 60, "3", source="gpc-2025", kind="green_power_contract")
    found = hourly_sources(labelled([gas, contract]), JAN, {})
    assert [(s.source_id, s.kind) for s in found] == [("gpc-2025", "green_power_contract")]


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**15),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=200).filter(any),
)
def test_largest_remainder_sums_exactly_and_each_share_is_within_one(total: int, weights: list[int]) -> None:
    shares = largest_remainder(total, np.array(weights, dtype=np.int64))
    assert int(shares.sum()) == total
    whole = sum(weights)
    for w, s in zip(weights, shares.tolist(), strict=True):
        assert abs(Fraction(total * w, whole) - s) < 1
        assert w or s == 0  # an hour of weight zero gets nothing


@settings(max_examples=50, deadline=None)
@given(
    total_kwh=st.decimals(min_value=0, max_value=10**7, places=6), profile=st.sampled_from(list(load_profile_names()))
)
def test_any_profiled_month_sums_exactly(total_kwh: Decimal, profile: str) -> None:
    declared = {GRID: {"method": "load-profile", "profile": profile}}
    (source,) = hourly_sources(labelled([month_record(format(total_kwh, "f"))]), JAN, declared)
    assert int(source.energy.sum()) == int(total_kwh * KWH)


def test_ties_go_to_the_earlier_hour() -> None:
    assert largest_remainder(2, np.array([1, 1, 1])).tolist() == [1, 1, 0]
    assert largest_remainder(5, np.array([1, 2, 1])).tolist() == [1, 3, 1]  # 1.25, 2.5, 1.25 → 2.5 rounds up


def test_the_profile_file_documents_every_profile_and_flat_is_the_neutral_default() -> None:
    profiles = load_profiles()
    assert profiles.label == "load-profiles@1" and profiles.default == "flat"
    assert {"flat", "cn-industrial-two-shift", "cn-industrial-three-shift"} <= set(profiles.profiles)
    flat = profiles.profiles["flat"]
    assert "neutral fallback" in flat.meaning and flat.confirmed and len(set(flat.weekday + flat.weekend)) == 1
    for p in profiles.profiles.values():
        assert p.source and len(p.weekday) == len(p.weekend) == 24
        assert p.confirmed or "not taken from a published standard" in p.source
    saturday = int(datetime(2025, 1, 4, tzinfo=CN).timestamp())
    weights = profile_weights("cn-industrial-two-shift", saturday - 24 * HOUR, 48)  # Friday, then Saturday
    assert weights[:24].tolist() == list(profiles.profiles["cn-industrial-two-shift"].weekday)
    assert weights[24:].tolist() == list(profiles.profiles["cn-industrial-two-shift"].weekend)


def test_a_real_month_in_quarter_hours_adds_up_to_the_monthly_figure() -> None:
    """examples/2025-01/batch.json's grid meter reads 1,286,420.4 kWh for January. Spread over its
    2,976 quarter-hours by largest remainder in whole Wh (so each reading is a plain kWh decimal with
    three places), then read back hour by hour: the 744 hours add up to exactly 1,286,420.4 kWh."""
    example = json.loads((ROOT / "examples/2025-01/batch.json").read_text(encoding="utf-8"))
    grid = next(r for r in example["records"] if r["source_id"] == GRID)
    wh = int(Decimal(grid["value"]) * 1000)
    weights = np.tile(profile_weights("cn-industrial-three-shift", JAN.start, JAN.hours).repeat(4), 1)
    per_quarter = largest_remainder(wh, weights)
    readings = [record(at(1, 0) + timedelta(minutes=15 * i), 15, str(Decimal(int(x)) / 1000))
                for i, x in enumerate(per_quarter)]  # fmt: skip
    (source,) = hourly_sources(labelled(readings), JAN, {GRID: {"method": "utility-attested"}})
    assert Decimal(int(source.energy.sum())) / KWH == Decimal(grid["value"])
    assert source.known.all() and load_share(source.method) == "metered"


def _batch(records: list[MeasurementRecord]) -> Batch:
    return Batch("CN-JS-SZ-0001", "2025-01", 1, "", tuple(records))


def test_the_interval_report_lists_every_problem_with_its_records() -> None:
    """A batch of: grid in quarter-hours for 1 January only, and records[96] a half-hour 00:30-01:00
    over records[2] and [3]; the PV meter monthly, undeclared; the gas meter not read."""
    grid = quarter_hours(at(1, 0), 96)
    pv = month_record("131624.0", "pv-roof-2MWp", "onsite_renewable_self_consumed")
    gas = record(at(1, 0), 31 * 24 * 60, "18652.0", "meter-gas-G-0091", "natural_gas", "Nm3")
    batch = _batch([*grid, record(at(1, 0, 30), 30, "25"), pv, gas])
    report = interval_report(batch, METERED)
    assert not report["ok"] and report["ignored_records"] == 1 and report["month"]["hours"] == 744
    rows = {r["source_id"]: r for r in report["sources"]}
    g = rows[GRID]
    assert (g["resolution"], g["resolutions"], g["records"]) == (900, [900, 1800], 97)
    assert g["first"] == "2025-01-01T00:00:00+08:00" and g["last"] == "2025-01-02T00:00:00+08:00"
    assert g["gaps"] == [{"start": "2025-01-02T00:00:00+08:00", "end": "2025-02-01T00:00:00+08:00"}]
    assert g["hours_covered"] == "24" and g["total_kwh"] == str(Decimal("12.5") * 96 + 25)
    assert [(e["problem"], e["records"]) for e in g["errors"]] == [("overlap", [2, 96]), ("overlap", [96, 3])]
    assert "records[2] and records[96] overlap" in g["errors"][0]["message"]
    misaligned = interval_report(_batch([*grid[:4], record(at(1, 0, 15), 30, "25")]), METERED)["sources"][0]
    assert ("not-aligned", [4]) in [(e["problem"], e["records"]) for e in misaligned["errors"]]
    p = rows["pv-roof-2MWp"]
    assert (p["resolution"], p["hourly"], p["method"], p["gaps"]) == ("monthly", "no", "undeclared", [])
    assert [(e["problem"], e["records"]) for e in p["errors"]] == [("needs-load-profile", [97])]
    fixed = interval_report(_batch([*grid, pv]), METERED | {"pv-roof-2MWp": {"method": "load-profile"}})
    assert fixed["ok"] and {r["source_id"]: r["hourly"] for r in fixed["sources"]} == {
        GRID: "readings", "pv-roof-2MWp": "load-profile"}  # fmt: skip


def test_the_register_takes_a_profile_for_a_load_profile_source_only() -> None:
    ok = parse_sources(
        {"m": {"method": "load-profile", "profile": "cn-industrial-two-shift"}, "n": {"method": "metered"}}
    )
    assert ok is not None and ok["m"]["profile"] == "cn-industrial-two-shift" and "profile" not in ok["n"]
    for entry, says in (({"method": "metered", "profile": "flat"}, "only a load-profile source"),
                        ({"method": "load-profile", "profile": "night-owl"}, "must be one of flat")):  # fmt: skip
        with pytest.raises(RecordError) as refused:
            parse_sources({"m": entry})
        assert refused.value.field == "sources.m.profile" and says in refused.value.message
