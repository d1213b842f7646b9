"""The C extension ``ledger._native`` against eth-hash, and the fallback when it is missing or off.

Every digest the ledger anchors goes through ``ledger.keccak``; a wrong byte at one input length
(say, a padding bug exactly at the 136-byte rate) would silently break every proof of every batch
that happens to hash such an input, so lengths are swept across the rate edges, not sampled.
The trees built in C are compared with OZ in tests/test_merkle.py; here with the pure-Python build.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from eth_hash.auto import keccak as eth_keccak

import ledger.keccak
from ledger.merkle import MerkleTree, verify

CAN_BUILD = sys.byteorder == "little" and bool(shutil.which("cc") or shutil.which("gcc"))
if CAN_BUILD:
    # Not importorskip: where a compiler exists a missing extension is a failed build (optional=True
    # only warns), and every figure would silently be the fallback's, so the module must fail.
    from ledger import _native as native  # type: ignore[attr-defined]
else:
    native = pytest.importorskip("ledger._native", reason="no C compiler: the extension was not built")

PROJECT = Path(__file__).resolve().parents[1]
RATE = 136

PUBLISHED = {
    b"": "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    b"abc": "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
    b"The quick brown fox jumps over the lazy dog": "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15",
    b"The quick brown fox jumps over the lazy dog.": "578951e24efd62a3d63a86f7cd19aaa53c898fe287d2552133220370240b572d",
}


def random_hashes(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def run_python(code: str, **env: str) -> dict[str, object]:
    """Runs ``code`` in a fresh interpreter (the backend is chosen once, at import) and parses the
    JSON it prints."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --- keccak256 -----------------------------------------------------------------------------------


def test_extension_is_built_where_a_compiler_exists() -> None:
    """A silently failed build (optional=True only warns) would make every figure a fallback's."""
    if CAN_BUILD:
        assert ledger.keccak.NATIVE is native or os.environ.get("ZCL_NATIVE") == "0"
        assert "opt64" in native.KECCAK_IMPLEMENTATION or "64-bit" in native.KECCAK_IMPLEMENTATION


def test_published_vectors() -> None:
    for message, digest in PUBLISHED.items():
        assert native.keccak256(message).hex() == digest, message
        assert ledger.keccak.keccak256(message).hex() == digest, message
    # keccak-256 is not SHA3-256: same permutation, different padding byte.
    import hashlib

    assert native.keccak256(b"").hex() != hashlib.sha3_256(b"").hexdigest()


def test_every_length_up_to_700_equals_eth_hash() -> None:
    rng = random.Random(700)
    for length in range(701):
        data = rng.randbytes(length)
        assert native.keccak256(data) == eth_keccak(data), length


@pytest.mark.parametrize("length", [135, 136, 137, 271, 272, 273, 407, 408, 409])
def test_rate_edges_with_patterns(length: int) -> None:
    """At multiples of the rate the padding goes into a block of its own; just below it the two
    padding bytes merge into one (0x81)."""
    for fill in (0x00, 0xFF, 0x01, 0x80):
        data = bytes([fill]) * length
        assert native.keccak256(data) == eth_keccak(data), (length, fill)


def test_buffer_types_and_large_inputs() -> None:
    rng = random.Random(5)
    for length in (0, 32, 64, 1000, 65_536, 1_000_003):  # the last two release the GIL
        data = rng.randbytes(length)
        expected = eth_keccak(data)
        assert native.keccak256(data) == expected
        assert native.keccak256(bytearray(data)) == expected
        assert native.keccak256(memoryview(data)) == expected
        assert ledger.keccak.keccak256(memoryview(data)) == expected
    words = memoryview(bytes(range(64))).cast("Q")  # any contiguous buffer is hashed as its bytes
    assert native.keccak256(words) == eth_keccak(bytes(range(64)))


