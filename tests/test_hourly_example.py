"""The example factory's hourly year (examples/hourly/): made reproducibly, adding up exactly to the
monthly records, shaped like a two-shift factory, a rooftop PV and an offshore wind farm, and read by
the ledger's own parsers; its revision-2 batches leave the annual evaluation as revision 1 has it."""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.accounting.inventory import Inventory, InventoryRecord, compute_inventory
from ledger.accounting.source_register import SourceRegister, parse_sources
from ledger.claims import parse_claim
from ledger.claims.double_counting import ClaimedRetirement
from ledger.claims.eligibility import assess_claims
from ledger.claims.eligibility_rules import load_eligibility
from ledger.factors import load_factor_set
from ledger.factors.steam import parse_steam
from ledger.records import parse_batch
from tests.builders import EXAMPLE_STEAM, EXAMPLES
from tests.hourly_example import HOURLY, batches, generate, revision_two

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def monthly(period: str, source_id: str) -> Decimal:
    [value] = [r["value"] for r in batches.revision_one(period)["records"] if r["source_id"] == source_id]
    return Decimal(value)


def column(path: Path, encoding: str) -> list[tuple[datetime, Decimal]]:
    """(time label, kWh) of each row of a one-meter export."""
    with path.open(encoding=encoding, newline="") as f:
        rows = list(csv.reader(f))[1:]
    return [(datetime.strptime(t, "%Y-%m-%d %H:%M"), Decimal(v.replace(",", ""))) for t, v in rows]


def hourly_load(period: str) -> Iterator[tuple[datetime, Decimal]]:
    """(local start of the hour, main meter + PV in kWh) for every hour of ``period``."""
    quarters = column(batches.export(period, "ems-15min"), "utf-8-sig")
    pv = column(batches.export(period, "pv-hourly"), "utf-8")
    for h, (start, solar) in enumerate(pv):
        assert quarters[4 * h][0] == start + timedelta(minutes=15)  # labelled by the quarter hour's end
        yield start, sum((v for _, v in quarters[4 * h : 4 * h + 4]), Decimal(0)) + solar


def test_the_generator_writes_the_same_bytes_again(tmp_path: Path) -> None:
    generate.main(tmp_path)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len(made) == 12 * 2 + 2
    for name in made:
        assert (tmp_path / name).read_bytes() == (HOURLY / name).read_bytes(), name
    assert sum((HOURLY / name).stat().st_size for name in made) < 3_000_000  # what the repository holds


def test_the_readings_add_up_exactly_to_each_months_record() -> None:
    for period in MONTHS:
        quarters = column(batches.export(period, "ems-15min"), "utf-8-sig")
        pv = column(batches.export(period, "pv-hourly"), "utf-8")
        days = len(generate.days(period))
        assert (len(quarters), len(pv)) == (days * 96, days * 24)
        assert sum(v for _, v in quarters) == monthly(period, "meter-3205-10K-0457"), period
        assert sum(v for _, v in pv) == monthly(period, "pv-roof-2MWp"), period
        # and what the import makes of them: revision 2 has the same total per source as revision 1
        totals: dict[str, Decimal] = {}
        for record in revision_two(period)["records"]:
            totals[record["source_id"]] = totals.get(record["source_id"], Decimal(0)) + Decimal(record["value"])
        assert totals == {r["source_id"]: Decimal(r["value"]) for r in batches.revision_one(period)["records"]}


def test_a_night_shift_weekends_and_the_spring_festival_show_in_the_load() -> None:
    by_kind: dict[str, list[Decimal]] = {"day": [], "night": [], "sunday": []}
    for period in ("2025-03", "2025-07", "2025-11"):
        for start, kwh in hourly_load(period):
            weekday = start.weekday()
            if weekday < 5 and 10 <= start.hour < 17:
                by_kind["day"].append(kwh)
            elif weekday < 5 and 0 < start.hour < 6:  # the night shift of the evening before
                by_kind["night"].append(kwh)
            elif weekday == 6:
                by_kind["sunday"].append(kwh)
    mean = {kind: sum(values) / len(values) for kind, values in by_kind.items()}
    assert 0 < mean["night"] < mean["day"] and mean["night"] > Decimal("0.4") * mean["day"]
    assert 0 < mean["sunday"] < mean["night"]
    january = dict(hourly_load("2025-01"))
    festival = [kwh for start, kwh in january.items() if date(2025, 1, 29) <= start.date() <= date(2025, 1, 31)]
    working = [kwh for start, kwh in january.items() if date(2025, 1, 13) <= start.date() <= date(2025, 1, 17)]
    assert 0 < sum(festival) / len(festival) < sum(working) / len(working) / 3


def test_the_pv_follows_the_sun() -> None:
    lit: dict[str, set[int]] = {}
    for period in ("2025-06", "2025-12"):
        pv = column(batches.export(period, "pv-hourly"), "utf-8")
        lit[period] = {start.hour for start, kwh in pv if kwh > 0}
        assert all(kwh == 0 for start, kwh in pv if start.hour >= 20 or start.hour < 4)
        assert max(kwh for _, kwh in pv) <= Decimal(generate.PV_AC_KW) + 1  # the inverters clip
        daily = [sum(kwh for start, kwh in pv if start.day == d) for d in range(1, 29)]
        assert max(daily) > 3 * min(daily)  # clear and overcast days
    assert min(lit["2025-06"]) < min(lit["2025-12"]) and max(lit["2025-06"]) > max(lit["2025-12"])


