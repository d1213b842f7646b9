"""The committed artifacts are what the pinned compiler makes, and reverts map onto named exceptions."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak
from web3 import Web3

from ledger.chain import compiler
from ledger.chain.artifacts import ARTIFACTS_DIR, CONTRACT_NAMES, load_artifact
from ledger.chain.client import LedgerClient
from ledger.chain.errors import (
    REVERT_CLASSES,
    AccessControlUnauthorizedAccount,
    ContractRevert,
    RevisionGap,
    ZeroRoot,
    decode_revert,
)

SOLC = str(compiler.solc_path())


@pytest.fixture(scope="module")
def fresh() -> dict[str, dict[str, Any]]:
    return compiler.compile_contracts()


def committed(name: str) -> dict[str, Any]:
    return json.loads((ARTIFACTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


# --- artifacts --------------------------------------------------------------------------------


@pytest.mark.contract  # runs the Solidity compiler (Node)
@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_fresh_compile_reproduces_committed_artifact(fresh: dict[str, dict[str, Any]], name: str) -> None:
    assert set(fresh) == set(CONTRACT_NAMES)
    on_disk = committed(name)
    assert fresh[name]["bytecode"] == on_disk["bytecode"]
    assert fresh[name]["deployedBytecode"] == on_disk["deployedBytecode"]
    assert compiler.artifact_json(fresh[name]) == (ARTIFACTS_DIR / f"{name}.json").read_text(encoding="utf-8")


def test_deployed_code_is_committed_runtime(w3: Web3, ledger: LedgerClient) -> None:
    assert ledger.has_expected_code()

    code = bytes(w3.eth.get_code(ledger.address))
    expected = bytes.fromhex(load_artifact().deployed_bytecode[2:])
    assert len(code) == len(expected)

    # Outside the immutables, byte for byte; inside them, exactly what EIP712's constructor stores,
    # computed here from the definitions rather than read back from the chain.
    def short_string(text: str) -> bytes:
        raw = text.encode()
        return raw.ljust(31, b"\x00") + bytes([len(raw)])

    chain_id, this = w3.eth.chain_id, ledger.address
    hashed_name, hashed_version = keccak(text="CarbonLedger"), keccak(text="1")
    domain_type = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [domain_type, hashed_name, hashed_version, chain_id, this],
        )
    )
    immutables = {
        separator,
        encode(["uint256"], [chain_id]),
        encode(["address"], [this]),
        hashed_name,
        hashed_version,
        short_string("CarbonLedger"),
        short_string("1"),
    }
    masked, found = bytearray(code), set()
    for refs in committed("CarbonLedger")["immutableReferences"].values():
        for ref in refs:
            start, length = ref["start"], ref["length"]
            assert expected[start : start + length] == bytes(length)  # a placeholder in the artifact
            found.add(code[start : start + length])
            masked[start : start + length] = bytes(length)
    assert bytes(masked) == expected
    assert found == immutables

    assert not LedgerClient(w3, "0x" + "11" * 20).has_expected_code()  # no code there at all


def test_artifact_compiler_settings() -> None:
    recorded = committed("CarbonLedger")["compiler"]
    assert recorded["version"] == compiler.SOLC_VERSION == "0.8.30"
    assert recorded["settings"]["optimizer"] == {"enabled": True, "runs": 200}
    assert recorded["settings"]["evmVersion"] == "cancun"
    # solc's CBOR metadata at the end of the runtime code names the compiler that really built it
    runtime = bytes.fromhex(load_artifact().deployed_bytecode[2:])
    metadata_length = int.from_bytes(runtime[-2:], "big")
    assert b"dsolcC\x00\x08\x1e" in runtime[-2 - metadata_length : -2]


# --- errors -----------------------------------------------------------------------------------


def test_every_abi_error_has_an_exception_class() -> None:
    abi_errors = {item["name"] for item in load_artifact().abi if item["type"] == "error"}
    assert abi_errors == set(REVERT_CLASSES)
    assert all(issubclass(cls, ContractRevert) and cls.__name__ == name for name, cls in REVERT_CLASSES.items())


def test_decode_revert_unknown_data() -> None:
    for data in ["0xdeadbeef", b"\xde\xad\xbe\xef" + bytes(32), "0x", b"", None]:
        exc = decode_revert(data)
        assert type(exc) is ContractRevert
        assert exc.error_name == "UnknownRevert"
    # a plain `require(..., "msg")` is Error(string), which is not one of the contract's errors
    error_string = keccak(text="Error(string)")[:4] + encode(["string"], ["nope"])
    exc = decode_revert(error_string)
    assert exc.error_name == "UnknownRevert"
    assert exc.data == "0x" + error_string.hex()


def test_decode_revert_known_errors() -> None:
    data = keccak(text="RevisionGap(string,string,uint32,uint32)")[:4] + encode(
        ["string", "string", "uint32", "uint32"], ["F1", "2025-01", 2, 3]
    )
    exc = decode_revert("0x" + data.hex())
    assert isinstance(exc, RevisionGap)
    assert exc.arguments == {"factoryId": "F1", "period": "2025-01", "expected": 2, "given": 3}
    assert "RevisionGap(" in str(exc) and "without gaps" in str(exc)  # NatSpec quoted from the artifact

    role = keccak(text="REGISTRAR_ROLE")
    account = "0x" + "ab" * 20
    data = keccak(text="AccessControlUnauthorizedAccount(address,bytes32)")[:4] + encode(
        ["address", "bytes32"], [account, role]
    )
    exc = decode_revert(data)
    assert isinstance(exc, AccessControlUnauthorizedAccount)
    assert exc.account == Web3.to_checksum_address(account)
    assert exc.neededRole == "0x" + role.hex()

    assert isinstance(decode_revert(keccak(text="ZeroRoot()")[:4]), ZeroRoot)


# --- the pinned compiler wrapper -------------------------------------------------------------


def run_solc(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([SOLC, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False)


def test_solc_version_is_pinned_native_format() -> None:
    result = run_solc("--version")
    assert result.returncode == 0
    assert re.search(r"^Version: 0\.8\.30\+commit\.[0-9a-f]{8}", result.stdout, re.MULTILINE)


def test_solc_standard_json_writes_only_json() -> None:
    source = "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\ncontract Tiny { uint256 public x = 7; }\n"
    request = {
        "language": "Solidity",
        "sources": {"Tiny.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
    }
    result = run_solc("--standard-json", stdin=json.dumps(request))
    assert result.returncode == 0
    output = json.loads(result.stdout)  # fails on any non-JSON text around the document
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    tiny = output["contracts"]["Tiny.sol"]["Tiny"]
    assert [item["name"] for item in tiny["abi"]] == ["x"]
    assert re.fullmatch(r"[0-9a-f]+", tiny["evm"]["bytecode"]["object"])


def test_solc_unknown_flag_fails() -> None:
    result = run_solc("--bin")
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr
