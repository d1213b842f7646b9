"""Sending one transaction and reading the chain's answers: the chain client's plumbing.

Transactions are built, signed with eth-account and sent raw under one nonce lock, and their receipts
awaited (with confirmations when asked); a failed one is replayed as a call so the contract's own
error names the cause. Every request turns a dead connection, or an answer that is not JSON-RPC
(a proxy's HTML error page, garbage), into :class:`~ledger.chain.errors.ChainUnavailable`.

Relayed items (batches, claims, reports) use the two halves separately — :meth:`Sender.broadcast`
then :meth:`Sender.receipt` — so the caller can record the transaction before it leaves and, later,
find it in the pool (:meth:`Sender.state`) and replace it by the same nonce with higher fees instead
of sending a second copy.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import (
    BadResponseFormat,
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)
from web3.types import TxParams

from ledger import faults
from ledger.chain.errors import (
    ChainUnavailable,
    ContractRevert,
    LedgerError,
    TransactionFailed,
    TransactionTimeout,
    decode_revert,
)

T = TypeVar("T")
GAS_HEADROOM = 1.25  # estimates are exact for EOAs; ERC-1271 signers need room for the 63/64 rule
FEE_BUMP = 1.25
"""A replacement pays this much more than the transaction it replaces (nodes ask for at least 10 %)."""
NOT_JSON_RPC = (json.JSONDecodeError, UnicodeDecodeError, BadResponseFormat)
"""What web3 raises when the endpoint's answer is not JSON-RPC: a body that is not JSON (an HTML
error page with status 200), not UTF-8, or JSON without ``jsonrpc``/``result``/``error``. A proxy's
error page with an error status comes as ``requests.HTTPError``, an OSError."""


@dataclass(frozen=True)
class TxResult:
    tx_hash: str
    block_number: int
    gas_used: int


@dataclass(frozen=True)
class Broadcast:
    """A signed transaction about to be sent: what finds it again (hash) or replaces it (nonce)."""

    tx_hash: str
    nonce: int


@dataclass(frozen=True)
class TxState:
    """Where a sent transaction is: mined (with its receipt), still in the pool, or nowhere."""

    receipt: Any | None
    in_pool: bool

    @property
    def gone(self) -> bool:
        """Neither mined nor waiting: dropped from the pool, or reorganised away and not re-included."""
        return self.receipt is None and not self.in_pool


class Sender:
    """Builds, signs, sends one transaction and waits for its receipt; nonces under one lock.

    With ``confirmations`` > 0 the receipt counts only once the head is that many blocks past its
    block and the receipt is still there (a reorg that dropped it means waiting for it again, all
    within ``timeout``; a transaction that never comes back times out, and callers resend).
    """

    def __init__(
        self, w3: Web3, account: LocalAccount, timeout: float, lock: threading.Lock, confirmations: int = 0
    ) -> None:
        self.w3, self.account, self.timeout, self.lock = w3, account, timeout, lock
        self.confirmations = confirmations

    def send(self, fn: Any, chain_id: int) -> Any:
        """Send one transaction and return its receipt (buried under ``confirmations`` blocks)."""
        sent = self.broadcast(fn, chain_id)
        with self._answers(sent.tx_hash, self.timeout):
            receipt = self._confirmed_receipt(HexStr(sent.tx_hash))
        if receipt["status"] != 1:
            raise self.failure(receipt)
        return receipt

    def broadcast(
        self,
        fn: Any,
        chain_id: int,
        *,
        record: Callable[[Broadcast], None] | None = None,
        replacing: str | None = None,
    ) -> Broadcast:
        """Sign and send one transaction without waiting for it.

        ``record`` is called with the signed transaction's hash and nonce before it is sent, so a crash
        right after leaves a trace of it. ``replacing`` names a transaction still in the pool: the new
        one takes its nonce and pays :data:`FEE_BUMP` times its fees, so at most one of them is mined.
        A revert found by the gas estimate raises the contract's error before anything is sent.
        """
        w3, address = self.w3, self.account.address
        with self._answers(None, self.timeout), self.lock:
            fields: dict[str, Any] = {"from": address, "chainId": chain_id}
            if replacing is not None:
                old = w3.eth.get_transaction(HexStr(replacing))
                fields["nonce"] = old["nonce"]
            else:
                fields["nonce"] = w3.eth.get_transaction_count(address, "pending")
            try:
                fields["gas"] = int(fn.estimate_gas({"from": address}) * GAS_HEADROOM)
                tx = fn.build_transaction(fields)
            except ContractLogicError as exc:
                raise revert_of(exc) from None
            if replacing is not None:
                _bump_fees(tx, old)
            signed = self.account.sign_transaction(tx)
            sent = Broadcast("0x" + bytes(signed.hash).hex(), int(tx["nonce"]))
            if record is not None:
                record(sent)
            w3.eth.send_raw_transaction(signed.raw_transaction)
        faults.sent()
        return sent

    def receipt(self, tx_hash: str, timeout: float | None = None) -> Any:
        """The receipt once mined (no confirmations: finality is the watcher's); the contract's
        error when it failed; :class:`TransactionTimeout` when not mined within ``timeout``."""
        timeout = self.timeout if timeout is None else timeout
        with self._answers(tx_hash, timeout):
            receipt = self.w3.eth.wait_for_transaction_receipt(HexStr(tx_hash), timeout=timeout, poll_latency=0.05)
        if receipt["status"] != 1:
            raise self.failure(receipt)
        return receipt

    def state(self, tx_hash: str) -> TxState:
        """Whether a sent transaction is mined, waiting in the pool, or gone."""
        key = HexStr(tx_hash)
        w3 = self.w3
        with self._answers(tx_hash, self.timeout):
            try:
                return TxState(w3.eth.get_transaction_receipt(key), False)
            except TransactionNotFound:
                pass
            try:
                found = w3.eth.get_transaction(key)
            except TransactionNotFound:
                return TxState(None, False)
            return TxState(None, found.get("blockNumber") is None)

    @contextmanager
    def _answers(self, tx_hash: str | None, timeout: float) -> Iterator[None]:
        """The chain's failures as ours: no receipt in time, a dead connection, an answer that is not
        JSON-RPC, any other node error; a contract's revert stays what it is."""
        try:
            yield
        except TimeExhausted:
            raise TransactionTimeout(tx_hash or "?", timeout) from None
        except OSError as exc:
            raise unreachable(self.w3, exc) from exc
        except NOT_JSON_RPC as exc:
            raise garbled(self.w3) from exc
        except (ContractRevert, TransactionNotFound):
            raise
        except Web3Exception as exc:
            raise ChainUnavailable(str(exc)) from exc

    def _confirmed_receipt(self, tx_hash: Any) -> Any:
        """The receipt, once buried under ``confirmations`` blocks and still on the chain."""
        w3 = self.w3
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = max(0.05, deadline - time.monotonic())
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=remaining, poll_latency=0.05)
            if self.confirmations <= 0:
                return receipt
            target = receipt["blockNumber"] + self.confirmations
            while w3.eth.block_number < target:
                if time.monotonic() >= deadline:
                    raise TimeExhausted(f"{self.confirmations} confirmations not reached in time")
                time.sleep(0.05)
            try:
                again = w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                again = None
            if again is not None and again["blockHash"] == receipt["blockHash"]:
                return again
            if time.monotonic() >= deadline:  # reorged out: wait for it to be mined again
                raise TimeExhausted("the transaction's block was reorganised away")

    def failure(self, receipt: Any) -> LedgerError:
        """Why a mined transaction failed: replay it as a call for the contract's error.

        The replay runs on the state after the transaction's block, which holds whatever beat it
        there (a rival commit of the same revision, say), so the error names the real cause.
        """
        tx_hash = "0x" + receipt["transactionHash"].hex()
        try:
            tx = self.w3.eth.get_transaction(receipt["transactionHash"])
        except Web3Exception:
            return TransactionFailed(f"transaction {tx_hash} failed on chain", tx_hash)
        call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
        try:
            self.w3.eth.call(cast(TxParams, call), block_identifier=receipt["blockNumber"])
        except ContractLogicError as exc:
            return revert_of(exc)
        except Web3Exception:
            pass
        return TransactionFailed(f"transaction {tx_hash} failed on chain and its replay passed", tx_hash)


