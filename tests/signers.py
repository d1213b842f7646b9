"""Two signer situations the verifiers once judged differently from the contract (issue 13, item 5),
built through the real service on a real anvil, for the Python, CLI, JavaScript and browser tests:

- a batch anchored in the same block as a later rotation of its factory's key: the contract stored
  the old key for the anchor, while ``signerAt(block)`` (the key at the *end* of the block) is the new
  one;
- a factory whose signer is a contract wallet (ERC-1271, ``tests/contracts/OwnerWallet.sol``) whose
  owner's key signs: the signature recovers the owner, never the registered address.
"""

from __future__ import annotations

from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.eip712.domain import LedgerDomain
from tests.builders import ADMIN, batch_json, example_batch, register_factory, signed_rotation
from tests.mining import in_one_block
from tests.wallets import deploy_wallet


def first_bundle(http: httpx.Client, batch: dict[str, Any]) -> dict[str, Any]:
    response = http.get(f"/records/{batch['records'][0]['id']}/proof")
    assert response.status_code == 200, response.text
    return response.json()


def anchor_then_rotate_in_one_block(
    http: httpx.Client,
    w3: Web3,
    domain: LedgerDomain,
    factory_id: str,
    key: LocalAccount,
    successor: str,
) -> dict[str, Any]:
    """``key`` signs a batch and the rotation to ``successor``; the service anchors the batch and then
    relays the rotation, both in one block (anchor first). Returns the batch's first proof bundle."""
    body = batch_json(domain, key, example_batch(factory_id))
    rotation = signed_rotation(http, factory_id, key, successor)
    submitted, rotated = in_one_block(
        w3,
        lambda: http.post("/batches", json=body),
        lambda: http.post(f"/factories/{factory_id}/signer", json=rotation),
    )
    assert submitted.status_code == 201, submitted.text
    assert rotated.status_code == 200, rotated.text
    bundle = first_bundle(http, submitted.json())
    history = http.get(f"/factories/{factory_id}").json()["signer_history"]
    assert [e["signer"] for e in history[-2:]] == [key.address, successor]
    assert history[-1]["valid_from_block"] == bundle["anchor"]["block_number"], (history, bundle["anchor"])
    return bundle


def wallet_factory(
    http: httpx.Client, w3: Web3, deployer: LocalAccount, factory_id: str, headers: dict[str, str] = ADMIN
) -> tuple[LocalAccount, str]:
    """A factory registered with a fresh OwnerWallet as its signer; returns the owner key and the wallet."""
    owner = Account.create()
    wallet = deploy_wallet(w3, deployer, owner.address)
    register_factory(http, wallet, factory_id, "Wallet-signed works", headers)
    return owner, wallet
