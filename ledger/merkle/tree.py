"""A StandardMerkleTree-compatible tree over one batch's record hashes, built once, read many times.

The layout is OpenZeppelin's (``@openzeppelin/merkle-tree`` 1.x, ``core.makeMerkleTree`` and
``MerkleTreeImpl.prepare``), reproduced exactly so that roots and proofs are byte-for-byte those of
the JS library and of any other tool built on it:

* leaves are hashed with :func:`~ledger.merkle.hashing.leaf_hash` and sorted ascending (a stable
  sort, so equal leaves keep their input order, as JS ``Array.prototype.sort`` does);
* the tree is a flat array of ``2n - 1`` nodes, with sorted leaf ``i`` at ``2n - 2 - i`` and inner
  node ``i`` the :func:`~ledger.merkle.hashing.node_hash` of ``2i + 1`` and ``2i + 2``;
* a proof is the sibling of each node on the way from the leaf up to (excluding) the root.

This is a complete binary tree, not a balanced one: leaves sit on the last two levels, so proof
lengths differ by at most one. Nodes are plain ``bytes`` in one list, with no per-node objects,
so cost is dominated by the ``3n`` keccak calls (two per leaf, one per inner node): about 1.5 s
per 100,000 records and 200 MB per million.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import keccak

from ledger.merkle.hashing import HASH_SIZE


class MerkleTree:
    """An immutable tree; build it with :meth:`build`, never through the constructor."""

    __slots__ = ("_tree", "_positions")

    def __init__(self, tree: list[bytes], positions: list[int]) -> None:
        self._tree = tree
        self._positions = positions

    @classmethod
    def build(cls, record_hashes: Sequence[bytes]) -> MerkleTree:
        """Builds the tree of ``record_hashes`` (32 bytes each, in any order, duplicates allowed).

        Raises ``ValueError`` for an empty batch (OZ refuses it too, and the contract rejects a
        zero leaf count) or for an item that is not 32 bytes, naming the item's index.
        """
        n = len(record_hashes)
        if n == 0:
            raise ValueError("cannot build a Merkle tree of zero record hashes")
        hash_ = keccak
        leaves: list[bytes] = []
        append = leaves.append
        for i, h in enumerate(record_hashes):
            if not isinstance(h, (bytes, bytearray, memoryview)) or len(h) != HASH_SIZE:
                size = len(h) if isinstance(h, (bytes, bytearray, memoryview)) else type(h).__name__
                raise ValueError(f"record_hashes[{i}] must be {HASH_SIZE} bytes, got {size}")
            # leaf_hash inlined: abi.encode(["bytes32"], [h]) is h itself (see hashing.leaf_hash).
            append(hash_(hash_(bytes(h))))

        # Stable sort of input indices by leaf: order[j] is the input index of sorted leaf j.
        order = sorted(range(n), key=leaves.__getitem__)
        last = 2 * n - 2
        positions = [0] * n
        for j, i in enumerate(order):
            positions[i] = last - j

        tree: list[bytes] = [b""] * (n - 1)
        tree.extend(leaves[i] for i in reversed(order))
        del leaves, order
        # node_hash inlined (inputs are known-good here): keccak of the pair in ascending order.
        for i in range(n - 2, -1, -1):
            a = tree[2 * i + 1]
            b = tree[2 * i + 2]
            tree[i] = hash_(a + b if a <= b else b + a)
        return cls(tree, positions)

    @property
    def root(self) -> bytes:
        """The 32-byte root that a factory signs and anchors."""
        return self._tree[0]

    @property
    def leaf_count(self) -> int:
        """Number of record hashes the tree was built from, duplicates included."""
        return len(self._positions)

    def leaf(self, index: int) -> bytes:
        """The leaf hash (not the record hash) of the record at ``index`` in the input order."""
        return self._tree[self._position(index)]

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from the leaf of input record ``index`` up to the root.

        The same list OZ's ``getProof(index)`` returns and ``verifyRecord`` accepts; empty for a
        one-leaf tree, whose root is the leaf itself.
        """
        tree = self._tree
        node = self._position(index)
        proof: list[bytes] = []
        while node > 0:
            # Odd positions are left children, their sibling is to the right; even ones the reverse.
            proof.append(tree[node + 1] if node & 1 else tree[node - 1])
            node = (node - 1) >> 1
        return proof

    def _position(self, index: int) -> int:
        if not 0 <= index < len(self._positions):
            raise IndexError(f"record index {index} out of range for {len(self._positions)} leaves")
        return self._positions[index]

    def __repr__(self) -> str:
        return f"MerkleTree(root=0x{self.root.hex()}, leaf_count={self.leaf_count})"
