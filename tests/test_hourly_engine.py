"""Hourly matching: worked examples (the arithmetic in each docstring), the results JSON, and
hypothesis invariants of the engine, with the per-hour loop as its reference."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.bench_hourly import same
from ledger.hourly import engine, loop
from ledger.hourly.errors import HourlyError
from ledger.hourly.model import MWH, MatchingResult, PieceKind
from ledger.hourly.results import mwh, share, summarize
from ledger.i18n.errors import translate_error
from ledger.numbers import shown
from tests.hourly_builders import claim, laid, source, span, supply

W, R, F = PieceKind.WHOLE, PieceKind.REMAINDER, PieceKind.FILLER
GRID, ONSITE = "grid_electricity", "onsite_renewable_self_consumed"


def test_onsite_then_contract_then_certificates_by_expiry():
    """One hour: grid 5 MWh + on-site 1 MWh = load 6 MWh.
    On-site 1 matched first (room left: 5). Contract claim 9 offers 1 → room 4.
    Certificates: claim 1 expires 2026-06-30 (2 units, 2 MWh), claim 2 expires 2026-12-31 (3 units):
    claim 1 first → room 2; claim 2's units 0 and 1 take 1 each, unit 2 gets 0.
    matched = 1 + 1 + 2 + 2 = 6 = load; excess = (1 + 2 + 3) − 5 = 1 MWh."""
    claims = [claim(2, 3, expiry="2026-12-31", serial_start=1), claim(1, 2, expiry="2026-06-30", serial_start=500),
              claim(9, 1, expiry="2027-01-31", serial_start=900)]  # fmt: skip
    supplies = [supply(2, [(0, 0, MWH, W), (1, 0, MWH, W), (2, 0, MWH, W)]),
                supply(1, [(0, 0, MWH, W), (1, 0, MWH, W)]),
                supply(9, [(0, 0, MWH, W)], source="contract:gpc-1")]  # fmt: skip
    sources = [source(GRID, [5 * MWH]), source(ONSITE, [MWH], source_id="pv-1")]
    result = engine.match(span(1), sources, claims, supplies)
    h, a = result.hours, result.allocation
    assert (h.load[0], h.onsite[0], h.contract[0], h.certificates[0]) == (6 * MWH, MWH, MWH, 5 * MWH)
    assert (h.matched[0], h.excess[0]) == (6 * MWH, MWH)
    # allocation order: the contract, then claim 1 (index 1), then claim 2 (index 0) unit by unit
    assert a.claim_index.tolist() == [2, 1, 1, 0, 0, 0]
    assert a.unit_offset.tolist() == [0, 0, 1, 0, 1, 2]
    assert a.allocated.tolist() == [MWH, MWH, MWH, MWH, MWH, 0]
    assert same(result, loop.match(span(1), sources, claims, supplies))
    # the JSON: certificates 5 offered, 4 matched (2 + 2); the contract's 1 apart; grid 5 all met → 0 tCO2
    totals = summarize(result, Fraction(1, 2), None)["totals"]
    assert (totals["contract_mwh"], totals["certificates_offered_mwh"], totals["certificates_matched_mwh"]) == (
        "1", "5", "4")  # fmt: skip
    assert (totals["matched_mwh"], totals["unusable_excess_mwh"]) == ("6", "1")
    assert summarize(result, Fraction(1, 2), None)["scope2"]["market_hourly_tco2"] == "0"


def example() -> tuple[MatchingResult, MatchingResult]:
    """Three hours. Grid 1.5, 1, 1 MWh; the meter has a gap in hour 1. Claim 1 (usable, 2 units):
    unit 0 WHOLE 1 MWh in hour 0; unit 1 REMAINDER 0.8 MWh in hour 0 and FILLER 0.2 MWh in hour 1.
    Claim 2 is not usable (1 unit WHOLE in hour 2).
    Hour 0: room 1.5 → unit 0 gets 1, unit 1's remainder 0.5 of 0.8; matched 1.5, excess 0.3.
    Hour 1 (unknown): nothing allocated; its 0.2 is unscored supply, not excess.
    Hour 2: no usable supply: matched 0 of 1 → a deficit hour.
    Scored load 2.5, matched 1.5: CFE 0.6. Residual 0.5 t/MWh: grid 3.5 − 1.5 matched = 2 → 1 tCO2."""
    sources = [source(GRID, [1_500_000_000, MWH, MWH], known=[True, False, True])]
    claims = [claim(1, 2), claim(2, 1, usable=False, reasons=("hourly.not_deliverable",))]
    supplies = [supply(1, [(0, 0, MWH, W), (1, 0, 800_000_000, R), (1, 1, 200_000_000, F)]),
                supply(2, [(0, 2, MWH, W)], source="profile:GEN-2/2025-01/r1")]  # fmt: skip
    return engine.match(span(3), sources, claims, supplies), loop.match(span(3), sources, claims, supplies)


def test_a_split_unit_a_gap_and_a_claim_that_is_not_usable():
    """See :func:`example` for the arithmetic."""
    result, reference = example()
    h, a = result.hours, result.allocation
    assert h.matched.tolist() == [1_500_000_000, 0, 0]
    assert h.excess.tolist() == [300_000_000, 0, 0]
    assert h.known.tolist() == [True, False, True]
    assert a.allocated.tolist() == [MWH, 500_000_000, 0]  # the FILLER in the unknown hour gets nothing
    assert a.claim_index.tolist() == [0, 0, 0]  # claim 2's piece is never offered
    assert result.offered == (2 * MWH, MWH)
    assert same(result, reference)


def test_summary_of_the_example():
    """The figures of :func:`example` as the results JSON writes them."""
    result, _ = example()
    out = summarize(result, Fraction(1, 2), "2.1")
    assert out["span"] == {"start": "2025-01-01T00:00:00+08:00", "hours": 3, "utc_offset": "+08:00"}
    assert out["cfe"] == {"year": "0.600000", "months": {"2025-01": "0.600000"}, "days": {"2025-01-01": "0.600000"}}
    assert out["totals"] == {
        "load_mwh": "2.5", "grid_mwh": "2.5", "onsite_mwh": "0", "contract_mwh": "0",
        "certificates_offered_mwh": "1.8", "certificates_matched_mwh": "1.5", "matched_mwh": "1.5",
        "unusable_excess_mwh": "0.3", "unscored_load_mwh": "1", "unscored_supply_mwh": "0.2",
    }  # fmt: skip
    assert out["hours"] == {"scored": 2, "unscored": 1, "deficit": 1, "full": 1}
    assert out["months"]["2025-01"] == {"load_mwh": "2.5", "matched_mwh": "1.5", "excess_mwh": "0.3",
                                        "cfe": "0.600000", "deficit_hours": 1, "unscored_hours": 1}  # fmt: skip
    assert out["load_share"] == {"metered": "1.000000", "profiled": "0.000000"}
    assert out["scope2"] == {"market_hourly_tco2": "1", "market_annual_tco2": "2.1", "residual_factor": "0.5"}
    assert out["hourly"] == {"load": [1_500_000_000, MWH, MWH], "matched": [1_500_000_000, 0, 0], "known": "a0"}
    assert out["gaps"] == [{"source_id": "meter-1", "start": "2025-01-01T01:00:00+08:00",
                            "end": "2025-01-01T02:00:00+08:00"}]  # fmt: skip
    first, second = out["claims"]
    assert (first["offered_mwh"], first["matched_mwh"], first["excess_mwh"], first["unscored_mwh"]) == (
        "2", "1.5", "0.3", "0.2")  # fmt: skip
    assert second["usable"] is False and second["reasons"] == ["hourly.not_deliverable"]
    assert (second["offered_mwh"], second["matched_mwh"], second["profile"]) == ("1", "0", "profile:GEN-2/2025-01/r1")


def test_decimal_strings_are_exact_and_shares_round_down():
    """2/3 → 0.666666 (down, not 0.666667); 1 mWh → 0.000000001 MWh without an exponent."""
    assert share(2, 3) == "0.666666" and share(1, 1) == "1.000000" and share(0, 0) is None
    assert mwh(1) == "0.000000001" and mwh(12 * MWH) == "12" and mwh(0) == "0"


def test_refusals_name_the_input():
    with pytest.raises(HourlyError, match="not among the claims"):
        engine.match(span(1), [source(GRID, [MWH])], [], [supply(3, [(0, 0, MWH, W)])])
    with pytest.raises(HourlyError, match="2 hours, the span has 1"):
        engine.match(span(1), [source(GRID, [MWH, MWH])], [], [])
    with pytest.raises(HourlyError, match="given twice") as refused:
        engine.match(span(1), [], [claim(1), claim(1)], [])
    assert translate_error(str(refused.value), "zh-CN") == "claims: 声明 1 重复给出"


# --- invariants on random inputs ---------------------------------------------------------------


@st.composite
def inputs(draw: st.DrawFn) -> tuple:
    hours = draw(st.integers(1, 30))
    step = 10**8  # tenths of a MWh, so ties and exact fits happen often
    energy = st.lists(st.integers(0, 30).map(lambda x: x * step), min_size=hours, max_size=hours)
    sources = [source(GRID, draw(energy), draw(st.lists(st.booleans() | st.just(True), min_size=hours,
                                                         max_size=hours)), source_id="g")]  # fmt: skip
    if draw(st.booleans()):
        sources.append(source(ONSITE, draw(energy), method="load-profile", source_id="pv"))
    claims, supplies = [], []
    for claim_id in range(1, draw(st.integers(0, 6)) + 1):
        units = draw(st.integers(1, 4))
        first = draw(st.integers(-3, hours))
        length = draw(st.integers(1, 8))
        weights = draw(st.lists(st.integers(0, 5), min_size=length, max_size=length).filter(any))
        hourly = spread(units, weights)
        claims.append(claim(claim_id, units, expiry=draw(st.sampled_from(["2026-01-31", "2026-06-30", "2027-01-31"])),
                            vintage=draw(st.sampled_from(["2025-01", "2025-02"])),
                            serial_start=draw(st.integers(1, 50)) * 100, usable=draw(st.booleans() | st.just(True))))  # fmt: skip
        contract = draw(st.integers(0, 4)) == 0
        supplies.append(laid(claim_id, hourly, first, "contract:c" if contract else "profile:p"))
    return span(hours), sources, claims, supplies


def spread(units: int, weights: list[int]) -> list[int]:
    """``units`` MWh over ``weights`` in whole tenths of a MWh and a last hour taking the rest."""
    total, whole = units * MWH, sum(weights)
    parts = [total * w // whole for w in weights]
    parts[-1] += total - sum(parts)
    return parts


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs())
def test_invariants_and_the_loop_agrees(case: tuple) -> None:
    run_span, sources, claims, supplies = case
    result = engine.match(run_span, sources, claims, supplies)
    assert same(result, loop.match(run_span, sources, claims, supplies))
    again = engine.match(run_span, sources, claims, supplies)
    assert same(result, again)
    summary = summarize(result, Fraction(3, 5), None)
    assert json.dumps(summary) == json.dumps(summarize(again, Fraction(3, 5), None))

    h, a = result.hours, result.allocation
    assert np.all(a.allocated >= 0) and np.all(a.allocated <= a.energy)
    assert np.all(h.matched <= h.load)
    supply_h = h.contract + h.certificates
    known = h.known
    assert np.array_equal(h.matched[known], np.minimum(h.load, h.onsite + supply_h)[known])
    assert np.all(h.matched[~known] == 0) and np.all(h.excess[~known] == 0)
    used = np.zeros(run_span.hours, dtype=np.int64)
    np.add.at(used, a.hour, a.allocated)
    assert np.array_equal(used, np.where(known, h.matched - h.onsite, 0))
    assert np.array_equal(h.excess[known], (supply_h - used)[known])
    # a unit is never given more than 1 MWh, a claim never more than its units
    units: dict[tuple[int, int], int] = {}
    for c, u, x in zip(a.claim_index.tolist(), a.unit_offset.tolist(), a.allocated.tolist(), strict=True):
        units[(c, u)] = units.get((c, u), 0) + x
    assert all(x <= MWH for x in units.values())
    for i, c in enumerate(result.claims):
        assert int(a.allocated[a.claim_index == i].sum()) <= (c.serial_end - c.serial_start + 1) * MWH
        if not c.usable:
            assert not np.any(a.claim_index == i)
    # order: in an hour, nothing after a piece left partly unallocated gets anything
    for hour in np.unique(a.hour):
        here = a.hour == hour
        short = np.flatnonzero(a.allocated[here] < a.energy[here])
        if len(short):
            assert np.all(a.allocated[here][short[0] + 1 :] == 0)
    # and pieces are in the order: contract first, then expiry (earlier before later)
    keys = [(int(hr), not any(s.startswith("contract:") for s in result.claim_sources[c]), result.claims[c].expiry)
            for hr, c in zip(a.hour.tolist(), a.claim_index.tolist(), strict=True)]  # fmt: skip
    assert keys == sorted(keys)
    # the JSON adds up: matched = on-site + contract matched + certificates matched (scored hours),
    # and Scope 2 hourly = (grid − what contracts and certificates met) × residual factor
    t = {k: Decimal(v) for k, v in summary["totals"].items()}
    contract_pieces = np.array([any(x.startswith("contract:") for x in result.claim_sources[c]) for c in a.claim_index],
                               dtype=bool)  # fmt: skip
    contract_matched = Decimal(int(a.allocated[contract_pieces].sum())) / MWH
    assert t["matched_mwh"] == t["onsite_mwh"] + contract_matched + t["certificates_matched_mwh"]
    met = Fraction(int(h.grid.sum()) - int((h.matched - h.onsite)[known].sum()), MWH)
    assert summary["scope2"]["market_hourly_tco2"] == shown(met * Fraction(3, 5))