def test_keccak256_rejects_non_buffers() -> None:
    for bad in ("abc", 1, None, [1, 2]):
        with pytest.raises(TypeError):
            native.keccak256(bad)
    with pytest.raises((TypeError, BufferError)):
        native.keccak256(memoryview(bytes(64))[::2])  # not contiguous


# --- the tree in C ---------------------------------------------------------------------------------


def assert_same_tree(hashes: list[bytes]) -> None:
    c = MerkleTree.build(hashes, backend="native")
    py = MerkleTree.build(hashes, backend="python")
    assert c.root == py.root, len(hashes)
    assert list(c._positions) == list(py._positions), len(hashes)
    assert c._nodes == py._nodes, len(hashes)
    c_proofs = c.proofs(backend="native")
    assert c_proofs == py.proofs(backend="python"), len(hashes)
    assert c_proofs == [py.proof(i) for i in range(len(hashes))]
    assert all(verify(c.root, h, p) for h, p in zip(hashes, c_proofs, strict=True))


def test_native_tree_equals_python_tree_for_every_size_to_129() -> None:
    for size in range(1, 130):
        assert_same_tree(random_hashes(size, seed=size))


def test_native_tree_equals_python_tree_big_and_with_duplicates() -> None:
    assert_same_tree(random_hashes(4099, seed=4099))
    a, b, c = random_hashes(3, seed=3)
    assert_same_tree([a, b, a, c, a, b, c, c, a, a])
    assert_same_tree([a] * 300)  # one run of equal leaves: order by input index alone


def test_packed_constructor_and_packed_proofs() -> None:
    hashes = random_hashes(1000, seed=1)
    packed = b"".join(hashes)
    reference = MerkleTree.build(hashes, backend="python")
    for source in (packed, bytearray(packed), memoryview(packed)):
        for backend in ("native", "python"):
            tree = MerkleTree.from_packed(source, backend=backend)  # type: ignore[arg-type]
            assert tree.root == reference.root
    proofs = MerkleTree.from_packed(packed).proofs_packed()
    assert len(proofs) == 1000
    assert proofs.offsets[0] == 0 and proofs.offsets[1000] * 32 == len(proofs.siblings)
    assert [proofs[i] for i in (0, 499, 999)] == [reference.proof(i) for i in (0, 499, 999)]
    with pytest.raises(IndexError):
        proofs[1000]


def test_native_functions_check_their_arguments() -> None:
    with pytest.raises(ValueError, match=r"record_hashes must be a non-empty multiple of 32 bytes, got 31"):
        native.merkle_build(bytes(31))
    with pytest.raises(ValueError, match=r"record_hashes .* got 0"):
        native.merkle_build(b"")
    with pytest.raises(ValueError, match="record_hashes must be bytes-like"):
        native.merkle_build("00" * 32)
    nodes, positions = native.merkle_build(bytes(96))
    with pytest.raises(ValueError, match="nodes must be 160 bytes for 3 leaves, got 128"):
        native.merkle_proofs(nodes[:128], positions)
    with pytest.raises(ValueError, match="positions must be a non-empty multiple of 8"):
        native.merkle_proofs(nodes, positions[:7])
    bad = bytearray(positions)
    bad[8:16] = (0).to_bytes(8, sys.byteorder)  # the root is not a leaf: would read past the tree
    with pytest.raises(ValueError, match=r"positions\[1\] = 0 is not a leaf position"):
        native.merkle_proofs(nodes, bytes(bad))
    with pytest.raises(ValueError, match=r"hashes\[1\] must be 32 bytes, got 33"):
        native.pack_hashes([bytes(32), bytes(33)], "hashes")
    with pytest.raises(ValueError, match=r"hashes\[0\] must be 32 bytes, got str"):
        native.pack_hashes(["0" * 32], "hashes")


