"""What a claim's serial itself says about its units, which governs over what the claim declares.

A GEC's block (:mod:`ledger.claims.serials`: ``<project 17 digits>-<YYYYMM>``) carries the project's
建档立卡 code and the production month (the country is the registry's: see ``issued_in`` in the
eligibility rules); a Verra block
(``VCS-VCU-<n>-<registry>-<country>-…``) and a Gold Standard block (``GS<n>-<n>-<country>-…``) carry
the ISO country of the project. Facts of a block id that does not have its registry's shape are
unknown (``None``): the declared ones then stand, unconfirmed by the serial.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.claims.claim import RetirementClaim

_GEC_BLOCK = re.compile(r"([0-9]{17})-([0-9]{4})(0[1-9]|1[0-2])")
_VCS_BLOCK = re.compile(r"VCS-VCU-[0-9]+-[A-Z]+-([A-Z]{2})-.+")
_GS_BLOCK = re.compile(r"GS[0-9]+-[0-9]+-([A-Z]{2})-.+")


@dataclass(frozen=True)
class SerialFacts:
    project_id: str | None = None
    production_month: str | None = None  # YYYY-MM
    country: str | None = None


def serial_facts(claim: RetirementClaim) -> SerialFacts:
    """The facts ``claim``'s block id encodes (each None where it encodes none)."""
    if claim.registry == "GEC":
        match = _GEC_BLOCK.fullmatch(claim.block_id)
        if match:
            return SerialFacts(match.group(1), f"{match.group(2)}-{match.group(3)}")
        return SerialFacts()
    pattern = {"VCS": _VCS_BLOCK, "GS": _GS_BLOCK}.get(claim.registry)
    match = pattern.fullmatch(claim.block_id) if pattern else None
    return SerialFacts(country=match.group(1)) if match else SerialFacts()


def governing_project(claim: RetirementClaim) -> str:
    """The project the units belong to: the serial's when it names one, else the declared one."""
    return serial_facts(claim).project_id or claim.details.project_id


def governing_generation(claim: RetirementClaim) -> tuple[str, str]:
    """The generation months: the serial's production month when it names one, else the declared span."""
    month = serial_facts(claim).production_month
    return (month, month) if month else (claim.details.generation_start, claim.details.generation_end)
