"""Check 7: a claim's ``bundled_with`` must name green power the factory's anchored data holds.

Green-power trading (绿电交易) delivers the electricity with its GEC bundled; a claim says which
delivery its range came with by naming the ``source_id`` of the factory's ``green_power_contract``
records in ``bundled_with`` (:mod:`ledger.claims.claim_facts`). The inventory reports each contract's
electricity as certified only as far as the ranges bundled with it cover it
(:func:`~ledger.accounting.matching.green_power`). A claim that names a bundle the data does not hold
- no record of that source, a source that is not a green-power contract, or a contract that
delivered nothing in the claim's consumption months - declares a fact nobody can check against the
anchored data: one finding per such claim, naming the claim (registry, serials, units, months) and
what the data holds for the source, and the claim is refused (it counts for nothing) until the claim
or the data is corrected.

Only the claim's consumption months inside the evaluation period are weighed: a claim whose months
lie outside it is the business of another period's evaluation. A green-power record that no claim
names is not a finding: it is uncertified green power, reported and not counted.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.claims.allocation import _months, _overlap
from ledger.claims.checks import GREEN_POWER_CONTRACT
from ledger.claims.findings import (
    BUNDLE_UNMATCHED,
    AnchoredRecord,
    ClaimedRetirement,
    Finding,
    consumption_finding,
    consumption_lines,
)


def bundles_unmatched(
    own: Sequence[ClaimedRetirement], records: Sequence[AnchoredRecord], period_start: str, period_end: str
) -> list[Finding]:
    """The factory's claims (``own``) whose ``bundled_with`` names no ``green_power_contract`` record
    of ``records`` (the factory's, in the period) within the claim's consumption months.

    The finding's ``consumption`` lines are the named source's green-power records in the period (in
    other months than the claim's, or none), so both sides of the missing link are on the report.
    """
    bundled = []
    for c in own:
        months = _overlap((c.claim.consumption_start, c.claim.consumption_end), (period_start, period_end))
        if c.claim.details.bundled_with and months is not None:
            bundled.append((c, months))
    if not bundled:
        return []
    named = {c.claim.details.bundled_with for c, _ in bundled}
    held = [r for r in records if r.record.source_id in named]  # one pass; only the named sources are kept
    findings = []
    for c, months in bundled:
        source = c.claim.details.bundled_with
        mine = [r for r in held if r.record.source_id == source]
        green = [r for r in mine if r.record.kind == GREEN_POWER_CONTRACT]
        if any(months[0] <= r.record.period <= months[1] for r in green):
            continue
        lines = consumption_lines(green, (GREEN_POWER_CONTRACT,))
        held_there = _held(source, mine, green, (period_start, period_end))
        findings.append(
            consumption_finding(
                BUNDLE_UNMATCHED,
                f"{c.claim.registry} claim {c.claim_id} (serials {c.claim.serial_start}..{c.claim.serial_end}, "
                f"{c.claim.units:,} {c.claim.details.unit} for consumption {_months(months)}) is declared bundled "
                f"with green-power contract {source}, but {held_there}: "
                f"the bundle is not in the anchored data, so the claim is not counted",
                (c.claim_id,),
                lines,
            )
        )
    return sorted(findings, key=lambda f: f.claim_ids)


def _held(source: str, mine: Sequence[AnchoredRecord], green: Sequence[AnchoredRecord], period: tuple[str, str]) -> str:
    """What the factory's anchored data holds for ``source`` in ``period``: the other side of the link."""
    if not mine:
        return f"the factory's anchored data holds no record of source {source} in {_months(period)}"
    if not green:
        kinds = ", ".join(sorted({r.record.kind for r in mine}))
        return f"source {source} holds {kinds} records in {_months(period)}, none of kind {GREEN_POWER_CONTRACT}"
    delivered = ", ".join(sorted({r.record.period for r in green}))
    return f"contract {source} delivered green power in {delivered} only, none in the claim's months"
