"""The contract's retirement claims, as :class:`~ledger.chain.client.LedgerClient` calls them.

The live claims of an issuance block are a sorted list on chain, and every claim or lookup names a
*position hint*: a live claim of the block starting at or before the serial, from which the
contract walks forward. With the right hint neither grows with the block. :meth:`position_hint`
finds it in one ``eth_call`` (``precedingClaim``), starting from a claim the caller already knows to
be near (the service's index); a stale or revoked guess costs a longer walk, never a wrong answer,
because the chain checks the hint and the walk is the chain's own.

A claim is *provisional* until an attestor confirms it, and the admin (the arbiter) can revoke it,
which frees its units; :meth:`decisions` reads those events.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_abi import decode
from eth_utils import to_checksum_address
from web3.exceptions import Web3RPCError
from web3.types import RPCEndpoint

from ledger.chain.calls import ContractCalls
from ledger.chain.errors import InvalidPositionHint
from ledger.chain.transactions import TxResult, result_of, rpc
from ledger.eip712 import RetirementClaim

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract.contract import ContractFunction

CLAIM_STATUSES = ("none", "provisional", "confirmed", "revoked")
"""``RetirementClaims.ClaimStatus``, by index: provisional and confirmed claims hold their units."""
PAGE = 500


@dataclass(frozen=True)
class OnChainClaim:
    claim_id: int
    factory_id: str
    registry: str
    block_id: str
    serial_start: int
    serial_end: int
    consumption_start: str
    consumption_end: str
    details_hash: bytes
    signer: str
    claimed_at: int
    claimed_block: int
    status: str = "provisional"
    decided_by: str | None = None
    decided_at: int | None = None
    reason_hash: bytes | None = None

    @property
    def live(self) -> bool:
        """Whether the claim holds its units (provisional or confirmed)."""
        return self.status in ("provisional", "confirmed")


class ClaimCalls(ContractCalls):
    """Claim methods of the ledger client (a mixin: it uses the client's call and send plumbing)."""

    def claim_retirement(self, claim: RetirementClaim, signature: bytes, hint: int = 0) -> tuple[int, TxResult]:
        """Relay a factory-signed claim at the position the chain says (:meth:`position_hint`, from
        ``hint``); returns the new claim id and the transaction."""
        position = self.position_hint(claim.registry, claim.block_id, claim.serial_start, hint)
        receipt = self._send(self.claim_call(claim, signature, position))
        return self.claim_id_of(receipt), result_of(receipt)

    def claim_call(self, claim: RetirementClaim, signature: bytes, position: int) -> ContractFunction:
        """The ``claimRetirement`` call with position hint ``position`` (for the relaying lifecycle)."""
        return self.contract.functions.claimRetirement(claim.as_commit(), signature, position)

    def position_hint(self, registry: str, block_id: str, serial: int, near: int | Sequence[int] = 0) -> int:
        """The live claim of the block that starts last at or before ``serial`` (0: none), walking
        from the first of ``near`` (live claims of the block believed to start at or before it,
        best first) that the chain accepts as a start, else from the block's first claim."""
        fn = self.contract.functions.precedingClaim
        for start in [near] if isinstance(near, int) else near:
            if not start:
                continue
            try:
                return int(self._call(fn(registry, block_id, serial, start)))
            except InvalidPositionHint:
                continue  # revoked or reorganised away since the caller learnt of it
        return int(self._call(fn(registry, block_id, serial, 0)))

    def claim_digest(self, claim: RetirementClaim) -> bytes:
        return bytes(self._call(self.contract.functions.hashClaim(claim.as_commit())))

    def get_claim(self, claim_id: int) -> OnChainClaim:
        (start, end, signer, claimed_at, claimed_block, _, details, factory_id, registry, block_id, c_start, c_end,
         status, decided_by, decided_at, reason) = self._call(self.contract.functions.getClaim(claim_id))  # fmt: skip
        decided = int(decided_by, 16) != 0
        return OnChainClaim(
            claim_id, factory_id, registry, block_id, start, end, c_start, c_end, bytes(details), signer,
            claimed_at, claimed_block, CLAIM_STATUSES[status], decided_by if decided else None,
            decided_at if decided else None, bytes(reason) if any(reason) else None,
        )  # fmt: skip

    def claim_tx(self, claim_id: int, claimed_block: int) -> str | None:
        """The transaction that recorded a claim, from its ``RetirementClaimed`` event in its block."""
        return self._event_tx(self.contract.events.RetirementClaimed, claimed_block, {"claimId": claim_id})

    def claim_of(self, registry: str, block_id: str, serial: int, near: int | Sequence[int] = 0) -> OnChainClaim | None:
        """The live claim holding unit ``serial`` of a block, or None when the unit is free; ``near``
        as for :meth:`position_hint`."""
        hint = self.position_hint(registry, block_id, serial, near)
        claim_id = self._call(self.contract.functions.claimOf(registry, block_id, serial, hint)) if hint else 0
        return self.get_claim(claim_id) if claim_id else None

    def live_claims_in_block(
        self, registry: str, block_id: str, after: int = 0, first_page: int = PAGE
    ) -> Iterator[int]:
        """The live claims of a block in serial order, after live claim ``after`` (0: from the first),
        read a page at a time: ``first_page`` ids, then twice as many each time up to :data:`PAGE` (a
        lookup that needs the next claim or two does not walk 500 on chain)."""
        size = first_page
        while True:
            fn = self.contract.functions.liveClaimsInBlock(registry, block_id, after, size)
            ids = [int(i) for i in self._call(fn)]
            yield from ids
            if len(ids) < size:
                return
            after, size = ids[-1], min(PAGE, size * 2)

    def claim_count(self) -> int:
        return self._call(self.contract.functions.claimCount())

    def recorded_claim(self, claim: RetirementClaim) -> int:
        """The id under which this signed claim was recorded (live or revoked), or 0."""
        return int(self._call(self.contract.functions.recordedClaim(self.claim_digest(claim))))

    def claimed_events(self, from_block: int | None = None, to_block: int | str = "latest") -> list[dict[str, Any]]:
        """Every ``RetirementClaimed`` event in the blocks (from the deployment's), in chain order, with
        its transaction.

        The logs are read raw and decoded with ``eth_abi`` from the event's ABI: web3's formatting and
        decoding took over a millisecond a log, and the claim index reads every claim on chain (a first
        round over 10^5 claims took minutes)."""
        event = self.contract.events.RetirementClaimed
        start = self.deployed_block if from_block is None else from_block
        query = {"address": self.address, "fromBlock": hex(start),
                 "toBlock": hex(to_block) if isinstance(to_block, int) else to_block, "topics": [event.topic]}  # fmt: skip
        logs = rpc(self.w3, lambda: _raw_logs(self.w3, query))
        fields, types = _data_types(event.abi)
        found = []
        for log in logs:
            commit, signer = decode(types, bytes.fromhex(log["data"][2:]))
            found.append({
                "claim_id": int(log["topics"][1], 16), "commit": dict(zip(fields, commit, strict=True)),
                "signer": to_checksum_address(signer), "tx_hash": log["transactionHash"],
                "block": int(log["blockNumber"], 16),
            })  # fmt: skip
        return found

    def claim_id_of(self, receipt: Any) -> int:
        (event,) = self.contract.events.RetirementClaimed().process_receipt(receipt)
        return int(event["args"]["claimId"])

    # --- decisions ----------------------------------------------------------------------------

    def confirm_claim(self, claim_id: int, details_hash: bytes) -> TxResult:
        """Confirm a provisional claim whose details (hash) the sender, an attestor, has checked."""
        return self._transact(self.contract.functions.confirmClaim(claim_id, details_hash))

    def revoke_claim(self, claim_id: int, reason_hash: bytes) -> TxResult:
        """Revoke a claim and free its units (the sender must be the admin); ``reason_hash`` is the
        hash of the written reason, kept off chain."""
        return self._transact(self.contract.functions.revokeClaim(claim_id, reason_hash))

    def decision_events(self, from_block: int | None = None, to_block: int | str = "latest") -> list[tuple[int, str]]:
        """``(claim id, "confirmed" | "revoked")`` of every decision in the blocks, in chain order; a
        claim's last decision is its status (a revocation can follow a confirmation, never precede it)."""
        found = []
        start = self.deployed_block if from_block is None else from_block
        for status, event in (("confirmed", self.contract.events.ClaimConfirmed),
                              ("revoked", self.contract.events.ClaimRevoked)):  # fmt: skip
            logs = rpc(self.w3, lambda e=event: e.get_logs(from_block=start, to_block=to_block))  # type: ignore[misc]
            found += [((log["blockNumber"], log["logIndex"]), int(log["args"]["claimId"]), status) for log in logs]
        return [(claim_id, status) for _, claim_id, status in sorted(found)]


def _raw_logs(w3: Web3, query: dict[str, Any]) -> list[dict[str, Any]]:
    """``eth_getLogs`` as the node answers it (hex strings), a JSON-RPC error raised as web3 would."""
    response = w3.provider.make_request(RPCEndpoint("eth_getLogs"), [query])
    if "error" in response or not isinstance(response.get("result"), list):
        raise Web3RPCError(str(response.get("error", response)))
    return list(response["result"])


def _data_types(abi: Any) -> tuple[list[str], list[str]]:
    """The names of the first non-indexed (tuple) input's members, and the ABI types of the event's data."""
    data = [i for i in abi["inputs"] if not i["indexed"]]
    fields = [c["name"] for c in data[0]["components"]]
    tuple_type = "(" + ",".join(c["type"] for c in data[0]["components"]) + ")"
    return fields, [tuple_type, *(i["type"] for i in data[1:])]
