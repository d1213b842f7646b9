"""The zero-carbon park indicator of 发改环资〔2025〕910号: tCO2 per tce of the park as one boundary.

The park is its members taken once each (the service refuses a member listed twice), with the
energy they sell one another netted: when a member buys steam or heat from another member, the
seller's fuel already holds the emissions and the energy (tce) of what it sold, so the buyer's
purchased-energy source — declared as a :class:`Transfer` — leaves both the numerator and the
denominator. A member with a month missing or a source not covering a month makes the verdict
``incomplete``, never a pass. Which electricity the notice deducts in the numerator is not public,
so every numerator variant of the rule file is shown side by side; the verdict is the rule file's
``numerator``, and ``variants_agree`` says whether the unconfirmed choice could change it.

A transfer is checked against the buyer's :func:`source_tallies` (a source's kinds and record count),
not its records: a park of ten factories of 1.2 million records each keeps ten inventories and tallies,
not twelve million records.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ledger.accounting.evaluation import RuleFileError, RuleSet
from ledger.accounting.inventory import Inventory, InventoryRecord
from ledger.numbers import ZERO, exact, ratio, shown
from ledger.records.errors import RecordError


@dataclass(frozen=True)
class Transfer:
    """Energy ``seller`` sells to ``buyer``, metered at the buyer by ``source_id`` (``records`` of it)."""

    seller: str
    buyer: str
    source_id: str
    records: int


@dataclass(frozen=True)
class SourceTally:
    """What a transfer needs to know of a member's source: the kinds its records hold, and how many."""

    kinds: frozenset[str]
    records: int