def test_the_wind_farm_produced_what_the_claims_retired_with_calm_hours_and_full_hours() -> None:
    claims = [json.loads(p.read_text()) for p in sorted((EXAMPLES / "claims").glob("gec-*.json"))]
    needed = {c["generation_start"]: int(c["quantity"]) for c in claims}
    assert set(needed) == set(batches.GENERATION_MONTHS)
    for period in batches.GENERATION_MONTHS:
        batch = batches.generation_batch(period)
        records = batch["records"]
        assert (batch["factory_id"], batch["period"]) == ("GEN-JS-OW-0017", period)
        assert {(r["source_id"], r["kind"], r["unit"]) for r in records} == {
            ("GEC:11320520230900017:plant-meter", "renewable_generation", "MWh")
        }
        assert len(records) == len(generate.days(period)) * 24
        starts = [datetime.fromisoformat(r["interval_start"]) for r in records]
        assert starts == [starts[0] + timedelta(hours=i) for i in range(len(records))]
        assert starts[0] == datetime.fromisoformat(f"{period}-01T00:00:00+08:00")
        output = [Decimal(r["value"]) for r in records]
        assert sum(output) >= needed[period]
        assert all(0 <= mwh <= Decimal(generate.WIND_MW) for mwh in output)
        assert output.count(Decimal(0)) >= 3  # calm (or storm) hours
        assert sum(1 for mwh in output if mwh > Decimal("0.9") * Decimal(generate.WIND_MW)) >= 10


def test_the_generation_batches_parse() -> None:
    for period in batches.GENERATION_MONTHS:
        batch = parse_batch(batches.salted(batches.generation_batch(period)))
        assert len(batch.records) == len(generate.days(period)) * 24


def test_the_revision_two_batches_parse_and_the_register_declares_every_source() -> None:
    body = batches.register()
    declared = parse_sources(body["sources"])
    assert declared is not None
    methods = {sid: entry["method"] for sid, entry in declared.items() if entry is not None}
    assert methods["meter-3205-04K-1190"] == "load-profile"
    assert methods["meter-3205-10K-0457"] == methods["pv-roof-2MWp"] == "metered"
    for period in ("2025-02", "2025-12"):
        batch = parse_batch(batches.salted(revision_two(period)))
        assert {r.source_id for r in batch.records} == set(methods)
        assert batch.revision == 2
        lengths: dict[str, set[timedelta]] = {}
        for r in batch.records:
            lengths.setdefault(r.source_id, set()).add(r.interval_end - r.interval_start)
        assert lengths["meter-3205-10K-0457"] == {timedelta(minutes=15)}
        assert lengths["pv-roof-2MWp"] == {timedelta(hours=1)}
        assert lengths["meter-3205-04K-1190"] == {timedelta(days=len(generate.days(period)))}
    register = SourceRegister({}).changed(declared, "2026-01-01T00:00:00Z")
    assert register.sources["meter-3205-04K-1190"].method == "load-profile"


@functools.cache
def year_records(revision: int) -> tuple[InventoryRecord, ...]:
    records: list[InventoryRecord] = []
    for period in MONTHS:
        data = batches.revision_one(period) if revision == 1 else revision_two(period)
        batch = parse_batch(batches.salted(data))
        records += [InventoryRecord(f"{period}/{i}", period, r) for i, r in enumerate(batch.records)]
    return tuple(records)


def inventory(revision: int, matching: str) -> Inventory:
    """The example year's inventory from revision ``revision`` of every month, with its claims."""
    records = year_records(revision)
    claims = [ClaimedRetirement(n, parse_claim(json.loads(p.read_text())), "0x" + "12" * 20, "0x" + "34" * 32)
              for n, p in enumerate(sorted((EXAMPLES / "claims").glob("*.json")), 1)]  # fmt: skip
    return compute_inventory(
        factory_id="CN-JS-SZ-0001", year=2025, records=records, claims=claims, invalid_claims=frozenset(),
        factors=load_factor_set("cn-mee-2023"), eligibility=assess_claims(claims, load_eligibility(), "CN"),
        matching=matching, steam=parse_steam(EXAMPLE_STEAM),
    )  # fmt: skip


def figures(inv: Inventory) -> dict[str, Any]:
    return {
        "electricity": inv.electricity, "scope1": inv.scope1, "scope2_location": inv.scope2_location,
        "scope2_market": inv.scope2_market, "renewable_share": inv.renewable_share,
        "monthly": {m: dict(v) for m, v in inv.monthly.items()}, "certificates": inv.certificates,
        "lines": [(ln.scope, ln.category, ln.result) for ln in inv.lines],
    }  # fmt: skip


@pytest.mark.parametrize("matching", ["claim_period", "annual"])
def test_revision_two_leaves_the_annual_evaluation_unchanged(matching: str) -> None:
    one, two = figures(inventory(1, matching)), figures(inventory(2, matching))
    assert one == two
    assert one["electricity"]["grid_mwh"] == 16676  # the example year's whole MWh, as README says
