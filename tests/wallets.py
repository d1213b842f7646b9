"""The test-only ERC-1271 wallet (``tests/contracts/OwnerWallet.sol``): compiled with the project's
pinned compiler and settings (:func:`ledger.chain.compiler.compile_standard_json`), deployed on the
test's anvil. It is never part of the committed CarbonLedger artifact."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.compiler import COMPILER_SETTINGS, compile_standard_json

SOURCE = Path(__file__).resolve().parent / "contracts" / "OwnerWallet.sol"


@cache
def wallet_artifact() -> dict[str, Any]:
    """The wallet's ABI and creation bytecode, compiled once per test session."""
    name = "tests/contracts/OwnerWallet.sol"
    standard = {
        "language": "Solidity",
        "sources": {name: {"content": SOURCE.read_text(encoding="utf-8")}},
        "settings": COMPILER_SETTINGS,
    }
    compiled = compile_standard_json(standard)["contracts"][name]["OwnerWallet"]
    return {"abi": compiled["abi"], "bytecode": "0x" + compiled["evm"]["bytecode"]["object"]}


def _send(w3: Web3, sender: LocalAccount, fn: Any) -> Any:
    tx = fn.build_transaction(
        {
            "from": sender.address,
            "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
            "chainId": w3.eth.chain_id,
        }
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
    )
    assert receipt["status"] == 1, receipt
    return receipt


def deploy_wallet(w3: Web3, deployer: LocalAccount, owner: str) -> str:
    """A new wallet that accepts ``owner``'s signatures; returns its checksummed address."""
    artifact = wallet_artifact()
    contract = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    return str(_send(w3, deployer, contract.constructor(Web3.to_checksum_address(owner)))["contractAddress"])


def disable_wallet(w3: Web3, sender: LocalAccount, wallet: str) -> None:
    """From now on the wallet accepts no signature at all."""
    _send(
        w3,
        sender,
        w3.eth.contract(address=Web3.to_checksum_address(wallet), abi=wallet_artifact()["abi"]).functions.disable(),
    )
