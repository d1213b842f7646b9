"""Builds the optional C extension ``ledger._native``; all metadata lives in pyproject.toml.

``optional=True`` makes a failed compile a warning, not a failed install: ``ledger.keccak`` and
``ledger.merkle`` then fall back to eth-hash and pure Python, which are slower but identical in
output. Big-endian machines skip it (the vendored XKCP opt64 code is little-endian only).
"""

import sys
from pathlib import Path

from setuptools import Extension, setup

NATIVE = Path("ledger") / "native"

extensions = []
if sys.byteorder == "little":
    extensions.append(
        Extension(
            "ledger._native",
            sources=[str(NATIVE / "_native.c")],
            # Listed so a change to a vendored file rebuilds the extension and ships in the sdist.
            depends=sorted(str(p) for p in (NATIVE / "xkcp").iterdir()),
            # Hidden visibility lets the compiler inline the vendored functions (only PyInit is exported).
            extra_compile_args=["-O3", "-fvisibility=hidden"] if sys.platform != "win32" else [],
            optional=True,
        )
    )

setup(ext_modules=extensions)
