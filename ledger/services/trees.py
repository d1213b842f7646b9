"""The batches' Merkle trees for pages and proofs, without rebuilding one on each view.

A batch's tree is persisted when the batch is stored (:mod:`ledger.store.trees`) and kept in memory
between views (bounded by leaves, newest kept). A tree is used only when its root is the batch's
stored root (the one signed and anchored) and its persisted parts match their digest; otherwise, or
when a batch has no persisted tree (stored before there were any), it is rebuilt from the stored
record hashes and persisted again. A rebuilt tree whose root is not the batch's is handed back (the
page shows the mismatch) but never kept.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict

from sqlalchemy.exc import IntegrityError as DuplicateRow
from sqlalchemy.orm import Session, sessionmaker

from ledger.merkle import MerkleTree
from ledger.store import batches as rows
from ledger.store import trees as stored_trees

log = logging.getLogger(__name__)

TREE_CACHE_LEAVES = 4_000_000
"""Leaves kept across the cached trees (about 130 bytes each); the newest tree always stays."""
TREE_CACHE_TREES = 16


class TreeCache:
    def __init__(self, max_leaves: int = TREE_CACHE_LEAVES, max_trees: int = TREE_CACHE_TREES) -> None:
        self.max_leaves, self.max_trees = max_leaves, max_trees
        self._trees: OrderedDict[str, MerkleTree] = OrderedDict()
        self._leaves = 0
        self._lock = threading.Lock()

    def peek(self, batch_id: str) -> MerkleTree | None:
        with self._lock:
            tree = self._trees.get(batch_id)
            if tree is not None:
                self._trees.move_to_end(batch_id)
            return tree

    def remember(self, batch_id: str, tree: MerkleTree) -> None:
        """Keep ``tree`` as the batch's, newest, in place of any it had."""
        with self._lock:
            old = self._trees.pop(batch_id, None)
            if old is not None:
                self._leaves -= old.leaf_count
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


class BatchTrees:
    """Each batch's tree: from memory, else from the database, else rebuilt from its record hashes."""

    def __init__(self, sessions: sessionmaker[Session], cache: TreeCache | None = None) -> None:
        self.sessions = sessions
        self.cache = cache if cache is not None else TreeCache()

    def save(self, session: Session, batch_id: str, tree: MerkleTree) -> None:
        """Persist a new batch's tree in the caller's transaction (the one that stores the batch)."""
        nodes, positions = tree.stored()
        stored_trees.save(session, batch_id, nodes, positions, stored_digest(nodes, positions))

    def remember(self, batch_id: str, tree: MerkleTree) -> None:
        """Keep a just-stored batch's tree in memory too: its first view needs no database read."""
        self.cache.remember(batch_id, tree)

    def get(self, batch_id: str, root: str) -> MerkleTree:
        """The tree of the batch whose stored root is ``root`` (``0x`` hex). Its root is ``root``
        unless the stored record hashes no longer give it: that rebuilt tree is returned, not kept."""
        want = bytes.fromhex(root[2:])
        tree = self.cache.peek(batch_id)
        if tree is not None and tree.root == want:
            return tree
        tree = self._load(batch_id, want)
        if tree is None:
            tree = self.rebuild(batch_id)
            if tree.root != want:
                log.warning(
                    "batch %s: its stored record hashes give root 0x%s, not %s", batch_id, tree.root.hex(), root
                )
                return tree
            self._save(batch_id, tree)
        self.cache.remember(batch_id, tree)
        return tree

    def rebuild(self, batch_id: str) -> MerkleTree:
        """The tree of the batch's stored record hashes, built now (what every view did before)."""
        with self.sessions() as session:
            hashes = rows.record_hashes(session, batch_id)
        return MerkleTree.from_packed(b"".join(bytes.fromhex(h[2:]) for h in hashes))

    def _load(self, batch_id: str, want: bytes) -> MerkleTree | None:
        """The persisted tree, or None when there is none or it is not the batch's (logged: rebuilt)."""
        with self.sessions() as session:
            found = stored_trees.load(session, batch_id)
        if found is None:
            return None
        nodes, positions, digest = found
        problem = None
        if stored_digest(nodes, positions) != digest:
            problem = "does not match its digest"
        else:
            try:
                tree = MerkleTree.from_stored(nodes, positions)
            except ValueError as exc:
                problem = str(exc)
            else:
                if tree.root == want:
                    return tree
                problem = f"has root 0x{tree.root.hex()}, not the batch's 0x{want.hex()}"
        log.warning("batch %s: its persisted tree %s; rebuilding it from the stored record hashes", batch_id, problem)
        return None

    def _save(self, batch_id: str, tree: MerkleTree) -> None:
        try:
            with self.sessions.begin() as session:
                self.save(session, batch_id, tree)
        except DuplicateRow:
            pass  # another view (or instance) persisted the same tree at the same time


def stored_digest(nodes: bytes, positions: bytes) -> str:
    """sha256 (hex) of a persisted tree's parts: a damaged row is found before a proof comes from it."""
    h = hashlib.sha256(nodes)
    h.update(positions)
    return h.hexdigest()
