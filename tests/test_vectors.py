"""The committed vectors (tests/vectors/, written by tests/vectors/generate.py from eth-account and
@openzeppelin/merkle-tree) against ledger's record hash, tree, proofs and verify, on every keccak
backend: no Node and no chain needed, so a regression shows in the unit layer."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.keccak import NATIVE
from ledger.merkle import MerkleTree, verify
from ledger.records import parse_batch, record_hash

VECTORS = Path(__file__).resolve().parent / "vectors"
PROJECT = VECTORS.parents[1]
RECORDS: list[dict[str, Any]] = json.loads((VECTORS / "records.json").read_text(encoding="utf-8"))["vectors"]
MERKLE: list[dict[str, Any]] = json.loads((VECTORS / "merkle.json").read_text(encoding="utf-8"))["sets"]
BACKENDS = ["python", *(["native"] if NATIVE is not None else [])]
BUILT = importlib.util.find_spec("ledger._native") is not None
"""Whether the C extension exists (``ZCL_NATIVE=0`` may have turned it off in this process)."""


def b(hex_string: str) -> bytes:
    return bytes.fromhex(hex_string.removeprefix("0x"))


def parsed(vector: dict[str, Any]) -> Any:
    batch = {"factory_id": vector["factory_id"], "period": vector["period"], "revision": 1, "uri": "",
             "records": [vector["record"]]}  # fmt: skip
    return parse_batch(batch)


def test_the_vectors_are_the_ones_promised() -> None:
    assert len(RECORDS) >= 12 and [s["size"] for s in MERKLE] == [1, 2, 3, 4, 5, 7, 8, 33, 100]
    assert {len(v["record"]["evidence"]) for v in RECORDS} >= {0, 1, 2, 3}
    assert any(not v["record"]["source_id"].isascii() for v in RECORDS)
    assert any(v["record"]["value"].endswith("0") and "." in v["record"]["value"] for v in RECORDS)


@pytest.mark.parametrize("vector", RECORDS, ids=[f"{v['record']['kind']}-{v['record']['unit']}" for v in RECORDS])
def test_record_hash_is_eth_accounts(vector: dict[str, Any]) -> None:
    batch = parsed(vector)
    assert record_hash(batch.records[0]) == b(vector["record_hash"])
    assert batch.record_hashes() == [b(vector["record_hash"])]
    assert parsed(json.loads(json.dumps(vector, ensure_ascii=False))).record_hashes() == batch.record_hashes()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("tree", MERKLE, ids=[f"size-{s['size']}" for s in MERKLE])
def test_root_proofs_and_verify_are_openzeppelins(tree: dict[str, Any], backend: str) -> None:
    hashes = [b(h) for h in tree["record_hashes"]]
    built = MerkleTree.build(hashes, backend=backend)  # type: ignore[arg-type]
    root = b(tree["root"])
    assert built.root == root and built.leaf_count == tree["size"]
    expected = [[b(p) for p in proof] for proof in tree["proofs"]]
    assert [built.proof(i) for i in range(tree["size"])] == expected
    assert built.proofs(backend=backend) == expected  # type: ignore[arg-type]
    for h, proof in zip(hashes, expected, strict=True):
        assert verify(root, h, proof)
        assert not verify(root, bytes([h[0] ^ 1]) + h[1:], proof)
    if tree["size"] > 1:
        assert not verify(root, hashes[0], expected[1])


def test_the_tree_of_the_record_vectors_on_both_backends() -> None:
    """The record vectors as one batch's leaves: the backends agree on their root."""
    hashes = [b(v["record_hash"]) for v in RECORDS]
    roots = {backend: MerkleTree.build(hashes, backend=backend).root for backend in BACKENDS}  # type: ignore[arg-type]
    assert len(set(roots.values())) == 1


PROBE = """
import json, sys
from ledger import keccak
from ledger.merkle import MerkleTree
from ledger.records import parse_batch
vectors = json.loads(sys.stdin.read())
hashes = []
for v in vectors["records"]:
    batch = parse_batch({"factory_id": v["factory_id"], "period": v["period"], "revision": 1, "uri": "",
                         "records": [v["record"]]})
    hashes.append("0x" + batch.record_hashes()[0].hex())
roots = ["0x" + MerkleTree.build([bytes.fromhex(h[2:]) for h in s["record_hashes"]]).root.hex()
         for s in vectors["merkle"]]
print(json.dumps({"backend": keccak.BACKEND, "record_hashes": hashes, "roots": roots}))
"""


@pytest.mark.parametrize("native", ["0", "1"], ids=["ZCL_NATIVE=0", "ZCL_NATIVE=1"])
def test_each_keccak_backend_gives_the_vectors(native: str) -> None:
    """``ledger.keccak`` picks its backend once, at import: each one in a fresh interpreter."""
    if native == "1" and not BUILT:
        pytest.skip("the C extension is not built here")
    done = subprocess.run(
        [sys.executable, "-c", PROBE], input=json.dumps({"records": RECORDS, "merkle": MERKLE}), capture_output=True,
        text=True, cwd=PROJECT, env={**os.environ, "ZCL_NATIVE": native}, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["backend"] == ("native" if native == "1" else "python")
    assert got["record_hashes"] == [v["record_hash"] for v in RECORDS]
    assert got["roots"] == [s["root"] for s in MERKLE]
