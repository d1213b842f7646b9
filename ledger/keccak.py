"""Ethereum keccak-256 for the whole ledger, from the C extension when it was built, else eth-hash.

One import point so every hash the ledger computes (record hashes, Merkle leaves and nodes) goes
through the same, fastest available function, and so tests can pin either backend: the C
extension ``ledger._native`` (XKCP's keccak-f[1600], built by ``pip install`` when a C compiler is
present) or eth-hash's own backend (pycryptodome here). Both give identical digests; the tests
check this for every input length across the rate edges.

``ZCL_NATIVE=0`` in the environment forces the eth-hash fallback, read once at import.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import ModuleType
from typing import Literal

Backend = Literal["native", "python"]


def _load_native() -> ModuleType | None:
    if os.environ.get("ZCL_NATIVE", "1").strip() == "0":
        return None
    try:
        from ledger import _native  # type: ignore[attr-defined]
    except ImportError:  # not built: no compiler at install time, or a big-endian machine
        return None
    return _native


NATIVE: ModuleType | None = _load_native()
"""The C extension module, or None when it is absent or disabled by ``ZCL_NATIVE=0``."""

BACKEND: Backend = "native" if NATIVE is not None else "python"

if NATIVE is not None:
    keccak256: Callable[[bytes | bytearray | memoryview], bytes] = NATIVE.keccak256
else:
    from eth_hash.auto import keccak as _eth_keccak

    def keccak256(data: bytes | bytearray | memoryview) -> bytes:
        """keccak-256 of ``data`` (eth-hash's backend; it takes bytes and bytearray only)."""
        return _eth_keccak(bytes(data) if isinstance(data, memoryview) else data)


__all__ = ["BACKEND", "NATIVE", "Backend", "keccak256"]
