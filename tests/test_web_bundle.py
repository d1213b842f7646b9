"""The in-browser verifier (web/src/verify.js, shipped as api/static/zcl.js) agrees with ledger.verify.

Bundles come from the real service over a real anvil; each is verified by Python's ``verify_bundle``
and by the JavaScript verifier run in Node (both the ES module source and the committed, minified
browser bundle), and the two reports must agree check by check: same names, same order, same
outcome. Detail texts are free to differ.
"""

from __future__ import annotations

import base64
import copy
import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from ledger.chain.anvil import free_loopback_port
from ledger.eip712.batch_commit import BATCH_COMMIT_TYPE
from ledger.records import QUANTITY_KINDS, RECORD_TYPES, UNITS
from ledger.verify import verify_bundle
from tests.builders import batch_json, example_batch
from tests.conftest import Service
from tests.signers import anchor_then_rotate_in_one_block, wallet_factory
from tests.wallets import disable_wallet

PROJECT = Path(__file__).resolve().parents[1]
RUNNER = PROJECT / "web" / "test" / "verify_runner.mjs"
EXAMPLE = PROJECT / "examples" / "2025-01"
BILL = EXAMPLE / "evidence" / "state-grid-bill-2025-01.pdf"
PHOTO = EXAMPLE / "evidence" / "grid-meter-photo-2025-01-31.png"
FACTORY = "CN-JS-SZ-0001"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]


def _node(args: list[str], stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", *args], input=stdin, capture_output=True, text=True, timeout=timeout, cwd=PROJECT, check=False
    )


def test_the_committed_bundle_is_fresh() -> None:
    """api/static/zcl.js is exactly what web/build.mjs makes of web/src and the contract artifact."""
    run = _node(["web/build.mjs", "--check"])
    assert run.returncode == 0, run.stderr + run.stdout


# --- bundles from the service ---------------------------------------------------------------------


