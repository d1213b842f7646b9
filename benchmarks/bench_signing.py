"""Record hashing and signatures: the per-record and per-message costs in front of every batch and claim.

- record hashes/s: :func:`ledger.records.record_hash` (the EIP-712 struct hash, by hand) over parsed
  15-minute sub-meter records, next to eth-account's generic ``encode_typed_data`` on the same
  records (what a user would otherwise call), hashes compared equal;
- EIP-712 signature recoveries/s through our path (:func:`ledger.claims.recover_claim_signer` →
  :func:`ledger.eip712.typed_data.recover`) with eth-keys on coincurve (libsecp256k1) next to its
  pure-Python backend, and the raw ecrecover rates of both backends; every recovery is checked;
- signatures/s (:func:`ledger.claims.sign_claim`) on both backends.

eth-keys picks its backend per call from ``ECC_BACKEND_CLASS`` (else coincurve when installed), so
:func:`ecc_backend` sets that variable for the duration of one measurement.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys.backends import CoinCurveECCBackend, NativeECCBackend
from eth_keys.datatypes import PrivateKey

from benchmarks.common import Row, timed
from ledger.claims import RetirementClaim, parse_claim, recover_claim_signer, sign_claim
from ledger.eip712.domain import EIP712_DOMAIN_TYPE, LedgerDomain
from ledger.records import RECORD_TYPES, MeasurementRecord, parse_record, record_hash, record_message

SECTION = "records and signatures"
COINCURVE = "eth_keys.backends.CoinCurveECCBackend"
NATIVE = "eth_keys.backends.NativeECCBackend"
PURE_PYTHON = "eth-keys pure-Python backend"
CST = timezone(timedelta(hours=8))
DOMAIN = LedgerDomain(chain_id=31337, verifying_contract="0x" + "5f" * 20)


@contextmanager
def ecc_backend(path: str) -> Iterator[None]:
    """Run the block with eth-keys' backend ``path`` (eth-keys reads the variable on every call)."""
    before = os.environ.get("ECC_BACKEND_CLASS")
    os.environ["ECC_BACKEND_CLASS"] = path
    try:
        yield
    finally:
        if before is None:
            del os.environ["ECC_BACKEND_CLASS"]
        else:
            os.environ["ECC_BACKEND_CLASS"] = before


