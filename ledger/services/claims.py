"""The claims desk: accepts factory-signed retirement claims, relays them, answers buyers.

The database pre-check gives a fast, friendly 409 against claims already confirmed here; the
contract decides every case, including races between services and between concurrent requests
(pending claims are deliberately not pre-checked, so the one that loses on chain is told who won).
A claim travels the lifecycle of :mod:`ledger.services.lifecycle`: stored pending, relayed,
confirmed — or finished by the reconciler after a crash or while the chain was away.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ledger.chain import errors as chain_errors
from ledger.chain.client import LedgerClient, OnChainClaim
from ledger.chain.errors import ChainUnavailable, ContractRevert
from ledger.claims.claim import parse_claim
from ledger.claims.double_counting import ClaimedRetirement
from ledger.claims.serials import parse_serial
from ledger.claims.signed import SignedClaim
from ledger.eip712 import RetirementClaim, details_hash
from ledger.errors import Conflict, Forbidden, NotFound, Unavailable
from ledger.services.auth import authenticate
from ledger.services.lifecycle import Lifecycle
from ledger.store import claims as rows
from ledger.store.claims import CLAIMED
from ledger.store.models import ClaimRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """A claim the chain holds: its id, and the transaction and block that recorded it."""

    claim_id: int
    tx_hash: str | None
    block_number: int | None


class ClaimService:
    def __init__(self, ledger: LedgerClient, sessions: sessionmaker[Session]) -> None:
        self.ledger = ledger
        self.sessions = sessions
        self.lifecycle: Lifecycle[ClaimRow, Claimed, tuple[dict[str, Any], bool]] = Lifecycle(ClaimRelay(self))

    def submit(self, signed: SignedClaim) -> tuple[dict[str, Any], bool]:
        """Record a signed claim on chain. Returns the claim and whether this call created it."""
        claim = signed.claim
        signer = authenticate(
            self.ledger, signed.domain, claim.factory_id, signed.recovered_signer(), "claim",
            message=claim, signature=signed.signature,
        )  # fmt: skip
        with self.sessions() as session:
            row = rows.confirmed_overlap(session, claim.registry, claim.block_id, claim.serial_start, claim.serial_end)
            if row is not None:
                if row.signature == "0x" + signed.signature.hex():
                    return _row_json(row), False  # an identical resubmission
                raise Conflict(_conflict_message(_row_json(row)))
        row_id = str(uuid.uuid4())
        with self.lifecycle.in_flight(row_id):
            with self.sessions.begin() as session:
                rows.insert_pending(session, row_id, claim, signed.signature, signer)
            return self.lifecycle.relay(self._row(row_id))

    def reconcile(self) -> int:
        """Finish every pending claim from the chain; returns how many were finished.

        A claim the chain already holds (same factory, range, consumption period and details) is
        marked claimed with its id and transaction; one it does not is resent with its stored
        signature; one the chain now refuses (its units claimed by another claim) is dropped and
        logged. ChainUnavailable propagates, leaving the rest pending for the next round.
        """
        return self.lifecycle.reconcile()

    def _row(self, row_id: str) -> ClaimRow:
        with self.sessions() as session:
            row = rows.get(session, row_id)
        assert row is not None
        return row

    def mark_claimed(self, row_id: str, found: Claimed) -> dict[str, Any] | None:
        """Mark a pending row claimed; a second row for the same chain claim is dropped (None)."""
        with self.sessions.begin() as session:
            stored = rows.mark_claimed(session, row_id, found.claim_id, found.tx_hash, found.block_number)
            return _row_json(stored) if stored is not None else None

    def drop(self, row_id: str) -> None:
        with self.sessions.begin() as session:
            rows.delete_claim(session, row_id)

    # --- reads ----------------------------------------------------------------------------------

    def on_chain(self, claim_id: int) -> dict[str, Any]:
        """A claim as the chain records it, with its transaction and (when relayed here) its details."""
        try:
            found = self.ledger.get_claim(claim_id)
        except chain_errors.UnknownClaim:
            raise NotFound(f"no claim {claim_id}") from None
        with self.sessions() as session:
            row = rows.by_claim_id(session, claim_id)
            details = json.loads(row.body) if row else None
            tx_hash = row.tx_hash if row else self.claim_tx(claim_id)
        return _chain_json(found, tx_hash, details)

    def claim_tx(self, claim_id: int) -> str | None:
        for event in self.ledger.claimed_events():
            if event["claim_id"] == claim_id:
                return str(event["tx_hash"])
        return None

    def claimed_retirements(self) -> tuple[list[ClaimedRetirement], list[int]]:
        """Every claim on chain, read from the contract's events, for the double-counting checks.

        A claim's details (project, generation period, …) are on chain only as a hash; they are
        taken from this service's records and used only when they hash to what the chain recorded.
        Returns the claims with verified details, and the ids of claims whose details are not
        disclosed here (relayed by another service, or stored details that do not match).
        """
        with self.sessions() as session:
            bodies = rows.confirmed_bodies(session)
        known, undisclosed = [], []
        for event in self.ledger.claimed_events():
            claim_id, commit = int(event["claim_id"]), event["commit"]
            body = bodies.get(claim_id)
            claim = parse_claim(json.loads(body)) if body else None
            if claim is None or details_hash(claim.details) != bytes(commit["detailsHash"]) or claim.as_commit()[:7] != (
                commit["factoryId"], commit["registry"], commit["blockId"], commit["serialStart"],
                commit["serialEnd"], commit["consumptionStart"], commit["consumptionEnd"],
            ):  # fmt: skip
                undisclosed.append(claim_id)
                continue
            known.append(ClaimedRetirement(claim_id, claim, event["signer"], event["tx_hash"]))
        return known, undisclosed

    def certificate_status(self, registry: str, serial: str) -> dict[str, Any]:
        """The buyer's check: is any unit of this serial (or range) retired, by whom, for when."""
        parsed = parse_serial(serial, registry=registry)
        holders = [
            found
            for found in map(self.ledger.get_claim, self.ledger.claims_in_block(parsed.registry, parsed.block_id))
            if found.serial_start <= parsed.end and parsed.start <= found.serial_end
        ]
        covered = sum(min(h.serial_end, parsed.end) - max(h.serial_start, parsed.start) + 1 for h in holders)
        return {
            "registry": parsed.registry,
            "block_id": parsed.block_id,
            "serial_start": str(parsed.start),
            "serial_end": str(parsed.end),
            "units": parsed.end - parsed.start + 1,
            "claimed": bool(holders),
            "units_claimed": covered,
            "claims": [self.on_chain(h.claim_id) for h in holders],
            "contract": self.ledger.address,
            "chain_id": self.ledger.chain_id,
        }


