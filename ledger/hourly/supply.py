"""One claim's supply for a run: its generation profiles chosen, its units split into hour pieces,
and the pieces kept to the span and to the claim's declared consumption months.

The glue between :mod:`ledger.hourly.claim_inputs` (is the claim usable at all?),
:mod:`ledger.hourly.generation` (which profile places its units) and :mod:`ledger.hourly.pieces`
(the split); a green-power contract's bundled certificates are split over the contract's metered
delivered hours instead. A claim missing a complete profile for any of its generation months is not usable:
its units are never spread evenly by guess. Pieces in hours outside the span, or outside the
consumption months the claim was signed for, are left out and their mWh reported (a unit is not
matched to consumption it was not claimed for).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ledger.hourly.claim_inputs import NO_CONTRACT_HOURS, NO_PROFILE, OUTSIDE_CONSUMPTION, refuse
from ledger.hourly.errors import HourlyError
from ledger.hourly.generation import ProfileKey, choose_profile
from ledger.hourly.model import ClaimInput, GenerationProfile, HourlySource, Span, Supply
from ledger.hourly.pieces import contract_hours, profile_hours, split_claim, within


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
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(_month(first), _month(last) + 1)]


def claim_supply(
    ci: ClaimInput,
    profiles: Mapping[ProfileKey, Sequence[GenerationProfile]],
    claimant_factory_id: str,
    span: Span,
    consumption: tuple[str, str],
    month_index: np.ndarray | None = None,
    *,
    bundled_with: str = "",
    contracts: Mapping[str, HourlySource] | None = None,
) -> ClaimSupply:
    """The supply of usable claim ``ci`` over ``span``; ``consumption`` its declared consumption months,
    ``month_index`` the span's :meth:`Span.month_index` (pass it when making many claims' supply). A
    claim ``bundled_with`` a green-power contract source is split over that contract's metered
    delivered hours in ``contracts`` (its source ``contract:<source_id>``), not a generation profile."""
    if not ci.usable:
        return ClaimSupply(ci, None)
    months_of_span = span.month_index() if month_index is None else month_index
    chosen: list[GenerationProfile] = []
    if bundled_with:
        found = _contract_months(ci, bundled_with, contracts or {}, months_of_span)
        if isinstance(found, str):
            return ClaimSupply(refuse(ci, NO_CONTRACT_HOURS), None, problem=found)
        months = found
    else:
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
        months = [(*profile_hours(p, span), f"profile:{p.batch}") for p in chosen]
    try:
        supply = split_claim(ci.claim_id, ci.serial_end - ci.serial_start + 1, months)
    except HourlyError as exc:  # no output (or no delivery) in any of its months
        return ClaimSupply(refuse(ci, NO_CONTRACT_HOURS if bundled_with else NO_PROFILE), None, tuple(chosen),
                           problem=exc.message)  # fmt: skip
    lo, hi = (_month(m) for m in consumption)
    kept, dropped = within(supply, (months_of_span >= lo) & (months_of_span <= hi))
    out = ci if kept.energy.size else refuse(ci, OUTSIDE_CONSUMPTION)
    return ClaimSupply(out, kept, tuple(chosen), dropped)


def _contract_months(
    ci: ClaimInput, source_id: str, contracts: Mapping[str, HourlySource], months_of_span: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, str]] | str:
    """Per generation month, the contract's delivered hours in it; or why there are none to split over."""
    contract = contracts.get(source_id)
    if contract is None:
        return f"the green-power contract {source_id} the claim is bundled with has no hourly readings in the run"
    hours, energy = contract_hours(contract)
    return [
        (hours[months_of_span[hours] == _month(m)], energy[months_of_span[hours] == _month(m)], f"contract:{source_id}")
        for m in months_between(ci.generation_start, ci.generation_end)
    ]


def _month(text: str) -> int:
    """``YYYY-MM`` as :meth:`Span.month_index` counts it."""
    return int(text[:4]) * 12 + int(text[5:7]) - 1
