"""Merkle tree + every proof, and keccak throughput, next to what they are measured against.

(i) Tree build + all proofs for 10^4, 10^5, 10^6 random record hashes (quick: 10^3, 10^4): ours
is ``MerkleTree.build(list of 32-byte bytes)`` then ``proofs_packed()`` (every input index's
proof, materialised in one buffer), through the C extension; the baseline is
``@openzeppelin/merkle-tree``'s ``StandardMerkleTree.of(values, ["bytes32"])`` then
``getProof(i)`` for every ``i``, in Node (benchmarks/oz_tree.mjs) on the same hashes, warmed up,
its proofs kept. Roots, and the proofs of the first, middle and last record, must be equal or
the benchmark raises. The pure-Python fallback is timed at 10^5 (quick: 10^4) for reference.

(ii) keccak: the machine's native keccak-f[1600] rate is ``hashlib.sha3_256`` (OpenSSL) over
64 MiB, bytes/s / 136 (SHA3-256 and keccak-256 share the permutation and the 136-byte rate, and
differ only in a padding bit). Against it: permutations/s inside the 10^6 tree build (every hash
there is one permutation: 32 or 64 bytes in), ``keccak256()`` called from Python per 32-byte
hash, and ``keccak256()`` over the same 64 MiB. eth-hash, the library the ledger used before, is
the baseline of the per-call figure.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eth_hash.auto import keccak as eth_keccak

from benchmarks.common import Row, timed
from ledger.keccak import BACKEND, keccak256
from ledger.merkle import MerkleTree

PROJECT = Path(__file__).resolve().parents[1]
OZ_SCRIPT = PROJECT / "benchmarks" / "oz_tree.mjs"
OZ = "@openzeppelin/merkle-tree 1.0.8 (Node)"
TREE = "Merkle tree"
KECCAK = "keccak"
RATE = 136
TARGET_TREE_S = 2.0  # 10^6 hashes, build + all proofs
TARGET_SPEEDUP = 50.0
BULK = 64 * 1024 * 1024


def power(n: int) -> str:
    return f"10^{len(str(n)) - 1}" if n > 0 and str(n).strip("0") == "1" else f"{n:,}"


def best_of(repeats: int, fn) -> tuple[float, object]:  # noqa: ANN001 - a thunk
    best, result = float("inf"), None
    for _ in range(repeats):
        seconds, result = timed(fn)
        best = min(best, seconds)
    return best, result


def oz_tree(packed: bytes, samples: list[int]) -> dict[str, object]:
    """OZ's root, build and proof times, and sampled proofs, from one Node process."""
    with tempfile.NamedTemporaryFile(prefix="zcl-hashes-", suffix=".bin") as f:
        f.write(packed)
        f.flush()
        done = subprocess.run(
            ["node", "--max-old-space-size=8192", str(OZ_SCRIPT), f.name, *map(str, samples)],
            capture_output=True,
            text=True,
            cwd=PROJECT,
            timeout=3600,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"oz_tree.mjs failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def ours(hashes: list[bytes], backend: str | None = None) -> tuple[float, float, MerkleTree, object]:
    """Build seconds, proofs seconds, the tree and its packed proofs."""
    build_s, tree = timed(lambda: MerkleTree.build(hashes, backend=backend))  # type: ignore[arg-type]
    proofs_s, proofs = timed(lambda: tree.proofs_packed(backend=backend))  # type: ignore[union-attr, arg-type]
    return build_s, proofs_s, tree, proofs  # type: ignore[return-value]


def check_equal(n: int, tree: MerkleTree, proofs, oz: dict[str, object], samples: list[int]) -> None:  # noqa: ANN001
    if oz["root"] != "0x" + tree.root.hex():
        raise AssertionError(f"{power(n)} hashes: our root 0x{tree.root.hex()} != OZ's {oz['root']}")
    for i in samples:
        theirs = oz["samples"][str(i)]  # type: ignore[index]
        if ["0x" + p.hex() for p in proofs[i]] != theirs:
            raise AssertionError(f"{power(n)} hashes: proof of record {i} differs from OZ getProof({i})")


def tree_rows(sizes: list[int], fallback_size: int) -> tuple[list[Row], float]:
    """Rows for every size, and the permutations/s of the largest native build."""
    rows: list[Row] = []
    rate = 0.0
    for n in sizes:
        packed = os.urandom(32 * n)
        hashes = [packed[k : k + 32] for k in range(0, len(packed), 32)]
        samples = sorted({0, n // 2, n - 1})
        best = (float("inf"), 0.0, 0.0)
        tree = proofs = None
        for _ in range(3 if n <= 100_000 else 2):
            tree = proofs = None  # let the last run's 640 MB (at 10^6) go before the next
            build_s, proofs_s, tree, proofs = ours(hashes)
            if build_s + proofs_s < best[0]:
                best = (build_s + proofs_s, build_s, proofs_s)
        total, build_s, proofs_s = best
        oz = oz_tree(packed, samples)
        check_equal(n, tree, proofs, oz, samples)  # type: ignore[arg-type]
        del proofs
        oz_total = float(oz["build_s"]) + float(oz["proofs_s"])  # type: ignore[arg-type]
        is_target = n == 1_000_000
        rows.append(
            Row(
                TREE,
                f"tree + all proofs, {power(n)} hashes",
                total,
                "s",
                baseline=oz_total,
                baseline_name=OZ,
                target=TARGET_TREE_S if is_target else None,
                note=f"{BACKEND}; build {build_s:.3g} s + proofs {proofs_s:.3g} s "
                f"(OZ {oz['build_s']:.3g} + {oz['proofs_s']:.3g} s); roots and sampled proofs equal",
            )
        )
        if n == max(sizes):
            rows.append(
                Row(
                    TREE,
                    f"speed-up over OZ, tree + all proofs, {power(n)} hashes",
                    oz_total / total,
                    "×",
                    target=TARGET_SPEEDUP if is_target else None,
                    higher_is_better=True,
                    note="OZ seconds / our seconds, same hashes, same run",
                )
            )
            rate = (3 * n - 1) / build_s  # 2 permutations per leaf, 1 per inner node
        if n == fallback_size:
            py_build, py_proofs, py_tree, _ = ours(hashes, backend="python")
            if py_tree.root != tree.root:
                raise AssertionError(f"{power(n)} hashes: pure-Python root differs from the native one")
            rows.append(
                Row(
                    TREE,
                    f"tree + all proofs, {power(n)} hashes, pure-Python fallback",
                    py_build + py_proofs,
                    "s",
                    baseline=oz_total,
                    baseline_name=OZ,
                    note=f"eth-hash keccak; build {py_build:.3g} s + proofs {py_proofs:.3g} s; root equal",
                )
            )
    return rows, rate


def native_rate() -> float:
    """keccak-f[1600] permutations/s of OpenSSL's SHA3-256 (best of 3 over 64 MiB)."""
    buf = os.urandom(BULK)
    seconds, _ = best_of(3, lambda: hashlib.sha3_256(buf).digest())
    return BULK / RATE / seconds


def keccak_rows(tree_rate: float, tree_size: int) -> list[Row]:
    native = native_rate()
    half = native / 2
    rows = [
        Row(
            KECCAK,
            f"permutations/s inside the tree build, {power(tree_size)} hashes",
            tree_rate,
            "perm/s",
            baseline=native,
            baseline_name="hashlib.sha3_256 (OpenSSL), 64 MiB",
            target=half,
            higher_is_better=True,
            note=f"{BACKEND}; (3n - 1) hashes of 32/64 bytes, one permutation each, over the build time (sort included)",
        )
    ]

    data = [os.urandom(32) for _ in range(200_000)]

    def calls(fn) -> float:  # noqa: ANN001
        seconds, _ = best_of(3, lambda: [fn(d) for d in data])
        return len(data) / seconds

    ours_calls = calls(keccak256)
    eth_calls = calls(eth_keccak)
    rows.append(
        Row(
            KECCAK,
            "keccak256() from Python, 32-byte inputs",
            ours_calls,
            "hashes/s",
            baseline=native,
            baseline_name="hashlib.sha3_256 (OpenSSL), 64 MiB, perm/s",
            target=half,
            higher_is_better=True,
            note=f"{BACKEND}; one permutation per call, the rest is the interpreter's call overhead",
        )
    )
    rows.append(
        Row(
            KECCAK,
            "keccak256() from Python vs eth-hash, 32-byte inputs",
            ours_calls,
            "hashes/s",
            baseline=eth_calls,
            baseline_name="eth_hash.auto.keccak (pycryptodome)",
            higher_is_better=True,
            note="the hash the ledger called before ledger.keccak",
        )
    )
    buf = os.urandom(BULK)
    bulk_s, digest = best_of(3, lambda: keccak256(buf))
    if digest != eth_keccak(buf):
        raise AssertionError("keccak256 over 64 MiB differs from eth-hash")
    rows.append(
        Row(
            KECCAK,
            "keccak256() over 64 MiB",
            BULK / RATE / bulk_s,
            "perm/s",
            baseline=native,
            baseline_name="hashlib.sha3_256 (OpenSSL), 64 MiB",
            target=half,
            higher_is_better=True,
            note=f"{BACKEND}; the vendored XKCP permutation alone (generic C) against OpenSSL's",
        )
    )
    return rows


def run(quick: bool = False) -> list[Row]:
    sizes = [1_000, 10_000] if quick else [10_000, 100_000, 1_000_000]
    fallback = 10_000 if quick else 100_000
    rows, rate = tree_rows(sizes, fallback)
    return rows + keccak_rows(rate, max(sizes))


if __name__ == "__main__":
    started = time.perf_counter()
    for row in run(quick="--quick" in sys.argv[1:]):
        ratio = f"  {row.ratio:.2f}× vs {row.baseline_name}" if row.ratio is not None else ""
        met = {True: "  target met", False: "  TARGET MISSED", None: ""}[row.met]
        print(f"{row.section:12} {row.figure:58} {row.value:>16,.3f} {row.unit}{ratio}{met}  {row.note}")
    print(f"({time.perf_counter() - started:.0f} s)")
