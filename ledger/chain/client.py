"""The CarbonLedger contract client: deploy, register, rotate, commit, read anchors, verify.

Transactions are signed here with eth-account and sent raw, so the node never holds a key (real
nodes don't unlock accounts, and anvil's unlocked accounts would hide that mistake in tests).
Every revert comes back as the exception named after the contract's error.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, Web3Exception
from web3.types import TxParams

from ledger.chain.artifacts import load_artifact
from ledger.chain.claim_calls import ClaimCalls, OnChainClaim
from ledger.chain.errors import ChainUnavailable, LedgerError, UnknownRevision
from ledger.chain.report_calls import OnChainReport, ReportCalls
from ledger.chain.transactions import Broadcast, Sender, TxResult, TxState, result_of, revert_of, rpc
from ledger.eip712 import BatchCommit, LedgerDomain, SignerRotation

__all__ = ["Anchor", "Broadcast", "LedgerClient", "OnChainClaim", "OnChainReport", "SignerEpoch", "TxResult", "TxState"]

REGISTRAR_ROLE = keccak(text="REGISTRAR_ROLE")
EVALUATOR_ROLE = keccak(text="EVALUATOR_ROLE")
ATTESTOR_ROLE = keccak(text="ATTESTOR_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32
ROLES = {
    "admin": DEFAULT_ADMIN_ROLE,
    "registrar": REGISTRAR_ROLE,
    "attestor": ATTESTOR_ROLE,
    "evaluator": EVALUATOR_ROLE,
}
"""The contract's roles by the names people use for them."""
ERC1271_MAGIC = bytes.fromhex("1626ba7e")
"""``isValidSignature(bytes32,bytes)``'s selector, which a contract wallet returns to say yes."""


@dataclass(frozen=True)
class SignerEpoch:
    """A key and the block (and time) from which it signs for its factory; ``forced`` when the admin
    put it in force without the previous key's signature (a lost key)."""

    signer: str
    valid_from_block: int
    valid_from_time: int
    forced: bool = False


@dataclass(frozen=True)
class Anchor:
    """One anchored revision: root, signer, block and leaf count as the contract stores them; the URI
    from its ``BatchAnchored`` event and the time from its block, which the contract does not store
    (two storage slots per revision keep a million-record batch under 0.1 gas per record)."""

    factory_id: str
    period: str
    revision: int
    root: bytes
    signer: str
    anchored_at: int
    anchored_block: int
    leaf_count: int
    uri: str


