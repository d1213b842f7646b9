"""Hourly matching's proofs: allocation leaves, the run document, its "H" anchor and the bundle.

The leaf is checked against eth-account's own EIP-712 encoder and the tree against OpenZeppelin's
StandardMerkleTree (node), so a piece proves with any EIP-712 and OZ tooling; the bundle is
verified against a real anvil where the run is anchored as an evaluator-signed "H" report and the
claim it cites is on chain.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from eth_account._utils.encode_typed_data.encoding_and_hashing import hash_struct
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.client import LedgerClient
from ledger.eip712 import RetirementClaim
from ledger.eip712.retirement_claim import ClaimDetails
from ledger.hourly import leaves
from ledger.hourly.bundle import CHECK_NAMES, allocation_bundle, verify_bundle
from ledger.hourly.errors import HourlyError
from ledger.hourly.model import MWH, Allocation, ClaimInput, HourTotals, MatchingResult, PieceKind, Span
from ledger.hourly.run import EMPTY_ROOT, cfe_level, document_hash, report_commit, run_document
from ledger.merkle import verify

PROJECT = Path(__file__).resolve().parents[1]
FACTORY = "CN-91320500MA1HOUR01X"
SPAN = Span.year(2025)
RULES = {
    "deliverability": "deliverability@1", "load_profiles": "load-profiles@1", "validity": "certificate-validity@1",
    "measurement_methods": "measurement-methods@1", "factor_set": "cn-mee-2023@2025.1",
}  # fmt: skip


def claim(claim_id: int, serial_start: int, registry: str = "GEC", block_id: str = "B-2025-001") -> ClaimInput:
    return ClaimInput(claim_id, registry, block_id, serial_start, serial_start + 9, "P-1", "2025-06", "2025-06",
                      "2027-06-30", "2025-06", usable=True)  # fmt: skip


def result(claims: tuple[ClaimInput, ...], rows: list[tuple[int, int, int, int, int, PieceKind]]) -> MatchingResult:
    """A run whose allocation is ``rows`` of (claim index, unit offset, hour, energy, allocated, kind)."""
    cols = list(zip(*rows, strict=True))
    allocation = Allocation(
        np.array(cols[0], np.int32), np.array(cols[1], np.int64), np.array(cols[2], np.int32),
        np.array(cols[3], np.int64), np.array(cols[4], np.int64), np.array([int(k) for k in cols[5]], np.int8),
    )  # fmt: skip
    zero = np.zeros(SPAN.hours, np.int64)
    hours = HourTotals(zero, zero, zero, zero, zero, zero, zero, np.ones(SPAN.hours, bool), zero, zero)
    return MatchingResult(SPAN, claims, hours, allocation)


def random_result(n: int, seed: int) -> MatchingResult:
    """``n`` pieces over two claims, one with serials across 2**64 (the 256-bit serial's carry)."""
    rng = np.random.default_rng(seed)
    claims = (claim(3, 2**64 - n // 2), claim(2**40, 17, "I-REC", "0000-0001-0000"))
    energy = rng.integers(1, MWH, n)
    return result(claims, [
        (int(c), i, int(h), int(e), int(e * f), PieceKind(int(k)))
        for i, (c, h, e, f, k) in enumerate(zip(rng.integers(0, 2, n), np.sort(rng.integers(0, SPAN.hours, n)), energy,
                                                rng.random(n), rng.integers(0, 3, n), strict=True))
    ])  # fmt: skip


def eth_account_hash(fields: dict[str, Any]) -> bytes:
    message = {
        "factoryId": fields["factory_id"], "claimId": int(fields["claim_id"]), "registry": fields["registry"],
        "blockId": fields["block_id"], "serial": int(fields["serial"]), "hourStart": fields["hour_start"],
        "energy": fields["energy"], "allocated": fields["allocated"], "piece": fields["piece"],
    }  # fmt: skip
    return hash_struct("HourAllocation", leaves.LEAF_TYPES, message)


def test_the_leaf_is_eth_accounts_eip712_struct_hash_and_serials_carry_past_64_bits() -> None:
    run = random_result(64, seed=1)
    hashes = leaves.allocation_hashes(run, FACTORY)
    assert len(hashes) == 64 and len(set(hashes)) == 64
    serials = set()
    for i in range(64):
        fields = leaves.leaf_fields(run, FACTORY, i)
        serials.add(int(fields["serial"]))
        assert eth_account_hash(fields) == hashes[i] == leaves.allocation_hash(fields), i
    assert min(serials) < 2**64 <= max(serials)  # the claim's serials cross 2**64
    with pytest.raises(HourlyError, match="serial") as refused:
        leaves.allocation_hash(leaves.leaf_fields(run, FACTORY, 0) | {"serial": "007"})
    assert refused.value.field == "serial"
    with pytest.raises(HourlyError) as too_much:
        leaves.allocation_hash(leaves.leaf_fields(run, FACTORY, 0) | {"allocated": MWH + 1, "energy": MWH})
    assert too_much.value.field == "allocated"


def oz_root(hashes: list[bytes]) -> str:
    request = {"records": [{"record_hash": "0x" + h.hex()} for h in hashes]}
    done = subprocess.run(["node", "scripts/oz-root.mjs"], input=json.dumps(request), capture_output=True, text=True,
                          cwd=PROJECT, timeout=60, check=True)  # fmt: skip
    return done.stdout.strip()


def test_the_tree_is_ozs_and_a_proof_fails_when_one_field_changes() -> None:
    run = random_result(1000, seed=2)
    tree = leaves.allocation_tree(run, FACTORY)
    assert oz_root(leaves.allocation_hashes(run, FACTORY)) == "0x" + tree.root.hex()
    for i in (0, 1, 499, 999):
        fields = leaves.leaf_fields(run, FACTORY, i)
        proof = leaves.allocation_proof(tree, i)
        assert verify(tree.root, leaves.allocation_hash(fields), proof)
        for name, changed in (("allocated", fields["allocated"] // 2 + 1 if fields["allocated"] != 1 else 0),
                              ("hour_start", fields["hour_start"] + 3600), ("serial", str(int(fields["serial"]) + 1)),
                              ("factory_id", FACTORY + "X"), ("piece", (fields["piece"] + 1) % 3)):  # fmt: skip
            assert changed != fields[name]
            assert not verify(tree.root, leaves.allocation_hash(fields | {name: changed}), proof), (i, name)


def test_the_document_hash_and_the_level() -> None:
    run = random_result(10, seed=3)
    tree = leaves.allocation_tree(run, FACTORY)
    doc = document(tree.root, 10, "0.412789")
    assert document_hash(doc) == document_hash(json.loads(json.dumps(doc)))  # the JSON round trip keeps it
    assert document_hash(doc) != document_hash(doc | {"year": 2024})
    assert doc["allocations"] == {"root": "0x" + tree.root.hex(), "count": 10, "leaf_type": leaves.LEAF_TYPE}
    commit = report_commit(doc, "0x" + "11" * 20)
    assert (commit.report_type, commit.level, commit.rule_set, commit.factor_set) == (
        "H", "CFE 41.27%", "hourly-matching@1", "cn-mee-2023@2025.1")  # fmt: skip
    # rounded down, never up: 0.999999 is not 100 %
    assert [cfe_level(c) for c in ("0.999999", "1", "0", None)] == ["CFE 99.99%", "CFE 100.00%", "CFE 0.00%", "CFE —"]
    with pytest.raises(HourlyError) as missing:
        run_document(FACTORY, 2025, doc["results"], doc["inputs"], RULES | {"validity": "latest"}, doc["parameters"],
                     tree.root, 10)  # fmt: skip
    assert missing.value.field == "rules.validity"


def test_a_run_without_pieces_commits_to_the_zero_root_and_only_to_it() -> None:
    """On-site output alone still gives a score: the run names no piece (root 32 zero bytes, count 0);
    a zero root with pieces, or pieces without a root, is refused."""
    empty = document(EMPTY_ROOT, 0, "0.25")
    assert empty["allocations"]["root"] == "0x" + "00" * 32 and empty["allocations"]["count"] == 0
    assert report_commit(empty, "0x" + "11" * 20).level == "CFE 25.00%"
    tree = leaves.allocation_tree(random_result(3, seed=5), FACTORY)
    for root, count in ((EMPTY_ROOT, 3), (tree.root, 0)):
        with pytest.raises(HourlyError) as bad:
            document(root, count, "0.25")
        assert bad.value.field == "allocations.root"


def document(root: bytes, count: int, cfe: str | None, factory_id: str = FACTORY) -> dict[str, Any]:
    summary = {"span": {"start": "2025-01-01T00:00:00+08:00", "hours": SPAN.hours, "utc_offset": "+08:00"},
               "cfe": {"year": cfe, "months": {}, "days": {}}}  # fmt: skip
    inputs = {"batches": [f"{factory_id}/2025-06/r1@0x" + "ab" * 32], "profiles": [], "claims": []}
    return run_document(factory_id, 2025, summary, inputs, RULES, {"order": "expiry,vintage,serial", "unit": "mWh"},
                        root, count)  # fmt: skip


# --- on a real anvil ----------------------------------------------------------------------------


@pytest.fixture
def anchored(ledger: LedgerClient, new_account: Callable[[], LocalAccount], w3: Web3) -> dict[str, Any]:
    """A run anchored as an "H" report, pieces of an on-chain claim, and the bundle of that claim's pieces."""
    factory = new_account()
    ledger.register_factory(FACTORY, factory.address)
    evaluator = new_account()
    ledger.grant_evaluator(evaluator.address)
    details = ClaimDetails("P-1", "wind", "10", "MWh", "2025-06", "2025-06", "hourly test", b"\xab" * 32)
    retirement = RetirementClaim(FACTORY, "GEC", "B-2025-001", 5000, 5009, "2025-01", "2025-12", details)
    claim_id, _ = ledger.claim_retirement(retirement, retirement.sign(factory, ledger.domain()))
    hour = SPAN.index(1748739600)  # 2025-06-01 09:00 +08:00
    claims = (claim(claim_id, 5000), claim(claim_id + 1, 1, "I-REC", "OTHER"))
    run = result(claims, [
        (0, 0, hour, MWH, 600_000_000, PieceKind.WHOLE),
        (1, 0, hour, MWH, 0, PieceKind.WHOLE),  # another claim's piece, in the same tree
        (0, 1, hour + 1, 400_000_000, 400_000_000, PieceKind.REMAINDER),
        (0, 1, hour + 2, 600_000_000, 250_000_000, PieceKind.FILLER),
    ])  # fmt: skip
    tree = leaves.allocation_tree(run, FACTORY)
    doc = document(tree.root, 4, "0.412789")
    commit = report_commit(doc, evaluator.address)
    signature = commit.sign(evaluator, ledger.domain())
    report_id, tx = ledger.anchor_report(commit, signature)
    anchor = {"report_id": report_id, "tx_hash": tx.tx_hash, "chain_id": w3.eth.chain_id, "contract": ledger.address,
              "evaluator": evaluator.address}  # fmt: skip
    pieces = [(leaves.leaf_fields(run, FACTORY, i), leaves.allocation_proof(tree, i)) for i in (0, 2, 3)]
    bundle = allocation_bundle(doc, signature, anchor, claims[0], pieces)
    return {"bundle": json.loads(json.dumps(bundle)), "commit": commit, "evaluator": evaluator, "factory": factory}


def failed(report: Any) -> str | None:
    failure = report.first_failure
    return None if failure is None else failure.name


def test_an_anchored_runs_bundle_verifies_and_tampering_names_the_check(
    anchored: dict[str, Any], ledger: LedgerClient, w3: Web3, new_account: Callable[[], LocalAccount]
) -> None:
    bundle = anchored["bundle"]
    report = verify_bundle(bundle, w3, expected_contract=ledger.address)
    assert report.valid, report.to_json()
    assert [c.name for c in report.checks] == list(CHECK_NAMES) and report.superseded_by is None
    assert "1250000000 mWh allocated" in report.checks[2].detail  # 0.6 + 0.4 + 0.25 MWh

    def tampered(change: Callable[[dict[str, Any]], None]) -> str | None:
        copy = deepcopy(bundle)
        change(copy)
        return failed(verify_bundle(copy, w3, expected_contract=ledger.address))

    assert tampered(lambda b: b["pieces"][0]["fields"].update(allocated=700_000_000)) == "root"
    assert tampered(lambda b: b["pieces"][1]["proof"].__setitem__(0, "0x" + "00" * 32)) == "root"
    assert tampered(lambda b: b["document"]["results"]["cfe"].update(year="0.9")) == "document"
    assert tampered(lambda b: b["pieces"][0]["fields"].update(serial="5010")) == "pieces"  # outside the claim
    assert tampered(lambda b: b["anchor"].update(report_id=99)) == "report"
    assert tampered(lambda b: b.update(signature="0x" + "00" * 65)) == "signature"
    assert tampered(lambda b: b.update(type="zcl-proof-bundle/1")) == "bundle"
    other = new_account().address
    assert failed(verify_bundle(bundle, w3, expected_contract=other)) == "contract"

    # the same pieces re-anchored in a later run: the first is still valid, and says it is superseded
    later = anchored["commit"]
    later = type(later)(later.factory_id, later.year, "H", later.level, b"\x01" * 32, later.factor_set, later.rule_set,
                        later.evaluator)  # fmt: skip
    newer_id, _ = ledger.anchor_report(later, later.sign(anchored["evaluator"], ledger.domain()))
    again = verify_bundle(bundle, w3, expected_contract=ledger.address)
    assert again.valid and again.superseded_by == newer_id

    # the claim revoked: its units are free, so the pieces prove nothing of it any more
    ledger.revoke_claim(int(bundle["claim"]["claim_id"]), b"\x02" * 32)
    assert failed(verify_bundle(bundle, w3, expected_contract=ledger.address)) == "claim"


def test_an_unreachable_node_could_not_check(anchored: dict[str, Any]) -> None:
    report = verify_bundle(
        anchored["bundle"], Web3(Web3.HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 2}))
    )
    assert failed(report) == "chain" and report.could_not_check
    assert [c.ok for c in report.checks[:4]] == [True] * 4


def test_zcl_verify_takes_a_matching_claim(anchored: dict[str, Any], ledger: LedgerClient, tmp_path: Path) -> None:
    from tests.test_cli import base_env, one_error_line, zcl

    env, node = (
        base_env(ZCL_DATA_DIR=str(tmp_path / "data"), LANG="C.UTF-8"),
        ("--rpc-url", ledger.w3.provider.endpoint_uri),
    )  # type: ignore[attr-defined]
    (tmp_path / "claim.json").write_text(json.dumps(anchored["bundle"]))
    valid = zcl("verify", "claim.json", *node, "--contract", ledger.address, env=env, cwd=tmp_path)
    assert valid.stdout.splitlines()[-1] == "valid (latest matching run)"
    assert [line.split()[1] for line in valid.stdout.splitlines()[:-1]] == list(CHECK_NAMES)

    forged = deepcopy(anchored["bundle"])
    forged["pieces"][0]["fields"]["allocated"] = 1_000_000_000
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    invalid = zcl("verify", "forged.json", *node, "--contract", ledger.address, env=env, cwd=tmp_path, code=1)
    assert one_error_line(invalid).startswith("zcl: invalid: root: pieces[0]'s proof leads to 0x")
    closed = zcl("verify", "claim.json", "--rpc-url", "http://127.0.0.1:9", env=env, cwd=tmp_path, code=3)
    assert one_error_line(closed).startswith("zcl: could not check: chain: ")


NODE_HASHES = """
import { readFileSync } from 'node:fs';
const { allocationHash, documentHash } = await import('./web/src/hourly.js');
const { pieces, doc } = JSON.parse(readFileSync(0, 'utf8'));
console.log(JSON.stringify({ leaves: pieces.map(allocationHash), document: documentHash(doc) }));
"""


def test_the_browsers_leaf_and_document_hash_are_pythons() -> None:
    """web/src/hourly.js (ethers' EIP-712, a JSON writer of its own) against leaves.py and run.py: serials
    past 2**64, and a document whose text needs escaping or is not ASCII, sorted as Python sorts keys."""
    run = random_result(40, seed=4)
    pieces = [leaves.leaf_fields(run, FACTORY, i) for i in range(40)]
    doc = document(leaves.allocation_tree(run, FACTORY).root, 40, "0.5")
    doc["inputs"]["claims"] = [
        {"claim_id": 3, "note": 'GEC 绿证 "B"\n\t\\ \u0001 \u2028 ü 😀', "Z": None, "a": [True, 0]}
    ]
    doc["results"]["hourly"] = {"load": [0, 10**15, 7], "known": "ff"}
    done = subprocess.run(["node", "--input-type=module", "-e", NODE_HASHES], input=json.dumps({"pieces": pieces, "doc": doc}),
                          capture_output=True, text=True, cwd=PROJECT, timeout=60, check=True)  # fmt: skip
    answer = json.loads(done.stdout)
    assert answer["leaves"] == ["0x" + h.hex() for h in leaves.allocation_hashes(run, FACTORY)]
    assert answer["document"] == "0x" + document_hash(doc).hex()
