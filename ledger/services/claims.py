"""The claims desk: accepts factory-signed retirement claims, relays them, answers buyers.

The database pre-check gives a fast, friendly 409 against claims already confirmed here; the
contract decides every case, including races between services and between concurrent requests
(pending claims are deliberately not pre-checked, so the one that loses on chain is told who won).
A claim travels the lifecycle of :mod:`ledger.services.lifecycle`: stored pending, relayed,
confirmed — or finished by the reconciler after a crash or while the chain was away.

On chain a recorded claim is *provisional* until an attestor confirms it or the arbiter revokes it
(freeing its units); ``attestation`` says which, from the claim index (:mod:`.claim_index`) that
also supplies the position hints every claim and lookup passes the contract. Buyers' lookups by
serial or by block and range are :mod:`.certificates`'s (``ClaimService.lookup``).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError as DuplicateRow
from sqlalchemy.orm import Session, sessionmaker

from ledger.chain import errors as chain_errors
from ledger.chain.client import LedgerClient, OnChainClaim
from ledger.chain.errors import ChainUnavailable, ContractRevert
from ledger.claims.claim import parse_claim
from ledger.claims.double_counting import ClaimedRetirement
from ledger.claims.policy import ClaimPolicy
from ledger.claims.signed import SignedClaim
from ledger.eip712 import RetirementClaim, details_hash
from ledger.errors import Conflict, Forbidden, NotFound, Unavailable
from ledger.records.errors import RecordError
from ledger.services.auth import authenticate
from ledger.services.certificates import CertificateLookup
from ledger.services.claim_index import ClaimIndex
from ledger.services.lifecycle import Lifecycle, Other, StoredRelay
from ledger.services.ratelimit import RateLimit
from ledger.store import chain_claims, tracking
from ledger.store import claims as rows
from ledger.store.claims import CLAIMED, PENDING
from ledger.store.models import ClaimRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """A claim the chain holds: its id, and the transaction and block that recorded it."""

    claim_id: int
    tx_hash: str | None
    block_number: int | None
    attestation: str = "provisional"


class ClaimService:
    def __init__(
        self,
        ledger: LedgerClient,
        sessions: sessionmaker[Session],
        *,
        wait_timeout: float = 120.0,
        policy: ClaimPolicy | None = None,
    ) -> None:
        self.ledger = ledger
        self.sessions = sessions
        self.wait_timeout = wait_timeout
        self.policy = policy or ClaimPolicy()
        self.relays = RateLimit(self.policy.per_hour, what="claim relays")
        self.index = ClaimIndex(ledger, sessions)
        self.lifecycle: Lifecycle[ClaimRow, Claimed, tuple[dict[str, Any], bool]] = Lifecycle(ClaimRelay(self))
        self.lookup = CertificateLookup(ledger, sessions, self.index, self.chain_json)

    def submit(self, signed: SignedClaim) -> tuple[dict[str, Any], bool]:
        """Record a signed claim on chain. Returns the claim and whether this call created it."""
        claim = signed.claim
        signer = authenticate(
            self.ledger, signed.domain, claim.factory_id, signed.recovered_signer(), "claim",
            message=claim, signature=signed.signature,
        )  # fmt: skip
        with self.sessions() as session:
            same = rows.by_signature(session, "0x" + signed.signature.hex())
            row = rows.confirmed_overlap(session, claim.registry, claim.block_id, claim.serial_start, claim.serial_end)
        if same is not None:
            return self._resubmitted(same), False
        if row is not None and self._still_live(row):
            raise Conflict(_conflict_message(self.row_json(row)))
        self.policy.check_units(claim.registry, claim.serial_end - claim.serial_start + 1)
        self.relays.take(f"factory {claim.factory_id}")  # only what this service would pay gas for
        row_id = str(uuid.uuid4())
        with self.lifecycle.in_flight(row_id):
            try:
                with self.sessions.begin() as session:
                    rows.insert_pending(session, row_id, claim, signed.signature, signer)
            except DuplicateRow:  # the same signed claim, stored by another request just now
                with self.sessions() as session:
                    same = rows.by_signature(session, "0x" + signed.signature.hex())
                if same is None:
                    raise
                return self._resubmitted(same), False
            return self.lifecycle.relay(self._row(row_id))

    def _resubmitted(self, row: ClaimRow) -> dict[str, Any]:
        """The same signed claim again: the same answer, after a look at the chain (a claim whose
        record a reorg took is recorded again). A pending one that a request here or on another
        instance may be relaying is waited for; an older one is finished now if it can be."""
        if row.status == CLAIMED:
            self.lifecycle.recheck(row)
            row = self._row(row.id)
        deadline = time.monotonic() + self.wait_timeout
        while row.status == PENDING and self._may_be_relaying(row) and time.monotonic() < deadline:
            time.sleep(0.1)
            row = self._row(row.id)
        if row.status == PENDING and not self._may_be_relaying(row):
            self.lifecycle.retry(row)
            row = self._row(row.id)
        if row.status == PENDING:
            raise Unavailable(f"claim {row.id} is stored and still waiting for the chain; ask again later")
        if row.status != CLAIMED:
            raise Conflict(row.reason or f"claim {row.id} is {row.status}")
        return self.row_json(row)

    def _may_be_relaying(self, row: ClaimRow) -> bool:
        return self.lifecycle.may_be_relaying(row.id, row.created_at, self.wait_timeout)

    def reconcile(self) -> int:
        """Finish every pending claim from the chain; returns how many were finished.

        A claim the chain already holds (same factory, range, consumption period and details; relayed
        by anyone) is marked claimed with its id and transaction; one it does not is resent with its
        stored signature unless its transaction is still in flight; one whose units another claim
        holds is marked ``conflict``, naming it, and one the contract refuses ``rejected`` — both
        kept. ChainUnavailable propagates, leaving the rest pending for the next round.
        """
        return self.lifecycle.reconcile()

    def watch(self, *, everything: bool | None = None) -> int:
        """Re-check claimed rows against the chain (:meth:`Lifecycle.watch`)."""
        return self.lifecycle.watch(everything=everything)

    def attestation(self, row: ClaimRow) -> str | None:
        """Where a claimed row stands on chain (provisional, confirmed, revoked); None before that."""
        if row.status != CLAIMED or row.claim_id is None:
            return None
        return self.index.statuses([row.claim_id]).get(row.claim_id, "provisional")

    def _still_live(self, row: ClaimRow) -> bool:
        """Whether a claimed row still holds its units: asked of the chain (a revocation frees them, and
        the index may not have followed it yet), and told to the index."""
        try:
            status = self.ledger.get_claim(int(row.claim_id or 0)).status
        except chain_errors.UnknownClaim:
            return True  # reorganised away: the contract decides on relay
        with self.sessions.begin() as session:
            chain_claims.set_status(session, int(row.claim_id or 0), status)
        return status != "revoked"

    def row_json(self, row: ClaimRow) -> dict[str, Any]:
        return _row_json(row) | {"attestation": self.attestation(row)}

    def _row(self, row_id: str) -> ClaimRow:
        with self.sessions() as session:
            row = rows.get(session, row_id)
        assert row is not None
        return row

    # --- reads ----------------------------------------------------------------------------------

    def on_chain(self, claim_id: int) -> dict[str, Any]:
        """A claim as the chain records it, with its transaction and (when relayed here) its details."""
        try:
            found = self.ledger.get_claim(claim_id)
        except chain_errors.UnknownClaim:
            raise NotFound(f"no claim {claim_id}") from None
        return self.chain_json(found)

    def chain_json(self, found: OnChainClaim) -> dict[str, Any]:
        """A claim read from the chain as the API shows it: with its transaction, and its details
        when this service relayed it (and they still hash to what the chain recorded)."""
        claim_id = found.claim_id
        with self.sessions() as session:
            row = rows.by_claim_id(session, claim_id)
            stored = _stored_claim(row.body) if row is not None and row.block_number == found.claimed_block else None
            held = row is not None and stored is not None and _same(found, stored)
            details = json.loads(row.body) if row is not None and held else None
            tx_hash = row.tx_hash if row is not None and held else self.ledger.claim_tx(claim_id, found.claimed_block)
        return _chain_json(found, tx_hash, details)

    def claim_tx(self, claim_id: int) -> str | None:
        return self.ledger.claim_tx(claim_id, self.ledger.get_claim(claim_id).claimed_block)

    def claimed_retirements(self) -> tuple[list[ClaimedRetirement], list[int]]:
        """Every claim on chain, read from the contract's events, for the double-counting checks.

        A claim's details (project, generation period, …) are on chain only as a hash; they are
        taken from this service's records and used only when they hash to what the chain recorded.
        Returns the claims with verified details, and the ids of claims whose details are not
        disclosed here (relayed by another service, or stored details that do not match). Revoked
        claims are left out (their units are free again); each claim says whether it is provisional
        or confirmed, as the chain's decisions say.
        """
        with self.sessions() as session:
            bodies = rows.confirmed_bodies(session)
        status = dict(self.ledger.decision_events())
        known, undisclosed = [], []
        for event in self.ledger.claimed_events():
            claim_id, commit = int(event["claim_id"]), event["commit"]
            if status.get(claim_id) == "revoked":
                continue  # its units are free again: it claims nothing
            body = bodies.get(claim_id)
            claim = _stored_claim(body) if body else None
            if claim is None or details_hash(claim.details) != bytes(commit["detailsHash"]) or claim.as_commit()[:7] != (
                commit["factoryId"], commit["registry"], commit["blockId"], commit["serialStart"],
                commit["serialEnd"], commit["consumptionStart"], commit["consumptionEnd"],
            ):  # fmt: skip
                undisclosed.append(claim_id)
                continue
            known.append(
                ClaimedRetirement(
                    claim_id, claim, event["signer"], event["tx_hash"], status.get(claim_id, "provisional")
                )
            )
        return known, undisclosed


class ClaimRelay(StoredRelay):
    """The claim's part of the lifecycle: ``claimRetirement`` relays it; the chain holds it when a
    claim of its block has the same factory, range, consumption period and details hash (whoever
    relayed it); a claim holding any of its units with other content is a conflict."""

    name = "claim"
    model = ClaimRow
    pending_status = PENDING

    def __init__(self, service: ClaimService) -> None:
        self.service = service
        self.ledger = service.ledger
        self.sessions = service.sessions

    def call(self, row: ClaimRow) -> Any:
        claim = _claim_of(row)
        near = self.service.index.near(claim.registry, claim.block_id, claim.serial_start)
        position = self.ledger.position_hint(claim.registry, claim.block_id, claim.serial_start, near)
        return self.ledger.claim_call(claim, bytes.fromhex(row.signature[2:]), position)

    def sent(self, row: ClaimRow, receipt: Any) -> Claimed:
        return Claimed(
            self.ledger.claim_id_of(receipt), "0x" + receipt["transactionHash"].hex(), receipt["blockNumber"]
        )

    def on_chain(self, row: ClaimRow) -> Claimed | Other | None:
        claim = _claim_of(row)
        recorded = self.ledger.recorded_claim(claim)  # this very signed claim, whoever relayed it
        if recorded:
            found = self.ledger.get_claim(recorded)
            return Claimed(recorded, self.ledger.claim_tx(recorded, found.claimed_block), found.claimed_block,
                           found.status)  # fmt: skip
        index = self.service.index
        for serial in (claim.serial_start, claim.serial_end):
            near = index.near(claim.registry, claim.block_id, serial)
            holder = self.ledger.claim_of(claim.registry, claim.block_id, serial, near)
            if holder is not None:
                return self._judge(row, holder)
        return None

    def still_held(self, row: ClaimRow) -> Claimed | Other | None:
        if row.claim_id is not None:
            try:
                found = self.ledger.get_claim(row.claim_id)
            except chain_errors.UnknownClaim:
                found = None
            if found is not None and _same(found, _claim_of(row)) and found.claimed_block == row.block_number:
                return Claimed(row.claim_id, row.tx_hash, found.claimed_block, found.status)
        return self.on_chain(row)  # reorganised: the same claim may now have another id, or be gone

    def _judge(self, row: ClaimRow, holder: OnChainClaim) -> Claimed | Other:
        tx = self.ledger.claim_tx(holder.claim_id, holder.claimed_block)
        if _same(holder, _claim_of(row)):
            return Claimed(holder.claim_id, tx, holder.claimed_block, holder.status)
        other = _chain_json(holder, tx, None)
        del other["details"]
        return Other(other, _conflict_message(other))

    def confirm(self, row: ClaimRow, found: Claimed, final: bool) -> tuple[dict[str, Any], bool]:
        claim = _claim_of(row)
        with self.sessions.begin() as session:
            stored, twin = rows.mark_claimed(session, row.id, found.claim_id, found.tx_hash, found.block_number, final)
            chain_claims.upsert(session, [(
                found.claim_id, claim.factory_id, claim.registry, claim.block_id, claim.serial_start,
                claim.serial_end, int(found.block_number or 0),
            )])  # fmt: skip  # indexed now, so the next claim of the block gets an exact hint
            chain_claims.set_status(session, found.claim_id, found.attestation)
            attestation = {"attestation": found.attestation}
            if twin is not None:  # the same claim, signed twice: the other row speaks for it
                message = f"the same claim is recorded as {twin.id} (claim {found.claim_id})"
                tracking.mark_conflict(session, ClaimRow, row.id, {"claim_id": found.claim_id, "row": twin.id}, message)
                return _row_json(twin) | attestation, False
            return _row_json(stored) | attestation, True

    def unsent(self, row: ClaimRow, exc: ChainUnavailable) -> tuple[dict[str, Any], bool]:
        raise Unavailable(f"claim {row.id} is stored but not yet confirmed on chain ({exc})") from exc

    def refused(self, row: ClaimRow, exc: ContractRevert) -> tuple[dict[str, Any], bool]:
        message = self._refuse(row, exc)
        if isinstance(exc, chain_errors.InvalidClaimSignature):
            raise Forbidden(message) from exc
        raise Conflict(message) from exc

    def refused_later(self, row: ClaimRow, reason: str | ContractRevert) -> None:
        log.warning("pending claim %s kept as refused: %s", row.id, self._refuse(row, reason))

    def _refuse(self, row: ClaimRow, reason: str | ContractRevert) -> str:
        """Mark the row ``conflict`` (its units are another claim's) or ``rejected``; say why."""
        if isinstance(reason, chain_errors.ClaimOverlaps):
            other = self._judge(row, self.ledger.get_claim(int(reason.claimId)))
            if isinstance(other, Other):
                self.conflicted(row, other)
                return other.message
        if isinstance(reason, chain_errors.ClaimAlreadyRecorded):
            reason = (f"this signed claim was recorded before as claim {reason.claimId}, since revoked: a signature "
                      "claims once; the factory signs a new claim")  # fmt: skip
        if isinstance(reason, chain_errors.InvalidClaimSignature):
            reason = f"the contract refused the signature: {reason}"
        elif isinstance(reason, ContractRevert):
            reason = f"the contract refused the claim: {reason}"
        with self.sessions.begin() as session:
            rows.mark_rejected(session, row.id, str(reason))
        return str(reason)

    def pending(self) -> list[ClaimRow]:
        with self.sessions() as session:
            return list(rows.pending(session))

    def confirmed(self, *, recent_from: int | None, after: str | None, limit: int) -> list[ClaimRow]:
        with self.sessions() as session:
            return list(
                tracking.confirmed(session, ClaimRow, CLAIMED, recent_from=recent_from, after=after, limit=limit)
            )

    def blocker(self, row: ClaimRow) -> None:
        return None  # the contract is the only judge of a claim


def _same(found: OnChainClaim, claim: RetirementClaim) -> bool:
    return (
        found.factory_id, found.registry, found.block_id, found.serial_start, found.serial_end,
        found.consumption_start, found.consumption_end, found.details_hash,
    ) == (
        claim.factory_id, claim.registry, claim.block_id, claim.serial_start, claim.serial_end,
        claim.consumption_start, claim.consumption_end, details_hash(claim.details),
    )  # fmt: skip


def _claim_of(row: ClaimRow) -> RetirementClaim:
    return parse_claim(json.loads(row.body))


def _stored_claim(body: str) -> RetirementClaim | None:
    """A stored claim's details, or None when they no longer parse (a claim signed under an earlier
    ``ClaimDetails`` type, before the eligibility facts): such details are treated as undisclosed."""
    try:
        return parse_claim(json.loads(body))
    except RecordError:
        return None


def _chain_json(found: OnChainClaim, tx_hash: str | None, details: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "claim_id": found.claim_id,
        "status": CLAIMED,
        "attestation": found.status,
        "decided_by": found.decided_by,
        "decided_at": found.decided_at,
        "reason_hash": "0x" + found.reason_hash.hex() if found.reason_hash else None,
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
        "final": bool(row.final),
        "conflict": tracking.conflict_of(row),
        "reason": row.reason,
        "details": json.loads(row.body),
    }


def _conflict_message(other: dict[str, Any]) -> str:
    return (
        f"units already claimed by {other['factory_id']} (claim {other['claim_id']}): serials "
        f"{other['serial_start']}..{other['serial_end']} of {other['registry']} block {other['block_id']}, "
        f"for consumption {other['consumption_start']}..{other['consumption_end']}, tx {other['tx_hash']}"
    )