class ClaimRelay:
    """The claim's part of the lifecycle: ``claimRetirement`` relays it; the chain holds it when a
    claim of its block has the same factory, range, consumption period and details hash."""

    name = "claim"

    def __init__(self, service: ClaimService) -> None:
        self.service = service
        self.ledger = service.ledger

    def send(self, row: ClaimRow) -> Claimed:
        claim_id, tx = self.ledger.claim_retirement(_claim_of(row), bytes.fromhex(row.signature[2:]))
        return Claimed(claim_id, tx.tx_hash, tx.block_number)

    def confirm(self, row: ClaimRow, sent: Claimed) -> tuple[dict[str, Any], bool] | None:
        marked = self.service.mark_claimed(row.id, sent)
        return None if marked is None else (marked, True)

    def unsent(self, row: ClaimRow, exc: ChainUnavailable) -> tuple[dict[str, Any], bool]:
        raise Unavailable(f"claim {row.id} is stored but not yet confirmed on chain ({exc})") from exc

    def refused(self, row: ClaimRow, exc: ContractRevert) -> tuple[dict[str, Any], bool]:
        self.service.drop(row.id)
        if isinstance(exc, chain_errors.ClaimOverlaps):
            winner = self.service.on_chain(int(exc.claimId))
            if _is_same_claim(winner, _claim_of(row)):
                return winner, False  # the same signed claim, submitted twice at once: one of them won
            raise Conflict(_conflict_message(winner)) from exc
        if isinstance(exc, chain_errors.InvalidClaimSignature):
            raise Forbidden(f"the contract refused the signature: {exc}") from exc
        raise Conflict(f"the contract refused the claim: {exc}") from exc

    def pending(self) -> list[ClaimRow]:
        with self.service.sessions() as session:
            return list(rows.pending(session))

    def held(self, row: ClaimRow) -> Claimed | None:
        claim = _claim_of(row)
        expected = (
            claim.factory_id, claim.registry, claim.block_id, claim.serial_start, claim.serial_end,
            claim.consumption_start, claim.consumption_end, details_hash(claim.details),
        )  # fmt: skip
        for claim_id in self.ledger.claims_in_block(claim.registry, claim.block_id):
            found = self.ledger.get_claim(claim_id)
            if (
                found.factory_id, found.registry, found.block_id, found.serial_start, found.serial_end,
                found.consumption_start, found.consumption_end, found.details_hash,
            ) == expected:  # fmt: skip
                return Claimed(claim_id, self.service.claim_tx(claim_id), found.claimed_block)
        return None

    def blocker(self, row: ClaimRow) -> None:
        return None  # the contract is the only judge of a claim; its refusal drops the row

    def refused_later(self, row: ClaimRow, reason: str | ContractRevert) -> None:
        if isinstance(reason, chain_errors.ClaimOverlaps):
            log.warning("pending claim %s dropped: its units were claimed by claim %s", row.id, reason.claimId)
        else:
            log.warning("pending claim %s dropped: the contract refused it: %s", row.id, reason)
        self.service.drop(row.id)


