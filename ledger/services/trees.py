"""The batches' Merkle trees, kept in memory between proofs (bounded by leaves, newest kept)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from ledger.merkle import MerkleTree

TREE_CACHE_LEAVES = 4_000_000
"""Leaves kept across the cached trees (about 130 bytes each); the newest tree always stays."""
TREE_CACHE_TREES = 16


class TreeCache:
    def __init__(self, max_leaves: int = TREE_CACHE_LEAVES, max_trees: int = TREE_CACHE_TREES) -> None:
        self.max_leaves, self.max_trees = max_leaves, max_trees
        self._trees: OrderedDict[str, MerkleTree] = OrderedDict()
        self._leaves = 0
        self._lock = threading.Lock()

    def get(self, batch_id: str, leaves: Callable[[], list[bytes]]) -> MerkleTree:
        """The batch's tree, from the cache or built from ``leaves()`` (its record hashes, in order)."""
        with self._lock:
            tree = self._trees.get(batch_id)
            if tree is not None:
                self._trees.move_to_end(batch_id)
                return tree
        tree = MerkleTree.build(leaves())
        self.remember(batch_id, tree)
        return tree

    def remember(self, batch_id: str, tree: MerkleTree) -> None:
        with self._lock:
            if batch_id in self._trees:
                return
            self._trees[batch_id] = tree
            self._leaves += tree.leaf_count
            while len(self._trees) > self.max_trees or (self._leaves > self.max_leaves and len(self._trees) > 1):
                _, old = self._trees.popitem(last=False)
                self._leaves -= old.leaf_count

    def forget(self, batch_id: str) -> None:
        with self._lock:
            old = self._trees.pop(batch_id, None)
            if old is not None:
                self._leaves -= old.leaf_count
