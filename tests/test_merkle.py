"""ledger.merkle against its two authorities: OZ's JS StandardMerkleTree and BatchAnchors on anvil.

Roots and proofs must be byte-for-byte OZ's (so batches built by either side are interchangeable)
and must pass the contract's ``verifyRecord`` (so anchored batches are provable on-chain). Both
backends, the C extension and the pure-Python fallback, are held to OZ on the same trees.
"""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak

from ledger.chain.client import LedgerClient
from ledger.keccak import NATIVE
from ledger.merkle import MerkleTree, leaf_hash, node_hash, verify
from ledger.merkle.proof import process_proof

PROJECT = Path(__file__).resolve().parents[1]
OZ_SCRIPT = PROJECT / "tests" / "js" / "oz_merkle.mjs"

# Every shape near a power of two (full, one short, one over), then a batch big enough to be deep.
SMALL_SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129]
BIG_SIZE = 3000
CONTRACT_SIZES = [n for n in SMALL_SIZES if n <= 65]
# The pure-Python build always; the C one wherever the extension was built (tests/test_native.py
# fails if a compiler was present and it was not).
BACKENDS = ["python", *(["native"] if NATIVE is not None else [])]


def random_hashes(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def with_duplicates() -> list[bytes]:
    """Repeated record hashes, adjacent and scattered, so equal leaves tie in the sort."""
    a, b, c, d = random_hashes(4, seed=99)
    return [a, b, a, c, a, b, d, c, a, a, d]


def flip(value: bytes, at: int = 0) -> bytes:
    """``value`` with one bit changed at byte ``at``."""
    return value[:at] + bytes([value[at] ^ 0x01]) + value[at + 1 :]


def tampered(proof: list[bytes], record_hash: bytes) -> list[bytes]:
    """A proof that must fail: a sibling changed, or for a one-leaf tree a sibling that isn't there."""
    if not proof:
        return [record_hash]
    return [flip(proof[0]), *proof[1:]]


def hx(b: bytes) -> str:
    return "0x" + b.hex()


def unhex(proof: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(p.removeprefix("0x")) for p in proof]


def oz(values: Sequence[bytes], checks: Sequence[tuple[bytes, bytes, Sequence[bytes]]]) -> dict[str, Any]:
    """One Node run: OZ's root and every getProof for ``values``, and OZ's verdict on ``checks``."""
    request = {
        "values": [hx(v) for v in values],
        "check": [{"root": hx(r), "record_hash": hx(h), "proof": [hx(p) for p in pr]} for r, h, pr in checks],
    }
    return node([str(OZ_SCRIPT)], request, timeout=60)


def node(args: Sequence[str], request: Any, timeout: float) -> Any:
    """Runs Node with ``request`` as JSON on stdin and returns the JSON it prints."""
    done = subprocess.run(
        ["node", *args], input=json.dumps(request), capture_output=True, text=True, cwd=PROJECT,
        timeout=timeout, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --- (a) hashing -------------------------------------------------------------------------------


def test_leaf_hash_is_the_contracts_record_leaf(ledger: LedgerClient) -> None:
    for h in [bytes(32), b"\xff" * 32, *random_hashes(5, seed=1)]:
        expected = keccak(keccak(encode(["bytes32"], [h])))  # the definition, encoder included
        assert leaf_hash(h) == expected
        assert ledger.record_leaf(h) == expected


def test_node_hash_is_commutative_keccak_of_the_sorted_pair() -> None:
    for seed in range(5):
        a, b = random_hashes(2, seed=seed)
        lo, hi = sorted([a, b])
        assert node_hash(a, b) == node_hash(b, a) == keccak(lo + hi)
    same = random_hashes(1, seed=7)[0]
    assert node_hash(same, same) == keccak(same + same)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fixed_vectors_from_oz(backend: str) -> None:
    """Pinned outputs of @openzeppelin/merkle-tree 1.0.8, so a regression shows even without Node."""
    one, two = b"\x11" * 32, b"\x22" * 32
    root = "ddf01ddd376b0754614e249410f966d61b6560ef80e7495eaa08341d4e534a2e"
    assert MerkleTree.build([one], backend=backend).root.hex() == root  # type: ignore[arg-type]
    tree = MerkleTree.build([one, two], backend=backend)  # type: ignore[arg-type]
    assert tree.root.hex() == "cb18cb5843115351c1cf5f505b6c5929e5b4480a0f3666d63f5d885c49f4acad"
    assert [p.hex() for p in tree.proof(0)] == ["0f7e1163c9397953c541dc1b3e1fdde14cb0452e6ee4f9e81cd9665cd5f01774"]
    assert tree.proofs(backend=backend) == [tree.proof(0), tree.proof(1)]  # type: ignore[arg-type]


# --- (b) + (d) the OZ JS library, and our own verify --------------------------------------------


def check_against_oz(values: list[bytes], sample: Sequence[int]) -> None:
    """One Node run per tree; every backend's root and proofs, all of them, must be OZ's."""
    trees = {b: MerkleTree.build(values, backend=b) for b in BACKENDS}  # type: ignore[arg-type]
    tree = trees["python"]
    assert tree.leaf_count == len(values)
    proofs = [tree.proof(i) for i in range(len(values))]
    wrong_root = flip(tree.root)
    checks: list[tuple[bytes, bytes, Sequence[bytes]]] = []
    expected: list[bool] = []
    for i in sample:
        h, p = values[i], proofs[i]
        checks += [(tree.root, h, p), (tree.root, h, tampered(p, h)), (wrong_root, h, p), (tree.root, flip(h), p)]
        expected += [True, False, False, False]

    answer = oz(values, checks)

    theirs_all = [unhex(theirs) for theirs in answer["proofs"]]
    assert len(theirs_all) == len(values)
    for backend, built in trees.items():
        assert answer["root"] == hx(built.root), backend
        for i, (ours, theirs) in enumerate(zip(built.proofs(), theirs_all, strict=True)):
            assert ours == theirs, f"{backend}: proof of input index {i} differs from OZ getProof({i})"
        assert [built.proof(i) for i in sample] == [theirs_all[i] for i in sample], backend
    assert answer["verified"] == expected
    # (d) our verify reaches the same verdicts, and every one of our proofs is valid to us.
    assert [verify(r, h, p) for r, h, p in checks] == expected
    for i, h in enumerate(values):
        assert tree.leaf(i) == leaf_hash(h)
        assert process_proof(tree.leaf(i), proofs[i]) == tree.root
        assert verify(tree.root, h, proofs[i])


@pytest.mark.parametrize("size", SMALL_SIZES)
@pytest.mark.e2e  # runs @openzeppelin/merkle-tree in Node; tests/vectors keeps the unit layer checked
def test_matches_oz_small(size: int) -> None:
    check_against_oz(random_hashes(size, seed=size), sample=range(size))


@pytest.mark.e2e  # runs @openzeppelin/merkle-tree in Node; tests/vectors keeps the unit layer checked
def test_matches_oz_big() -> None:
    values = random_hashes(BIG_SIZE, seed=BIG_SIZE)
    sample = sorted({0, BIG_SIZE - 1, *random.Random(0).sample(range(BIG_SIZE), 200)})
    check_against_oz(values, sample=sample)


@pytest.mark.e2e  # runs @openzeppelin/merkle-tree in Node; tests/vectors keeps the unit layer checked
def test_matches_oz_with_duplicate_record_hashes() -> None:
    values = with_duplicates()
    check_against_oz(values, sample=range(len(values)))
    for backend in BACKENDS:
        tree = MerkleTree.build(values, backend=backend)  # type: ignore[arg-type]
        # Each input index owns its own leaf position, even when the record hash repeats.
        assert len({tree._positions[i] for i in range(len(values))}) == len(values)


# Every size from 1 to 129 in one Node process (one run per size would take half a minute).
OZ_MANY = """
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const trees = JSON.parse(Buffer.concat(chunks).toString('utf8')).map((values) => {
    const tree = StandardMerkleTree.of(values.map((v) => [v]), ['bytes32']);
    return { root: tree.root, proofs: values.map((_, i) => tree.getProof(i)) };
  });
  process.stdout.write(JSON.stringify(trees));
});
"""


@pytest.mark.e2e  # runs @openzeppelin/merkle-tree in Node; tests/vectors keeps the unit layer checked
def test_matches_oz_for_every_size_to_129() -> None:
    batches = [random_hashes(size, seed=1000 + size) for size in range(1, 130)]
    batches.append(with_duplicates() * 3)
    answers = node(["-e", OZ_MANY], [[hx(v) for v in values] for values in batches], timeout=120)
    assert len(answers) == len(batches)
    for values, answer in zip(batches, answers, strict=True):
        theirs = [unhex(p) for p in answer["proofs"]]
        for backend in BACKENDS:
            tree = MerkleTree.build(values, backend=backend)  # type: ignore[arg-type]
            assert hx(tree.root) == answer["root"], (backend, len(values))
            assert tree.proofs() == theirs, (backend, len(values))
            packed = MerkleTree.from_packed(b"".join(values), backend=backend)  # type: ignore[arg-type]
            assert packed.root == tree.root and list(packed.proofs_packed()) == theirs, (backend, len(values))


@pytest.mark.parametrize("backend", BACKENDS)
def test_proof_lengths_are_those_of_a_complete_tree(backend: str) -> None:
    for size in SMALL_SIZES:
        tree = MerkleTree.build(random_hashes(size, seed=size), backend=backend)  # type: ignore[arg-type]
        lengths = {len(p) for p in tree.proofs()}
        floor_log2 = size.bit_length() - 1
        assert lengths <= {floor_log2, floor_log2 + 1}, size


# --- (c) the contract's verifyRecord ------------------------------------------------------------


def check_on_chain(ledger: LedgerClient, values: list[bytes], sample: Sequence[int]) -> None:
    tree = MerkleTree.build(values)  # the default backend: the one the ledger anchors with
    proofs = tree.proofs_packed()
    for i in sample:
        h, p = values[i], proofs[i]
        assert ledger.verify_record(tree.root, h, p), (len(values), i)
        assert not ledger.verify_record(flip(tree.root), h, p)
        assert not ledger.verify_record(tree.root, flip(h, 31), p)
        assert not ledger.verify_record(tree.root, h, tampered(p, h))


def test_contract_accepts_our_proofs_small(ledger: LedgerClient) -> None:
    for size in CONTRACT_SIZES:
        check_on_chain(ledger, random_hashes(size, seed=size), sample=range(size))


def test_contract_accepts_our_proofs_big_and_duplicates(ledger: LedgerClient) -> None:
    sample = sorted({0, BIG_SIZE - 1, *random.Random(1).sample(range(BIG_SIZE), 20)})
    check_on_chain(ledger, random_hashes(BIG_SIZE, seed=BIG_SIZE), sample=sample)
    values = with_duplicates()
    check_on_chain(ledger, values, sample=range(len(values)))


def test_contract_rejects_another_records_proof(ledger: LedgerClient) -> None:
    values = random_hashes(9, seed=9)
    tree = MerkleTree.build(values)
    assert not ledger.verify_record(tree.root, values[0], tree.proof(1))
    assert not verify(tree.root, values[0], tree.proof(1))
    # An inner node passed off as a record hash proves nothing, though it folds to the root as a
    # raw leaf: verify hashes what it is given into a leaf first, as verifyRecord does.
    proof = tree.proof(0)
    inner, sibling = process_proof(tree.leaf(0), proof[:-1]), proof[-1]
    assert process_proof(inner, [sibling]) == tree.root
    assert not verify(tree.root, inner, [sibling])
    assert not ledger.verify_record(tree.root, inner, [sibling])


# --- (e) errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_build_rejects_an_empty_batch(backend: str) -> None:
    with pytest.raises(ValueError, match="zero"):
        MerkleTree.build([], backend=backend)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zero"):
        MerkleTree.from_packed(b"", backend=backend)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", BACKENDS)
def test_build_names_the_bad_item(backend: str) -> None:
    values = random_hashes(4, seed=4)
    values[2] = values[2][:31]
    with pytest.raises(ValueError, match=r"record_hashes\[2\].*got 31"):
        MerkleTree.build(values, backend=backend)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"record_hashes\[0\]"):
        MerkleTree.build(["0x" + "00" * 32], backend=backend)  # type: ignore[list-item, arg-type]
    with pytest.raises(ValueError, match=r"record_hashes must be a multiple of 32 bytes, got 127 bytes"):
        MerkleTree.from_packed(b"".join(values), backend=backend)  # type: ignore[arg-type]


def test_hashing_and_verify_reject_wrong_sizes() -> None:
    good = bytes(32)
    with pytest.raises(ValueError, match="record_hash"):
        leaf_hash(good[:31])
    with pytest.raises(ValueError, match=r"\bb\b"):
        node_hash(good, good + b"\x00")
    with pytest.raises(ValueError, match=r"\ba\b"):
        node_hash(b"", good)
    with pytest.raises(ValueError, match=r"proof\[1\]"):
        verify(good, good, [good, good[:16]])
    with pytest.raises(ValueError, match="root"):
        verify(good[:20], good, [])


@pytest.mark.parametrize("backend", BACKENDS)
def test_proof_index_out_of_range(backend: str) -> None:
    tree = MerkleTree.build(random_hashes(3, seed=3), backend=backend)  # type: ignore[arg-type]
    proofs = tree.proofs_packed()
    for bad in (3, -1):
        with pytest.raises(IndexError):
            tree.proof(bad)
        with pytest.raises(IndexError):
            tree.leaf(bad)
        with pytest.raises(IndexError):
            proofs[bad]


@pytest.mark.parametrize("backend", BACKENDS)
def test_first_duplicate_is_the_first_record_sent_twice_as_a_batch_builder_reports_it(backend: str) -> None:
    hashes = [bytes([i]) * 32 for i in range(40)]
    assert MerkleTree.build(hashes, backend=backend).first_duplicate() is None  # type: ignore[arg-type]
    twice = hashes[:9] + [hashes[3]] + hashes[9:20] + [hashes[1], hashes[3]] + hashes[20:]
    assert MerkleTree.build(twice, backend=backend).first_duplicate() == (9, 3)  # type: ignore[arg-type]
    later = hashes[:25] + [hashes[30]] + hashes[25:]  # the copy comes before the original's position
    assert MerkleTree.build(later, backend=backend).first_duplicate() == (31, 25)  # type: ignore[arg-type]
    assert MerkleTree.build([hashes[0]] * 3, backend=backend).first_duplicate() == (1, 0)  # type: ignore[arg-type]