def source_tallies(records: Iterable[InventoryRecord]) -> dict[str, SourceTally]:
    """Each source of a member's year with its kinds and record count: all :func:`park_transfers` reads
    of the member's records, so a park keeps this per member, not millions of records."""
    kinds: dict[str, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    for item in records:
        kinds[item.record.source_id].add(item.record.kind)
        counts[item.record.source_id] += 1
    return {source: SourceTally(frozenset(kinds[source]), n) for source, n in counts.items()}


def park_transfers(
    transfers: Sequence[Mapping[str, str]], sources: Mapping[str, Mapping[str, SourceTally]], kinds: tuple[str, ...]
) -> list[Transfer]:
    """The declared transfers, each checked against the members' sources (member → :func:`source_tallies`):
    both ends members of the park and distinct, the buyer's source of a purchased-energy kind with records
    in the year, once."""
    out: list[Transfer] = []
    seen: set[tuple[str, str]] = set()
    for i, t in enumerate(transfers):
        field = f"transfers[{i}]"
        seller, buyer, source = t.get("from_factory", ""), t.get("to_factory", ""), t.get("source_id", "")
        for name, member in (("from_factory", seller), ("to_factory", buyer)):
            if member not in sources:
                raise RecordError(f"{field}.{name}", f"{member!r} is not a member of this park")
        if seller == buyer:
            raise RecordError(f"{field}.to_factory", "a member does not sell energy to itself")
        if (buyer, source) in seen:
            raise RecordError(f"{field}.source_id", f"{buyer}'s {source!r} is declared as a transfer twice")
        seen.add((buyer, source))
        metered = sources[buyer].get(source)
        if metered is None or not metered.records:
            raise RecordError(f"{field}.source_id", f"{buyer} has no records from source {source!r} this year")
        wrong = sorted(metered.kinds - set(kinds))
        if wrong:
            raise RecordError(f"{field}.source_id", f"{source!r} records {', '.join(wrong)}; a transfer between "
                              f"members is netted for {', '.join(kinds)} only")  # fmt: skip
        out.append(Transfer(seller, buyer, source, metered.records))
    return out


def _term(inv: Inventory, name: str) -> Fraction:
    """A numerator term of one member: an inventory figure, or Scope 2 with green electricity deducted."""
    if name == "scope2_green_deducted":
        e = inv.electricity
        return inv.scope2_location - e.get("covered_mwh", ZERO) * e.get("location_factor", ZERO)
    if name not in ("scope1", "scope2_location", "scope2_market"):
        raise RuleFileError(f"park numerator: unknown term {name!r}")
    return Fraction(getattr(inv, name))


def _terms(numerator: str) -> list[str]:
    return [t.strip() for t in numerator.split("+")]


def _netted(members: Mapping[str, Inventory], transfers: Sequence[Transfer]) -> list[dict[str, Any]]:
    """Each transfer with the buyer's Scope 2 tCO2 and tce it takes out of the park's figures."""
    out = []
    for t in transfers:
        lines = [ln for ln in members[t.buyer].lines if ln.source_id == t.source_id]
        tco2 = sum((ln.result for ln in lines if ln.scope == "scope2"), ZERO)
        tce = sum((ln.result for ln in lines if ln.scope == "energy"), ZERO)
        out.append({
            "seller": t.seller, "buyer": t.buyer, "source_id": t.source_id, "records": t.records,
            "tco2": tco2, "tce": tce,
            "explanation": f"{t.buyer}'s {t.source_id} ({t.records} records) is energy bought from "
            f"{t.seller}, whose fuel already holds it: {shown(tco2)} tCO2 and {shown(tce)} tce left out",
        })  # fmt: skip
    return out


def band_for(park: Mapping[str, Any], energy: Fraction) -> Mapping[str, Any] | None:
    """The band of the rule file's ``[park]`` a park's annual energy use (tce) falls in, or None below every band."""
    return next(
        (b for b in park.get("bands", [])
         if energy >= exact(b["min_tce"]) and ("max_tce" not in b or energy < exact(b["max_tce"]))),
        None,
    )  # fmt: skip


def evaluate_park(
    members: Sequence[Inventory],
    rules: RuleSet,
    missing_months: Mapping[str, Sequence[str]] | None = None,
    *,
    transfers: Sequence[Transfer] = (),
    incomplete_sources: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The park's tCO2 per tce against the band its annual energy use falls in, under each variant.

    ``missing_months`` (member → months without usable data) and ``incomplete_sources`` (member →
    source-months not covered) make the verdict ``incomplete``; ``incomplete_sources`` left out is
    *not checked*, which is incomplete too: a missing reading is never a reading of zero."""
    park = rules.park
    by_id = {inv.factory_id: inv for inv in members}
    missing = {member: list(months) for member, months in (missing_months or {}).items() if months}
    gaps = {member: list(g) for member, g in (incomplete_sources or {}).items() if g}
    unchecked = incomplete_sources is None
    netted = _netted(by_id, transfers)
    net_tco2 = sum((n["tco2"] for n in netted), ZERO)
    net_tce = sum((n["tce"] for n in netted), ZERO)
    energy = sum((inv.energy_tce for inv in members), ZERO) - net_tce
    band = band_for(park, energy)
    if band is None:
        threshold = "no band: the park's annual energy use is below every band's minimum"
    else:
        threshold = f"≤ {band['max_intensity']} tCO2/tce for {band['min_tce']}" + (
            f"-{band['max_tce']} tce" if "max_tce" in band else "+ tce"
        )
    incomplete = bool(missing or gaps or unchecked)
    numerator = str(park.get("numerator", "scope1 + scope2_location"))
    declared = [{"name": "rule_file", "numerator": numerator}]
    variants = [_variant(v, members, net_tco2, energy, band, threshold, incomplete)
                for v in [*declared, *park.get("variants", [])]]  # fmt: skip
    main, shown_variants = variants[0], variants[1:]
    why = []
    if missing:
        why.append("months without usable data: "
                   + "; ".join(f"{m} lacks {', '.join(months)}" for m, months in sorted(missing.items())))  # fmt: skip
    if gaps:
        why.append(
            "sources not covering a month: " + "; ".join(f"{m}: {', '.join(g)}" for m, g in sorted(gaps.items()))
        )
    if unchecked:
        why.append("completeness per source was not checked")
    agree = len({v["passed_alone"] for v in variants}) == 1
    explanation = main["explanation"]
    if netted:
        explanation += f" (netted transfers between members: {shown(net_tco2)} tCO2, {shown(net_tce)} tce)"
    if incomplete:
        explanation += f" (incomplete, {'; '.join(why)})"
    if not agree:
        explanation += " (the numerator variants disagree: the verdict rests on the notice's unconfirmed choice)"
    return {
        "members": [inv.factory_id for inv in members],
        "source": park.get("source", ""),
        "numerator": main["numerator"],
        "numerator_confirmed": park.get("numerator_confirmed", False),
        "emissions_tco2": main["emissions_tco2"],
        "energy_tce": shown(energy),
        "intensity": main["intensity"],
        "threshold": threshold,
        "passed": main["passed"],
        "verdict": main["verdict"],
        "missing_months": missing,
        "explanation": explanation,
        "incomplete_sources": gaps,
        "completeness_checked": not unchecked,
        "transfers": [n | {"tco2": shown(n["tco2"]), "tce": shown(n["tce"])} for n in netted],
        "netted": {"tco2": shown(net_tco2), "tce": shown(net_tce)},
        "variants": [{k: v for k, v in var.items() if k != "passed_alone"} for var in shown_variants],
        "variants_agree": agree,
        "numerator_note": park.get("numerator_note", ""),
    }


def _variant(
    declared: Mapping[str, Any], members: Sequence[Inventory], net_tco2: Fraction, energy: Fraction,
    band: Mapping[str, Any] | None, threshold: str, incomplete: bool,
) -> dict[str, Any]:  # fmt: skip
    terms = _terms(str(declared["numerator"]))
    gross = sum((_term(inv, t) for inv in members for t in terms), ZERO)
    emissions = gross - (net_tco2 if any(t.startswith("scope2") for t in terms) else ZERO)
    intensity = ratio(emissions, energy)
    passed = band is not None and intensity is not None and intensity <= exact(band["max_intensity"])
    verdict = "incomplete" if incomplete else "pass" if passed else "fail"
    figure = "undefined" if intensity is None else shown(intensity)
    netting = f" − {shown(net_tco2)} netted" if net_tco2 and emissions != gross else ""
    return {
        "name": declared["name"],
        "numerator": " + ".join(terms),
        "emissions_tco2": shown(emissions),
        "intensity": figure,
        "passed": passed and not incomplete,
        "passed_alone": passed,
        "verdict": verdict,
        "explanation": f"{shown(gross)}{netting} = {shown(emissions)} tCO2 ({' + '.join(terms)}) ÷ {shown(energy)} "
        f"tce = {figure} tCO2/tce; {threshold} → {verdict}",
    }
