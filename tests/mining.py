"""Several transactions in one block, in a set order: anvil's automine off, each action started in
its own thread and awaited in the pool before the next starts, then one ``evm_mine``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from web3 import Web3


def _pool_size(w3: Web3) -> int:
    pending = w3.provider.make_request("txpool_content", [])["result"]["pending"]  # type: ignore[arg-type]
    return sum(len(by_nonce) for by_nonce in pending.values())


def in_one_block(w3: Web3, *actions: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run ``actions`` (each sends one transaction and waits for it) so that their transactions are
    mined in one block, in this order; returns what each returned (or the exception it raised)."""
    results: list[Any] = [None] * len(actions)

    def run(i: int) -> None:
        try:
            results[i] = actions[i]()
        except Exception as exc:  # handed back to the test, which asserts on it
            results[i] = exc

    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    threads = []
    try:
        assert _pool_size(w3) == 0, "the pool must be empty before the block is built"
        for i in range(len(actions)):
            thread = threading.Thread(target=run, args=(i,), daemon=True)
            thread.start()
            threads.append(thread)
            deadline = time.monotonic() + timeout
            while _pool_size(w3) < i + 1:
                assert thread.is_alive(), f"action {i} ended before its transaction was mined: {results[i]!r}"
                assert time.monotonic() < deadline, f"action {i}'s transaction never reached the pool"
                time.sleep(0.05)
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    for thread in threads:
        thread.join(timeout=timeout)
        assert not thread.is_alive(), "an action did not finish after its block was mined"
    return results
