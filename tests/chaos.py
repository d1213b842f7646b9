"""A real anvil whose mining and transaction pool the test controls: the faults of issue 13 made to happen.

:class:`Chain` turns automine off and on, mines on demand or on an interval, reorganises the last
blocks away (``anvil_reorg``), reads the pool (``txpool_content``), counts the pending copies of one
calldata, drops a pooled transaction and front-runs one (the same calldata, from another funded
account, with a higher fee: legitimate relaying of a factory-signed commit). :class:`PoolWatch`
samples the pool from a thread, so "never two copies at once" is checked between the service's own
steps, not only after them. :func:`rounds` runs the reconciler's rounds directly.

What "the chain and the database agree" means is :mod:`tests.agreement`. Anvil's pool, as measured
here (anvil 1.x): a transaction whose block is reorganised away is **not** put back in the pool (its
nonce is free again); a pooled transaction survives a reorg and is mined in the next block; a
same-nonce replacement removes the older transaction; ``--order fees`` (the default) puts the higher
priority fee first in a block.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.client import LedgerClient
from ledger.claims.signed import parse_signed_claim
from ledger.eip712 import BatchCommit
from ledger.services import Services


class RpcFailed(AssertionError):
    """The node answered a control request with an error: the fault could not be made."""


@dataclass(frozen=True)
class PoolTx:
    """One transaction waiting in anvil's pool."""

    hash: str
    sender: str
    nonce: int
    to: str | None
    input: str
    max_fee: int
    priority_fee: int
    queued: bool
    """In the pool's ``queued`` part (a nonce gap before it), not ``pending``."""


class Chain:
    """Control of one anvil (the test's own: turning automine off would stall tests sharing one)."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

    def rpc(self, method: str, *params: Any) -> Any:
        answer = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        if "error" in answer:
            raise RpcFailed(f"{method}{list(params)}: {answer['error']}")
        return answer.get("result")

    # --- mining ---------------------------------------------------------------------------------

    def automine(self, on: bool) -> None:
        self.rpc("anvil_setAutomine", on)

    def interval_mining(self, seconds: int) -> None:
        """A block every ``seconds`` (0: none), whether or not anything waits."""
        self.rpc("evm_setIntervalMining", seconds)

    @contextmanager
    def manual(self) -> Iterator[Chain]:
        """Automine off for the block; on again after it, whatever happened inside."""
        self.automine(False)
        try:
            yield self
        finally:
            self.interval_mining(0)
            self.automine(True)

    def mine(self, blocks: int = 1) -> int:
        """Mine ``blocks`` blocks now (with whatever the pool holds); returns the new head."""
        self.rpc("anvil_mine", hex(blocks), "0x0")
        return int(self.w3.eth.block_number)

    @property
    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def reorg(self, depth: int, txs: Sequence[tuple[str, int]] = ()) -> None:
        """Replace the last ``depth`` blocks with as many new ones, holding only ``txs`` (raw signed
        transaction, block offset from the first new block). A removed transaction is gone: not
        mined, not pooled."""
        before = self.head
        if before <= depth:
            raise RpcFailed(f"a reorg of depth {depth} needs more than {depth} blocks; the head is {before}")
        self.rpc("anvil_reorg", depth, [[raw, offset] for raw, offset in txs])

    # --- the pool -------------------------------------------------------------------------------

    def pool(self) -> list[PoolTx]:
        content = self.rpc("txpool_content")
        found = []
        for part in ("pending", "queued"):
            for by_nonce in (content.get(part) or {}).values():
                for tx in by_nonce.values():
                    found.append(
                        PoolTx(
                            hash=tx["hash"],
                            sender=Web3.to_checksum_address(tx["from"]),
                            nonce=int(tx["nonce"], 16),
                            to=tx.get("to"),
                            input=tx["input"].lower(),
                            max_fee=int(tx.get("maxFeePerGas") or tx["gasPrice"], 16),
                            priority_fee=int(tx.get("maxPriorityFeePerGas") or tx["gasPrice"], 16),
                            queued=part == "queued",
                        )  # fmt: skip
                    )
        return found

    def pool_status(self) -> tuple[int, int]:
        """How many transactions the pool holds: (pending, queued behind a nonce gap)."""
        status = self.rpc("txpool_status")
        return int(status["pending"], 16), int(status["queued"], 16)

    def copies(self, calldata: str) -> list[PoolTx]:
        """The pooled transactions carrying exactly ``calldata`` (whoever sent them)."""
        calldata = calldata.lower()
        return [tx for tx in self.pool() if tx.input == calldata]

    def wait_for(self, calldata: str, count: int = 1, timeout: float = 15.0) -> list[PoolTx]:
        """Wait until the pool holds at least ``count`` copies of ``calldata``."""
        deadline = time.monotonic() + timeout
        while len(found := self.copies(calldata)) < count:
            if time.monotonic() > deadline:
                raise RpcFailed(f"{count} pooled copies of the calldata never appeared (saw {len(found)})")
            time.sleep(0.02)
        return found

    def drop(self, tx_hash: str) -> None:
        self.rpc("anvil_dropTransaction", tx_hash)

    def raw(self, tx_hash: str) -> str:
        """A transaction's signed bytes, while it is pooled or mined."""
        raw = self.rpc("eth_getRawTransactionByHash", tx_hash)
        if not raw:
            raise RpcFailed(f"the node no longer knows transaction {tx_hash}")
        return str(raw)

    def front_run(self, calldata: str, by: LocalAccount) -> str:
        """Copy our pooled transaction's calldata and send it from ``by`` with a higher fee, so that
        the copy comes first in the next block; returns the copy's hash."""
        (ours,) = self.wait_for(calldata)
        assert ours.to is not None
        to = Web3.to_checksum_address(ours.to)
        fees = self.w3.eth.get_block("latest")
        priority = ours.priority_fee * 2 + 10**9
        tx = {
            "to": to, "data": calldata, "value": 0, "chainId": self.w3.eth.chain_id,
            "nonce": self.w3.eth.get_transaction_count(by.address, "pending"),
            "gas": self.w3.eth.estimate_gas({"from": by.address, "to": to, "data": calldata}) * 2,
            "maxPriorityFeePerGas": priority, "maxFeePerGas": max(ours.max_fee, 2 * fees["baseFeePerGas"]) + priority,
        }  # fmt: skip
        return "0x" + self.w3.eth.send_raw_transaction(by.sign_transaction(tx).raw_transaction).hex()

    def order_in_block(self, *tx_hashes: str) -> list[tuple[int, int] | None]:
        """Each transaction's (block, index), None when it is not mined."""
        out: list[tuple[int, int] | None] = []
        for tx_hash in tx_hashes:
            tx = self.rpc("eth_getTransactionByHash", tx_hash)
            mined = tx is not None and tx.get("blockNumber") is not None
            out.append((int(tx["blockNumber"], 16), int(tx["transactionIndex"], 16)) if mined else None)
        return out


