"""Certificates matched to consumption by the three methods (:mod:`ledger.claims.matching`), with the
arithmetic written out: each method counts what it says, in the documented order, months adding up
to the year; the over-claim check (check 3) follows the method; per-month eligible units are used
where eligibility gives them.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from ledger.claims import parse_claim
from ledger.claims.double_counting import RENEWABLE_EXCEEDS_CONSUMPTION, ClaimedRetirement, find_double_counting
from ledger.claims.matching import ANNUAL, CLAIM_PERIOD, METHODS, MONTHLY, Supply, match, matching_rules, supplies
from tests.test_double_counting import FACTORY, anchored

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def grid(**by_month: int) -> dict[str, Fraction]:
    """MWh per month of 2025, 0 where not given (``jan=100``)."""
    names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    return {m: Fraction(by_month.get(n, 0)) for n, m in zip(names, MONTHS, strict=True)}


def gec(claim_id: int, first: int, last: int, start: str, end: str, **changes: Any) -> ClaimedRetirement:
    data = {
        "factory_id": FACTORY, "registry": "GEC", "block_id": f"B-{claim_id}", "serial_start": str(first),
        "serial_end": str(last), "quantity": str(last - first + 1), "unit": "MWh", "consumption_start": start,
        "consumption_end": end, "project_id": "P-WIND-1", "technology": "wind", "generation_start": "2024-12",
        "generation_end": "2024-12", "purpose": "matching", "evidence_sha256": "ab" * 32, "country": "CN",
        "cancellation_number": f"CXL-{claim_id}", "cancellation_date": "2025-12-31",
    } | changes  # fmt: skip
    return ClaimedRetirement(claim_id, parse_claim(data), signer="0x" + "00" * 20)


def test_claim_period_counts_a_claim_only_within_its_own_months() -> None:
    """1,200 GEC for January alone, January grid use 100 MWh: 100 MWh counted, 1,100 MWh excess.
    Monthly: January's 1,200 against January's 100 → 100. Annual nets the year: min(100 + 1,000,
    1,200) = 1,100 MWh covered, 100 MWh excess; spread like the grid use: January 1,100 × 100/1,100 =
    100, February 1,100 × 1,000/1,100 = 1,000."""
    [claim] = supplies([gec(1, 1, 1200, "2025-01", "2025-01")], MONTHS)
    use = grid(jan=100, feb=1000)
    by_period = match(CLAIM_PERIOD, use, [claim])
    assert by_period.total == 100 and by_period.covered["2025-01"] == 100 and by_period.covered["2025-02"] == 0
    [excess] = by_period.excess
    assert (excess.claim_ids, excess.span, excess.claimed, excess.counted, excess.consumption, excess.excess) == (
        (1,),
        ("2025-01", "2025-01"),
        1200,
        100,
        100,
        1100,
    )
    assert match(MONTHLY, use, [claim]).total == 100
    netted = match(ANNUAL, use, [claim])
    assert netted.total == 1100 and [e.excess for e in netted.excess] == [100]
    assert (netted.covered["2025-01"], netted.covered["2025-02"]) == (100, 1000)


def test_claims_sharing_months_take_them_in_the_documented_order() -> None:
    """Grid 100 MWh in each of Jan, Feb, Mar. Claim 1: 150 for Jan–Feb; claim 2: 150 for Feb–Mar.
    Months earliest first; in a month the claim whose months end first takes first: January → claim 1
    takes 100 (50 left); February → claim 1 (ends Feb) takes 50, claim 2 takes the other 50 (100
    left); March → claim 2 takes 100. Covered 300 = all the grid use, nothing in excess, whatever
    order the claims are given in. Taking each claim's months in proportion instead would leave
    25 MWh of claim 2 uncovered (75 + 75 from claim 1, then 25 + 100 for claim 2)."""
    claims = [gec(1, 1, 150, "2025-01", "2025-02"), gec(2, 1, 150, "2025-02", "2025-03")]
    use = grid(jan=100, feb=100, mar=100)
    for given in (claims, claims[::-1]):
        result = match(CLAIM_PERIOD, use, supplies(given, MONTHS))
        assert result.total == 300 and result.excess == []
        assert result.counted == {1: 150, 2: 150}
        assert [result.covered[m] for m in MONTHS[:3]] == [100, 100, 100]


def test_a_surplus_in_its_own_months_never_makes_up_another_claims_shortfall() -> None:
    """The example year's shape: claim 1 = 80 for January (grid 130); claim 2 = 220 for Feb–Mar (grid
    100 + 100). claim_period: January 80 (50 uncovered), Feb–Mar 200 (20 excess) → 280. annual:
    min(330, 300) = 300, the January shortfall netted against claim 2's surplus. monthly: claim 2 puts
    110 on each of Feb and Mar (10 excess each) → 80 + 100 + 100 = 280."""
    claims = supplies([gec(1, 1, 80, "2025-01", "2025-01"), gec(2, 1, 220, "2025-02", "2025-03")], MONTHS)
    use = grid(jan=130, feb=100, mar=100)
    by_period = match(CLAIM_PERIOD, use, claims)
    assert by_period.total == 280 and by_period.counted == {1: 80, 2: 200}
    [excess] = by_period.excess
    assert (excess.claim_ids, excess.span, excess.excess, excess.sharing) == ((2,), ("2025-02", "2025-03"), 20, ())
    assert match(ANNUAL, use, claims).total == 300
    monthly = match(MONTHLY, use, claims)
    assert monthly.total == 280 and [(e.span[0], e.excess) for e in monthly.excess] == [
        ("2025-02", 10),
        ("2025-03", 10),
    ]
    assert monthly.counted == {1: 80, 2: 200}


def test_a_claim_alone_in_its_months_covers_them_as_consumed() -> None:
    """600 GEC for 2025 against 100 MWh a month (1,200 pooled): each month 600 × 100/1,200 = 50."""
    result = match(
        CLAIM_PERIOD, {m: Fraction(100) for m in MONTHS}, supplies([gec(1, 1, 600, "2025-01", "2025-12")], MONTHS)
    )
    assert set(result.covered.values()) == {Fraction(50)} and result.total == 600


def test_monthly_counts_each_claim_pro_rata_in_a_short_month() -> None:
    """January grid 90; claim 1 = 60 and claim 2 = 120 for January: 180 > 90, so each counts half
    (30 and 60) and one finding names both claims with 90 MWh in excess."""
    claims = supplies([gec(1, 1, 60, "2025-01", "2025-01"), gec(2, 1, 120, "2025-01", "2025-01")], MONTHS)
    result = match(MONTHLY, grid(jan=90), claims)
    assert result.counted == {1: 30, 2: 60}
    [excess] = result.excess
    assert (excess.claim_ids, excess.claimed, excess.counted, excess.excess) == ((1, 2), 180, 90, 90)


@pytest.mark.parametrize("method", METHODS)
def test_the_months_add_up_to_the_year_and_never_pass_their_grid_use(method: str) -> None:
    """Uneven grid use and three overlapping claims with thirds (100/3 a month) in them: every
    method's months sum exactly to its total, no month is covered beyond its grid use, and what is
    counted plus what is not is what was claimed."""
    use = {m: Fraction(50 + 7 * i) for i, m in enumerate(MONTHS)}
    claims = supplies(
        [
            gec(1, 1, 100, "2025-01", "2025-03"),
            gec(2, 1, 400, "2025-02", "2025-12"),
            gec(3, 1, 90, "2025-06", "2025-06"),
        ],
        MONTHS,
    )
    result = match(method, use, claims)
    assert sum(result.covered.values()) == result.total == sum(result.counted.values())
    assert all(result.covered[m] <= use[m] for m in MONTHS)
    assert result.total + sum(e.excess for e in result.excess) == 100 + 400 + 90  # nothing lost or made up


def test_per_month_eligible_units_replace_the_even_spread() -> None:
    """Eligibility says claim 1 (1,200 GEC for 2025, 100 a month) may cover only January–June (its
    units for later months are outside their validity): 600 units pooled over Jan–Jun. With grid 150
    in each month of the year: claim_period covers 600 of the 900 there; the later months stay
    uncovered though grid use is there."""
    claim = gec(1, 1, 1200, "2025-01", "2025-12")
    eligible = {1: {m: Fraction(100) for m in MONTHS[:6]}}
    [supply] = supplies([claim], MONTHS, eligible)
    assert supply == Supply(1, {m: Fraction(100) for m in MONTHS[:6]})
    result = match(CLAIM_PERIOD, {m: Fraction(150) for m in MONTHS}, [supply])
    assert result.total == 600 and all(result.covered[m] == 100 for m in MONTHS[:6])
    assert all(result.covered[m] == 0 for m in MONTHS[6:])
    findings = find_double_counting(
        factory_id=FACTORY, period_start="2025-01", period_end="2025-12", claims=[claim],
        records=[anchored("g", "grid_electricity", "100", "MWh", "2025-03")], eligible_units=eligible,
    )  # fmt: skip
    [finding] = findings  # 600 eligible units pooled over Jan–Jun against 100 MWh (March)
    assert "600 MWh of certificates for 2025-01..2025-06 > 100 MWh" in finding.message


def test_the_over_claim_check_follows_the_method() -> None:
    """1,200 GEC for January alone (claim 7), January grid 100 MWh, February grid 2,000 MWh. By
    default (claim_period) the finding names the claim, its month and 1,100 MWh excess; annual nets
    it against February (1,200 ≤ 2,100: no finding); monthly finds January's 1,100 MWh."""
    claim = gec(7, 1, 1200, "2025-01", "2025-01")
    records = [anchored("jan", "grid_electricity", "100", "MWh", "2025-01"),
               anchored("feb", "grid_electricity", "2000", "MWh", "2025-02")]  # fmt: skip

    def run(**method: str) -> list[Any]:
        return find_double_counting(factory_id=FACTORY, period_start="2025-01", period_end="2025-12",
                                    claims=[claim], records=records, **method)  # fmt: skip

    [finding] = run()
    assert (finding.check, finding.claim_ids, finding.record_ids) == (RENEWABLE_EXCEEDS_CONSUMPTION, (7,), ("jan",))
    assert finding.message == (
        "claim 7: 1,200 MWh of certificates for 2025-01 > 100 MWh of grid electricity consumed in 2025-01: "
        "100 MWh counted, excess 1,100 MWh not counted (matching claim_period: a claim covers only its own "
        "consumption months)"
    )
    assert run(matching="annual") == []
    [monthly] = run(matching="monthly")
    assert monthly.message.startswith("certificates 1,200 MWh allocated to 2025-01 (claims 7) > 100 MWh")
    with pytest.raises(ValueError, match="matching: must be one of claim_period, monthly, annual"):
        run(matching="hourly")


