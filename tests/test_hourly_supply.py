"""Hourly matching's supply side: generation profiles read and chosen, units split into hour pieces
(every unit exactly 1 MWh, only in hours the project produced, in its own month), deliverability by
the rule file, each example claim's input, and the annual accounting untouched by generation records."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.accounting.completeness import source_gaps
from ledger.accounting.evaluation import evaluate, load_rules
from ledger.accounting.inventory import compute_inventory
from ledger.accounting.profile import provinces
from ledger.accounting.sections import data_quality
from ledger.accounting.sources import YearData
from ledger.claims import parse_claim
from ledger.claims.eligibility import assess_claims
from ledger.claims.eligibility_rules import load_eligibility
from ledger.claims.findings import ClaimedRetirement
from ledger.factors import load_factor_set
from ledger.factors.steam import parse_steam
from ledger.hourly import claim_inputs as ci_mod
from ledger.hourly.claim_inputs import NO_EXPIRY, claim_input, load_validity
from ledger.hourly.deliverability import RULES_DIR, DeliverabilityRuleError, deliverability, load_deliverability
from ledger.hourly.errors import HourlyError
from ledger.hourly.generation import choose_profile, generation_profiles, parse_generation_source
from ledger.hourly.model import MWH, GenerationProfile, HourlySource, PieceKind, Span, Supply
from ledger.hourly.pieces import profile_hours, split_claim, split_units, spread, units_per_month, within
from ledger.hourly.supply import claim_supply
from ledger.records import parse_record
from ledger.records.record import new_salt
from tests.builders import EXAMPLES, FACTORY_ID

pytestmark = pytest.mark.unit
CN = timezone(timedelta(hours=8))
DELIVERABILITY = load_deliverability()
VALIDITY = load_validity()


def check_units(s: Supply, units: int, weights: np.ndarray, hours: np.ndarray) -> None:
    """Every property a split must have: each unit sums to exactly 1 MWh, the claim to units × MWh,
    pieces only in hours with output, kinds WHOLE alone or REMAINDERs then one FILLER (Granular Foundation, split meter data), in serial order."""
    assert s.energy.sum() == units * MWH and (s.energy > 0).all()
    assert (np.bincount(s.unit_offset, weights=None, minlength=units) >= 1).all()
    per_unit = np.zeros(units, dtype=np.int64)
    np.add.at(per_unit, s.unit_offset, s.energy)
    assert (per_unit == MWH).all()
    assert set(s.hour.tolist()) <= set(hours[weights > 0].tolist())
    assert (np.diff(s.unit_offset) >= 0).all()  # laid in serial order
    for u in np.unique(s.unit_offset):
        kinds = s.kind[s.unit_offset == u].tolist()
        assert (
            kinds == [PieceKind.WHOLE]
            if len(kinds) == 1
            else kinds == [PieceKind.REMAINDER] * (len(kinds) - 1) + [PieceKind.FILLER]
        )


def test_a_worked_split_of_three_units_over_four_hours() -> None:
    """Weights 1, 0, 2, 3 (total 6) spread 3 MWh as 0.5, 0, 1, 1.5 MWh. Along the series unit 0 covers
    [0, 1): 0.5 of hour 0 (REMAINDER) and 0.5 of hour 2 (FILLER); unit 1 covers [1, 2): 0.5 of hour 2
    and 0.5 of hour 3; unit 2 is the last 1 MWh of hour 3 alone: WHOLE."""
    hours = np.arange(4, dtype=np.int32)
    s = split_units(7, 3, hours, np.array([1, 0, 2, 3], dtype=np.int64), "profile:x")
    half = MWH // 2
    assert s.unit_offset.tolist() == [0, 0, 1, 1, 2]
    assert s.hour.tolist() == [0, 2, 2, 3, 3]
    assert s.energy.tolist() == [half, half, half, half, MWH]
    assert s.kind.tolist() == [
        PieceKind.REMAINDER,
        PieceKind.FILLER,
        PieceKind.REMAINDER,
        PieceKind.FILLER,
        PieceKind.WHOLE,
    ]
    assert s.claim_id == 7 and s.source == "profile:x"


def test_largest_remainder_gives_ties_to_the_earlier_hour() -> None:
    # 10 over three equal weights: 3 each and 1 left over, which goes to the first hour
    assert spread(10, np.array([1, 1, 1])).tolist() == [4, 3, 3]
    # 10 over weights 1, 2: 3.33 and 6.67 → 3 and 7 (the larger remainder wins)
    assert spread(10, np.array([1, 2])).tolist() == [3, 7]
    assert units_per_month(5, [100, 0, 100]) == [3, 0, 2]
    with pytest.raises(HourlyError, match="no output"):
        spread(10, np.array([0, 0]))


def test_a_large_claim_over_large_hourly_output_stays_exact() -> None:
    """15,876 units over 744 hours of a ~500 MW project (up to 5e11 mWh an hour): the products pass
    int64, so the spread uses Python integers; the split still adds up to the mWh."""
    rng = np.random.default_rng(17)
    weights = rng.integers(0, 5 * 10**11, 744, dtype=np.int64)
    s = split_units(1, 15_876, np.arange(744, dtype=np.int32), weights, "p")
    check_units(s, 15_876, weights, np.arange(744))


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """The reference: Python integers, remainders sorted largest first, ties to the earlier entry."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 10**12), min_size=1, max_size=40).filter(lambda w: sum(w) > 0),
    st.one_of(st.integers(1, 10**6).map(lambda u: u * MWH), st.integers(1, 2**60)),
)
def test_spread_is_exact_largest_remainder(weights: list[int], total: int) -> None:
    assert spread(total, np.array(weights, dtype=np.int64)).tolist() == largest_remainder(total, weights)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 10**12), min_size=1, max_size=60).filter(lambda w: sum(w) > 0),
    st.integers(1, 300),
)
def test_random_splits_keep_every_unit_whole(weights: list[int], units: int) -> None:
    w = np.array(weights, dtype=np.int64)
    hours = np.arange(100, 100 + w.size, dtype=np.int32)
    check_units(split_units(3, units, hours, w, "p"), units, w, hours)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 10**9), min_size=1, max_size=30).filter(lambda w: sum(w) > 0),
             min_size=1, max_size=4),
    st.integers(1, 200),
)  # fmt: skip
def test_a_multi_month_claim_keeps_each_unit_in_one_month(months: list[list[int]], units: int) -> None:
    parts, start = [], 0
    for w in months:
        parts.append((np.arange(start, start + len(w), dtype=np.int32), np.array(w, dtype=np.int64), f"m{start}"))
        start += 1000  # months far apart: a unit's hours tell its month
    s = split_claim(5, units, parts)
    all_hours = np.concatenate([h for h, _, _ in parts])
    check_units(s, units, np.concatenate([w for _, w, _ in parts]), all_hours)
    for u in np.unique(s.unit_offset):
        assert len(set((s.hour[s.unit_offset == u] // 1000).tolist())) == 1  # one month per unit
    month_of_unit = [int(s.hour[s.unit_offset == u][0] // 1000) for u in range(units)]
    assert month_of_unit == sorted(month_of_unit)  # serial order follows the months
    counts = units_per_month(units, [sum(w) for w in months])
    assert [month_of_unit.count(m) for m in range(len(months))] == counts


def gen_records(period: str = "2025-01", source: str = "GEC:11320520230900017:plant-meter", skip: tuple[int, ...] = (),
                kwh: Any = lambda i: 1000 + (i % 24) * 100) -> list[Any]:  # fmt: skip
    first = datetime(int(period[:4]), int(period[5:]), 1, tzinfo=CN)
    after = datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=CN)
    hours = int((after - first).total_seconds()) // 3600
    return [
        parse_record({"source_id": source, "kind": "renewable_generation", "value": str(kwh(i)), "unit": "kWh",
                      "interval_start": (first + timedelta(hours=i)).isoformat(),
                      "interval_end": (first + timedelta(hours=i + 1)).isoformat(),
                      "evidence": [], "salt": "0x" + new_salt().hex()}, factory_id="GEN-JS-OW-0017", period=period)
        for i in range(hours) if i not in skip
    ]  # fmt: skip


def test_profiles_are_read_per_project_month_and_chosen_by_tier_attestor_revision() -> None:
    plant = gen_records()
    modelled = gen_records(source="GEC:11320520230900017:modelled")
    found = generation_profiles(
        [("GEN/2025-01/r1@0xaa", "GEN-JS-OW-0017", r) for r in plant]
        + [("GEN/2025-01/r2@0xbb", "GEN-JS-OW-0017", r) for r in modelled]
        + [(f"{FACTORY_ID}/2025-01/r3@0xcc", FACTORY_ID, r) for r in plant]
    )  # fmt: skip
    [(key, candidates)] = found.items()
    assert key == ("GEC", "11320520230900017", "2025-01") and len(candidates) == 3
    p = candidates[0]
    assert p.energy.size == 744 and p.energy[0] == 1000 * 10**6 and p.energy[23] == 3300 * 10**6 and not p.missing
    # plant meter beats modelled; of two plant-meter profiles, the generator's beats the claimant's own
    assert choose_profile(candidates, FACTORY_ID).batch == "GEN/2025-01/r1@0xaa"
    # for another claimant both plant-meter profiles are independent: the later revision (r3) wins
    assert choose_profile(candidates, "CN-ZJ-NB-0002").batch == f"{FACTORY_ID}/2025-01/r3@0xcc"
    assert choose_profile(list(reversed(candidates)), "CN-ZJ-NB-0002").batch == f"{FACTORY_ID}/2025-01/r3@0xcc"


def test_a_profile_missing_hours_is_refused_naming_them() -> None:
    [[p]] = generation_profiles([("G/2025-01/r1@0x", "G", r) for r in gen_records(skip=(10, 11, 12, 500))]).values()
    assert p.missing == (10, 11, 12, 500)
    with pytest.raises(
        HourlyError, match=r"4 hour\(s\): 2025-01-01T10:00\+08:00\.\.13:00, 2025-01-21T20:00\+08:00\.\.21:00"
    ):
        choose_profile([p], FACTORY_ID)


@pytest.mark.parametrize(
    ("source", "field"),
    [("GEC:123", "source_id"), ("gec:123:plant-meter", "source_id.registry"), ("GEC::modelled", "source_id.project_id"),
     ("GEC:123:estimated", "source_id.tier")],
)  # fmt: skip
def test_a_bad_generation_source_names_the_part(source: str, field: str) -> None:
    with pytest.raises(HourlyError) as raised:
        parse_generation_source(source)
    assert raised.value.field == field
    assert parse_generation_source("I-REC:DEV:1:grid-settlement") == ("I-REC", "DEV:1", "grid-settlement")


def test_duplicate_or_non_hour_readings_are_refused() -> None:
    records = gen_records()
    with pytest.raises(HourlyError, match="two readings for the hour"):
        generation_profiles([("G/2025-01/r1@0x", "G", r) for r in [*records, records[5]]])
    quarter = parse_record({**records[0].to_json(include_context=False), "interval_end": "2025-01-01T00:15:00+08:00",
                            "salt": "0x" + new_salt().hex(), "evidence": []},
                           factory_id="G", period="2025-01")  # fmt: skip
    with pytest.raises(HourlyError, match="not one whole hour"):
        generation_profiles([("G/2025-01/r1@0x", "G", quarter)])


@pytest.mark.parametrize(
    ("factory", "region", "country", "required", "ok", "level"),
    [
        ("CN-JS", "CN-JS", "CN", "same_province", True, "same_province"),
        ("CN-JS", "CN-ZJ", "CN", "same_regional_grid", True, "same_regional_grid"),
        ("CN-JS", "CN-ZJ", "CN", "same_province", False, "same_regional_grid"),
        ("CN-JS", "CN-GD", "CN", "same_regional_grid", False, "national"),
        ("CN-JS", "CN-GD", "CN", "national", True, "national"),
        ("CN-GD", "CN-YN", "CN", "same_regional_grid", True, "same_regional_grid"),
        ("CN-SC", "CN-CQ", "CN", "same_regional_grid", True, "same_regional_grid"),
        ("CN-BJ", "CN-NM", "CN", "same_regional_grid", False, "national"),  # Mengxi is its own grid
        ("CN-JS", "", "CN", "national", True, "national"),
        ("CN-JS", "", "CN", "same_regional_grid", False, "national"),
        ("CN-JS", "", "", "national", False, ""),
        ("CN-GD", "CN-HK", "CN", "national", False, ""),  # off the mainland grids
        (None, "CN-JS", "CN", "same_regional_grid", False, "national"),
    ],
)
def test_deliverability_by_the_rule_file(factory: str | None, region: str, country: str, required: str, ok: bool,
                                         level: str) -> None:  # fmt: skip
    assert deliverability(DELIVERABILITY.with_required(required), factory, region, country) == (ok, level)


def test_the_deliverability_file_is_sourced_and_covers_the_mainland() -> None:
    rule = DELIVERABILITY
    assert rule.label == "deliverability@1" and rule.required == "same_regional_grid" and not rule.confirmed
    assert all(level.source and level.meaning for level in rule.levels.values())
    assert all(grid.source for grid in rule.grids.values())
    off_mainland = {"CN-HK", "CN-MO", "CN-TW"}
    assert set(rule.province_grid) == set(provinces()) - off_mainland
    assert {k for k in rule.grids if k != "mengxi"} == {
        "north",
        "northeast",
        "east",
        "central",
        "northwest",
        "southwest",
        "south",
    }


def example_claims() -> dict[str, ClaimedRetirement]:
    out = {}
    for n, name in enumerate(("gec-2025-01", "gec-2025-02-12", "ccer-2025"), start=1):
        data = json.loads((EXAMPLES / "claims" / f"{name}.json").read_text(encoding="utf-8"))
        out[name] = ClaimedRetirement(n, parse_claim(data), "0x" + "12" * 20)
    return out


def test_the_example_claims_as_inputs() -> None:
    claims = example_claims()
    assessed = assess_claims(list(claims.values()), load_eligibility(), "CN")
    span = Span.year(2025)
    inputs = {name: claim_input(c.claim_id, c.claim, assessed[c.claim_id], True, "CN-JS", DELIVERABILITY, VALIDITY, span)
              for name, c in claims.items()}  # fmt: skip
    jan, jun, ccer = inputs["gec-2025-01"], inputs["gec-2025-02-12"], inputs["ccer-2025"]
    assert jan.usable and jan.deliverability == "same_province" and jan.vintage == "2025-01"
    # valid 24 months counted from the generation month: 2025-01 .. 2026-12
    assert jan.expiry == "2026-12-31" and jun.expiry == "2027-05-31"
    assert jun.usable and jun.generation_start == jun.generation_end == "2025-06"
    assert not ccer.usable and ccer.reasons[0] == ci_mod.CREDIT
    assert ccer.deliverability == "same_regional_grid"  # Fujian is in the East China grid, like Jiangsu
    refused = claim_input(1, claims["gec-2025-01"].claim, assessed[1], False, "CN-GD", DELIVERABILITY, VALIDITY,
                          Span.year(2026))  # fmt: skip
    assert refused.reasons == (ci_mod.DOUBLE_COUNTED, ci_mod.NOT_DELIVERABLE, ci_mod.OUTSIDE_SPAN)


def test_an_example_claim_supplies_the_hours_of_its_generation_month() -> None:
    claims = example_claims()
    c = claims["gec-2025-01"]
    assessed = assess_claims([c], load_eligibility(), "CN")
    span = Span.year(2025)
    ci = claim_input(1, c.claim, assessed[1], True, "CN-JS", DELIVERABILITY, VALIDITY, span)
    none = claim_supply(ci, {}, FACTORY_ID, span, ("2025-01", "2025-01"))
    assert not none.input.usable and none.input.reasons == (ci_mod.NO_PROFILE,) and "for 2025-01" in none.problem
    gappy = generation_profiles([("GEN/2025-01/r1@0xaa", "GEN-JS-OW-0017", r) for r in gen_records(skip=(0,))])
    refused = claim_supply(ci, gappy, FACTORY_ID, span, ("2025-01", "2025-01"))
    assert refused.input.reasons == (ci_mod.NO_PROFILE,) and "2025-01-01T00:00+08:00..01:00" in refused.problem
    profiles = generation_profiles([("GEN/2025-01/r1@0xaa", "GEN-JS-OW-0017", r) for r in gen_records()])
    made = claim_supply(ci, profiles, FACTORY_ID, span, ("2025-01", "2025-01"))
    assert made.input.usable and made.dropped == 0 and made.supply is not None
    check_units(made.supply, 800, profiles[("GEC", "11320520230900017", "2025-01")][0].energy, np.arange(744))
    # claimed for February consumption only: the January pieces are all left out
    later = claim_supply(ci, profiles, FACTORY_ID, span, ("2025-02", "2025-02"))
    assert later.dropped == 800 * MWH and ci_mod.OUTSIDE_CONSUMPTION in later.input.reasons


def test_profile_hours_keep_the_whole_month_and_within_drops_what_is_outside() -> None:
    p = GenerationProfile("GEC", "P", "2025-12", "plant-meter", "G", "b", int(datetime(2025, 12, 1, tzinfo=CN).timestamp()),
                          np.full(744, 10**9, dtype=np.int64))  # fmt: skip
    span = Span(int(datetime(2025, 12, 31, tzinfo=CN).timestamp()), 48)  # 31 Dec and 1 Jan
    hours, weights = profile_hours(p, span)
    assert hours[0] == -720 and hours[-1] == 23 and weights.sum() == 744 * 10**9
    kept, dropped = within(split_units(1, 744, hours, weights, "b"), np.ones(span.hours, dtype=bool))
    assert kept.energy.sum() == 24 * MWH and dropped == 720 * MWH and set(kept.hour.tolist()) == set(range(24))


def test_generation_records_leave_the_annual_evaluation_unchanged() -> None:
    """January 2025's example batch with and without 744 hourly generation records: the same inventory,
    completeness, data quality and evaluation."""
    batch = json.loads((EXAMPLES / "2025-01" / "batch.json").read_text(encoding="utf-8"))
    month = [parse_record({**r, "salt": "0x" + new_salt().hex()}, factory_id=FACTORY_ID, period="2025-01")
             for r in batch["records"]]  # fmt: skip
    generation = gen_records()
    plain, mixed = YearData(), YearData()
    plain.add("2025-01", (f"r{i}" for i in range(len(month))), month)
    mixed.add("2025-01", (f"r{i}" for i in range(len(month) + len(generation))), [*month[:3], *generation, *month[3:]])
    assert len(mixed.generation) == 744 and [r.record for r in mixed.records] == month

    def figures(data: YearData) -> tuple[Any, ...]:
        inv = compute_inventory(factory_id=FACTORY_ID, year=2025, records=data.records, claims=[],
                                invalid_claims=frozenset(), factors=load_factor_set("cn-mee-2023"), eligibility={},
                                steam=parse_steam({"meter-steam-ST-2210": {"absolute_pressure_mpa": "1.0", "saturated": True}}))  # fmt: skip
        gaps = source_gaps(data.records, ["2025-01"])
        evaluation = evaluate(inv, load_rules(), "I", 11, 0, incomplete_sources=len(gaps))
        return (inv.lines, inv.electricity, dict(inv.monthly["2025-01"]), inv.energy_tce, [g.to_json() for g in gaps],
                evaluation, data_quality(data.records, 2025))  # fmt: skip

    assert figures(plain) == figures(mixed)
    assert figures(plain)[3] > Decimal(0)


def test_rule_files_are_checked_and_a_registry_without_expiry_sorts_last(tmp_path: Path) -> None:
    text = (RULES_DIR / "deliverability.toml").read_text(encoding="utf-8")
    bad = tmp_path / "deliverability.toml"
    bad.write_text(text.replace('provinces = ["CN-SC", "CN-CQ", "CN-XZ"]', 'provinces = ["CN-SC", "CN-CQ", "CN-JS"]'))
    with pytest.raises(DeliverabilityRuleError, match=r"CN-JS is in \[grid.east\] and \[grid.southwest\]"):
        load_deliverability(bad)
    bad.write_text(text.replace('[required]\nlevel = "same_regional_grid"', '[required]\nlevel = "same_town"'))
    with pytest.raises(DeliverabilityRuleError, match="same_town"):
        load_deliverability(bad)
    assert VALIDITY.label == "certificate-validity@1"
    assert VALIDITY.expiry("I-REC", "2024-06") == NO_EXPIRY and VALIDITY.expiry("VCS", "2024-06") == NO_EXPIRY
    assert VALIDITY.expiry("GEC", "2024-02") == "2026-01-31"  # 24 months from February 2024, inclusive


def test_an_ineligible_certificate_is_not_usable() -> None:
    """An I-REC for power generated in China in 2025 fails the cut-off (eligibility-cn): not usable."""
    c = example_claims()["gec-2025-01"].claim
    irec = parse_claim({**c.to_json(), "registry": "I-REC", "block_id": "I-REC-CN-1", "serial_start": "1",
                        "serial_end": "800", "evidence_sha256": c.details.evidence_sha256.hex()})  # fmt: skip
    claimed = ClaimedRetirement(9, irec, "0x" + "12" * 20)
    assessed = assess_claims([claimed], load_eligibility(), "CN")[9]
    ci = claim_input(9, irec, assessed, True, "CN-JS", DELIVERABILITY, VALIDITY, Span.year(2025))
    assert not ci.usable and ci.reasons == (ci_mod.INELIGIBLE,) and ci.expiry == NO_EXPIRY


def test_a_bundled_claim_is_split_over_its_contracts_delivered_hours() -> None:
    """The January GEC bundled with a contract delivering 2 MWh in hours 8-17 of each day (hour 8 of
    1 January unknown): its 800 units lie only in known delivered hours, in proportion."""
    c = example_claims()["gec-2025-01"]
    span = Span(int(datetime(2025, 1, 1, tzinfo=CN).timestamp()), 744)
    ci = claim_input(1, c.claim, assess_claims([c], load_eligibility(), "CN")[1], True, "CN-JS", DELIVERABILITY,
                     VALIDITY, span)  # fmt: skip
    energy = np.where(np.arange(744) % 24 >= 8, 2 * MWH, 0).astype(np.int64) * (np.arange(744) % 24 < 18)
    known = np.ones(744, dtype=bool)
    known[8] = False
    contract = HourlySource("gpc-1", "green_power_contract", "metered", 3600, energy, known)
    made = claim_supply(ci, {}, FACTORY_ID, span, ("2025-01", "2025-01"), bundled_with="gpc-1",
                        contracts={"gpc-1": contract})  # fmt: skip
    assert made.input.usable and made.supply is not None and made.supply.source == "contract:gpc-1"
    check_units(made.supply, 800, np.where(known, energy, 0), np.arange(744))
    missing = claim_supply(ci, {}, FACTORY_ID, span, ("2025-01", "2025-01"), bundled_with="gpc-2", contracts={})
    assert missing.input.reasons == (ci_mod.NO_CONTRACT_HOURS,) and "gpc-2" in missing.problem
