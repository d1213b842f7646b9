"""Checking a single-leaf proof the way OZ ``MerkleProof.processProof`` does, without a chain."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.keccak import keccak256
from ledger.merkle.hashing import HASH_SIZE, leaf_hash


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root reached by folding ``proof`` into ``leaf`` with :func:`node_hash`.

    Siblings carry no left/right flag because node hashing is commutative; the result is only
    meaningful when compared against a trusted root.
    """
    if len(leaf) != HASH_SIZE:
        raise ValueError(f"leaf must be {HASH_SIZE} bytes, got {len(leaf)}")
    node = bytes(leaf)
    for i, sibling in enumerate(proof):
        if len(sibling) != HASH_SIZE:
            raise ValueError(f"proof[{i}] must be {HASH_SIZE} bytes, got {len(sibling)}")
        other = bytes(sibling)
        # node_hash inlined (both sides are checked 32-byte values): a batch page checks 500 proofs a view.
        node = keccak256(node + other if node <= other else other + node)
    return node


def verify(root: bytes, record_hash: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` leads from ``record_hash``'s leaf to ``root``, as ``verifyRecord`` decides.

    Takes the record hash, not the leaf, for the same reason the contract does: a caller that could
    hand in a leaf directly could also hand in an inner node and "prove" a record that is not there.
    """
    if len(root) != HASH_SIZE:
        raise ValueError(f"root must be {HASH_SIZE} bytes, got {len(root)}")
    return process_proof(leaf_hash(record_hash), proof) == bytes(root)
