"""Gas per anchored record: what anchoring a month of readings costs on chain.

A batch is anchored by one ``commitBatch`` whatever its size, so gas per record is the commit's gas
over the batch's record count. The figures come from real receipts on a local anvil running the
committed CarbonLedger: a factory is registered, batches of random record hashes are built with
``MerkleTree``, signed by the factory key as EIP-712 ``BatchCommit`` and committed; each anchored
root is then checked on chain with one record's proof, so the root is the real one of its size.
The issue's target is 0.1 gas per record at 10^6 records, i.e. one commit of at most 100,000 gas.

Run: .venv/bin/python -m benchmarks.bench_gas [--quick]   (quick: 10^3 records only, a few seconds)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from benchmarks.common import Row, timed
from ledger.chain.anvil import Anvil
from ledger.chain.client import LedgerClient
from ledger.chain.funding import fund_on_anvil
from ledger.eip712.batch_commit import BatchCommit, sign_commit
from ledger.merkle import MerkleTree

GAS = "gas"
FACTORY = "CN-BENCH-GAS"
TARGET_GAS_PER_RECORD = 0.1  # issue 8, at 10^6 records per batch
TARGET_COMMIT_GAS = 100_000  # the same target for any commit of a 10^6-record batch
URI_64 = "ipfs://" + "b" * 57
SEED = 8


def power(n: int) -> str:
    return f"10^{len(str(n)) - 1}" if n > 0 and str(n).strip("0") == "1" else f"{n:,}"


class _Chain:
    """One deployed ledger with one registered factory whose key signs every commit."""

    def __init__(self, w3: Web3) -> None:
        operator = Account.create()
        fund_on_anvil(w3, operator.address)
        self.ledger, _ = LedgerClient.deploy(w3, operator)
        self.factory_key: LocalAccount = Account.create()
        self.ledger.register_factory(FACTORY, self.factory_key.address)
        self._record_hashes: dict[str, bytes] = {}  # period -> the packed hashes of its latest tree

    def commit(self, period: str, revision: int, tree: MerkleTree, uri: str = "") -> int:
        """Anchor ``tree``'s root and return the commit's gas, after checking a proof against it."""
        commit = BatchCommit(FACTORY, period, revision, tree.root, tree.leaf_count, uri)
        tx = self.ledger.commit_batch(commit, sign_commit(self.factory_key, self.ledger.domain(), commit))
        index = random.Random(SEED).randrange(tree.leaf_count)
        record_hash = self._record_hashes[period][index * 32 : index * 32 + 32]
        if not self.ledger.verify_anchored_record(FACTORY, period, revision, record_hash, tree.proof(index)):
            raise AssertionError(f"{period} revision {revision}: the anchored root does not prove its own record")
        return tx.gas_used

    def tree(self, period: str, n: int) -> tuple[MerkleTree, float]:
        """A tree of ``n`` random record hashes for ``period``, and the seconds it took to build."""
        packed = random.Random(f"{SEED}-{period}-{n}").randbytes(32 * n)
        self._record_hashes[period] = packed
        seconds, tree = timed(lambda: MerkleTree.from_packed(packed))
        assert isinstance(tree, MerkleTree)
        return tree, seconds


def gas_rows(sizes: list[int]) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="zcl-bench-gas-") as tmp, Anvil(log_file=Path(tmp) / "anvil.log") as anvil:
        chain = _Chain(Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 60})))
        for month, n in enumerate(sizes, start=1):
            period = f"2025-{month:02d}"
            tree, seconds = chain.tree(period, n)
            gas = chain.commit(period, 1, tree)
            at_target_size = n == 1_000_000
            rows.append(
                Row(
                    GAS,
                    f"gas per anchored record, {power(n)} records per batch",
                    gas / n,
                    "gas/record",
                    target=TARGET_GAS_PER_RECORD if at_target_size else None,
                    note=f"commitBatch {gas:,} gas; a real {power(n)}-hash root ({seconds:.2f} s), proved on chain",
                )
            )
            if month == 1:
                rows.extend(_commit_rows(chain, period, n, gas))
    return rows


def _commit_rows(chain: _Chain, period: str, n: int, first: int) -> list[Row]:
    """Revision 1, a correction and a 64-character URI: what one commit costs, for any size."""
    correction_tree, _ = chain.tree(period, n)  # a fresh batch of the same size corrects revision 1
    correction = chain.commit(period, 2, correction_tree)
    uri_period = "2025-12"
    uri_tree, _ = chain.tree(uri_period, n)
    with_uri = chain.commit(uri_period, 1, uri_tree, URI_64)
    size = f"{power(n)} records"
    return [
        Row(GAS, f"commitBatch, revision 1, empty URI ({size})", first, "gas", target=TARGET_COMMIT_GAS),
        Row(GAS, f"commitBatch, correction: revision 2 ({size})", correction, "gas", target=TARGET_COMMIT_GAS),
        Row(GAS, f"commitBatch, revision 1, 64-char URI ({size})", with_uri, "gas", target=TARGET_COMMIT_GAS,
            note="the URI is only logged: it costs calldata and log gas, no storage"),
    ]  # fmt: skip


def run(quick: bool = False) -> list[Row]:
    return gas_rows([1_000] if quick else [1_000, 1_000_000])


if __name__ == "__main__":
    started = time.perf_counter()
    for row in run(quick="--quick" in sys.argv[1:]):
        met = {True: "  target met", False: "  TARGET MISSED", None: ""}[row.met]
        print(f"{row.section:6} {row.figure:52} {row.value:>14,.4f} {row.unit}{met}  {row.note}")
    print(f"({time.perf_counter() - started:.0f} s)")
