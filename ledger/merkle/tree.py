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
lengths differ by at most one.

The nodes are kept packed, ``32 * (2n - 1)`` bytes in one ``bytes`` (64 MB per million records,
against three times that as a list of ``bytes`` objects), and the positions as one array of
machine words. Two backends fill them identically: the C extension (``ledger._native``: hashing,
sorting and every proof in C, about a second per million records) and a pure-Python fallback
(``3n`` keccak calls through eth-hash, about 1.5 s per 100,000 records) used when the extension
was not built, under ``ZCL_NATIVE=0``, or when asked for with ``backend="python"``.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator, Sequence
from types import ModuleType

from eth_hash.auto import keccak as _eth_keccak

from ledger import keccak as _keccak
from ledger.keccak import Backend
from ledger.merkle.hashing import HASH_SIZE

BytesLike = bytes | bytearray | memoryview


def _native_for(backend: Backend | None) -> ModuleType | None:
    """The extension module to build with, or None for pure Python."""
    if backend is None:
        return _keccak.NATIVE
    if backend == "python":
        return None
    if backend == "native":
        try:
            from ledger import _native  # type: ignore[attr-defined]
        except ImportError as exc:
            raise ValueError("backend 'native' is not available: ledger._native was not built") from exc
        return _native
    raise ValueError(f"backend must be 'native', 'python' or None, got {backend!r}")


class PackedProofs(Sequence[list[bytes]]):
    """Every record's proof in two flat buffers, as the C extension returns them.

    A million proofs as lists of ``bytes`` would be twenty million objects; packed they are one
    ``bytes`` of siblings (proof ``i`` is siblings ``offsets[i]`` to ``offsets[i + 1]``) that
    reads back as ``list[bytes]`` one proof at a time.
    """

    __slots__ = ("siblings", "offsets")

    def __init__(self, siblings: bytes, offsets: Sequence[int]) -> None:
        self.siblings = siblings
        self.offsets = offsets  # n + 1 entries, in siblings (not bytes)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, index: int) -> list[bytes]:  # type: ignore[override]
        if not isinstance(index, int):
            raise TypeError(f"proof index must be an int, got {type(index).__name__}")
        if not 0 <= index < len(self):
            raise IndexError(f"record index {index} out of range for {len(self)} leaves")
        s = self.siblings
        start, stop = self.offsets[index] * HASH_SIZE, self.offsets[index + 1] * HASH_SIZE
        return [s[k : k + HASH_SIZE] for k in range(start, stop, HASH_SIZE)]

    def __iter__(self) -> Iterator[list[bytes]]:
        for i in range(len(self)):
            yield self[i]


