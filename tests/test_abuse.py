"""Abuse over real HTTP: oversized bodies, unknown fields, floats, foreign and malleable signatures,
replays, expired keys, missing admin tokens, and secrets that must never be printed."""

from __future__ import annotations

import copy
import json
import logging
import os
import socket
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from api.app import DEFAULT_MAX_BODY_BYTES
from ledger.chain import errors as chain_errors
from ledger.chain.anvil import free_loopback_port
from ledger.claims import parse_claim, sign_claim
from ledger.claims.signed import sign_claim_json
from ledger.config import Settings
from ledger.eip712.domain import LedgerDomain
from ledger.eip712.typed_data import SECP256K1_N
from ledger.records import parse_batch
from ledger.signing import parse_signed_batch, sign_batch
from tests.builders import FACTORY_ID, batch_json, claim_body, example_batch, signed_rotation
from tests.conftest import ADMIN, Service
from tests.test_cli import ZCL, base_env
from tests.test_cli import Service as ZclServe
from tests.test_service import _march_intervals

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def factory_name() -> str:
    return "Suzhou"


def locs(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    return [d["loc"] for d in detail]


def names(response: httpx.Response, field: str) -> bool:
    return any(field in [str(part) for part in loc] for loc in locs(response))


# --- request size ------------------------------------------------------------------------------


def _raw_post(base_url: str, head: bytes, body_chunks: list[bytes] | None = None) -> tuple[int, bytes]:
    """POST over a raw socket (so the test controls Content-Length and chunking); returns the status
    and the response body."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(head)
        for chunk in body_chunks or []:
            sock.sendall(chunk)
        data = b""
        while True:
            try:
                piece = sock.recv(65536)
            except ConnectionResetError:
                break
            if not piece:
                break
            data += piece
            if b"\r\n\r\n" in data:
                header, _, rest = data.partition(b"\r\n\r\n")
                length = [
                    int(line.split(b":")[1])
                    for line in header.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ]
                if length and len(rest) >= length[0]:
                    break
    header, _, rest = data.partition(b"\r\n\r\n")
    return int(header.split(b" ")[1]), rest


@pytest.mark.usefixtures("served")  # a raw socket: Content-Length and chunking as sent
def test_a_body_over_the_limit_is_refused_by_its_content_length(service: Service) -> None:
    size = DEFAULT_MAX_BODY_BYTES + 1
    head = (f"POST /batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()  # fmt: skip
    code, body = _raw_post(str(service.http.base_url).rstrip("/"), head)  # nothing of the body is sent
    assert code == 413, body
    assert str(DEFAULT_MAX_BODY_BYTES) in json.loads(body)["detail"]
    assert service.http.get("/chain").status_code == 200  # the service still answers


@pytest.mark.usefixtures("served")  # a raw socket: Content-Length and chunking as sent
def test_a_chunked_body_over_the_limit_is_refused_as_it_streams(service: Service) -> None:
    piece = b" " * (1024 * 1024)
    chunks = [b"%x\r\n%s\r\n" % (len(piece), piece)] * (DEFAULT_MAX_BODY_BYTES // len(piece) + 1) + [b"0\r\n\r\n"]
    head = b"POST /batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    code, body = _raw_post(str(service.http.base_url).rstrip("/"), head, chunks)
    assert code == 413, body
    assert str(DEFAULT_MAX_BODY_BYTES) in json.loads(body)["detail"]
    # and a small chunked body is read normally (a 422 for the bad JSON, not a 413)
    small = b"POST /batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    code, body = _raw_post(str(service.http.base_url).rstrip("/"), small, [b"2\r\n{}\r\n", b"0\r\n\r\n"])
    assert code == 422, body


# --- strict input ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/batches", "/claims", "/verify"])
def test_a_deeply_nested_json_body_is_refused_without_taking_the_service_down(service: Service, path: str) -> None:
    # 100 KB of "[": far under the body limit, but deep enough to overflow the C stack if the
    # interpreter's recursion limit were left at the 100,000 that importing py_ecc sets.
    response = service.http.post(path, content=b"[" * 100_000, headers={"content-type": "application/json"})
    assert response.status_code in (400, 422), response.text
    assert service.http.get("/chain").status_code == 200  # the service still answers


def test_unknown_fields_are_refused_naming_the_field(service: Service, factory: LocalAccount) -> None:
    body = batch_json(service.ledger, factory, example_batch())
    assert names(service.http.post("/batches", json=body | {"is_admin": True}), "is_admin")
    record = copy.deepcopy(body)
    record["records"][0]["approved_by"] = "x"
    assert names(service.http.post("/batches", json=record), "approved_by")

    claim = sign_claim_json(parse_claim(c := claim_body(FACTORY_ID, 1, 10)), sign_claim(
        factory, service.ledger.domain(), parse_claim(c)), service.ledger.domain())  # fmt: skip
    assert names(service.http.post("/claims", json=claim | {"discount": "1"}), "discount")

    evaluation = {"factory_id": FACTORY_ID, "year": 2025, "type": "I"}
    assert names(service.http.post("/evaluations", json=evaluation | {"level": "6★"}), "level")

    new = {"id": "CN-NEW", "name": "New", "signer": Account.create().address}
    assert names(service.http.post("/factories", json=new | {"role": "admin"}, headers=ADMIN), "role")
    rotation = signed_rotation(service.http, FACTORY_ID, factory, new["signer"])
    assert names(service.http.post(f"/factories/{FACTORY_ID}/signer", json=rotation | {"x": 1}), "x")
    assert not service.ledger.is_registered("CN-NEW")


def test_json_numbers_are_refused_where_exact_decimals_are_required(service: Service, factory: LocalAccount) -> None:
    body = batch_json(service.ledger, factory, example_batch())
    as_float = copy.deepcopy(body)
    as_float["records"][0]["value"] = float(as_float["records"][0]["value"])
    assert names(service.http.post("/batches", json=as_float), "value")
    assert names(service.http.post("/batches", json=body | {"revision": 1.0}), "revision")
    assert names(service.http.post("/batches", json=body | {"chain_id": float(body["chain_id"])}), "chain_id")
    claim = claim_body(FACTORY_ID, 1, 10)
    signed_claim = sign_claim_json(parse_claim(claim), sign_claim(factory, service.ledger.domain(), parse_claim(claim)),
                                   service.ledger.domain())  # fmt: skip
    assert names(service.http.post("/claims", json=signed_claim | {"quantity": 10.0}), "quantity")
    evaluation = {"factory_id": FACTORY_ID, "year": 2025.0, "type": "I"}
    assert names(service.http.post("/evaluations", json=evaluation), "year")


# --- signatures --------------------------------------------------------------------------------


def test_a_signature_for_another_chain_or_contract_is_refused(service: Service, factory: LocalAccount) -> None:
    domain = service.ledger.domain()
    batch = parse_batch(example_batch())
    other_chain = LedgerDomain(chain_id=domain.chain_id + 1, verifying_contract=domain.verifying_contract)
    other_contract = LedgerDomain(chain_id=domain.chain_id, verifying_contract="0x" + "42" * 20)
    for foreign in (other_chain, other_contract):
        body = sign_batch(batch, factory, foreign).to_json()
        response = service.http.post("/batches", json=body)
        assert names(response, "contract"), response.text
    claim = parse_claim(claim_body(FACTORY_ID, 1, 10))
    for foreign in (other_chain, other_contract):
        body = sign_claim_json(claim, sign_claim(factory, foreign, claim), foreign)
        assert names(service.http.post("/claims", json=body), "contract")
    assert service.ledger.revision_count(FACTORY_ID, "2025-01") == 0


def high_s(signature: bytes) -> bytes:
    """The malleable twin of a signature: s' = n − s, v flipped; it recovers the same key."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    assert s <= SECP256K1_N // 2
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([{27: 28, 28: 27}[v]])


def test_a_high_s_signature_is_refused_by_the_service_and_the_contract(service: Service, factory: LocalAccount) -> None:
    body = batch_json(service.ledger, factory, example_batch())
    twin = high_s(bytes.fromhex(body["signature"][2:]))
    response = service.http.post("/batches", json=body | {"signature": "0x" + twin.hex()})
    assert names(response, "signature"), response.text
    response = service.http.post("/batches", json={k: v for k, v in body.items() if k != "signer"}
                                 | {"signature": "0x" + twin.hex()})  # fmt: skip
    assert names(response, "signature"), response.text

    commit = parse_signed_batch(body).commit
    with pytest.raises(chain_errors.InvalidCommitSignature):
        service.ledger.commit_batch(commit, twin)  # relayed directly: OpenZeppelin's ECDSA refuses it too
    assert service.ledger.revision_count(FACTORY_ID, "2025-01") == 0

    claim = parse_claim(claim_body(FACTORY_ID, 1, 10))
    domain = service.ledger.domain()
    claim_json = sign_claim_json(claim, sign_claim(factory, domain, claim), domain)
    twin = high_s(bytes.fromhex(claim_json["signature"][2:]))
    response = service.http.post("/claims", json=claim_json | {"signature": "0x" + twin.hex()})
    assert names(response, "signature"), response.text

    assert service.http.post("/batches", json=body).status_code == 201  # the low-s original is fine


def test_a_batch_another_relayer_anchored_is_taken_as_anchored_not_refused(
    service: Service, factory: LocalAccount
) -> None:
    """Relaying the factory's signed commit is legitimate (front-running, a second instance): the chain
    holds the factory's own root, so the service records it as anchored, with the relayer's tx."""
    march = batch_json(service.ledger, factory, example_batch() | {"period": "2025-03"} | _march_intervals())
    parsed = parse_signed_batch(march)
    relayed = service.ledger.commit_batch(parsed.commit, parsed.signature)
    replay = service.http.post("/batches", json=march)
    assert replay.status_code == 201, replay.text
    assert (replay.json()["status"], replay.json()["tx_hash"]) == ("anchored", relayed.tx_hash)
    assert service.ledger.revision_count(FACTORY_ID, "2025-03") == 1


def test_a_batch_signed_with_a_rotated_out_key_is_forbidden(
    service: Service, factory: LocalAccount, new_account: Callable[[], LocalAccount]
) -> None:
    early = batch_json(service.ledger, factory, example_batch())  # signed while the key was current
    successor = new_account()
    rotation = signed_rotation(service.http, FACTORY_ID, factory, successor.address)
    rotated = service.http.post(f"/factories/{FACTORY_ID}/signer", json=rotation)
    assert rotated.status_code == 200, rotated.text
    late = service.http.post("/batches", json=early)
    assert late.status_code == 403 and factory.address in late.json()["detail"], late.text
    assert service.http.post("/batches", json=batch_json(service.ledger, successor, example_batch())).status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "test-admin-token"},
        {"Authorization": "Bearer test-admin-tokenx"},
        {"Authorization": "Basic x"},
    ],
)
def test_admin_endpoints_need_the_token(service: Service, factory: LocalAccount, headers: dict[str, str]) -> None:
    address = Account.create().address
    response = service.http.post("/factories", json={"id": "CN-NEW", "name": "New", "signer": address}, headers=headers)
    assert response.status_code == 401, (response.status_code, response.text)
    assert not service.ledger.is_registered("CN-NEW")