class PoolWatch:
    """Samples the pool every few milliseconds from a thread: the most copies of each watched
    calldata ever pooled at once (same-nonce replacements count once, as the pool holds one)."""

    def __init__(self, chain: Chain, calldata: dict[str, str], every: float = 0.02) -> None:
        self.chain, self.every = chain, every
        self.calldata = {name: data.lower() for name, data in calldata.items()}
        self.most: dict[str, int] = dict.fromkeys(calldata, 0)
        self.senders: dict[str, set[tuple[str, int]]] = {name: set() for name in calldata}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pool-watch", daemon=True)

    def __enter__(self) -> PoolWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                pooled = self.chain.pool()
            except Exception:  # noqa: BLE001 - the node is busy mining; sample again
                pooled = []
            for name, data in self.calldata.items():
                mine = [tx for tx in pooled if tx.input == data]
                self.most[name] = max(self.most[name], len(mine))
                self.senders[name].update((tx.sender, tx.nonce) for tx in mine)
            self._stop.wait(self.every)

    def sent(self, name: str) -> int:
        """How many distinct (sender, nonce) transactions ever carried that calldata."""
        return len(self.senders[name])


def batch_calldata(ledger: LedgerClient, body: dict[str, Any]) -> str:
    """The exact ``commitBatch`` calldata of a signed batch (its JSON body)."""
    commit = BatchCommit(
        body["factory_id"], body["period"], int(body["revision"]), bytes.fromhex(body["root"][2:]),
        int(body["leaf_count"]), body["uri"],
    )  # fmt: skip
    return str(ledger.contract.encode_abi("commitBatch", args=[commit.as_tuple(), _hex(body["signature"])])).lower()


def claim_calldata(ledger: LedgerClient, body: dict[str, Any]) -> str:
    """The exact ``claimRetirement`` calldata of a signed claim (its JSON body), with the position hint
    the chain gives now (the one claim before it, whatever the relayer's guess: it is unique)."""
    signed = parse_signed_claim(body)
    claim = signed.claim
    position = ledger.position_hint(claim.registry, claim.block_id, claim.serial_start)
    args = [claim.as_commit(), signed.signature, position]
    return str(ledger.contract.encode_abi("claimRetirement", args=args)).lower()


def _hex(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def steps_of(services: Services) -> list[tuple[str, Callable[[], Any]]]:
    """One reconciler round: each relayed kind's ``watch`` (re-checks anchored items; once the
    service has it) and ``reconcile`` (finishes pending ones)."""
    steps: list[tuple[str, Callable[[], Any]]] = []
    for name in ("batches", "claims", "evaluations"):
        service = getattr(services, name)
        watch = getattr(service, "watch", None)
        if callable(watch):
            steps.append((f"{name}.watch", watch))
        steps.append((f"{name}.reconcile", service.reconcile))
    return steps


def rounds(services: Services, n: int = 1) -> list[str]:
    """``n`` reconciler rounds run here, in order; an error ends that step only, as in the
    reconciler thread (which logs it). Returns the errors, ``step: Type: message``."""
    errors = []
    for _ in range(n):
        for name, step in steps_of(services):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - the reconciler thread survives any of them too
                errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:160]}")
    return errors


def in_thread(work: Callable[[], Any]) -> Callable[[float], Any]:
    """Start ``work`` in a thread; the returned function joins it (timeout) and gives its result or
    raises what it raised."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the joiner
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def join(timeout: float = 60.0) -> Any:
        thread.join(timeout)
        if thread.is_alive():
            raise AssertionError(f"the work did not finish within {timeout} s")
        if "error" in box:
            raise box["error"]
        return box["result"]

    return join
