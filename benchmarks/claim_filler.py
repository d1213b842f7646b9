"""Benchmark-only contracts for the claims figures: the filler wallet and the previous claims contract.

:class:`Filler` deploys ``benchmarks/contracts/ClaimFiller.sol`` (an ERC-1271 factory wallet that
relays many claims per transaction, each through the ledger's own ``claimRetirement``) so a block
holds 10^5 claims in minutes rather than hours of one-by-one transactions. :func:`deploy_previous`
deploys the claims contract as it was before position hints (commit :data:`PREVIOUS`), compiled
from git with the project's pinned compiler and settings, for a baseline in the same run. Neither
is part of the committed artifacts.
"""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract.contract import Contract

from ledger.chain.compiler import COMPILER_SETTINGS, PROJECT_ROOT, compile_standard_json

PREVIOUS = "1ba47a0"
"""The last commit whose claims contract scanned every claim of the block (no position hint)."""
FILLER_SOURCE = Path(__file__).resolve().parent / "contracts" / "ClaimFiller.sol"
BLOCK_GAS = 1_000_000_000
"""The block gas limit the benchmark's anvil runs with (``evm_setBlockGasLimit``): room for batches."""
FILL_GAS = 600_000_000
"""What one filling transaction may use; the batch size follows from each claim's cost."""


def _compiled(sources: dict[str, str], path: str, name: str) -> dict[str, Any]:
    standard = {
        "language": "Solidity",
        "sources": {source: {"content": text} for source, text in sorted(sources.items())},
        "settings": COMPILER_SETTINGS,
    }
    compiled = compile_standard_json(standard)["contracts"][path][name]
    return {"abi": compiled["abi"], "bytecode": "0x" + compiled["evm"]["bytecode"]["object"]}


@cache
def filler_artifact() -> dict[str, Any]:
    name = "benchmarks/contracts/ClaimFiller.sol"
    return _compiled({name: FILLER_SOURCE.read_text(encoding="utf-8")}, name, "ClaimFiller")


@cache
def previous_artifact() -> dict[str, Any]:
    """CarbonLedger as of :data:`PREVIOUS`, from ``git show`` (sources by content, under ``previous/``)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout

    paths = git("ls-tree", "-r", "--name-only", PREVIOUS, "contracts/").split()
    sources = {f"previous/{path}": git("show", f"{PREVIOUS}:{path}") for path in paths if path.endswith(".sol")}
    return _compiled(sources, "previous/contracts/CarbonLedger.sol", "CarbonLedger")


def send(w3: Web3, sender: LocalAccount, fn: Any, gas: int | None = None) -> Any:
    """Sign and send one call, wait for it, and insist that it succeeded; returns the receipt."""
    fields: dict[str, Any] = {
        "from": sender.address,
        "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    if gas is not None:
        fields["gas"] = gas
    tx = fn.build_transaction(fields)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction), timeout=600
    )
    if receipt["status"] != 1:
        raise AssertionError(f"transaction failed: {receipt}")
    return receipt


def deploy(w3: Web3, deployer: LocalAccount, artifact: dict[str, Any], *args: Any) -> Contract:
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    address = send(w3, deployer, factory.constructor(*args))["contractAddress"]
    return w3.eth.contract(address=address, abi=artifact["abi"])


def deploy_previous(w3: Web3, admin: LocalAccount) -> Contract:
    """The previous CarbonLedger (constructor: admin, who is also its registrar)."""
    return deploy(w3, admin, previous_artifact(), admin.address)


class Filler:
    """One filler wallet, owned by ``owner``; register :attr:`address` as a factory's signer."""

    def __init__(self, w3: Web3, owner: LocalAccount) -> None:
        self.w3, self.owner = w3, owner
        self.contract = deploy(w3, owner, filler_artifact())
        self.address = self.contract.address

    def fill(
        self,
        ledger: Contract,
        commit: tuple[Any, ...],
        count: int,
        stride: int,
        hint: int,
        *,
        previous: bool = False,
        claim_gas: int = 400_000,
        gas_per_earlier: int = 0,
        earlier: int = 0,
    ) -> int:
        """Relays ``count`` claims, ``commit`` then each moved up by ``stride`` serials, in batches that
        fit :data:`FILL_GAS`: a claim costs about ``claim_gas`` plus ``gas_per_earlier`` per claim
        already on the block (``earlier`` at the start). Returns the last claim's id (the ledger's
        claim count: nobody else claims meanwhile)."""
        factory_id, registry, block_id, start, end, *rest = commit
        last, done = hint, 0
        while done < count:
            on_block, batch = earlier + done, 1
            while batch < count - done:
                grown = min(count - done, batch + 1 + batch // 4)
                if grown * (claim_gas + gas_per_earlier * (on_block + grown)) > FILL_GAS:
                    break
                batch = grown
            moved = (factory_id, registry, block_id, start + done * stride, end + done * stride, *rest)
            send(self.w3, self.owner, self.contract.functions.fill(ledger.address, moved, batch, stride, last, previous),
                 gas=FILL_GAS)  # fmt: skip
            last = int(ledger.functions.claimCount().call())
            done += batch
        return last
