"""The upload page signs in the browser what ``zcl batch sign`` signs in Python: the same root and
the same signature bytes for the same batch, salts and key (web/src/upload_batch.js run in Node by
web/test/upload_runner.mjs; no anvil). The mapping it downloads as TOML is the one it edited."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ledger.eip712.domain import LedgerDomain
from ledger.merkle import MerkleTree
from ledger.records import new_salt, parse_batch
from ledger.signing import parse_signed_batch, sign_batch

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def run_node(payload: dict[str, Any]) -> dict[str, Any]:
    run = subprocess.run(["node", str(ROOT / "web" / "test" / "upload_runner.mjs")], input=json.dumps(payload),
                         capture_output=True, text=True, timeout=120, cwd=ROOT)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def example(month: str) -> dict[str, Any]:
    data = json.loads((ROOT / "examples" / month / "batch.json").read_text())
    for record in data["records"]:
        record["salt"] = "0x" + new_salt().hex()
    return data  # type: ignore[no-any-return]


def test_browser_signature_is_byte_identical_with_python() -> None:
    key = Account.create()
    domain = LedgerDomain(chain_id=31337, verifying_contract="0x" + os.urandom(20).hex())
    batches = [example("2025-01"), example("2025-02") | {"revision": 3, "uri": "ipfs://bafy-example"}]
    out = run_node({"batches": [{"batch": b, "key": key.key.hex(), "chainId": domain.chain_id,
                                 "contract": domain.verifying_contract} for b in batches]})  # fmt: skip
    for data, browser in zip(batches, out["signed"], strict=True):
        python = sign_batch(parse_batch(data), key, domain).to_json()
        assert browser["root"] == python["root"]
        assert browser["signature"] == python["signature"]  # RFC 6979: deterministic, so byte for byte
        assert browser["signer"] == key.address == python["signer"]
        assert browser["records"] == data["records"]
        assert parse_signed_batch(browser).recovered_signer() == key.address  # what the service checks


def test_browser_root_is_the_merkle_tree_root_for_every_shape() -> None:
    sizes = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 100]
    leaves = [[os.urandom(32) for _ in range(n)] for n in sizes]
    leaves.append([leaves[-1][0]] * 3 + leaves[-1][:5])  # equal leaves keep their order (stable sort)
    out = run_node({"roots": [["0x" + h.hex() for h in hashes] for hashes in leaves]})
    assert out["roots"] == ["0x" + MerkleTree.build(hashes).root.hex() for hashes in leaves]


def test_a_tampered_record_changes_the_browser_root() -> None:
    key = Account.create()
    data = example("2025-01")
    tampered = json.loads(json.dumps(data))
    tampered["records"][0]["value"] = tampered["records"][0]["value"] + "1"
    out = run_node({"batches": [{"batch": b, "key": key.key.hex(), "chainId": 1, "contract": "0x" + "11" * 20}
                                for b in (data, tampered)]})  # fmt: skip
    assert out["signed"][0]["root"] != out["signed"][1]["root"]


def test_the_downloaded_toml_mapping_reads_back_as_the_edited_one() -> None:
    mapping = {
        "name": "ems-interval", "title": "EMS 15-minute export \"main\" \\ 电表", "factory_id": "CN-JS-SZ-0001",
        "file": {"header_row": 2, "delimiter": ";", "skip": [{"column": "时间", "values": ["合计", "total"]}],
                 "ignore": ["备注"], "ignore_others": False},
        "time": {"timezone": "Asia/Shanghai", "format": "%Y-%m-%d %H:%M", "column": "时间", "label": "end",
                 "interval": "15min"},
        "columns": [{"column": "有功电量(kWh)", "source_id": "meter-{表号}", "kind": "grid_electricity", "unit": "kWh",
                     "multiplier": "1", "equals_sum_of": []},
                    {"column": "B", "source_id": "pv-1", "kind": "onsite_renewable_self_consumed", "unit": "万kWh"}],
        "evidence": {"cite_file": True},
    }  # fmt: skip
    (toml,) = run_node({"mappings": [mapping]})["toml"]
    assert tomllib.loads(toml) == mapping
