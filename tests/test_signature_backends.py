"""Signature recovery gives the same answers on coincurve (libsecp256k1) and eth-keys' pure-Python
backend, through our EIP-712 path: right signers, the same wrong signer for a tampered message, and
the same refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from eth_account import Account
from eth_keys.backends import CoinCurveECCBackend, get_backend

from ledger.claims import parse_claim, recover_claim_signer, sign_claim
from ledger.eip712.domain import LedgerDomain
from ledger.eip712.retirement_claim import typed_data
from ledger.eip712.typed_data import SECP256K1_N, recover, sign

BACKENDS = ("eth_keys.backends.CoinCurveECCBackend", "eth_keys.backends.NativeECCBackend")
EXAMPLE = json.loads((Path(__file__).resolve().parents[1] / "examples" / "claims" / "gec-2025-01.json").read_text())
DOMAIN = LedgerDomain(chain_id=31337, verifying_contract="0x" + "5f" * 20)


def test_coincurve_is_what_eth_keys_uses_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECC_BACKEND_CLASS", raising=False)
    assert isinstance(get_backend(), CoinCurveECCBackend)


def answers(backend: str, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every recovery result (or the refusal's type) for a fixed set of signatures, on ``backend``."""
    monkeypatch.setenv("ECC_BACKEND_CLASS", backend)
    assert type(get_backend()).__name__ == backend.rsplit(".", 1)[1]
    claim = parse_claim(EXAMPLE)
    out: list[object] = []
    for seed in range(1, 6):
        key = Account.from_key(bytes([seed]) * 32)
        variant = replace(claim, serial_start=claim.serial_start + seed, serial_end=claim.serial_end + seed)
        signature = sign_claim(key, DOMAIN, variant)
        out.append(signature)
        out.append(recover_claim_signer(DOMAIN, variant, signature))
        out.append(recover(typed_data(DOMAIN, variant), signature))
        tampered = replace(variant, consumption_end="2025-02")
        out.append(recover_claim_signer(DOMAIN, tampered, signature))
        r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
        high_s = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
        for bad in (high_s, b"\x00" * 65, signature[:64]):
            try:
                out.append(recover(typed_data(DOMAIN, variant), bad))
            except Exception as exc:  # the refusal must be the same kind on both backends
                out.append(type(exc).__name__)
    return out


def test_both_backends_recover_identically(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = (answers(backend, monkeypatch) for backend in BACKENDS)
    assert fast == slow
    claim = parse_claim(EXAMPLE)
    key = Account.from_key(b"\x01" * 32)
    assert fast[1] == fast[2] == key.address  # the right signer, through both functions
    assert fast[3] != key.address  # a tampered claim recovers someone else, the same someone on both
    assert fast[4] == "ValueError"  # high-s refused before any backend runs
    assert (
        sign(
            key,
            typed_data(DOMAIN, replace(claim, serial_start=claim.serial_start + 1, serial_end=claim.serial_end + 1)),
        )
        == fast[0]
    )
