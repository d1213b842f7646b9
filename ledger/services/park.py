"""The park indicator as a use case: each member's year computed from the chain like a factory's
evaluation, then :func:`ledger.accounting.park.evaluate_park` over the members, with the energy
members sell one another netted.

A member's records are read once, for its inventory, its completeness and its sources' tallies
(:class:`Member`); they are let go before the next member's year is gathered, so a park's memory is
one member's records at a time, not every member's (ten factories of 1.2 × 10^6 records each)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.accounting.evaluation import DEFAULT_RULES, RuleSet, load_rules
from ledger.accounting.inventory import Inventory
from ledger.accounting.park import SourceTally, evaluate_park, park_transfers, source_tallies
from ledger.factors import FactorSet
from ledger.factors.steam import SteamConditions, parse_steam
from ledger.records.errors import RecordError

if TYPE_CHECKING:
    from ledger.services.evaluations import EvaluationService


@dataclass(frozen=True)
class Member:
    """What the park keeps of a member once its year is computed: no record of it."""

    inventory: Inventory
    missing: list[str]
    """Months without usable data."""
    gaps: list[str]
    """Source-months its records do not cover, as ``"SOURCE PERIOD (problem)"``."""
    sources: dict[str, SourceTally]
    """Each source's kinds and record count, for the transfers declared between members."""


def evaluate_members(
    service: EvaluationService, factory_ids: Sequence[str], year: int, *, factor_set: str | None = None,
    factors_toml: str | None = None, transfers: Sequence[Mapping[str, str]] = (), steam: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """:meth:`EvaluationService.park`."""
    return park_with_members(service, factory_ids, year, factor_set=factor_set, factors_toml=factors_toml,
                             transfers=transfers, steam=steam)[0]  # fmt: skip


def park_with_members(
    service: EvaluationService, factory_ids: Sequence[str], year: int, *, factor_set: str | None = None,
    factors_toml: str | None = None, transfers: Sequence[Mapping[str, str]] = (), steam: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Member]]:  # fmt: skip
    """:func:`evaluate_members`, with what the park kept of each member (its inventory, missing months
    and gaps): the park page shows each member's part of the indicator."""
    _once_each(factory_ids)
    factors = service.factor_set(factor_set, factors_toml)
    rules = load_rules(DEFAULT_RULES)
    conditions = parse_steam(steam)
    members = {
        factory_id: member_of(service, factory_id, year, factors, rules, conditions) for factory_id in factory_ids
    }
    sources = {factory_id: m.sources for factory_id, m in members.items()}
    declared = park_transfers(transfers, sources, tuple(rules.park.get("transfer_kinds", ())))
    result = evaluate_park(
        [m.inventory for m in members.values()], rules, {f: m.missing for f, m in members.items() if m.missing},
        transfers=declared, incomplete_sources={f: m.gaps for f, m in members.items()},
    )  # fmt: skip
    return result | {"year": year, "factor_set": factors.label, "rule_set": rules.label}, members


def member_of(
    service: EvaluationService, factory_id: str, year: int, factors: FactorSet, rules: RuleSet,
    steam: Mapping[str, SteamConditions] | None = None,
) -> Member:  # fmt: skip
    """One member's year, computed and reduced to what the park needs; its records go with this call."""
    inv, year_data, _, _ = service.inventory(factory_id, year, factors, rules, steam=steam)
    return Member(
        inventory=inv,
        missing=[m["period"] for m in year_data.missing],
        gaps=[
            f"{g.source_id} {g.period} ({g.problem})"
            for g in year_data.source_gaps(service.factories.get(factory_id).source_register.service_dates())
        ],
        sources=source_tallies(year_data.records),
    )


def _once_each(factory_ids: Sequence[str]) -> None:
    """At least one member, none listed twice: one factory counted twice would move the park's band."""
    if not factory_ids:
        raise RecordError("factories", "name at least one factory")
    seen: dict[str, int] = {}
    for i, factory_id in enumerate(factory_ids):
        first = seen.setdefault(factory_id.casefold(), i)
        if first != i:
            raise RecordError(
                f"factories[{i}]", f"{factory_id!r} is listed more than once (first as {factory_ids[first]!r})"
            )