def _submit(service: Service, factory: LocalAccount, data: dict[str, Any]) -> dict[str, Any]:
    body = batch_json(service.ledger, factory, data)
    response = service.http.post("/batches", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _bundle(service: Service, batch: dict[str, Any], position: int = 0) -> dict[str, Any]:
    response = service.http.get(f"/records/{batch['records'][position]['id']}/proof")
    assert response.status_code == 200, response.text
    return response.json()


def _flip(hex_string: str, at: int = 10) -> str:
    chars = list(hex_string)
    chars[at] = "0" if chars[at] != "0" else "1"
    return "".join(chars)


def _flip_byte(hex_string: str, index: int) -> str:
    raw = bytearray(bytes.fromhex(hex_string[2:]))
    raw[index] ^= 0x01
    return "0x" + raw.hex()


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A tampering that sets ``bundle[a][b]...`` (dotted path; integers index lists) to ``value``."""

    def tamper(bundle: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        target: Any = bundle
        for p in parents:
            target = target[p]
        target[last] = value

    return tamper


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def tamper(bundle: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = bundle
        for p in parents:
            target = target[p]
        del target[last]

    return tamper


# (case id, tampering, the check that must fail first or None when the bundle stays valid); a
# tampering changes the bundle in place, or returns what to verify instead
TAMPERINGS: list[tuple[str, Callable[[dict[str, Any]], Any], str | None]] = [
    ("untouched", lambda b: None, None),
    ("value", _set("record.value", "1286420.5"), "record_hash"),
    ("unit", _set("record.unit", "MWh"), "record_hash"),
    ("salt", lambda b: b["record"].update(salt=_flip(b["record"]["salt"])), "record_hash"),
    ("evidence name", _set("record.evidence.0.file_name", "other.pdf"), "record_hash"),
    ("record_hash", lambda b: b.update(record_hash=_flip(b["record_hash"])), "record_hash"),
    ("leaf", lambda b: b.update(leaf=_flip(b["leaf"])), "leaf"),
    ("proof element", lambda b: b["proof"].__setitem__(0, _flip(b["proof"][0])), "root"),
    ("proof order", lambda b: b["proof"].reverse(), "root"),
    ("proof short element", lambda b: b["proof"].__setitem__(0, b["proof"][0][:-2]), "root"),
    ("proof not hex", lambda b: b["proof"].__setitem__(0, "0x" + "zz" * 32), "root"),
    ("root", lambda b: b.update(root=_flip(b["root"])), "root"),
    ("chain", _set("chain_id", 1), "chain"),
    ("contract", _set("contract", "0x" + "11" * 20), "contract"),
    ("contract not an address", _set("contract", "0x1234"), "contract"),
    ("revision", _set("revision", 2), "anchor"),
    # (a changed s or v still recovers some key; a changed r may recover none, see the test below)
    ("signature s byte", lambda b: b.update(batch_signature=_flip_byte(b["batch_signature"], 40)), "signature"),
    ("signature v", lambda b: b.update(batch_signature=b["batch_signature"][:-2] + {"1b": "1c", "1c": "1b"}[b["batch_signature"][-2:]]), "signature"),
    ("signature v 0 or 1", lambda b: b.update(batch_signature=b["batch_signature"][:-2] + {"1b": "00", "1c": "01"}[b["batch_signature"][-2:]]), "signature"),
    ("signature short", lambda b: b.update(batch_signature=b["batch_signature"][:-2]), "signature"),
    ("signature not hex", _set("batch_signature", "deadbeef"), "signature"),
    ("tx", lambda b: b["anchor"].update(tx_hash=_flip(b["anchor"]["tx_hash"])), "transaction"),
    # the bundle's own shape
    ("not an object", lambda b: [], "bundle"),
    ("no proof", _delete("proof"), "bundle"),
    ("revision zero", _set("revision", 0), "bundle"),
    ("revision text", _set("revision", "1"), "bundle"),
    ("chain_id text", _set("chain_id", "31337"), "bundle"),
    ("proof not a list", _set("proof", "0x00"), "bundle"),
    ("anchor without tx", _set("anchor", {"block_number": 1}), "bundle"),
    # the record, checked as ledger.records.parse_record checks it
    ("period", _set("period", "2025-02"), "record"),
    ("factory", _set("factory_id", "has space"), "record"),
    ("record not an object", _set("record", "1286420.4 kWh"), "record"),
    ("record unknown field", _set("record.surprise", 1), "record"),
    ("record factory mismatch", _set("record.factory_id", "CN-OTHER"), "record"),
    ("record no salt", _delete("record.salt"), "record"),
    ("value number", _set("record.value", 1286420.4), "record"),
    ("value negative", _set("record.value", "-5"), "record"),
    ("value NaN", _set("record.value", "NaN"), "record"),
    ("value leading zero", _set("record.value", "01.5"), "record"),
    ("value exponent", _set("record.value", "1e3"), "record"),
    ("value 19 decimals", _set("record.value", "1." + "1" * 19), "record"),
    ("value empty", _set("record.value", ""), "record"),
    ("unit unknown", _set("record.unit", "kW"), "record"),
    ("unit wrong dimension", _set("record.unit", "Nm3"), "record"),
    ("kind unknown", _set("record.kind", "moonlight"), "record"),
    ("kind prototype", _set("record.kind", "__proto__"), "record"),
    ("kind toString", _set("record.kind", "toString"), "record"),
    ("source leading space", _set("record.source_id", " meter"), "record"),
    ("source nbsp", _set("record.source_id", "meter\u00a0x"), "record"),
    ("source empty", _set("record.source_id", ""), "record"),
    ("source 129", _set("record.source_id", "m" * 129), "record"),
    ("start naive", _set("record.interval_start", "2025-01-01T00:00:00"), "record"),
    ("start fraction", _set("record.interval_start", "2025-01-01T00:00:00.5+08:00"), "record"),
    ("start -00:00", _set("record.interval_start", "2025-01-01T00:00:00-00:00"), "record"),
    ("start 30 February", _set("record.interval_start", "2025-02-30T00:00:00+08:00"), "record"),
    ("start hour 24", _set("record.interval_start", "2025-01-01T24:00:00+08:00"), "record"),
    ("start before period", _set("record.interval_start", "2024-12-31T23:00:00+08:00"), "record"),
    ("start same instant, other offset", _set("record.interval_start", "2024-12-31T16:00:00Z"), "record"),
    ("start offset +15:00", _set("record.interval_start", "2025-01-01T00:00:00+15:00"), "record"),
    ("start offset +14:00", _set("record.interval_start", "2025-01-01T00:00:00+14:00"), "record_hash"),
    ("start Z", _set("record.interval_start", "2025-01-01T00:00:00Z"), "record_hash"),
    ("end = start", _set("record.interval_end", "2025-01-01T00:00:00+08:00"), "record"),
    ("end after period", _set("record.interval_end", "2025-02-01T00:00:01+08:00"), "record"),
    ("salt short", _set("record.salt", "0x1234"), "record"),
    ("salt unprefixed", lambda b: b["record"].update(salt=b["record"]["salt"][2:]), "record"),
    ("evidence not a list", _set("record.evidence", {}), "record"),
    ("evidence extra key", _set("record.evidence.0.size", 1), "record"),
    ("evidence path", _set("record.evidence.0.file_name", "a/b.pdf"), "record"),
    ("evidence bidi", _set("record.evidence.0.file_name", "bill\u202efdp.exe"), "record"),
    ("evidence media parameters", _set("record.evidence.0.media_type", "text/plain; charset=utf-8"), "record"),
    ("evidence 33", lambda b: b["record"].update(evidence=b["record"]["evidence"][:1] * 33), "record"),
    # a prefixed evidence hash is the same 32 bytes: the record still hashes the same
    ("evidence 0x sha256", lambda b: b["record"]["evidence"][0].update(sha256="0x" + b["record"]["evidence"][0]["sha256"]), None),
    ("hashes in upper case", lambda b: b.update(record_hash=b["record_hash"].upper().replace("0X", "0x")), None),
]  # fmt: skip


def _case(
    case_id: str,
    bundle: Any,
    *,
    rpc_url: str,
    contract: str | None,
    expected: str | None,
    evidence: Sequence[Path] = (),
    w3: Web3,
) -> dict[str, Any]:
    return {
        "id": case_id,
        "bundle": bundle,
        "options": {"rpcUrl": rpc_url, "contract": contract},
        "evidence": [{"name": p.name, "base64": base64.b64encode(p.read_bytes()).decode()} for p in evidence],
        # Python side (not sent to node)
        "_w3": w3,
        "_paths": list(evidence),
        "_expected": expected,
    }


def _run_js(mode: str, cases: list[dict[str, Any]]) -> dict[str, Any]:
    payload = {"mode": mode, "cases": [{k: v for k, v in c.items() if not k.startswith("_")} for c in cases]}
    run = _node([str(RUNNER)], json.dumps(payload), timeout=300)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["console"] == [], f"the verifier wrote to the console: {out['console']}"
    assert out["errors"] == [], out["errors"]
    return out


def _compare(cases: list[dict[str, Any]], js: dict[str, Any], mode: str) -> None:
    by_id = {r["id"]: r for r in js["results"]}
    for case in cases:
        result = by_id[case["id"]]
        assert "thrown" not in result, f"{mode} {case['id']}: verifyBundle threw {result.get('thrown')}"
        report = result["report"]
        py = verify_bundle(
            case["bundle"], case["_w3"], expected_contract=case["options"]["contract"], evidence_files=case["_paths"]
        )
        py_checks = [(c.name, c.ok) for c in py.checks]
        js_checks = [(c["name"], c["ok"]) for c in report["checks"]]
        context = f"{mode} {case['id']}: python {py.to_json()} js {report}"
        assert js_checks == py_checks, context
        assert report["valid"] is py.valid and report["supersededBy"] == py.superseded_by, context
        first = next((name for name, ok in js_checks if ok is False), None)
        assert first == case["_expected"], context
        if case["id"] == "signature v 0 or 1":  # the same reason in both verifiers (and in the service's 422)
            details = [c.detail for c in py.checks if c.name == "signature"] + [
                c["detail"] for c in report["checks"] if c["name"] == "signature"
            ]
            assert all(d.startswith("batch_signature: v must be 27 or 28") for d in details), details
        assert all(isinstance(c["detail"], str) and c["detail"] for c in report["checks"]), context


@pytest.fixture
def dead_rpc() -> str:
    """An endpoint where nothing listens."""
    return f"http://127.0.0.1:{free_loopback_port()}"


@pytest.mark.parametrize("mode", ["module", "bundle"])
def test_javascript_and_python_agree_check_by_check(
    service: Service, factory: LocalAccount, rpc_url: str, dead_rpc: str, tmp_path: Path, mode: str
) -> None:
    w3, contract = service.w3, service.ledger.address
    first = _submit(service, factory, example_batch(FACTORY))
    bundle = _bundle(service, first)
    assert len(bundle["proof"]) >= 2

    cases = []
    for case_id, tamper, expected in TAMPERINGS:
        tampered: Any = copy.deepcopy(bundle)
        replacement = tamper(tampered)
        if replacement is not None:
            tampered = replacement
        cases.append(_case(case_id, tampered, rpc_url=rpc_url, contract=contract, expected=expected, w3=w3))
    altered = tmp_path / BILL.name
    altered.write_bytes(BILL.read_bytes().replace(b"1,286,420.4", b"1,286,000.4"))
    assert altered.read_bytes() != BILL.read_bytes()
    cases += [
        _case("evidence files", bundle, rpc_url=rpc_url, contract=contract, expected=None, evidence=[BILL, PHOTO], w3=w3),
        _case("evidence altered", bundle, rpc_url=rpc_url, contract=contract, expected="evidence", evidence=[PHOTO, altered], w3=w3),
        _case("evidence after a failure", copy.deepcopy(bundle) | {"chain_id": 1}, rpc_url=rpc_url, contract=contract,
              expected="chain", evidence=[BILL], w3=w3),
        _case("not pinned", bundle, rpc_url=rpc_url, contract=None, expected=None, w3=w3),
        _case("not pinned, no code", copy.deepcopy(bundle) | {"contract": "0x" + "22" * 20}, rpc_url=rpc_url,
              contract=None, expected="contract", w3=w3),
        _case("not pinned, not CarbonLedger", copy.deepcopy(bundle) | {"contract": _other_contract(service)},
              rpc_url=rpc_url, contract=None, expected="contract", w3=w3),
        _case("rpc unreachable", bundle, rpc_url=dead_rpc, contract=contract, expected="chain",
              w3=Web3(Web3.HTTPProvider(dead_rpc, request_kwargs={"timeout": 5}))),
    ]  # fmt: skip
    js = _run_js(mode, cases)
    _compare(cases, js, mode)

    # a correction anchors revision 2: revision 1 stays valid, and says it is superseded
    second = _submit(service, factory, example_batch(FACTORY, revision=2, value="1286421.0"))
    later = [
        _case("superseded", bundle, rpc_url=rpc_url, contract=contract, expected=None, w3=w3),
        _case("latest", _bundle(service, second), rpc_url=rpc_url, contract=contract, expected=None, w3=w3),
        _case("revision 2 with revision 1's proof", copy.deepcopy(bundle) | {"revision": 2}, rpc_url=rpc_url,
              contract=contract, expected="anchor", w3=w3),
    ]  # fmt: skip
    js = _run_js(mode, later)
    _compare(later, js, mode)
    superseded, latest = (r["report"] for r in js["results"][:2])
    assert superseded["valid"] and superseded["supersededBy"] == 2
    assert latest["valid"] and latest["supersededBy"] is None


def _other_contract(service: Service) -> str:
    """A contract that is not CarbonLedger: the address of a one-byte runtime (STOP)."""
    address = "0x" + "33" * 20
    service.w3.provider.make_request("anvil_setCode", [address, "0x00"])  # type: ignore[arg-type]
    return Web3.to_checksum_address(address)


def test_a_signature_that_recovers_no_key_fails_the_signature_check(
    service: Service, factory: LocalAccount, rpc_url: str
) -> None:
    """65 bytes that recover no key (r = s = 0, or an r that is no curve point) fail `signature`.

    Compared with the JavaScript verifier alone: ledger.verify lets eth_keys' BadSignature escape
    for these instead of failing the check (reported; see the hand-over notes).
    """
    bundle = _bundle(service, _submit(service, factory, example_batch(FACTORY)))
    signature = bundle["batch_signature"]
    cases = [
        _case("zero signature", bundle | {"batch_signature": "0x" + "00" * 64 + "1b"}, rpc_url=rpc_url,
              contract=service.ledger.address, expected="signature", w3=service.w3),
    ] + [
        _case(f"r byte {i}", bundle | {"batch_signature": _flip_byte(signature, i)}, rpc_url=rpc_url,
              contract=service.ledger.address, expected="signature", w3=service.w3)
        for i in range(0, 32, 4)
    ]  # fmt: skip
    for mode in ("module", "bundle"):
        for result in _run_js(mode, cases)["results"]:
            report = result["report"]
            assert [(c["name"], c["ok"]) for c in report["checks"]][-4:] == [
                ("anchor", True), ("signature", False), ("transaction", None), ("revision", None)
            ], (mode, result)  # fmt: skip


def test_the_tables_are_the_python_ones() -> None:
    """Types, kinds and units are copies of the Python definitions; a change to either shows here."""
    for mode in ("module", "bundle"):
        tables = _run_js(mode, [])["tables"]
        assert tables["RECORD_TYPES"] == RECORD_TYPES
        assert tables["BATCH_COMMIT_TYPE"] == BATCH_COMMIT_TYPE
        assert list(tables["UNITS"].items()) == [(symbol, unit.dimension) for symbol, unit in UNITS.items()]
        assert list(tables["QUANTITY_KINDS"]) == list(QUANTITY_KINDS)
        for name, kind in QUANTITY_KINDS.items():
            js_kind = tables["QUANTITY_KINDS"][name]
            assert set(js_kind["dimensions"]) == kind.dimensions and js_kind["consumption"] is kind.consumption


def test_same_block_rotations_and_wallet_signers_agree_with_the_contract(
    service: Service, factory: LocalAccount, new_account: Callable[[], LocalAccount], rpc_url: str
) -> None:
    """The signer is the one the contract recorded for the anchor: a rotation later in the anchor's
    block changes nothing, and a contract wallet is asked (ERC-1271), here as in Python."""
    w3, contract = service.w3, service.ledger.address
    rotated = anchor_then_rotate_in_one_block(
        service.http, w3, service.ledger.domain(), FACTORY, factory, Account.create().address
    )
    deployer = new_account()
    owner, wallet = wallet_factory(service.http, w3, deployer, "CN-WALLET-0001")
    response = service.http.post("/batches", json=batch_json(service.ledger, owner, example_batch("CN-WALLET-0001")))
    assert response.status_code == 201, response.text
    by_wallet = _bundle(service, response.json())
    cases = [
        _case("rotated in the same block", rotated, rpc_url=rpc_url, contract=contract, expected=None, w3=w3),
        _case("contract wallet", by_wallet, rpc_url=rpc_url, contract=contract, expected=None, w3=w3),
        _case("contract wallet, another key", by_wallet | {"batch_signature": rotated["batch_signature"]},
              rpc_url=rpc_url, contract=contract, expected="signature", w3=w3),
    ]  # fmt: skip
    for mode in ("module", "bundle"):
        _compare(cases, _run_js(mode, cases), mode)
    disable_wallet(w3, deployer, wallet)
    disabled = [_case("wallet disabled", by_wallet, rpc_url=rpc_url, contract=contract, expected="signature", w3=w3)]
    for mode in ("module", "bundle"):
        _compare(disabled, _run_js(mode, disabled), mode)


def test_a_key_the_admin_forced_is_named_so_by_both_verifiers(
    service: Service, factory: LocalAccount, rpc_url: str
) -> None:
    replacement = Account.create()
    service.ledger.force_rotate_signer(FACTORY, replacement.address, keccak(text="key lost"))  # the test's admin key
    bundle = _bundle(service, _submit(service, replacement, example_batch(FACTORY)))
    case = _case("forced key", bundle, rpc_url=rpc_url, contract=service.ledger.address, expected=None, w3=service.w3)
    js = _run_js("bundle", [case])
    _compare([case], js, "bundle")
    python = next(c.detail for c in verify_bundle(bundle, service.w3).checks if c.name == "signature")
    javascript = next(c["detail"] for c in js["results"][0]["report"]["checks"] if c["name"] == "signature")
    assert python == javascript and "(forced by the admin, without the previous key's signature)" in python, python