def _claim_of(row: ClaimRow) -> RetirementClaim:
    return parse_claim(json.loads(row.body))


def _chain_json(found: OnChainClaim, tx_hash: str | None, details: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "claim_id": found.claim_id,
        "status": CLAIMED,
        "factory_id": found.factory_id,
        "registry": found.registry,
        "block_id": found.block_id,
        "serial_start": str(found.serial_start),
        "serial_end": str(found.serial_end),
        "consumption_start": found.consumption_start,
        "consumption_end": found.consumption_end,
        "signer": found.signer,
        "details_hash": "0x" + found.details_hash.hex(),
        "claimed_at": found.claimed_at,
        "block_number": found.claimed_block,
        "tx_hash": tx_hash,
        "details": details,
    }


def _row_json(row: ClaimRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "claim_id": row.claim_id,
        "status": row.status,
        "factory_id": row.factory_id,
        "registry": row.registry_name,
        "block_id": row.block_id,
        "serial_start": str(int(row.serial_start)),
        "serial_end": str(int(row.serial_end)),
        "consumption_start": row.consumption_start,
        "consumption_end": row.consumption_end,
        "signer": row.signer,
        "tx_hash": row.tx_hash,
        "block_number": row.block_number,
        "details": json.loads(row.body),
    }


def _is_same_claim(on_chain: dict[str, Any], claim: RetirementClaim) -> bool:
    return (
        on_chain["factory_id"], on_chain["registry"], on_chain["block_id"], on_chain["serial_start"],
        on_chain["serial_end"], on_chain["consumption_start"], on_chain["consumption_end"], on_chain["details_hash"],
    ) == (
        claim.factory_id, claim.registry, claim.block_id, str(claim.serial_start), str(claim.serial_end),
        claim.consumption_start, claim.consumption_end, "0x" + details_hash(claim.details).hex(),
    )  # fmt: skip


def _conflict_message(other: dict[str, Any]) -> str:
    return (
        f"units already claimed by {other['factory_id']} (claim {other['claim_id']}): serials "
        f"{other['serial_start']}..{other['serial_end']} of {other['registry']} block {other['block_id']}, "
        f"for consumption {other['consumption_start']}..{other['consumption_end']}, tx {other['tx_hash']}"
    )