@pytest.mark.parametrize("method", METHODS)
def test_a_surplus_below_one_whole_certificate_is_a_remainder_not_an_over_claim(method: str) -> None:
    """January grid 99.4 MWh, covered by 100 whole GEC (claim 8, January): 0.6 MWh is left over,
    which no whole number of certificates avoids — 99.4 MWh counted, no finding, under every method.
    With 101 GEC (claim 9) the surplus is 1.6 MWh ≥ 1: a finding."""
    records = [anchored("jan", "grid_electricity", "99.4", "MWh", "2025-01")]

    def findings(last: int, claim_id: int) -> list[Any]:
        return find_double_counting(factory_id=FACTORY, period_start="2025-01", period_end="2025-12",
                                    claims=[gec(claim_id, 1, last, "2025-01", "2025-01")], records=records,
                                    matching=method)  # fmt: skip

    assert findings(100, 8) == []
    [finding] = findings(101, 9)
    assert finding.check == RENEWABLE_EXCEEDS_CONSUMPTION and "excess 1.6 MWh" in finding.message
    assert matching_rules()["meta"]["whole_unit_remainder_confirmed"] is False


def test_the_rule_file_names_every_method_and_its_source() -> None:
    rules = matching_rules()
    assert rules["meta"]["default"] == CLAIM_PERIOD and set(rules["methods"]) == set(METHODS)
    assert all("GHG Protocol" in m["source"] for m in rules["methods"].values())
    assert "as close as possible to the period of energy consumption" in rules["meta"]["why_default"]
