"""The committed contract artifacts (ABI and bytecode) that the service deploys and calls."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "artifacts"
CONTRACT_NAMES = ("CarbonLedger",)


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler_version: str
    devdoc: dict[str, Any]
    immutable_ranges: tuple[tuple[int, int], ...]

    def runtime_code_matches(self, code: bytes) -> bool:
        """Whether on-chain ``code`` is this contract's runtime code.

        The constructor writes immutables (EIP712's cached domain, for one) into the runtime code,
        so those byte ranges, which the compiler reports, are compared as zeros.
        """
        expected = bytes.fromhex(self.deployed_bytecode[2:])
        if len(code) != len(expected):
            return False
        masked = bytearray(code)
        for start, length in self.immutable_ranges:
            masked[start : start + length] = bytes(length)
        return bytes(masked) == expected


@cache
def load_artifact(name: str = "CarbonLedger") -> Artifact:
    path = ARTIFACTS_DIR / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"contract artifact {path} is missing; it is committed, so restore it with git, "
            "or rebuild it with `zcl contract compile`"
        ) from None
    return Artifact(
        name=data["contractName"],
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
        compiler_version=data["compiler"]["version"],
        devdoc=data.get("devdoc", {}),
        immutable_ranges=tuple(
            (ref["start"], ref["length"]) for refs in data["immutableReferences"].values() for ref in refs
        ),
    )
