"""Compile the Solidity contracts with the pinned compiler and write the committed artifacts.

Only developers compile: the service loads the committed artifacts (:mod:`ledger.chain.artifacts`),
so running it never needs a compiler. Native solc binaries cannot be downloaded on our machines,
so py-solc-x runs ``scripts/solc``, which wraps the npm ``solc`` package pinned in
``package-lock.json``; ``solcx.install_solc`` is never used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import solcx
from solcx.wrapper import get_solc_version

from ledger.chain.artifacts import ARTIFACTS_DIR, CONTRACT_NAMES
from ledger.errors import SetupError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOLC_VERSION = "0.8.30"
EVM_VERSION = "cancun"
OPTIMIZER_RUNS = 200

COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
    "evmVersion": EVM_VERSION,
    "metadata": {"bytecodeHash": "ipfs"},
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
                "evm.deployedBytecode.immutableReferences",
                "devdoc",
                "userdoc",
            ],
        }
    },
}


class CompilerError(SetupError, RuntimeError):
    """The compiler is missing, is not the pinned version, or rejected the sources."""


def solc_path(project_root: Path = PROJECT_ROOT) -> Path:
    return project_root / "scripts" / "solc"


def standard_input(project_root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The solc standard-JSON input: every ``contracts/**/*.sol`` by content, sorted by path.

    Sources travel by content so the wrapper never reads our files itself; only imports from
    ``node_modules`` are resolved by path.
    """
    contracts_dir = project_root / "contracts"
    sources = {
        path.relative_to(project_root).as_posix(): {"content": path.read_text(encoding="utf-8")}
        for path in sorted(contracts_dir.rglob("*.sol"))
    }
    if not sources:
        raise CompilerError(f"no Solidity sources under {contracts_dir}")
    return {"language": "Solidity", "sources": sources, "settings": COMPILER_SETTINGS}


def compile_contracts(project_root: Path = PROJECT_ROOT) -> dict[str, dict[str, Any]]:
    """Compile and return one artifact dict per deployable contract in :data:`CONTRACT_NAMES`."""
    output = compile_standard_json(standard_input(project_root), project_root)
    artifacts: dict[str, dict[str, Any]] = {}
    for source_name, contracts in output["contracts"].items():
        for name, compiled in contracts.items():
            if name not in CONTRACT_NAMES or not source_name.startswith("contracts/"):
                continue
            artifacts[name] = {
                "contractName": name,
                "sourceName": source_name,
                "compiler": {"version": SOLC_VERSION, "settings": _recorded_settings()},
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "immutableReferences": compiled["evm"]["deployedBytecode"]["immutableReferences"],
                "devdoc": compiled["devdoc"],
                "userdoc": compiled["userdoc"],
            }
    missing = set(CONTRACT_NAMES) - set(artifacts)
    if missing:
        raise CompilerError(f"the compiler produced no artifact for {sorted(missing)}")
    return artifacts


def compile_standard_json(standard: dict[str, Any], project_root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """solc's standard-JSON output for ``standard``, from the pinned compiler (checked first).

    The one way anything here is compiled: the deployed contracts, and the test-only contracts
    (``tests/contracts/``) that are compiled with the same compiler and :data:`COMPILER_SETTINGS`
    but never written into the committed artifacts.
    """
    binary = solc_path(project_root)
    if not (project_root / "node_modules" / "solc").is_dir():
        raise CompilerError("the npm solc package is missing: run `npm ci` (./scripts/test does)")
    try:
        version = str(get_solc_version(binary))
    except Exception as exc:  # the wrapper failed to start: node missing, broken install
        raise CompilerError(f"cannot run {binary}: {exc}") from exc
    if version != SOLC_VERSION:
        raise CompilerError(f"solc {version} found but {SOLC_VERSION} is pinned: run `npm ci`")
    try:
        output: dict[str, Any] = solcx.compile_standard(standard, solc_binary=binary)
    except solcx.exceptions.SolcError as exc:
        raise CompilerError(_solc_messages(exc)) from None
    return output


def artifact_json(artifact: dict[str, Any]) -> str:
    """The exact text committed for an artifact, so a fresh compile can be compared byte for byte."""
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def write_artifacts(artifacts: dict[str, dict[str, Any]], out_dir: Path = ARTIFACTS_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, artifact in sorted(artifacts.items()):
        path = out_dir / f"{name}.json"
        path.write_text(artifact_json(artifact), encoding="utf-8")
        written.append(path)
    return written


def _recorded_settings() -> dict[str, Any]:
    return {key: value for key, value in COMPILER_SETTINGS.items() if key != "outputSelection"}


def _solc_messages(exc: solcx.exceptions.SolcError) -> str:
    """solc's own formatted errors, without the kilobytes of JSON py-solc-x puts in its message."""
    try:
        errors = json.loads(exc.stdout_data or "")["errors"]
        return "\n".join(e["formattedMessage"] for e in errors if e["severity"] == "error")
    except (TypeError, ValueError, KeyError):
        return exc.message
