"""The two hash functions of OpenZeppelin's StandardMerkleTree with leaf encoding ``["bytes32"]``.

Leaves and inner nodes are hashed differently (a leaf is hashed twice, a node once over 64 bytes),
so no inner node can be passed off as a leaf: a second-preimage attack on the tree would need a
64-byte keccak preimage of a leaf's inner hash.
"""

from __future__ import annotations

from ledger.keccak import keccak256 as keccak

HASH_SIZE = 32


def _check(name: str, value: bytes) -> None:
    if not isinstance(value, (bytes, bytearray, memoryview)) or len(value) != HASH_SIZE:
        size = len(value) if isinstance(value, (bytes, bytearray, memoryview)) else type(value).__name__
        raise ValueError(f"{name} must be {HASH_SIZE} bytes, got {size}")


def leaf_hash(record_hash: bytes) -> bytes:
    """The StandardMerkleTree leaf of a record hash: ``keccak(keccak(abi.encode(["bytes32"], [h])))``.

    ``abi.encode`` of one ``bytes32`` is the 32 bytes themselves (a static type, no padding, no
    offset), so the encoding step is the identity; skipping the encoder keeps building a
    million-leaf tree affordable. The test suite checks this identity against ``eth_abi`` and the
    contract's ``recordLeaf``.
    """
    _check("record_hash", record_hash)
    return keccak(keccak(bytes(record_hash)))


def node_hash(a: bytes, b: bytes) -> bytes:
    """Parent of two nodes: keccak of the pair in ascending byte order (OZ ``commutativeKeccak256``).

    Sorting the pair means a proof need not say which side each sibling is on, which is what lets
    ``MerkleProof.verify`` take a bare list of siblings.
    """
    _check("a", a)
    _check("b", b)
    a, b = bytes(a), bytes(b)
    return keccak(a + b if a <= b else b + a)
