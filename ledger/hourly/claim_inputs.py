"""What hourly matching needs to know of each on-chain claim, decided before the engine runs.

A claim supplies hours only if it is a certificate (a credit — CCER, VCS, GS — is a tonne avoided or
removed, never a megawatt-hour), eligible by the same assessment the annual evaluation makes
(:func:`ledger.claims.eligibility.assess`: registry, unit, market boundary, cut-off, cancellation),
not refused by the double-counting check, deliverable to the factory (:mod:`ledger.hourly.deliverability`)
and declared for consumption months inside the run's span. Which claims are counted at all
(confirmed, or provisional too) is the caller's choice, made as the annual evaluation makes it.

Each reason is an English message id (the pages translate it); ``expiry`` and ``vintage`` are the
engine's first two order keys. The generation months are the serial's where it encodes them (as
eligibility reads them: the serial governs), else the declared ones.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from ledger.claims.claim import RetirementClaim
from ledger.claims.eligibility import INFORMATIVE, ClaimEligibility
from ledger.claims.serial_facts import serial_facts
from ledger.hourly.deliverability import DeliverabilityRule, deliverability
from ledger.hourly.model import ClaimInput, Span
from ledger.i18n import N_
from ledger.rulefiles import read_rule_file

RULES_DIR = Path(__file__).parent / "rules"
NO_EXPIRY = "9999-12-31"
"""The expiry of a unit its registry sets none for: it sorts after every unit that has one."""

CREDIT = N_("a credit, not a certificate: it supplies no electricity")
INELIGIBLE = N_("not eligible (see the claim's eligibility checks)")
DOUBLE_COUNTED = N_("refused by the double-counting check")
NOT_DELIVERABLE = N_("not deliverable to the factory under the deliverability rule")
OUTSIDE_SPAN = N_("declared for consumption outside the hours matched")
NO_PROFILE = N_("no complete generation profile for a generation month")
NO_CONTRACT_HOURS = N_("no metered delivery of its green-power contract to split it over")
OUTSIDE_CONSUMPTION = N_("generated outside its declared consumption months")


class ValidityRuleError(ValueError):
    """A certificate-validity rule file that is not well formed."""


@dataclass(frozen=True)
class Validity:
    registry: str
    months: int | None
    inclusive: bool
    source: str
    confirmed: bool


@dataclass(frozen=True)
class ValidityRule:
    id: str
    version: str
    registries: Mapping[str, Validity]

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"

    def expiry(self, registry: str, generation_end: str) -> str:
        """The last day (``YYYY-MM-DD``) a unit generated up to ``generation_end`` (``YYYY-MM``) is
        valid; :data:`NO_EXPIRY` for a registry that sets none (or one this file does not name)."""
        rule = self.registries.get(registry)
        if rule is None or rule.months is None:
            return NO_EXPIRY
        index = int(generation_end[:4]) * 12 + int(generation_end[5:7]) - 1 + rule.months - (1 if rule.inclusive else 0)
        year, month = divmod(index, 12)
        return f"{year:04d}-{month + 1:02d}-{calendar.monthrange(year, month + 1)[1]:02d}"


@cache
def load_validity(id_or_path: str | Path = "certificate-validity") -> ValidityRule:
    path, data = read_rule_file(id_or_path, RULES_DIR, ValidityRuleError, "certificate-validity rule file")
    try:
        registries = {
            name: Validity(name, None if e.get("months") is None else int(e["months"]),
                           bool(e["counted_from_generation_month_inclusive"]), str(e["source"]), bool(e["confirmed"]))
            for name, e in data["registry"].items()
        }  # fmt: skip
        return ValidityRule(str(data["set"]["id"]), str(data["set"]["version"]), registries)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidityRuleError(f"{path}: {exc}") from None


def generation_months(claim: RetirementClaim) -> tuple[str, str]:
    """The claim's first and last generation month: the serial's production month where it encodes
    one (it governs, as in eligibility), else the declared months."""
    month = serial_facts(claim).production_month
    return (month, month) if month else (claim.details.generation_start, claim.details.generation_end)


def eligible_for_hours(assessed: ClaimEligibility) -> bool:
    """A certificate whose assessment failed no check that takes units away. ``validity`` is not asked:
    it limits the consumption months an annual claim may cover, while an hourly piece only ever lies
    in its own generation month, which every validity period includes."""
    return assessed.kind == "certificate" and all(
        c.passed or c.check in INFORMATIVE or c.check == "validity" for c in assessed.checklist
    )


def claim_input(
    claim_id: int,
    claim: RetirementClaim,
    assessed: ClaimEligibility,
    valid: bool,
    factory_province: str | None,
    rule: DeliverabilityRule,
    validity: ValidityRule,
    span: Span | None = None,
) -> ClaimInput:
    """The claim as matching sees it: usable or not, with every reason (message ids, all of them, in
    a fixed order), its expiry, vintage and the narrowest deliverability level that holds."""
    first, last = generation_months(claim)
    reasons = []
    if assessed.kind != "certificate":
        reasons.append(CREDIT)
    elif not eligible_for_hours(assessed):
        reasons.append(INELIGIBLE)
    if not valid:
        reasons.append(DOUBLE_COUNTED)
    ok, level = deliverability(rule, factory_province, claim.details.region, claim.details.country)
    if not ok:
        reasons.append(NOT_DELIVERABLE)
    if span is not None and not _overlaps(span, claim.consumption_start, claim.consumption_end):
        reasons.append(OUTSIDE_SPAN)
    return ClaimInput(
        claim_id=claim_id,
        registry=claim.registry,
        block_id=claim.block_id,
        serial_start=claim.serial_start,
        serial_end=claim.serial_end,
        project_id=claim.details.project_id,
        generation_start=first,
        generation_end=last,
        expiry=validity.expiry(claim.registry, last),
        vintage=first,
        usable=not reasons,
        reasons=tuple(reasons),
        deliverability=level,
    )


def refuse(ci: ClaimInput, reason: str) -> ClaimInput:
    """``ci`` no longer usable, for ``reason`` (added once, after those it had)."""
    reasons = ci.reasons if reason in ci.reasons else (*ci.reasons, reason)
    return replace(ci, usable=False, reasons=reasons)


def _overlaps(span: Span, start: str, end: str) -> bool:
    first, last = span.local(0), span.local(span.hours - 1)
    return start <= f"{last.year:04d}-{last.month:02d}" and end >= f"{first.year:04d}-{first.month:02d}"


def claim_input_json(ci: ClaimInput) -> dict[str, Any]:
    """The claim's entry in a run's inputs (strings on the wire)."""
    return {"claim_id": ci.claim_id, "registry": ci.registry, "block_id": ci.block_id,
            "serials": f"{ci.serial_start}..{ci.serial_end}", "project_id": ci.project_id,
            "generation": f"{ci.generation_start}..{ci.generation_end}", "expiry": ci.expiry, "vintage": ci.vintage,
            "usable": ci.usable, "reasons": list(ci.reasons), "deliverability": ci.deliverability}  # fmt: skip
