"""The park indicator as a use case: each member's year computed from the chain like a factory's
evaluation, then :func:`ledger.accounting.park.evaluate_park` over the members, with the energy
members sell one another netted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ledger.accounting.evaluation import DEFAULT_RULES, load_rules
from ledger.accounting.park import evaluate_park, park_transfers
from ledger.factors.steam import parse_steam
from ledger.records.errors import RecordError

if TYPE_CHECKING:
    from ledger.services.evaluations import EvaluationService


def evaluate_members(
    service: EvaluationService, factory_ids: Sequence[str], year: int, *, factor_set: str | None = None,
    factors_toml: str | None = None, transfers: Sequence[Mapping[str, str]] = (), steam: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """:meth:`EvaluationService.park`."""
    _once_each(factory_ids)
    factors = service.factor_set(factor_set, factors_toml)
    rules = load_rules(DEFAULT_RULES)
    members = []
    records: dict[str, list[Any]] = {}
    missing: dict[str, list[str]] = {}
    gaps: dict[str, list[str]] = {}
    for factory_id in factory_ids:
        inv, year_data, _, _ = service.inventory(factory_id, year, factors, rules, steam=parse_steam(steam))
        members.append(inv)
        records[factory_id] = year_data.records
        if year_data.missing:
            missing[factory_id] = [m["period"] for m in year_data.missing]
        found = year_data.source_gaps()
        gaps[factory_id] = [f"{g.source_id} {g.period} ({g.problem})" for g in found]
    declared = park_transfers(transfers, records, tuple(rules.park.get("transfer_kinds", ())))
    result = evaluate_park(members, rules, missing, transfers=declared, incomplete_sources=gaps)
    return result | {"year": year, "factor_set": factors.label, "rule_set": rules.label}


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