def records(n: int) -> list[MeasurementRecord]:
    """A month of 15-minute readings from 500 sub-meters; one reading in ten cites its meter photo."""
    start = datetime(2025, 1, 1, tzinfo=CST)
    out = []
    for i in range(n):
        begin = start + timedelta(minutes=15 * (i // 500 % 2976))
        wire: dict[str, object] = {
            "source_id": f"sub-meter-{i % 500:03d}",
            "kind": "grid_electricity",
            "value": f"{(i * 7919) % 40000 / 100:.2f}",
            "unit": "kWh",
            "interval_start": begin.isoformat(),
            "interval_end": (begin + timedelta(minutes=15)).isoformat(),
            "evidence": [{"sha256": f"{i:064x}", "file_name": f"meter-{i % 500:03d}.jpg", "media_type": "image/jpeg"}]
            if i % 10 == 0 else [],
            "salt": "0x" + f"{i * 2654435761 % 2**256:064x}",
        }  # fmt: skip
        out.append(parse_record(wire, factory_id="cn.js.suzhou:F-001", period="2025-01", path=f"records[{i}]"))
    return out


def eth_account_struct_hash(record: MeasurementRecord) -> bytes:
    """The same struct hash through eth-account's generic EIP-712 encoder (the body of the signable)."""
    message = {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **RECORD_TYPES},
        "primaryType": "MeasurementRecord",
        "domain": DOMAIN.as_dict(),
        "message": record_message(record),
    }
    return bytes(encode_typed_data(full_message=message).body)


def rate(fn: Callable[[], object], count: int) -> float:
    seconds, _ = timed(fn)
    return count / seconds


def hashing_rows(quick: bool) -> list[Row]:
    n, generic_n = (10_000, 300) if quick else (100_000, 3_000)
    batch = records(n)
    ours = rate(lambda: [record_hash(r) for r in batch], n)
    sample = batch[:generic_n]
    theirs = rate(lambda: [eth_account_struct_hash(r) for r in sample], generic_n)
    if [eth_account_struct_hash(r) for r in sample[:200]] != [record_hash(r) for r in sample[:200]]:
        raise AssertionError("record_hash differs from eth-account's struct hash")
    return [
        Row(
            SECTION,
            "record hash (EIP-712 struct hash)",
            ours,
            "hashes/s",
            theirs,
            "eth-account encode_typed_data",
            higher_is_better=True,
            note=f"{n:,} parsed 15-min sub-meter records (1 in 10 with evidence); baseline on {generic_n:,} "
            "of them; hashes equal",
        ),
    ]


def signed_claims(n: int) -> tuple[list[tuple[RetirementClaim, bytes]], list[str]]:
    """``n`` different claims, each signed by one of 10 factory keys (signing untimed here)."""
    keys = [Account.create() for _ in range(10)]
    out, signers = [], []
    for i in range(n):
        claim = parse_claim(
            {
                "factory_id": f"cn.js.suzhou:F-{i % 10:03d}", "registry": "GEC", "block_id": f"{32050020230900017 + i}-202501",
                "serial_start": str(i * 100 + 1), "serial_end": str(i * 100 + 100), "consumption_start": "2025-01",
                "consumption_end": "2025-12", "project_id": "32050020230900017", "technology": "offshore wind",
                "quantity": "100", "unit": "MWh", "generation_start": "2024-07", "generation_end": "2024-12",
                "purpose": "renewable electricity consumption claim, Scope 2 market-based, 2025",
                "evidence_sha256": f"{i:064x}", "country": "CN", "cancellation_number": f"CXL-{i}",
                "cancellation_date": "2025-12-31",
            }
        )  # fmt: skip
        key = keys[i % 10]
        out.append((claim, sign_claim(key, DOMAIN, claim)))
        signers.append(key.address)
    return out, signers


def recover_all(claims: Sequence[tuple[RetirementClaim, bytes]], signers: Sequence[str]) -> None:
    for (claim, signature), signer in zip(claims, signers, strict=True):
        if recover_claim_signer(DOMAIN, claim, signature) != signer:
            raise AssertionError(f"recovered the wrong signer for {claim.block_id}")


def signature_rows(quick: bool) -> list[Row]:
    fast_n, slow_n = (300, 30) if quick else (3_000, 200)
    claims, signers = signed_claims(fast_n)
    with ecc_backend(COINCURVE):
        recover_fast = rate(lambda: recover_all(claims, signers), fast_n)
        key = Account.create()
        sign_fast = rate(lambda: [sign_claim(key, DOMAIN, c) for c, _ in claims], fast_n)
    with ecc_backend(NATIVE):
        recover_slow = rate(lambda: recover_all(claims[:slow_n], signers[:slow_n]), slow_n)
        sign_slow = rate(lambda: [sign_claim(key, DOMAIN, c) for c, _ in claims[:slow_n]], slow_n)

    # the bare ECDSA recovery, without EIP-712 encoding: what the backend itself costs
    private = PrivateKey(b"\x07" * 32, backend=CoinCurveECCBackend())
    digests = [bytes([i % 256, i // 256]) * 16 for i in range(fast_n)]
    pairs = [(d, private.sign_msg_hash(d)) for d in digests]
    fast, slow = CoinCurveECCBackend(), NativeECCBackend()
    raw_fast = rate(lambda: [fast.ecdsa_recover(d, s) for d, s in pairs], fast_n)
    raw_slow = rate(lambda: [slow.ecdsa_recover(d, s) for d, s in pairs[:slow_n]], slow_n)
    if any(slow.ecdsa_recover(d, s) != private.public_key for d, s in pairs[:10]):
        raise AssertionError("the pure-Python backend recovered another key")
    return [
        Row(
            SECTION,
            "EIP-712 claim signature recovery",
            recover_fast,
            "recoveries/s",
            recover_slow,
            PURE_PYTHON,
            higher_is_better=True,
            note=f"recover_claim_signer on coincurve over {fast_n:,} different signed claims "
            f"(baseline {slow_n}); encoding the typed data is most of what remains, signers checked",
        ),
        Row(
            SECTION,
            "EIP-712 claim signing",
            sign_fast,
            "signatures/s",
            sign_slow,
            PURE_PYTHON,
            higher_is_better=True,
            note="sign_claim (eth-account sign_typed_data) on coincurve",
        ),
        Row(
            SECTION,
            "ecrecover alone (32-byte digest)",
            raw_fast,
            "recoveries/s",
            raw_slow,
            PURE_PYTHON,
            higher_is_better=True,
            note="eth-keys ecdsa_recover: libsecp256k1 through coincurve",
        ),
    ]


def run(quick: bool = False) -> list[Row]:
    return [*hashing_rows(quick), *signature_rows(quick)]


if __name__ == "__main__":
    started = time.perf_counter()
    for row in run(quick="--quick" in sys.argv):
        print(row)
    print(f"{time.perf_counter() - started:.1f} s")
