"""Merkle trees over a batch's record hashes, laid out exactly as OpenZeppelin's StandardMerkleTree.

A batch root computed here must equal the root the OZ JavaScript library computes and must verify
on-chain with ``BatchAnchors.verifyRecord``; any divergence in leaf encoding, pair ordering or tree
shape would make anchored batches unprovable, so this package mirrors OZ rather than inventing.
"""

from ledger.merkle.hashing import leaf_hash, node_hash
from ledger.merkle.proof import process_proof, verify
from ledger.merkle.tree import MerkleTree

__all__ = ["MerkleTree", "leaf_hash", "node_hash", "process_proof", "verify"]
