"""The claims desk: accepts factory-signed retirement claims, relays them, answers buyers.

The database pre-check gives a fast, friendly 409 against claims already confirmed here; the
contract decides every case, including races between services and between concurrent requests
(pending claims are deliberately not pre-checked, so the one that loses on chain is told who won).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ledger import faults
from ledger.chain import errors as chain_errors
from ledger.chain.client import LedgerClient, OnChainClaim
from ledger.eip712.domain import LedgerDomain
from ledger.chain.errors import ChainUnavailable, ContractRevert, TransactionTimeout
from ledger.claims.claim import (
    RetirementClaim,
    details_hash,
    parse_claim,
    recover_claim_signer,
)
from ledger.claims.double_counting import ClaimedRetirement
from ledger.claims.serials import parse_serial
from ledger.errors import Conflict, Forbidden, NotFound, Unavailable
from ledger.notary import authenticate
from ledger.records.errors import RecordError
from ledger.signing import check_named_signer, parse_envelope
from ledger.store.models import ClaimRow

SIGNED_KEYS = frozenset({"signature", "signer", "chain_id", "contract"})
PENDING, CLAIMED = "pending", "claimed"

log = logging.getLogger(__name__)
# Claim rows a request is relaying right now, shared by every ClaimService of the process (the app's
# and the reconciler's), so the reconciler never resends a claim a request is still waiting on.
_IN_FLIGHT: set[str] = set()
_IN_FLIGHT_LOCK = threading.Lock()
_RECONCILE_LOCK = threading.Lock()


def serial_key(serial: int) -> str:
    return f"{serial:039d}"


def confirmed_overlap(session: Session, registry: str, block_id: str, start: int, end: int) -> ClaimRow | None:
    """The confirmed claim of block (``registry``, ``block_id``) holding a unit of ``start..end``.

    Confirmed claims of one block never overlap — the contract refused every overlap before they
    were confirmed — so in order of first serial their last serials rise too, and the claim that
    starts last at or before ``end`` is the only one that can reach ``start``. That makes the check
    one descending index seek (registry, block_id, serial_start), independent of how many claims
    the block or the database holds. Should the rows ever disagree with that (a database pointed
    at a second deployment), a missed overlap here is still refused by the contract on relay.
    """
    row = session.scalars(
        select(ClaimRow)
        .where(
            ClaimRow.registry_name == registry,
            ClaimRow.block_id == block_id,
            ClaimRow.status == CLAIMED,
            ClaimRow.serial_start <= serial_key(end),
        )
        .order_by(ClaimRow.serial_start.desc())
        .limit(1)
    ).first()
    return row if row is not None and row.serial_end >= serial_key(start) else None


@dataclass(frozen=True)
class SignedClaim:
    claim: RetirementClaim
    signature: bytes
    chain_id: int
    contract: str

    @property
    def domain(self) -> LedgerDomain:
        return LedgerDomain(chain_id=self.chain_id, verifying_contract=self.contract)

    def recovered_signer(self) -> str:
        try:
            return recover_claim_signer(self.domain, self.claim, self.signature)
        except Exception as exc:  # malformed r/s/v of the right length
            raise RecordError("signature", f"not a valid ECDSA signature ({exc.__class__.__name__})") from None

    def to_json(self) -> dict[str, Any]:
        return self.claim.to_json() | {
            "signature": "0x" + self.signature.hex(),
            "signer": self.recovered_signer(),
            "chain_id": self.chain_id,
            "contract": self.contract,
        }


def parse_signed_claim(data: Mapping[str, Any]) -> SignedClaim:
    claim = parse_claim(data, extra_keys=SIGNED_KEYS)
    envelope = parse_envelope(data)
    signed = SignedClaim(claim, envelope.signature, envelope.chain_id, envelope.contract)
    check_named_signer(data, signed.recovered_signer())
    return signed


def sign_claim_json(claim: RetirementClaim, signature: bytes, domain: LedgerDomain) -> dict[str, Any]:
    return SignedClaim(claim, signature, domain.chain_id, domain.verifying_contract).to_json()


class ClaimService:
    def __init__(self, ledger: LedgerClient, sessions: sessionmaker[Session]) -> None:
        self.ledger = ledger
        self.sessions = sessions

    def submit(self, signed: SignedClaim) -> tuple[dict[str, Any], bool]:
        """Record a signed claim on chain. Returns the claim and whether this call created it."""
        claim = signed.claim
        signer = authenticate(self.ledger, signed.domain, claim.factory_id, signed.recovered_signer(), "claim")

        with self.sessions() as session:
            row = confirmed_overlap(session, claim.registry, claim.block_id, claim.serial_start, claim.serial_end)
            if row is not None:
                if row.signature == "0x" + signed.signature.hex():
                    return _row_json(row), False  # an identical resubmission
                raise Conflict(_conflict_message(_row_json(row)))

        row_id = str(uuid.uuid4())
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT.add(row_id)
        try:
            return self._store_and_relay(row_id, signed, signer)
        finally:
            with _IN_FLIGHT_LOCK:
                _IN_FLIGHT.discard(row_id)

    def _store_and_relay(self, row_id: str, signed: SignedClaim, signer: str) -> tuple[dict[str, Any], bool]:
        claim = signed.claim
        with self.sessions.begin() as session:
            session.add(
                ClaimRow(
                    id=row_id, factory_id=claim.factory_id, registry_name=claim.registry, block_id=claim.block_id,
                    serial_start=serial_key(claim.serial_start), serial_end=serial_key(claim.serial_end),
                    consumption_start=claim.consumption_start, consumption_end=claim.consumption_end,
                    body=json.dumps(claim.to_json(), sort_keys=True, ensure_ascii=False),
                    signature="0x" + signed.signature.hex(), signer=signer, status=PENDING,
                    created_at=datetime.now(UTC),
                )
            )  # fmt: skip
        faults.crash_point("claim.stored")
        try:
            with faults.scope("claim"):
                claim_id, tx = self.ledger.claim_retirement(claim, signed.signature)
        except chain_errors.ClaimOverlaps as exc:
            self._drop(row_id)
            winner = self.on_chain(int(exc.claimId))
            if _is_same_claim(winner, claim):
                return winner, False  # the same signed claim, submitted twice at once: one of them won
            raise Conflict(_conflict_message(winner)) from exc
        except (TransactionTimeout, ChainUnavailable) as exc:
            raise Unavailable(f"claim {row_id} is stored but not yet confirmed on chain ({exc})") from exc
        except ContractRevert as exc:
            self._drop(row_id)
            if isinstance(exc, chain_errors.InvalidClaimSignature):
                raise Forbidden(f"the contract refused the signature: {exc}") from exc
            raise Conflict(f"the contract refused the claim: {exc}") from exc
        faults.crash_point("claim.mined")
        result = self._mark_claimed(row_id, claim_id, tx.tx_hash, tx.block_number)
        assert result is not None
        return result, True

    def _mark_claimed(self, row_id: str, claim_id: int, tx_hash: str | None, block: int | None) -> dict[str, Any] | None:
        """Mark a pending row claimed; a second row for the same chain claim is dropped (None)."""
        with self.sessions.begin() as session:
            taken = session.scalars(
                select(ClaimRow).where(ClaimRow.claim_id == claim_id, ClaimRow.id != row_id)
            ).one_or_none()
            stored = session.get(ClaimRow, row_id)
            if stored is None:
                return None
            if taken is not None:
                session.delete(stored)
                return None
            stored.claim_id, stored.status = claim_id, CLAIMED
            stored.tx_hash, stored.block_number = tx_hash, block
            return _row_json(stored)

    def reconcile(self) -> int:
        """Finish every pending claim from the chain; returns how many were finished.

        A claim the chain already holds (same factory, range, consumption period and details) is
        marked claimed with its id and transaction; one it does not is resent with its stored
        signature; one the chain now refuses (its units claimed by another claim) is dropped and
        logged. ChainUnavailable propagates, leaving the rest pending for the next round.
        """
        with _RECONCILE_LOCK:
            with self.sessions() as session:
                pending = session.scalars(
                    select(ClaimRow).where(ClaimRow.status == PENDING).order_by(ClaimRow.created_at)
                ).all()
            finished = 0
            for row in pending:
                with _IN_FLIGHT_LOCK:
                    if row.id in _IN_FLIGHT:
                        continue
                if self._finish(row):
                    finished += 1
            return finished

    def _finish(self, row: ClaimRow) -> bool:
        claim = parse_claim(json.loads(row.body))
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
                marked = self._mark_claimed(row.id, claim_id, self._claim_tx(claim_id), found.claimed_block)
                return marked is not None
        try:
            with faults.scope("claim"):
                claim_id, tx = self.ledger.claim_retirement(claim, bytes.fromhex(row.signature[2:]))
        except chain_errors.ClaimOverlaps as exc:
            log.warning("pending claim %s dropped: its units were claimed by claim %s", row.id, exc.claimId)
            self._drop(row.id)
            return False
        except ContractRevert as exc:
            log.warning("pending claim %s dropped: the contract refused it: %s", row.id, exc)
            self._drop(row.id)
            return False
        faults.crash_point("claim.mined")
        return self._mark_claimed(row.id, claim_id, tx.tx_hash, tx.block_number) is not None

    def _drop(self, row_id: str) -> None:
        with self.sessions.begin() as session:
            row = session.get(ClaimRow, row_id)
            if row is not None:
                session.delete(row)

    def on_chain(self, claim_id: int) -> dict[str, Any]:
        """A claim as the chain records it, with its transaction and (when relayed here) its details."""
        try:
            found = self.ledger.get_claim(claim_id)
        except chain_errors.UnknownClaim:
            raise NotFound(f"no claim {claim_id}") from None
        with self.sessions() as session:
            row = session.scalars(select(ClaimRow).where(ClaimRow.claim_id == claim_id)).one_or_none()
            details = json.loads(row.body) if row else None
            tx_hash = row.tx_hash if row else self._claim_tx(claim_id)
        return _chain_json(found, tx_hash, details)

    def _claim_tx(self, claim_id: int) -> str | None:
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
            bodies = {
                row.claim_id: row.body
                for row in session.scalars(select(ClaimRow).where(ClaimRow.status == CLAIMED))
            }
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
