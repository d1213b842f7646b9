"""Sending one transaction and reading the chain's answers: the chain client's plumbing.

Transactions are built, signed with eth-account and sent raw under one nonce lock, and their receipts
awaited (with confirmations when asked); a failed one is replayed as a call so the contract's own
error names the cause. Every request turns a dead connection, or an answer that is not JSON-RPC
(a proxy's HTML error page, garbage), into :class:`~ledger.chain.errors.ChainUnavailable`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from eth_account.signers.local import LocalAccount
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
NOT_JSON_RPC = (json.JSONDecodeError, UnicodeDecodeError, BadResponseFormat)
"""What web3 raises when the endpoint's answer is not JSON-RPC: a body that is not JSON (an HTML
error page with status 200), not UTF-8, or JSON without ``jsonrpc``/``result``/``error``. A proxy's
error page with an error status comes as ``requests.HTTPError``, an OSError."""


@dataclass(frozen=True)
class TxResult:
    tx_hash: str
    block_number: int
    gas_used: int


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
        w3, address = self.w3, self.account.address
        try:
            with self.lock:
                try:
                    gas = fn.estimate_gas({"from": address})
                    tx = fn.build_transaction(
                        {
                            "from": address,
                            "nonce": w3.eth.get_transaction_count(address, "pending"),
                            "chainId": chain_id,
                            "gas": int(gas * GAS_HEADROOM),
                        }
                    )
                except ContractLogicError as exc:
                    raise revert_of(exc) from None
                signed = self.account.sign_transaction(tx)
                tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
            faults.sent()
            receipt = self._confirmed_receipt(tx_hash)
        except TimeExhausted:
            raise TransactionTimeout("0x" + tx_hash.hex(), self.timeout) from None
        except OSError as exc:
            raise unreachable(w3, exc) from exc
        except NOT_JSON_RPC as exc:
            raise garbled(w3) from exc
        except ContractRevert:
            raise
        except Web3Exception as exc:
            raise ChainUnavailable(str(exc)) from exc
        if receipt["status"] != 1:
            raise self._failure(tx, receipt)
        return receipt

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

    def _failure(self, tx: dict[str, Any], receipt: Any) -> LedgerError:
        """Why a mined transaction failed: replay it as a call for the contract's error.

        The replay runs on the state after the transaction's block, which holds whatever beat it
        there (a rival commit of the same revision, say), so the error names the real cause.
        """
        tx_hash = "0x" + receipt["transactionHash"].hex()
        call = {k: tx[k] for k in ("from", "to", "data", "gas") if k in tx}
        try:
            self.w3.eth.call(cast(TxParams, call), block_identifier=receipt["blockNumber"])
        except ContractLogicError as exc:
            return revert_of(exc)
        except Web3Exception:
            pass
        return TransactionFailed(f"transaction {tx_hash} failed on chain and its replay passed", tx_hash)


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