def _bump_fees(tx: dict[str, Any], old: Any) -> None:
    """Raise ``tx``'s fees to at least :data:`FEE_BUMP` times those of ``old`` (same nonce)."""
    if "maxFeePerGas" in tx:
        for key in ("maxFeePerGas", "maxPriorityFeePerGas"):
            before = int(old.get(key) or old.get("gasPrice") or 0)
            tx[key] = max(int(tx[key]), int(before * FEE_BUMP) + 1)
        tx["maxFeePerGas"] = max(tx["maxFeePerGas"], tx["maxPriorityFeePerGas"])
    else:
        tx["gasPrice"] = max(int(tx["gasPrice"]), int(int(old["gasPrice"]) * FEE_BUMP) + 1)


def revert_of(exc: ContractLogicError) -> LedgerError:
    data = exc.data if isinstance(exc.data, str) else None
    if data and data.startswith("0x") and len(data) >= 10:
        return decode_revert(data)
    return ContractRevert("Revert", {}, str(exc.message or exc))


def result_of(receipt: Any) -> TxResult:
    return TxResult("0x" + receipt["transactionHash"].hex(), receipt["blockNumber"], receipt["gasUsed"])


def rpc(w3: Web3, request: Callable[[], T]) -> T:
    """Run one request to the node, turning a dead connection, an answer that is not JSON-RPC or a
    JSON-RPC error into :class:`ChainUnavailable` (a contract's revert stays what it is)."""
    try:
        return request()
    except OSError as exc:
        raise unreachable(w3, exc) from exc
    except NOT_JSON_RPC as exc:
        raise garbled(w3) from exc
    except TransactionNotFound:
        raise
    except Web3RPCError as exc:  # a JSON-RPC error object: a node (or proxy) refusing, rate limiting
        raise ChainUnavailable(f"the chain at {_endpoint(w3)} answered with an error: {exc}") from exc


def unreachable(w3: Web3, exc: OSError) -> ChainUnavailable:
    return ChainUnavailable(f"the chain at {_endpoint(w3)} did not answer: {exc}")


def garbled(w3: Web3) -> ChainUnavailable:
    """The error for an answer that is not JSON-RPC; the body is not quoted (it may be a whole page)."""
    return ChainUnavailable(f"the chain at {_endpoint(w3)} did not answer with JSON-RPC (a proxy's error page?)")


def _endpoint(w3: Web3) -> object:
    return getattr(w3.provider, "endpoint_uri", w3.provider)
