"""Six of the double-counting checks, one function each; :mod:`ledger.claims.double_counting` runs them
(the seventh, a bundle the data does not hold, is :mod:`ledger.claims.bundles`).

Each check takes only the claims and records it needs and returns its findings sorted by claim
ids, so it can be read, tested and timed on its own (``benchmarks/bench_claims.py`` times
:func:`_units_claimed_twice` alone). Which claims and records each one is given - all claims on
chain, the factory's own, the records of the evaluation period - is decided by
:func:`~ledger.claims.double_counting.find_double_counting`. The finding texts are what an
evaluator reads; they name the claims, records and figures so nothing needs re-deriving.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Mapping, Sequence
from fractions import Fraction

from ledger.claims.allocation import _month_index, _month_text, _months, _mwh, _overlap
from ledger.claims.claim import RetirementClaim
from ledger.claims.findings import (
    GEC_AND_CCER,
    GENERATION_AFTER_CONSUMPTION,
    ONSITE_CERTIFICATES_SOLD,
    OUTSIDE_VALIDITY,
    RENEWABLE_EXCEEDS_CONSUMPTION,
    UNITS_CLAIMED_TWICE,
    AnchoredRecord,
    ClaimedRetirement,
    Finding,
    consumption_finding,
    consumption_lines,
)
from ledger.claims.matching import (
    CLAIM_PERIOD,
    DEFAULT_METHOD,
    MONTHLY,
    EligibleUnits,
    Excess,
    match,
    supplies,
    whole_unit_remainder,
)
from ledger.claims.registries import REGISTRIES
from ledger.claims.serial_facts import governing_generation, governing_project

MWH = "MWh"
GEC = "GEC"
CCER = "CCER"
GRID_ELECTRICITY = "grid_electricity"
ONSITE_SELF_CONSUMED = "onsite_renewable_self_consumed"
GREEN_POWER_CONTRACT = "green_power_contract"


# --- check 1: serials claimed twice -----------------------------------------------------------


def _units_claimed_twice(claims: Sequence[ClaimedRetirement], factory_id: str) -> list[Finding]:
    """Overlapping serial ranges within one (registry, block_id), at least one claim the factory's.

    Ranges are inclusive: 1..100 and 101..200 touch but share no serial; 1..100 and 100..200 share
    serial 100. Each block is swept once in order of first serial, keeping the claims still open
    (last serial not yet passed) in heaps keyed by last serial: every claim still open when another
    starts overlaps it, so the work is O(n log n) plus one step per reported pair — a busy block of
    other factories' claims (or a million disjoint ones) never makes it quadratic. Claims on chain
    are disjoint per block (the contract refuses overlaps), so a block whose sorted ranges never
    reach back is passed over after one linear look, without the heaps.
    """
    blocks: dict[tuple[str, str], list[ClaimedRetirement]] = defaultdict(list)
    for c in claims:
        blocks[(c.claim.registry, c.claim.block_id)].append(c)
    findings: list[Finding] = []
    for (registry, block_id), members in blocks.items():
        if len(members) < 2:
            continue
        members.sort(key=_first_serial)
        if _disjoint(members):
            continue
        open_all: list[tuple[int, int, ClaimedRetirement]] = []  # (last serial, claim id, claim)
        open_own: list[tuple[int, int, ClaimedRetirement]] = []  # the factory's claims among them
        for b in members:
            start, own = b.claim.serial_start, b.claim.factory_id == factory_id
            for heap in (open_all, open_own):
                while heap and heap[0][0] < start:
                    heapq.heappop(heap)
            for _, _, a in open_all if own else open_own:
                findings.append(_twice(registry, block_id, a, b))
            entry = (b.claim.serial_end, b.claim_id, b)
            heapq.heappush(open_all, entry)
            if own:
                heapq.heappush(open_own, entry)
    return sorted(findings, key=lambda f: f.claim_ids)


def _first_serial(c: ClaimedRetirement) -> tuple[int, int]:
    return (c.claim.serial_start, c.claim_id)


def _disjoint(members: Sequence[ClaimedRetirement]) -> bool:
    """Whether ranges sorted by first serial share no serial (each starts past all before it)."""
    reach = -1
    for c in members:
        if c.claim.serial_start <= reach:
            return False
        reach = max(reach, c.claim.serial_end)
    return True


def _twice(registry: str, block_id: str, a: ClaimedRetirement, b: ClaimedRetirement) -> Finding:
    first, second = sorted((a, b), key=lambda c: c.claim_id)
    low = max(a.claim.serial_start, b.claim.serial_start)
    high = min(a.claim.serial_end, b.claim.serial_end)
    return Finding(
        UNITS_CLAIMED_TWICE,
        f"{registry} block {block_id}: serials {_serials(first)} (claim {first.claim_id}, "
        f"{first.claim.factory_id}) and {_serials(second)} (claim {second.claim_id}, "
        f"{second.claim.factory_id}) overlap in {low}..{high}: "
        f"{high - low + 1:,} unit{'' if high == low else 's'} claimed twice",
        (first.claim_id, second.claim_id),
        (),
    )


# --- check 2: GEC and CCER for the same generation --------------------------------------------


def _gec_and_ccer(claims: Sequence[ClaimedRetirement], factory_id: str) -> list[Finding]:
    """A GEC and a CCER claim with one project id whose generation months overlap.

    国能综通新能〔2024〕124号 lets such a project take either instrument for a given generation,
    never both; at least one of the two claims must be the factory's to be reported here. A GEC's
    project and generation month are its serial's (:mod:`ledger.claims.serial_facts`), whatever the
    claim declares: a declared project id cannot hide the GECs from the project's CCERs.
    """
    by_project: dict[str, tuple[list[ClaimedRetirement], list[ClaimedRetirement]]] = defaultdict(lambda: ([], []))
    for c in claims:
        if c.claim.registry == GEC:
            by_project[governing_project(c.claim)][0].append(c)
        elif c.claim.registry == CCER:
            by_project[c.claim.details.project_id][1].append(c)
    findings: list[Finding] = []
    for project_id, (gecs, ccers) in by_project.items():
        for g in gecs:
            for k in ccers:
                if factory_id not in (g.claim.factory_id, k.claim.factory_id):
                    continue
                overlap = _overlap(_generation(g), _generation(k))
                if overlap is None:
                    continue
                findings.append(
                    Finding(
                        GEC_AND_CCER,
                        f"project {project_id}: GEC claim {g.claim_id} ({g.claim.factory_id}, "
                        f"{g.claim.units:,} MWh generated {_months(_generation(g))}) and CCER claim "
                        f"{k.claim_id} ({k.claim.factory_id}, {k.claim.units:,} tCO2e generated "
                        f"{_months(_generation(k))}) both claim generation {_months(overlap)}",
                        tuple(sorted((g.claim_id, k.claim_id))),
                        (),
                    )
                )
    return sorted(findings, key=lambda f: f.claim_ids)


# --- check 3: renewable MWh above metered electricity ------------------------------------------


def _renewable_exceeds_consumption(
    own: Sequence[ClaimedRetirement],
    records: Sequence[AnchoredRecord],
    period_start: str,
    period_end: str,
    method: str = DEFAULT_METHOD,
    eligible: EligibleUnits | None = None,
) -> list[Finding]:
    """Certificate MWh beyond the grid electricity they are matched to (GHG Protocol Scope 2).

    A surplus under one whole unit (``whole_unit_remainder_mwh``) is what covering a period with
    whole certificates leaves over: not counted, and not a finding.

    The factory's certificates (GEC, I-REC; a range delivered bundled with a green-power contract is
    one of them, counted once) are matched to its ``grid_electricity`` records month by month by
    ``method`` (:mod:`ledger.claims.matching`): one finding per claim whose units exceed the
    consumption left in its own months (``claim_period``), per month whose certificates exceed its
    grid use (``monthly``), or for the period (``annual``). Every record is converted to MWh exactly;
    equal is fine. A green-power contract's electricity claims nothing by itself: its attribute is
    its bundled GEC range. On-site self-consumed electricity is renewable and consumed alike, so it
    leaves the comparison unchanged (the annual message shows it).

    A finding names the consumption it weighs as lines (grid and on-site records of its months, per
    month and source, summed exactly, with their count), never every record: a year of quarter-hour
    readings is 1.2 million of them (:func:`~ledger.claims.findings.consumption_finding`).
    """
    months = [_month_text(i) for i in range(_month_index(period_start), _month_index(period_end) + 1)]
    lines = consumption_lines(records, (GRID_ELECTRICITY, ONSITE_SELF_CONSUMED))  # exact per month and source
    grid = {m: Fraction(0) for m in months}
    onsite = Fraction(0)
    for line in lines:
        if line.kind == GRID_ELECTRICITY:
            grid[line.period] += line.mwh
        else:
            onsite += line.mwh
    certificates = supplies((c for c in own if _is_certificate(c.claim)), months, eligible)
    found = match(method, grid, certificates)
    remainder = whole_unit_remainder()
    return [
        consumption_finding(
            RENEWABLE_EXCEEDS_CONSUMPTION,
            _over_claim(method, e, (period_start, period_end), onsite),
            e.claim_ids,
            [line for line in lines if e.span[0] <= line.period <= e.span[1]],
        )
        for e in found.excess
        if e.excess >= remainder
    ]


def _over_claim(method: str, e: Excess, evaluation: tuple[str, str], onsite: Fraction) -> str:
    """What an over-claim finding says: the claimed and consumed MWh, what counted, the excess."""
    ids = ", ".join(str(i) for i in e.claim_ids)
    if method == CLAIM_PERIOD:
        more = e.shared_with - len(e.sharing)
        shared = f"; its months are shared with claim(s) {', '.join(map(str, e.sharing))}" if e.sharing else ""
        shared += f" and {more:,} more" if more > 0 else ""
        return (
            f"claim {ids}: {_mwh(e.claimed)} MWh of certificates for {_months(e.span)} > {_mwh(e.consumption)} "
            f"MWh of grid electricity consumed in {_months(e.span)}: {_mwh(e.counted)} MWh counted, excess "
            f"{_mwh(e.excess)} MWh not counted (matching claim_period: a claim covers only its own "
            f"consumption months{shared})"
        )
    if method == MONTHLY:
        return (
            f"certificates {_mwh(e.claimed)} MWh allocated to {e.span[0]} (claims {ids}) > {_mwh(e.consumption)} "
            f"MWh of grid electricity consumed in {e.span[0]}: excess {_mwh(e.excess)} MWh not counted "
            f"(matching monthly)"
        )
    return (
        f"renewable {_mwh(e.claimed + onsite)} MWh claimed > {_mwh(e.consumption + onsite)} MWh metered in "
        f"{_months(evaluation)} (excess {_mwh(e.excess)} MWh; certificates {_mwh(e.claimed)} MWh from claims "
        f"{ids}, on-site self-consumed {_mwh(onsite)} MWh, grid {_mwh(e.consumption)} MWh; matching annual)"
    )


# --- check 4: certificates outside their validity window --------------------------------------


def _outside_validity(own: Sequence[ClaimedRetirement]) -> list[Finding]:
    """Certificates claimed for consumption that starts after the registry's validity window.

    With V = the registry's ``validity_months`` (GEC: 24, two years after generation), a claim is
    outside when ``month(consumption_start) - month(generation_end) > V``. Months are counted
    whole, because claims only name months: GECs generated in 2023-01 may cover consumption
    starting up to 2025-01 (24 months later) and not from 2025-02 (25 months). The latest
    generation month is the one compared, since a claim does not say which of its serials come
    from which generation month (a GEC's is its serial's production month, whatever the claim
    declares); registries without ``validity_months`` are never outside. Validity per consumption
    month (a claim valid for its first months only) is eligibility's: :mod:`ledger.claims.eligibility`.
    """
    findings: list[Finding] = []
    for c in own:
        registry = REGISTRIES.get(c.claim.registry)
        if registry is None or registry.validity_months is None:
            continue
        generated = _generation(c)[1]  # the serial's production month where it encodes one
        gap = _month_index(c.claim.consumption_start) - _month_index(generated)
        if gap <= registry.validity_months:
            continue
        last = _month_text(_month_index(generated) + registry.validity_months)
        findings.append(
            Finding(
                OUTSIDE_VALIDITY,
                f"{registry.name} claim {c.claim_id}: {c.claim.units:,} {registry.unit} generated up to "
                f"{generated} claimed for consumption from {c.claim.consumption_start}, {gap} months "
                f"later; {registry.name} is valid {registry.validity_months} months after generation, "
                f"so consumption must start by {last}",
                (c.claim_id,),
                (),
            )
        )
    return sorted(findings, key=lambda f: f.claim_ids)


# --- check 5: generation after consumption ----------------------------------------------------


def _generation_after_consumption(own: Sequence[ClaimedRetirement]) -> list[Finding]:
    """Certificates whose generation starts only after the claimed consumption ended.

    Electricity generated later cannot have been what the factory used earlier; a generation
    period that starts within or before the consumption period is accepted here.
    """
    findings = [
        Finding(
            GENERATION_AFTER_CONSUMPTION,
            f"{c.claim.registry} claim {c.claim_id}: {c.claim.units:,} MWh generated "
            f"{_months(_generation(c))} claimed for consumption {_months(_consumption(c))}; "
            f"generation starts after consumption ends",
            (c.claim_id,),
            (),
        )
        for c in own
        if _is_certificate(c.claim) and _generation(c)[0] > c.claim.consumption_end
    ]
    return sorted(findings, key=lambda f: f.claim_ids)


# --- check 6: on-site generation both self-consumed and sold ----------------------------------


def _onsite_certificates_sold(
    claims: Sequence[ClaimedRetirement],
    records: Sequence[AnchoredRecord],
    onsite_projects: Mapping[str, str],
) -> list[Finding]:
    """Certificate claims (anyone's) for the generation the factory records as self-consumed.

    A record of kind ``onsite_renewable_self_consumed`` whose ``source_id`` maps to a project id
    keeps that month's renewable attribute with the factory; a certificate claim with the same
    project id whose generation months include the record's month means the attribute was also
    retired as a certificate. One finding per claim, naming the records it collides with as lines
    per month and source (summed, counted, the first of each named).
    """
    onsite: dict[str, list[AnchoredRecord]] = defaultdict(list)
    for r in records:
        if r.record.kind == ONSITE_SELF_CONSUMED and r.record.source_id in onsite_projects:
            onsite[onsite_projects[r.record.source_id]].append(r)
    if not onsite:
        return []
    findings: list[Finding] = []
    for c in claims:
        collisions = onsite.get(governing_project(c.claim))
        if not collisions or not _is_certificate(c.claim):
            continue
        generation = _generation(c)
        hit = [r for r in collisions if generation[0] <= r.record.period <= generation[1]]
        if not hit:
            continue
        lines = consumption_lines(hit, (ONSITE_SELF_CONSUMED,))
        self_consumed = sum((line.mwh for line in lines), Fraction(0))
        sources = ", ".join(sorted({line.source_id for line in lines}))
        months = ", ".join(sorted({line.period for line in lines}))
        findings.append(
            consumption_finding(
                ONSITE_CERTIFICATES_SOLD,
                f"project {c.claim.details.project_id}: on-site source {sources} counted as "
                f"self-consumed in {months} ({_mwh(self_consumed)} MWh), but {c.claim.registry} "
                f"claim {c.claim_id} ({c.claim.factory_id}) retires {c.claim.units:,} MWh "
                f"generated {_months(generation)}",
                (c.claim_id,),
                lines,
            )
        )
    return sorted(findings, key=lambda f: (f.claim_ids, f.record_ids))


# --- helpers ----------------------------------------------------------------------------------


def _is_certificate(claim: RetirementClaim) -> bool:
    """Whether one serial of the claim is one MWh of renewable attribute (GEC, I-REC).

    The contract accepts any registry name; for one this ledger does not know, the claim's own
    signed ``details.unit`` decides instead of silently dropping it.
    """
    registry = REGISTRIES.get(claim.registry)
    unit = registry.unit if registry is not None else claim.details.unit
    return unit == MWH


def _generation(c: ClaimedRetirement) -> tuple[str, str]:
    """The generation months, the serial's where it encodes them (a GEC's production month)."""
    return governing_generation(c.claim)


def _consumption(c: ClaimedRetirement) -> tuple[str, str]:
    return (c.claim.consumption_start, c.claim.consumption_end)


def _serials(c: ClaimedRetirement) -> str:
    return f"{c.claim.serial_start}..{c.claim.serial_end}"
