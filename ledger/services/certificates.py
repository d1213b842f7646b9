"""The buyers' lookup: which claims hold — or held, until the arbiter revoked them — the units of a
serial, or of a block's unit range, for every registry.

A buyer names units in one of two ways: the registry's own serial (GEC, I-REC, VCS, GS; parsed by
:mod:`ledger.claims.serials`), or a block id and a range of unit numbers — the only way for CCER,
whose registry publishes no serial format, and a way for any registry. Both become the same
``(registry, block, start..end)`` the contract keys claims by.

The live claims are read from the chain, which keeps each block's live claims in serial order: one
call finds the claim at or before the first unit (from the index's hint, so its cost does not grow
with the block), then the next ones follow until the range's end. Revoked claims no longer hold
units, so the chain's walk skips them; they are found in the claim index (followed from the
chain's events each reconciler round; one seek by block and status) and each is read back from
the chain before it is shown: a revocation shows once the index has followed it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ledger.chain import errors as chain_errors
from ledger.chain.client import LedgerClient, OnChainClaim
from ledger.claims.registries import REGISTRIES
from ledger.claims.serials import SerialRange, block_range, parse_serial
from ledger.services.claim_index import ClaimIndex
from ledger.store import chain_claims

MAX_REVOKED_SHOWN = 100  # revoked claims listed per lookup: history, not what holds the units


class CertificateLookup:
    """``describe`` turns a claim read from the chain into its JSON answer (transaction and, when
    relayed here, details): the claims desk's own, so a claim reads the same in every answer."""

    def __init__(
        self,
        ledger: LedgerClient,
        sessions: sessionmaker[Session],
        index: ClaimIndex,
        describe: Callable[[OnChainClaim], dict[str, Any]],
    ) -> None:
        self.ledger = ledger
        self.sessions = sessions
        self.index = index
        self.describe = describe

    def by_serial(self, registry: str, serial: str) -> dict[str, Any]:
        """The lookup of a registry serial (or ``START..END`` of two)."""
        return self.status(parse_serial(serial, registry=registry))

    def by_block(self, registry: str, block: str, first: str | int, last: str | int) -> dict[str, Any]:
        """The lookup of units ``first..last`` of block ``block`` (CCER's only way; any registry's)."""
        return self.status(block_range(registry, block, first, last))

    def status(self, units: SerialRange) -> dict[str, Any]:
        """Is any unit held by a live claim, by whom, for when, confirmed or provisional; which units
        are free; and which claims over them were revoked."""
        holders = self._holders(units)
        revoked = self._revoked(units)
        free = unclaimed(units.start, units.end, [(h.serial_start, h.serial_end) for h in holders])
        held = units.units - sum(end - start + 1 for start, end in free)
        return {
            "registry": units.registry,
            "block_id": units.block_id,
            "serial_start": str(units.start),
            "serial_end": str(units.end),
            "unit": REGISTRIES[units.registry].unit,
            "units": units.units,
            "claimed": bool(holders),
            "units_claimed": held,
            "units_confirmed": _overlap_units(units, [h for h in holders if h.status == "confirmed"]),
            "units_unclaimed": units.units - held,
            "unclaimed": [{"serial_start": str(s), "serial_end": str(e), "units": e - s + 1} for s, e in free],
            "claims": [self._entry(h, units) for h in holders],
            "revoked_claims": [self._entry(r, units) for r in revoked],
            "contract": self.ledger.address,
            "chain_id": self.ledger.chain_id,
        }

    def _holders(self, units: SerialRange) -> list[OnChainClaim]:
        ledger, reg, block = self.ledger, units.registry, units.block_id
        first = ledger.position_hint(reg, block, units.start, self.index.near(reg, block, units.start))
        holders: list[OnChainClaim] = []
        if first:
            found = ledger.get_claim(first)
            if found.serial_end >= units.start:
                holders.append(found)
        # Later claims start after units.start: only a range reaching past what `first` holds meets them.
        if units.end > (holders[0].serial_end if holders else units.start):
            for claim_id in ledger.live_claims_in_block(reg, block, after=first, first_page=2):
                found = ledger.get_claim(claim_id)
                if found.serial_start > units.end:
                    break
                holders.append(found)
        return holders

    def _revoked(self, units: SerialRange) -> list[OnChainClaim]:
        with self.sessions() as session:
            indexed = chain_claims.revoked_overlapping(
                session, units.registry, units.block_id, units.start, units.end, limit=MAX_REVOKED_SHOWN
            )
        revoked = []
        for claim_id in indexed:
            try:
                found = self.ledger.get_claim(claim_id)
            except chain_errors.UnknownClaim:
                continue  # reorganised away since the index saw it
            if found.status == "revoked":  # as the chain says now, whatever the index last saw
                revoked.append(found)
        return revoked

    def _entry(self, found: OnChainClaim, units: SerialRange) -> dict[str, Any]:
        start, end = max(found.serial_start, units.start), min(found.serial_end, units.end)
        return self.describe(found) | {
            "overlap_start": str(start),
            "overlap_end": str(end),
            "overlap_units": end - start + 1,
        }


def unclaimed(start: int, end: int, held: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sub-ranges of ``start..end`` that no range of ``held`` covers, in order (``held`` are
    live claims of one block, which never overlap one another, in any order)."""
    free, at = [], start
    for lo, hi in sorted(held):
        if hi < at:
            continue
        if lo > end:
            break
        if lo > at:
            free.append((at, lo - 1))
        at = max(at, hi + 1)
    if at <= end:
        free.append((at, end))
    return free


def _overlap_units(units: SerialRange, claims: Sequence[OnChainClaim]) -> int:
    return sum(min(c.serial_end, units.end) - max(c.serial_start, units.start) + 1 for c in claims)