def test_the_admin_token_does_not_rotate_a_key_and_appoints_no_one(service: Service, factory: LocalAccount) -> None:
    """A rotation is authorized by the factory's current key alone, and roles are granted with the admin's
    key outside the service: the service's admin token does neither."""
    stranger = Account.create()
    address = stranger.address
    forged = signed_rotation(service.http, FACTORY_ID, stranger, address)  # signed by the wrong key
    for headers in ({}, ADMIN):
        response = service.http.post(f"/factories/{FACTORY_ID}/signer", json=forged, headers=headers)
        assert response.status_code == 403 and factory.address in response.json()["detail"], response.text
    unsigned = service.http.post(f"/factories/{FACTORY_ID}/signer", json={"signer": address}, headers=ADMIN)
    assert names(unsigned, "signature")
    assert service.ledger.current_signer(FACTORY_ID) == factory.address
    assert service.http.post("/evaluators", json={"address": address}, headers=ADMIN).status_code in (404, 405)
    assert not service.ledger.is_evaluator(address)


# --- secrets -----------------------------------------------------------------------------------

TOKEN = "tok-" + "Q7x9Lm2Pz8Rw4Kd6Vb3Nc5Hj"
PASSWORD = "pw-" + "Zr8Tq2Wm6Ys4Lp9Xv3Bn7Gk"


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ZCL, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.e2e  # runs `zcl` as a subprocess
def test_secrets_never_appear_in_output_logs_or_responses(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_loopback_port()
    env = base_env(ZCL_DATA_DIR=str(data), ZCL_ADMIN_TOKEN=TOKEN, ZCL_KEY_PASSWORD=PASSWORD,
                   ZCL_API_URL=f"http://127.0.0.1:{port}")  # fmt: skip
    server = ZclServe(workdir=tmp_path, port=port, env=env)
    captured: list[str] = []
    server.start()
    try:
        captured += server.banner
        role_hex = {}
        for role in ("relayer", "registrar", "admin", "attestor"):
            key_file = data / "keys" / f"{role}.key"
            keystore = json.loads(key_file.read_text())
            assert keystore["crypto"]["kdf"] == "scrypt" and "address" in keystore
            assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
            role_hex[role] = bytes(Account.decrypt(keystore, PASSWORD)).hex()

        with httpx.Client(base_url=server.url, timeout=60) as http:
            address = Account.create().address
            for headers in ({}, {"Authorization": "Bearer " + TOKEN[:-1]}, {"Authorization": "Bearer " + TOKEN + "x"},
                            {"Authorization": TOKEN}):  # fmt: skip
                response = http.post("/factories", json={"id": "CN-S", "name": "S", "signer": address}, headers=headers)
                assert response.status_code == 401
                captured += [response.text, str(response.headers)]
            for response in (
                http.post("/factories", json={"id": "bad id", "name": "S", "signer": "0x12"},
                          headers={"Authorization": "Bearer " + TOKEN}),
                http.post("/batches", json={"garbage": True}),
                http.post("/batches", content=b"{not json"),
                http.get("/chain"), http.get("/openapi.json"), http.get("/factories/CN-NONE"),
            ):  # fmt: skip
                captured += [response.text, str(response.headers)]

        # the CLI with a good keystore but a wrong password, with a malformed keystore, with a wrong token
        made = _run(["key", "new", "--out", "keys/factory.json"], env, tmp_path)
        assert made.returncode == 0, made.stderr
        captured += [made.stdout, made.stderr]
        factory_hex = bytes(Account.decrypt(json.loads((tmp_path / "keys/factory.json").read_text()), PASSWORD)).hex()
        batch = str(EXAMPLES / "2025-01" / "batch.json")
        wrong = _run(["batch", "sign", batch, "--key", "keys/factory.json", "--out", "x.json"],
                     env | {"ZCL_KEY_PASSWORD": PASSWORD[::-1]}, tmp_path)  # fmt: skip
        assert wrong.returncode == 1 and "wrong password" in wrong.stderr, wrong.stderr
        assert PASSWORD[::-1] not in wrong.stdout + wrong.stderr
        captured += [wrong.stdout, wrong.stderr]

        malformed = json.loads((tmp_path / "keys/factory.json").read_text())
        malformed["crypto"]["kdfparams"] = {"n": "x" + factory_hex}  # junk that carries the key's hex
        bad_file = tmp_path / "keys" / "malformed.json"
        bad_file.write_text(json.dumps(malformed))
        bad_file.chmod(0o600)
        hexfile = tmp_path / "keys" / "truncated.key"
        hexfile.write_text(factory_hex[:-2])
        hexfile.chmod(0o600)
        for key in ("keys/malformed.json", "keys/truncated.key"):
            failed = _run(["batch", "sign", batch, "--key", key, "--out", "x.json"], env, tmp_path)
            assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
            captured += [failed.stdout, failed.stderr]
        refused = _run(["factory", "register", "--id", "CN-S", "--name", "S", "--signer", address],
                       env | {"ZCL_ADMIN_TOKEN": TOKEN + "x"}, tmp_path)  # fmt: skip
        assert refused.returncode == 1, refused.stdout + refused.stderr
        captured += [refused.stdout, refused.stderr]
    finally:
        assert server.stop() == 0
    captured += server.stderr + server.tail()
    for log_file in data.rglob("*.log"):
        captured.append(log_file.read_text(errors="replace"))
    captured += [p.read_text(errors="replace") for p in (data / "chain").glob("*") if p.is_file()]

    everything = "\n".join(captured)
    assert "Traceback" not in everything
    hidden = [("admin token", TOKEN), ("key password", PASSWORD), ("factory key", factory_hex),
               ("factory key prefix", factory_hex[:40])] + [(f"{r} key", h) for r, h in role_hex.items()]  # fmt: skip
    for name, secret in hidden:
        assert secret not in everything, f"the {name} appears in output, logs or responses"
        assert secret.lower() not in everything.lower(), f"the {name} appears in output, logs or responses"


# --- the operator keystore ---------------------------------------------------------------------


def test_the_local_operator_key_is_a_keystore_with_a_generated_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from ledger.chain.session import operator_password_file, serve_chain

    monkeypatch.delenv("ZCL_KEY_PASSWORD", raising=False)
    settings = Settings.from_env({"ZCL_DATA_DIR": str(tmp_path / "data")})
    caplog.set_level(logging.DEBUG)
    with serve_chain(settings) as session:
        address = session.operator.address
    key_file, password_file = settings.operator_key_file, operator_password_file(settings)
    keystore = json.loads(key_file.read_text())
    assert keystore["crypto"]["kdf"] == "scrypt"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text().strip()
    assert len(password) >= 32
    key_hex = bytes(Account.decrypt(keystore, password)).hex()
    assert Account.from_key(key_hex).address == address
    with serve_chain(settings) as session:  # unlocked unattended with the password file
        assert session.operator.address == address
    assert password not in caplog.text and key_hex not in caplog.text


def test_an_old_plain_hex_operator_key_keeps_working_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from ledger.keys import load_operator_key, load_or_create_operator_key

    monkeypatch.delenv("ZCL_KEY_PASSWORD", raising=False)
    account = Account.create()
    key_file = tmp_path / "keys" / "operator.key"
    key_file.parent.mkdir()
    key_file.write_text("0x" + bytes(account.key).hex() + "\n")
    key_file.chmod(0o600)
    with caplog.at_level(logging.WARNING):
        loaded, created = load_or_create_operator_key(key_file, tmp_path / "keys" / "operator.password")
    assert loaded.address == account.address and not created
    assert "plain hex key" in caplog.text and "convert" in caplog.text
    assert bytes(account.key).hex() not in caplog.text
    assert not (tmp_path / "keys" / "operator.password").exists()

    # with ZCL_KEY_PASSWORD set, a new operator keystore uses it and no password file is written
    fresh = tmp_path / "fresh" / "operator.key"
    made, created = load_or_create_operator_key(fresh, tmp_path / "fresh" / "operator.password",
                                                {"ZCL_KEY_PASSWORD": PASSWORD})  # fmt: skip
    assert created and not (tmp_path / "fresh" / "operator.password").exists()
    assert load_operator_key(fresh, tmp_path / "fresh" / "operator.password",
                             {"ZCL_KEY_PASSWORD": PASSWORD}).address == made.address  # fmt: skip
    assert os.stat(fresh).st_mode & 0o077 == 0