class MerkleTree:
    """An immutable tree; build it with :meth:`build` or :meth:`from_packed`, never the constructor."""

    __slots__ = ("_nodes", "_positions", "_root")

    def __init__(self, nodes: bytes, positions: Sequence[int]) -> None:
        self._nodes = nodes  # (2n - 1) * 32 bytes
        self._positions = positions  # input index -> node index, machine words (array or memoryview)
        self._root = nodes[:HASH_SIZE]

    @classmethod
    def build(cls, record_hashes: Sequence[BytesLike], *, backend: Backend | None = None) -> MerkleTree:
        """Builds the tree of ``record_hashes`` (32 bytes each, in any order, duplicates allowed).

        Raises ``ValueError`` for an empty batch (OZ refuses it too, and the contract rejects a
        zero leaf count) or for an item that is not 32 bytes, naming the item's index.
        ``backend`` pins the implementation (default: the extension when it is available).
        """
        if len(record_hashes) == 0:
            raise ValueError("cannot build a Merkle tree of zero record hashes")
        native = _native_for(backend)
        if native is not None:
            return cls._native_build(native, native.pack_hashes(record_hashes, "record_hashes"))
        for i, h in enumerate(record_hashes):
            if not isinstance(h, (bytes, bytearray, memoryview)) or len(h) != HASH_SIZE:
                size = len(h) if isinstance(h, (bytes, bytearray, memoryview)) else type(h).__name__
                raise ValueError(f"record_hashes[{i}] must be {HASH_SIZE} bytes, got {size}")
        return cls._python_build([bytes(h) for h in record_hashes])

    @classmethod
    def from_packed(cls, record_hashes: BytesLike, *, backend: Backend | None = None) -> MerkleTree:
        """Builds the tree of the record hashes concatenated in one buffer (``32 * n`` bytes).

        The fast path for big batches: no per-hash Python object is ever made.
        """
        size = len(memoryview(record_hashes).cast("B"))
        if size == 0:
            raise ValueError("cannot build a Merkle tree of zero record hashes")
        if size % HASH_SIZE:
            raise ValueError(f"record_hashes must be a multiple of {HASH_SIZE} bytes, got {size} bytes")
        native = _native_for(backend)
        if native is not None:
            return cls._native_build(native, record_hashes)
        packed = bytes(record_hashes)
        return cls._python_build([packed[k : k + HASH_SIZE] for k in range(0, size, HASH_SIZE)])

    @classmethod
    def from_stored(cls, nodes: bytes, positions: bytes) -> MerkleTree:
        """A tree as :meth:`stored` gave it, without hashing anything: the shape is checked (``2n - 1``
        nodes for ``n`` positions, every position a leaf), its hashes are not; check the root (and a
        digest of the parts) before trusting it. Raises ``ValueError`` naming the part that is wrong."""
        if len(positions) == 0 or len(positions) % 8:
            raise ValueError(f"positions must be a positive multiple of 8 bytes, got {len(positions)} bytes")
        words = array("Q")
        words.frombytes(positions)
        if sys.byteorder == "big":
            words.byteswap()
        n = len(words)
        if len(nodes) != (2 * n - 1) * HASH_SIZE:
            raise ValueError(f"nodes must be {(2 * n - 1) * HASH_SIZE} bytes for {n} leaves, got {len(nodes)} bytes")
        if min(words) < n - 1 or max(words) > 2 * n - 2:
            raise ValueError(f"positions must point at the leaves, nodes {n - 1} to {2 * n - 2}")
        return cls(bytes(nodes), words)

    def stored(self) -> tuple[bytes, bytes]:
        """The nodes and the positions (little-endian 64-bit words, whatever the machine), as they are
        persisted: :meth:`from_stored` reads them back on any machine sharing the database."""
        words = array("Q")
        words.frombytes(bytes(self._positions))  # either backend's words, copied through the buffer protocol
        if sys.byteorder == "big":
            words.byteswap()
        return self._nodes, words.tobytes()

    @classmethod
    def _native_build(cls, native: ModuleType, packed: BytesLike) -> MerkleTree:
        nodes, positions = native.merkle_build(packed)
        return cls(nodes, memoryview(positions).cast("Q"))

    @classmethod
    def _python_build(cls, record_hashes: list[bytes]) -> MerkleTree:
        # eth-hash, not ledger.keccak: this is the path taken when the extension is absent, and
        # backend="python" must measure and test exactly that path even when it is present.
        hash_ = _eth_keccak
        n = len(record_hashes)
        # leaf_hash inlined: abi.encode(["bytes32"], [h]) is h itself (see hashing.leaf_hash).
        leaves = [hash_(hash_(h)) for h in record_hashes]

        # Stable sort of input indices by leaf: order[j] is the input index of sorted leaf j.
        order = sorted(range(n), key=leaves.__getitem__)
        last = 2 * n - 2
        positions = array("Q", bytes(8 * n))
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
        return cls(b"".join(tree), positions)

    @property
    def root(self) -> bytes:
        """The 32-byte root that a factory signs and anchors."""
        return self._root

    @property
    def leaf_count(self) -> int:
        """Number of record hashes the tree was built from, duplicates included."""
        return len(self._positions)

    def first_duplicate(self) -> tuple[int, int] | None:
        """``(i, j)``: the first input index ``i`` whose record hash equals that of an earlier ``j``
        (the first such), or None. Read from the sorted leaves, where equal ones are neighbours, so
        a streamed batch needs no set of its hashes to refuse a record sent twice."""
        n, size = self.leaf_count, HASH_SIZE
        nodes = self._nodes
        first, end = (n - 1) * size, (2 * n - 1) * size
        equal: set[int] = set()  # node indices of leaves equal to a neighbour
        previous = nodes[first : first + size]
        for k in range(first + size, end, size):
            current = nodes[k : k + size]
            if current == previous:
                equal.update((k // size - 1, k // size))
            previous = current
        if not equal:
            return None
        groups: dict[bytes, list[int]] = {}
        for i, node in enumerate(self._positions):
            if node in equal:
                groups.setdefault(self._node(node), []).append(i)
        return min((g[1], g[0]) for g in groups.values())

    def leaf(self, index: int) -> bytes:
        """The leaf hash (not the record hash) of the record at ``index`` in the input order."""
        return self._node(self._position(index))

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from the leaf of input record ``index`` up to the root.

        The same list OZ's ``getProof(index)`` returns and ``verifyRecord`` accepts; empty for a
        one-leaf tree, whose root is the leaf itself.
        """
        node = self._position(index)
        proof: list[bytes] = []
        while node > 0:
            # Odd positions are left children, their sibling is to the right; even ones the reverse.
            proof.append(self._node(node + 1 if node & 1 else node - 1))
            node = (node - 1) >> 1
        return proof

    def proofs_packed(self, *, backend: Backend | None = None) -> PackedProofs:
        """Every record's proof, in input order, packed; in C when the extension is available."""
        native = _native_for(backend)
        if native is not None:
            siblings, offsets = native.merkle_proofs(self._nodes, self._positions)
            return PackedProofs(siblings, memoryview(offsets).cast("Q"))
        parts: list[bytes] = []
        offsets = array("Q", [0])
        for i in range(self.leaf_count):
            proof = self.proof(i)
            parts.extend(proof)
            offsets.append(offsets[-1] + len(proof))
        return PackedProofs(b"".join(parts), offsets)

    def proofs(self, *, backend: Backend | None = None) -> list[list[bytes]]:
        """Every record's proof as ``proof(i)`` returns it, for ``i`` in input order."""
        return list(self.proofs_packed(backend=backend))

    def _node(self, position: int) -> bytes:
        start = position * HASH_SIZE
        return self._nodes[start : start + HASH_SIZE]

    def _position(self, index: int) -> int:
        if not 0 <= index < len(self._positions):
            raise IndexError(f"record index {index} out of range for {len(self._positions)} leaves")
        return self._positions[index]

    def __repr__(self) -> str:
        return f"MerkleTree(root=0x{self.root.hex()}, leaf_count={self.leaf_count})"