class LedgerClient(ClaimCalls, ReportCalls):
    """One deployed CarbonLedger, read through ``w3`` and written with ``sender``'s key.

    ``sender`` is whoever pays for transactions: the relayer, which holds no role (every factory
    action carries the factory's signature), or a role's key for that role's own acts (see
    :meth:`acting_as`).
    """

    def __init__(
        self,
        w3: Web3,
        address: str,
        sender: LocalAccount | None = None,
        *,
        receipt_timeout: float = 120.0,
        confirmations: int = 0,
    ) -> None:
        self.w3 = w3
        self.address = to_checksum_address(address)
        self.sender = sender
        self.receipt_timeout = receipt_timeout
        self.confirmations = confirmations  # blocks on top of a receipt's before it counts
        self.deployed_block = 0  # where event scans start; set from the deployment record when known
        self.contract = w3.eth.contract(address=self.address, abi=load_artifact().abi)
        self._send_lock = threading.Lock()
        self._chain_id: int | None = None
        self._domain: LedgerDomain | None = None

    # --- deployment -------------------------------------------------------------------------

    @classmethod
    def deploy(
        cls,
        w3: Web3,
        deployer: LocalAccount,
        admin: str | None = None,
        *,
        registrar: str | None = None,
        attestor: str | None = None,
        receipt_timeout: float = 120.0,
    ) -> tuple[LedgerClient, TxResult]:
        """Deploy the committed CarbonLedger bytecode with its admin, registrar and attestor.

        ``admin`` defaults to the deployer and ``registrar`` and ``attestor`` to the admin: one key for
        everything suits a test, never a deployment (``zcl serve`` gives each role its own key).
        """
        artifact = load_artifact()
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        admin = to_checksum_address(admin or deployer.address)
        constructor = factory.constructor(
            admin, to_checksum_address(registrar or admin), to_checksum_address(attestor or admin)
        )
        sender = Sender(w3, deployer, receipt_timeout, threading.Lock())
        receipt = sender.send(constructor, rpc(w3, lambda: w3.eth.chain_id))
        client = cls(w3, receipt["contractAddress"], deployer, receipt_timeout=receipt_timeout)
        client.deployed_block = int(receipt["blockNumber"])
        return client, result_of(receipt)

    def acting_as(self, account: LocalAccount) -> LedgerClient:
        """The same contract, with transactions sent (and paid for) by ``account``: a role's key doing
        that role's acts, apart from the relayer's."""
        client = LedgerClient(
            self.w3, self.address, account, receipt_timeout=self.receipt_timeout, confirmations=self.confirmations
        )
        client._chain_id, client._domain = self._chain_id, self._domain
        client.deployed_block = self.deployed_block
        return client

    def has_expected_code(self) -> bool:
        """Whether the address holds the committed CarbonLedger runtime bytecode."""
        return load_artifact().runtime_code_matches(bytes(rpc(self.w3, lambda: self.w3.eth.get_code(self.address))))

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = rpc(self.w3, lambda: self.w3.eth.chain_id)
        return self._chain_id

    @property
    def domain_if_read(self) -> LedgerDomain | None:
        """The domain when it has been read already (no request to the chain), else None."""
        return self._domain

    def domain(self) -> LedgerDomain:
        """The EIP-712 domain as the contract reports it (ERC-5267), not as we assume it.

        Read once: a deployed contract's domain never changes.
        """
        if self._domain is None:
            _, name, version, chain_id, contract, _, _ = self._call(self.contract.functions.eip712Domain())
            self._domain = LedgerDomain(chain_id=chain_id, verifying_contract=contract, name=name, version=version)
        return self._domain

    # --- roles ------------------------------------------------------------------------------

    def grant_role(self, role: str, account: str) -> TxResult:
        """Give ``account`` a role (``admin``, ``registrar``, ``attestor``, ``evaluator``); the sender
        must be the admin."""
        return self._transact(self.contract.functions.grantRole(ROLES[role], to_checksum_address(account)))

    def revoke_role(self, role: str, account: str) -> TxResult:
        """Withdraw a role; what the account did with it stays on chain."""
        return self._transact(self.contract.functions.revokeRole(ROLES[role], to_checksum_address(account)))

    def has_role(self, role: str, account: str) -> bool:
        return self._call(self.contract.functions.hasRole(ROLES[role], to_checksum_address(account)))

    def grant_registrar(self, account: str) -> TxResult:
        return self.grant_role("registrar", account)

    def is_registrar(self, account: str) -> bool:
        return self.has_role("registrar", account)

    # --- factory registry -------------------------------------------------------------------

    def register_factory(self, factory_id: str, signer: str) -> TxResult:
        return self._transact(self.contract.functions.registerFactory(factory_id, to_checksum_address(signer)))

    def rotation(self, factory_id: str, new_signer: str) -> SignerRotation:
        """The rotation message the factory's current key must sign, at the factory's current epoch."""
        return SignerRotation(factory_id, new_signer, len(self.signer_history(factory_id)))

    def rotation_digest(self, rotation: SignerRotation) -> bytes:
        """The digest the contract expects the current key to have signed."""
        return bytes(
            self._call(
                self.contract.functions.hashSignerRotation(rotation.factory_id, rotation.new_signer, rotation.epoch)
            )
        )

    def rotate_signer(self, factory_id: str, new_signer: str, signature: bytes) -> TxResult:
        """Relay a rotation signed by the factory's current key (anyone may relay)."""
        fn = self.contract.functions.rotateSigner(factory_id, to_checksum_address(new_signer), signature)
        return self._transact(fn)

    def force_rotate_signer(self, factory_id: str, new_signer: str, reason_hash: bytes) -> TxResult:
        """Replace a lost key without its signature (the sender must be the admin); marked forced."""
        fn = self.contract.functions.forceRotateSigner(factory_id, to_checksum_address(new_signer), reason_hash)
        return self._transact(fn)

    def is_registered(self, factory_id: str) -> bool:
        return self._call(self.contract.functions.isRegistered(factory_id))

    def current_signer(self, factory_id: str) -> str:
        return self._call(self.contract.functions.currentSigner(factory_id))

    def signer_at(self, factory_id: str, block_number: int) -> str | None:
        signer = self._call(self.contract.functions.signerAt(factory_id, block_number))
        return None if int(signer, 16) == 0 else signer

    def signer_history(self, factory_id: str) -> list[SignerEpoch]:
        epochs = self._call(self.contract.functions.signerHistory(factory_id))
        return [SignerEpoch(signer, block, time, forced) for signer, block, time, forced in epochs]

    def has_code(self, address: str) -> bool:
        """Whether ``address`` holds code (a contract wallet, say), not just a key's balance."""
        return bool(rpc(self.w3, lambda: self.w3.eth.get_code(to_checksum_address(address))))

    def wallet_accepts(self, signer: str, digest: bytes, signature: bytes) -> bool:
        """Whether ``signer``, as a contract wallet, accepts ``signature`` over ``digest`` now (ERC-1271).

        The contract's own test (OpenZeppelin's ``SignatureChecker``): a static call of
        ``isValidSignature(digest, signature)`` that succeeds and returns at least 32 bytes starting
        with the magic value ``0x1626ba7e``. An account without code, a revert or any other answer is
        no; a node that does not answer is :class:`~ledger.chain.errors.ChainUnavailable`.
        """
        data = ERC1271_MAGIC + abi_encode(["bytes32", "bytes"], [digest, signature])
        call: TxParams = {"to": to_checksum_address(signer), "data": HexBytes(data)}
        try:
            answer = bytes(rpc(self.w3, lambda: self.w3.eth.call(call)))
        except ContractLogicError:
            return False
        except Web3Exception as exc:
            raise ChainUnavailable(f"isValidSignature: {exc}") from exc
        return len(answer) >= 32 and answer[:32] == ERC1271_MAGIC.ljust(32, b"\0")

    # --- batch anchors ----------------------------------------------------------------------

    def commit_batch(self, commit: BatchCommit, signature: bytes) -> TxResult:
        """Relay a factory-signed commit; the contract checks the signature itself."""
        return self._transact(self.contract.functions.commitBatch(commit.as_tuple(), signature))

    def commit_digest(self, commit: BatchCommit) -> bytes:
        """The digest the contract expects the factory to have signed."""
        return bytes(self._call(self.contract.functions.hashBatchCommit(commit.as_tuple())))

    def revision_count(self, factory_id: str, period: str) -> int:
        return self._call(self.contract.functions.revisionCount(factory_id, period))

    def get_anchor(self, factory_id: str, period: str, revision: int) -> Anchor:
        root, signer, anchored_block, leaf_count = self._call(
            self.contract.functions.getAnchor(factory_id, period, revision)
        )
        uri = self.anchored_uri(factory_id, period, revision, anchored_block)
        anchored_at = self.block_time(anchored_block)
        return Anchor(factory_id, period, revision, bytes(root), signer, anchored_at, anchored_block, leaf_count, uri)

    def anchor_slot(self, factory_id: str, period: str, revision: int) -> tuple[bytes, str, int] | None:
        """What the contract holds for a revision — root, signer, block — in one call; None when the
        revision is not anchored. The watcher's check: no event or block lookups."""
        try:
            root, signer, anchored_block, _ = self._call(
                self.contract.functions.getAnchor(factory_id, period, revision)
            )
        except UnknownRevision:
            return None
        return bytes(root), str(signer), int(anchored_block)

    def anchored_tx(self, factory_id: str, period: str, revision: int, anchored_block: int) -> str | None:
        """The transaction that anchored a revision, from its ``BatchAnchored`` event — whoever sent it."""
        filters = {"factoryKey": keccak(text=factory_id), "periodKey": keccak(text=period), "revision": revision}
        return self._event_tx(self.contract.events.BatchAnchored, anchored_block, filters)

    def anchored_uri(self, factory_id: str, period: str, revision: int, anchored_block: int) -> str:
        """A revision's URI, from its ``BatchAnchored`` event in the block that anchored it.

        Each revision is anchored once, so its three indexed topics in that one block name exactly
        one event; a node that answers without it has lost logs the chain still commits to.
        """
        event = self.contract.events.BatchAnchored
        filters = {"factoryKey": keccak(text=factory_id), "periodKey": keccak(text=period), "revision": revision}
        logs = rpc(
            self.w3,
            lambda: event.get_logs(from_block=anchored_block, to_block=anchored_block, argument_filters=filters),
        )
        if len(logs) != 1:
            raise LedgerError(
                f"block {anchored_block} should hold one BatchAnchored event for {factory_id} {period} revision "
                f"{revision}, the node returned {len(logs)}"
            )
        return str(logs[0]["args"]["uri"])

    def block_time(self, block_number: int) -> int:
        """A block's timestamp (seconds since the epoch)."""
        return int(rpc(self.w3, lambda: self.w3.eth.get_block(block_number)["timestamp"]))

    def anchors(self, factory_id: str, period: str) -> list[Anchor]:
        """Every revision of a period, oldest first."""
        return [self.get_anchor(factory_id, period, r) for r in range(1, self.revision_count(factory_id, period) + 1)]

    def anchored_events(self, factory_id: str, from_block: int = 0) -> list[dict[str, Any]]:
        """The factory's ``BatchAnchored`` events (every period), in chain order."""
        event = self.contract.events.BatchAnchored
        logs = rpc(
            self.w3,
            lambda: event.get_logs(from_block=from_block, argument_filters={"factoryKey": keccak(text=factory_id)}),
        )
        return [
            dict(log["args"]) | {"tx_hash": "0x" + log["transactionHash"].hex(), "block": log["blockNumber"]}
            for log in logs
        ]

    def is_anchor_signature_valid(self, factory_id: str, period: str, revision: int, signature: bytes) -> bool:
        """Whether ``signature`` signs the anchored revision, checked by the contract against the key
        of its epoch; the URI, which the contract does not store, is read from the revision's event."""
        uri = self.get_anchor(factory_id, period, revision).uri
        return self._call(self.contract.functions.isAnchorSignatureValid(factory_id, period, revision, uri, signature))

    # --- evaluation reports -------------------------------------------------------------------

    def grant_evaluator(self, account: str) -> TxResult:
        """Appoint an evaluator (the sender must be the admin)."""
        return self.grant_role("evaluator", account)

    def revoke_evaluator(self, account: str) -> TxResult:
        """Withdraw an evaluator's role: its anchored reports stay, it can anchor no more."""
        return self.revoke_role("evaluator", account)

    def is_evaluator(self, account: str) -> bool:
        return self.has_role("evaluator", account)

    # --- record verification ----------------------------------------------------------------

    def record_leaf(self, record_hash: bytes) -> bytes:
        return bytes(self._call(self.contract.functions.recordLeaf(record_hash)))

    def verify_record(self, root: bytes, record_hash: bytes, proof: Sequence[bytes]) -> bool:
        return self._call(self.contract.functions.verifyRecord(root, record_hash, list(proof)))

    def verify_anchored_record(
        self, factory_id: str, period: str, revision: int, record_hash: bytes, proof: Sequence[bytes]
    ) -> bool:
        return self._call(
            self.contract.functions.verifyAnchoredRecord(factory_id, period, revision, record_hash, list(proof))
        )

    # --- relaying (one transaction in flight per item; see ledger.services.lifecycle) ----------

    def head(self) -> int:
        """The chain's newest block number."""
        return int(rpc(self.w3, lambda: self.w3.eth.block_number))

    def broadcast(self, fn: ContractFunction, *, record: Any = None, replacing: str | None = None) -> Broadcast:
        """Send ``fn`` without waiting (:meth:`Sender.broadcast`)."""
        return self._sender().broadcast(fn, self.chain_id, record=record, replacing=replacing)

    def receipt(self, tx_hash: str) -> Any:
        """The receipt of a sent transaction once mined, within the receipt timeout."""
        return self._sender().receipt(tx_hash)

    def tx_state(self, tx_hash: str) -> TxState:
        return self._sender().state(tx_hash)

    def failure(self, receipt: Any) -> LedgerError:
        """The contract's error for a failed receipt."""
        return self._sender().failure(receipt)

    # --- plumbing ---------------------------------------------------------------------------

    def _event_tx(self, event: Any, block: int, filters: dict[str, Any]) -> str | None:
        """The transaction of the one event matching ``filters`` in ``block`` (None when there is none)."""
        logs = rpc(self.w3, lambda: event.get_logs(from_block=block, to_block=block, argument_filters=filters))
        return "0x" + logs[0]["transactionHash"].hex() if logs else None

    def _call(self, fn: ContractFunction) -> Any:
        try:
            return rpc(self.w3, fn.call)
        except ContractLogicError as exc:
            raise revert_of(exc) from None
        except Web3Exception as exc:
            raise ChainUnavailable(f"{fn.fn_name}: {exc}") from exc

    def _transact(self, fn: ContractFunction) -> TxResult:
        return result_of(self._send(fn))

    def _send(self, fn: ContractFunction) -> Any:
        """Send and return the receipt."""
        return self._sender(self.confirmations).send(fn, self.chain_id)

    def _sender(self, confirmations: int = 0) -> Sender:
        if self.sender is None:
            raise LedgerError("this client was made without a sender key, so it can only read")
        return Sender(self.w3, self.sender, self.receipt_timeout, self._send_lock, confirmations)
