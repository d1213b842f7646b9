"""Writes the committed test vectors, ``records.json`` and ``merkle.json``, from independent implementations.

Run by hand from the project root when a vector is added (it needs Node and ``npm ci``'s
``node_modules``)::

    .venv/bin/python -m tests.vectors.generate

* ``records.json``: a dozen varied records (kinds, units, evidence lists of 0–3 entries, unicode
  source ids and file names, trailing-zero values, other factories, periods and offsets), each
  with its record hash computed by **eth-account**'s ``encode_typed_data`` from the EIP-712 struct
  written out here (the types and the message are spelled out below, not taken from ``ledger``).
  ``ledger`` is used only to check that each record is valid on the wire.
* ``merkle.json``: leaf sets of sizes 1, 2, 3, 4, 5, 7, 8, 33 and 100 (deterministic record
  hashes) with the root and every proof computed by **@openzeppelin/merkle-tree** in Node
  (``tests/js/oz_merkle.mjs``, the oracle tests/test_merkle.py uses).

tests/test_vectors.py checks ``ledger``'s record hashes, trees, proofs and ``verify`` against these
files with neither Node nor anvil. The output is deterministic: running this again without a
change to the inputs rewrites the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from eth_account.messages import encode_typed_data

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
OZ_SCRIPT = PROJECT / "tests" / "js" / "oz_merkle.mjs"
MERKLE_SIZES = (1, 2, 3, 4, 5, 7, 8, 33, 100)

# EIP-712, as the contract and the spec define the record (docs: MeasurementRecord, Evidence).
TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "MeasurementRecord": [
        {"name": "factoryId", "type": "string"},
        {"name": "period", "type": "string"},
        {"name": "sourceId", "type": "string"},
        {"name": "kind", "type": "string"},
        {"name": "value", "type": "string"},
        {"name": "unit", "type": "string"},
        {"name": "intervalStart", "type": "uint64"},
        {"name": "intervalEnd", "type": "uint64"},
        {"name": "evidence", "type": "Evidence[]"},
        {"name": "salt", "type": "bytes32"},
    ],
    "Evidence": [
        {"name": "sha256", "type": "bytes32"},
        {"name": "fileName", "type": "string"},
        {"name": "mediaType", "type": "string"},
    ],
}
# Any domain: the struct hash (the record hash) does not depend on it.
DOMAIN = {"name": "vectors", "version": "1", "chainId": 1, "verifyingContract": "0x" + "00" * 20}


def digest(label: str) -> str:
    """A deterministic 32-byte value as 0x-hex, named by ``label``."""
    return "0x" + hashlib.sha256(f"zcl test vectors: {label}".encode()).hexdigest()


def evidence(label: str, file_name: str, media_type: str) -> dict[str, str]:
    return {"sha256": digest(label)[2:], "file_name": file_name, "media_type": media_type}


def record(source_id: str, kind: str, value: str, unit: str, start: str, end: str,
           refs: list[dict[str, str]]) -> dict[str, Any]:  # fmt: skip
    return {"source_id": source_id, "kind": kind, "value": value, "unit": unit, "interval_start": start,
            "interval_end": end, "evidence": refs}  # fmt: skip


JAN = ("2025-01-01T00:00:00+08:00", "2025-02-01T00:00:00+08:00")
BILL = evidence("bill", "state-grid-bill-2025-01.pdf", "application/pdf")
PHOTO = evidence("photo", "grid-meter-photo-2025-01-31.png", "image/png")
CSV = evidence("csv", "scada-export.csv", "text/csv")

# (factory_id, period, record): the salt is added from the position.
RECORDS: list[tuple[str, str, dict[str, Any]]] = [
    ("CN-JS-SZ-0001", "2025-01", record("meter-3205-10K-0457", "grid_electricity", "1286420.4", "kWh", *JAN, [])),
    ("CN-JS-SZ-0001", "2025-01", record("meter-3205-10K-0457", "grid_electricity", "1286.4200", "MWh", *JAN, [BILL])),
    ("CN-JS-SZ-0001", "2025-01", record("gas-main", "natural_gas", "84210.00", "Nm3", *JAN, [BILL, PHOTO])),
    ("CN-JS-SZ-0001", "2025-01", record("gas-main", "natural_gas", "8.421", "10^4 Nm3", *JAN, [])),
    ("CN-JS-SZ-0001", "2025-01", record("coal-yard", "coal", "12.500", "t", *JAN, [CSV])),
    ("CN-JS-SZ-0001", "2025-01", record("fleet-diesel", "diesel", "3400", "L", *JAN, [])),
    ("CN-JS-SZ-0001", "2025-01", record("steam-in", "purchased_steam", "0.50", "GJ", *JAN, [PHOTO])),
    (
        "CN-JS-SZ-0001",
        "2025-01",
        record(
            "产线-3 注塑机 №7",
            "production_output",
            "120000",
            "pcs",
            *JAN,
            [evidence("unicode", "电费单-2025年1月.pdf", "application/pdf")],
        ),
    ),
    ("CN-JS-SZ-0001", "2025-01", record("kiln-2", "process_emissions", "1.000", "tCO2e", *JAN, [])),
    (
        "CN-JS-SZ-0001",
        "2025-01",
        record("logistics", "transport_road_freight", "52340.25", "tkm", *JAN, [BILL, PHOTO, CSV]),
    ),  # fmt: skip
    (
        "CN-GD-SZ-0042",
        "2025-02",
        record(
            "submeter-07",
            "onsite_renewable_self_consumed",
            "0",
            "kWh",
            "2025-02-14T10:15:00+08:00",
            "2025-02-14T10:30:00+08:00",
            [],
        ),
    ),
    (
        "CN-GD-SZ-0042",
        "2024-12",
        record(
            "ppa-2024", "green_power_contract", "1.20", "GWh", "2024-12-01T00:00:00Z", "2024-12-31T16:00:00Z", [CSV]
        ),
    ),
    (
        "CN-GD-SZ-0042",
        "2025-03",
        record(
            "warehouse",
            "purchased_aluminium",
            "7500.10",
            "kg",
            "2025-03-01T00:00:00+00:00",
            "2025-03-15T12:00:00+00:00",
            [BILL],
        ),
    ),  # fmt: skip
]


def unix(instant: str) -> int:
    moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return int(moment.timestamp())


def eth_account_record_hash(factory_id: str, period: str, r: dict[str, Any]) -> str:
    """hashStruct(MeasurementRecord) as eth-account computes it: the body of the EIP-712 message."""
    message = {
        "factoryId": factory_id, "period": period, "sourceId": r["source_id"], "kind": r["kind"],
        "value": r["value"], "unit": r["unit"], "intervalStart": unix(r["interval_start"]),
        "intervalEnd": unix(r["interval_end"]),
        "evidence": [{"sha256": bytes.fromhex(e["sha256"]), "fileName": e["file_name"], "mediaType": e["media_type"]}
                     for e in r["evidence"]],
        "salt": bytes.fromhex(r["salt"][2:]),
    }  # fmt: skip
    signable = encode_typed_data(
        full_message={"types": TYPES, "primaryType": "MeasurementRecord", "domain": DOMAIN, "message": message}
    )
    return "0x" + signable.body.hex()


def records_vectors() -> dict[str, Any]:
    from ledger.records import parse_batch  # only to check that each record is valid on the wire

    vectors = []
    for n, (factory_id, period, r) in enumerate(RECORDS):
        r = r | {"salt": digest(f"salt {n}")}
        parse_batch({"factory_id": factory_id, "period": period, "revision": 1, "uri": "", "records": [r]})
        vectors.append({"factory_id": factory_id, "period": period, "record": r,
                        "record_hash": eth_account_record_hash(factory_id, period, r)})  # fmt: skip
    return {
        "about": "record hashes by eth-account's encode_typed_data (hashStruct); written by tests/vectors/generate.py",
        "vectors": vectors,
    }


def oz(values: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(OZ_SCRIPT)], input=json.dumps({"values": values}), capture_output=True, text=True,
        cwd=PROJECT, timeout=120, check=True,
    )  # fmt: skip
    return dict(json.loads(done.stdout))


def merkle_vectors() -> dict[str, Any]:
    package = json.loads((PROJECT / "node_modules" / "@openzeppelin" / "merkle-tree" / "package.json").read_text())
    sets = []
    for size in MERKLE_SIZES:
        hashes = [digest(f"leaf {size}/{i}") for i in range(size)]
        answer = oz(hashes)
        sets.append({"size": size, "record_hashes": hashes, "root": answer["root"], "proofs": answer["proofs"]})
    return {
        "about": "StandardMerkleTree.of(record_hashes, ['bytes32']): root and getProof(i) for every i; "
        "written by tests/vectors/generate.py",
        "openzeppelin_merkle_tree": package["version"],
        "sets": sets,
    }


def write(name: str, content: dict[str, Any]) -> None:
    (HERE / name).write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote tests/vectors/{name}")


def main() -> None:
    write("records.json", records_vectors())
    write("merkle.json", merkle_vectors())


if __name__ == "__main__":
    main()