def test_tree_api_errors_are_the_same_on_both_backends() -> None:
    for backend in ("native", "python"):
        with pytest.raises(ValueError, match="zero"):
            MerkleTree.build([], backend=backend)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="zero"):
            MerkleTree.from_packed(b"", backend=backend)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"multiple of 32 bytes, got 33 bytes"):
            MerkleTree.from_packed(bytes(33), backend=backend)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"record_hashes\[1\] must be 32 bytes, got 16"):
            MerkleTree.build([bytes(32), bytes(16)], backend=backend)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="backend must be"):
        MerkleTree.build([bytes(32)], backend="rust")  # type: ignore[arg-type]


def test_build_releases_the_gil() -> None:
    """A tree build in one thread must not stall the others (the API serves requests meanwhile)."""
    import threading
    import time

    packed = random.Random(9).randbytes(32 * 300_000)
    ticks = 0
    done = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        time.sleep(0.01)
        before = ticks
        native.merkle_build(packed)  # ~0.3 s of C
        during = ticks - before
    finally:
        done.set()
        ticker.join()
    # Holding the GIL, the C call would let the ticker run at most once or twice (at the bytecode
    # boundary before the call); released, it ticks all along on the other core.
    assert during > 100, during


# --- the fallback ------------------------------------------------------------------------------------

PROBE = """
import json, random
import ledger.keccak as k
from ledger.merkle import MerkleTree
from ledger.records import hashing
rng = random.Random(42)
data = [rng.randbytes(n) for n in (0, 3, 135, 136, 137, 272, 1000)]
hashes = [rng.randbytes(32) for _ in range(257)]
tree = MerkleTree.build(hashes)
print(json.dumps({
    "backend": k.BACKEND,
    "digests": [k.keccak256(d).hex() for d in data],
    "record_keccak_is_facade": hashing.keccak is k.keccak256,
    "root": tree.root.hex(),
    "proofs": [[p.hex() for p in proof] for proof in tree.proofs()[:5]],
}))
"""


def probe_expected() -> tuple[list[str], str, list[list[str]]]:
    rng = random.Random(42)
    data = [rng.randbytes(n) for n in (0, 3, 135, 136, 137, 272, 1000)]
    hashes = [rng.randbytes(32) for _ in range(257)]
    tree = MerkleTree.build(hashes, backend="native")
    return [eth_keccak(d).hex() for d in data], tree.root.hex(), [[p.hex() for p in tree.proof(i)] for i in range(5)]


def test_in_process_default_is_native() -> None:
    if os.environ.get("ZCL_NATIVE") != "0":
        assert ledger.keccak.BACKEND == "native"
        assert ledger.keccak.keccak256 is native.keccak256


@pytest.mark.parametrize(
    ("env", "prelude", "backend"),
    [
        ({"ZCL_NATIVE": "0"}, "", "python"),  # forced off
        ({"ZCL_NATIVE": "1"}, "import sys; sys.modules['ledger._native'] = None\n", "python"),  # absent
        ({"ZCL_NATIVE": "1"}, "", "native"),
    ],
    ids=["forced-off", "absent", "native"],
)
def test_backends_give_identical_results(env: dict[str, str], prelude: str, backend: str) -> None:
    """Setting ``sys.modules[name] = None`` makes ``import`` raise ImportError, exactly as when the
    shared library is missing, without touching the installed file."""
    got = run_python(prelude + PROBE, **env)
    digests, root, proofs = probe_expected()
    assert got["backend"] == backend
    assert got["digests"] == digests
    assert got["record_keccak_is_facade"] is True
    assert got["root"] == root
    assert got["proofs"] == proofs


def test_asking_for_native_when_absent_names_the_backend() -> None:
    code = (
        "import sys, json; sys.modules['ledger._native'] = None\n"
        "from ledger.merkle import MerkleTree\n"
        "try:\n    MerkleTree.build([bytes(32)], backend='native')\n"
        "except ValueError as e:\n    print(json.dumps(str(e)))\n"
    )
    assert "backend 'native' is not available" in run_python(code)  # type: ignore[operator]
