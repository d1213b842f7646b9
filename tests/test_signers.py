"""The verifiers agree with the contract on who signed (issue 13, item 5).

The signature of an anchor is checked against the signer the contract stored for it (``getAnchor``),
the registry's history only explaining; a contract-wallet signer (ERC-1271) is asked through its
``isValidSignature``. Real anvil, real service, real compiled wallet (tests/contracts/OwnerWallet.sol).
The command line and the JavaScript verifier are held to the same verdicts in test_web_bundle.py and
test_browser.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.verify import verify_bundle
from tests.builders import FACTORY_ID, batch_json, claim_body, claim_json, example_batch
from tests.conftest import Service
from tests.signers import anchor_then_rotate_in_one_block, first_bundle, wallet_factory
from tests.wallets import disable_wallet

WALLET_FACTORY = "CN-WALLET-0001"
ZCL = str(Path(sys.executable).with_name("zcl"))


def _checks(report: dict[str, object]) -> dict[str, object]:
    return {c["name"]: c for c in report["checks"]}  # type: ignore[attr-defined, index]


def test_a_batch_anchored_in_the_block_of_a_later_rotation_is_valid(service: Service, factory: LocalAccount) -> None:
    successor = Account.create().address
    bundle = anchor_then_rotate_in_one_block(
        service.http, service.w3, service.ledger.domain(), FACTORY_ID, factory, successor
    )
    ledger, block = service.ledger, bundle["anchor"]["block_number"]
    signature = bytes.fromhex(bundle["batch_signature"][2:])
    # the contract: the anchor's stored signer is the old key, and it calls the signature valid ...
    assert ledger.get_anchor(FACTORY_ID, bundle["period"], 1).signer == factory.address
    assert ledger.is_anchor_signature_valid(FACTORY_ID, bundle["period"], 1, signature)
    # ... although the key in force at the end of that block is the new one
    assert ledger.signer_at(FACTORY_ID, block) == successor

    report = verify_bundle(bundle, service.w3, expected_contract=ledger.address)
    assert report.valid, report.to_json()
    detail = _checks(report.to_json())["signature"]["detail"]  # type: ignore[index]
    assert factory.address in detail and successor in detail and "same block" in detail, detail

    served = service.http.post("/verify", json=bundle)
    assert served.status_code == 200 and served.json()["valid"], served.text

    # the same signature names the old key as the signer, never the new one
    tampered = bundle | {"batch_signature": "0x" + Account.create().unsafe_sign_hash(b"\x01" * 32).signature.hex()}
    refused = verify_bundle(tampered, service.w3, expected_contract=ledger.address)
    assert refused.first_failure is not None and refused.first_failure.name == "signature"
    assert factory.address in refused.first_failure.detail


def test_a_contract_wallet_signs_batches_and_claims_end_to_end(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    deployer = new_account()
    owner, wallet = wallet_factory(service.http, service.w3, deployer, WALLET_FACTORY)
    ledger = service.ledger

    response = service.http.post("/batches", json=batch_json(ledger, owner, example_batch(WALLET_FACTORY)))
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["signer"] == wallet and batch["status"] == "anchored", batch
    assert ledger.get_anchor(WALLET_FACTORY, batch["period"], 1).signer == wallet

    claimed = service.http.post("/claims", json=claim_json(ledger, owner, claim_body(WALLET_FACTORY, 1, 100)))
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["signer"] == wallet and ledger.get_claim(claimed.json()["claim_id"]).signer == wallet

    bundle = first_bundle(service.http, batch)
    report = verify_bundle(bundle, service.w3, expected_contract=ledger.address)
    assert report.valid, report.to_json()
    detail = _checks(report.to_json())["signature"]["detail"]  # type: ignore[index]
    assert wallet in detail and "ERC-1271" in detail, detail
    served = service.http.post("/verify", json=bundle)
    assert served.status_code == 200 and served.json()["valid"], served.text

    # anyone else's signature is refused before it costs gas, naming the wallet
    stranger = Account.create()
    for path, body in (
        ("/batches", batch_json(ledger, stranger, example_batch(WALLET_FACTORY, revision=2))),
        ("/claims", claim_json(ledger, stranger, claim_body(WALLET_FACTORY, 101, 200))),
    ):
        refused = service.http.post(path, json=body)
        assert refused.status_code == 403 and wallet in refused.json()["detail"], (path, refused.text)

    # a wallet's answer can change; the verifier then agrees with the contract that it no longer vouches
    disable_wallet(service.w3, deployer, wallet)
    signature = bytes.fromhex(bundle["batch_signature"][2:])
    assert not ledger.is_anchor_signature_valid(WALLET_FACTORY, bundle["period"], 1, signature)
    report = verify_bundle(bundle, service.w3, expected_contract=ledger.address)
    assert report.first_failure is not None and report.first_failure.name == "signature", report.to_json()
    assert wallet in report.first_failure.detail


@pytest.mark.e2e
def test_zcl_verify_agrees(
    service: Service, factory: LocalAccount, new_account: Callable[[], LocalAccount], rpc_url: str, tmp_path: Path
) -> None:
    """`zcl verify` (a subprocess reading the chain alone) calls both situations valid, and a disabled
    wallet's anchor invalid at `signature`, exiting 1 with one line."""
    rotated = anchor_then_rotate_in_one_block(
        service.http, service.w3, service.ledger.domain(), FACTORY_ID, factory, Account.create().address
    )
    deployer = new_account()
    owner, wallet = wallet_factory(service.http, service.w3, deployer, WALLET_FACTORY)
    response = service.http.post("/batches", json=batch_json(service.ledger, owner, example_batch(WALLET_FACTORY)))
    assert response.status_code == 201, response.text
    by_wallet = first_bundle(service.http, response.json())
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZCL_")} | {"ZCL_DATA_DIR": str(tmp_path / "data")}

    def zcl_verify(bundle: dict[str, object], name: str) -> subprocess.CompletedProcess[str]:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(bundle))
        args = [ZCL, "verify", str(path), "--rpc-url", rpc_url, "--contract", service.ledger.address]
        return subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)

    for name, bundle, said in (("rotated", rotated, "same block"), ("wallet", by_wallet, "ERC-1271")):
        result = zcl_verify(bundle, name)
        assert result.returncode == 0, result.stderr
        assert "valid (latest revision)" in result.stdout and said in result.stdout, result.stdout
    disable_wallet(service.w3, deployer, wallet)
    result = zcl_verify(by_wallet, "disabled")
    assert result.returncode == 1 and result.stderr.startswith("zcl: invalid: signature: "), result.stderr
    assert wallet in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
