"""One claim's supply for a run: its generation profiles chosen, its units split into hour pieces,
and the pieces kept to the span and to the claim's declared consumption months.

The glue between :mod:`ledger.hourly.claim_inputs` (is the claim usable at all?),
:mod:`ledger.hourly.generation` (which profile places its units) and :mod:`ledger.hourly.pieces`
(the split). A claim missing a complete profile for any of its generation months is not usable:
its units are never spread evenly by guess. Pieces in hours outside the span, or outside the
consumption months the claim was signed for, are left out and their mWh reported (a unit is not
matched to consumption it was not claimed for).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ledger.hourly.claim_inputs import NO_PROFILE, OUTSIDE_CONSUMPTION, refuse
from ledger.hourly.errors import HourlyError
from ledger.hourly.generation import ProfileKey, choose_profile
from ledger.hourly.model import ClaimInput, GenerationProfile, Span, Supply
from ledger.hourly.pieces import profile_hours, split_claim, within


@dataclass(frozen=True)
class ClaimSupply:
    """A claim's input (refused when no supply could be made), its pieces, the profiles used, the mWh
    left out, and what went wrong in words (``problem``: the missing hours or months), if anything."""

    input: ClaimInput
    supply: Supply | None
    profiles: tuple[GenerationProfile, ...] = ()
    dropped: int = 0
    problem: str = ""


def months_between(first: str, last: str) -> list[str]:
    """``YYYY-MM`` months from ``first`` to ``last``, both included."""
    a = int(first[:4]) * 12 + int(first[5:7]) - 1
    b = int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(a, b + 1)]


def claim_supply(
    ci: ClaimInput,
    profiles: Mapping[ProfileKey, Sequence[GenerationProfile]],
    claimant_factory_id: str,
    span: Span,
    consumption: tuple[str, str],
    month_index: np.ndarray | None = None,
) -> ClaimSupply:
    """The supply of usable claim ``ci`` over ``span``; ``consumption`` its declared consumption months,
    ``month_index`` the span's :meth:`Span.month_index` (pass it when making many claims' supply)."""
    if not ci.usable:
        return ClaimSupply(ci, None)
    chosen, months = [], []
    for month in months_between(ci.generation_start, ci.generation_end):
        candidates = profiles.get((ci.registry, ci.project_id, month), ())
        try:
            profile = choose_profile(candidates, claimant_factory_id)
        except HourlyError as exc:
            problem = (
                exc.message
                if candidates
                else f"no generation profile of {ci.registry} project {ci.project_id} for {month}"
            )
            return ClaimSupply(refuse(ci, NO_PROFILE), None, problem=problem)
        chosen.append(profile)
        months.append((*profile_hours(profile, span), f"profile:{profile.batch}"))
    try:
        supply = split_claim(ci.claim_id, ci.serial_end - ci.serial_start + 1, months)
    except HourlyError as exc:  # every month's profile holds no output
        return ClaimSupply(refuse(ci, NO_PROFILE), None, tuple(chosen), problem=exc.message)
    months_of_span = span.month_index() if month_index is None else month_index
    lo, hi = (int(m[:4]) * 12 + int(m[5:7]) - 1 for m in consumption)
    kept, dropped = within(supply, (months_of_span >= lo) & (months_of_span <= hi))
    out = ci if kept.energy.size else refuse(ci, OUTSIDE_CONSUMPTION)
    return ClaimSupply(out, kept, tuple(chosen), dropped)
