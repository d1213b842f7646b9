"""The chain misbehaving under `zcl serve`: unreachable, a recorded contract that is not there,
and blocks that come slowly (confirmations)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from web3 import Web3

from ledger.chain.anvil import Anvil, free_loopback_port
from ledger.chain.client import LedgerClient
from ledger.chain.funding import fund_on_anvil
from tests.builders import batch_json, example_batch, role_key_files
from tests.test_cli import Service, base_env, zcl

pytestmark = pytest.mark.e2e  # whole programs: see tests/conftest.py's layers
TOKEN = "chain-faults-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
PASSWORD = "chain faults operator password"


def operator_env(workdir: Path, rpc_url: str, w3: Web3, **extra: str) -> dict[str, str]:
    """A data directory with funded role keystores, for a service writing to ``rpc_url``."""
    role_key_files(workdir / "data", PASSWORD, lambda address: fund_on_anvil(w3, address))
    return base_env(
        ZCL_DATA_DIR=str(workdir / "data"), ZCL_RPC_URL=rpc_url, ZCL_KEY_PASSWORD=PASSWORD, ZCL_ADMIN_TOKEN=TOKEN,
        **extra,
    )  # fmt: skip


def web3(url: str) -> Web3:
    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))


def signed_batch(ledger: LedgerClient, factory_id: str, key: Any) -> dict[str, Any]:
    return batch_json(ledger, key, example_batch(factory_id))


class RpcGate:
    """An HTTP relay in front of anvil: closing it makes the RPC endpoint refuse connections, as
    an unreachable node does, while the chain itself keeps its state; opening it again (same
    port) brings the chain back."""

    def __init__(self, upstream: str) -> None:
        self.upstream, self.port = upstream, free_loopback_port()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def open(self) -> None:
        upstream = self.upstream

        class Relay(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = urllib.request.Request(upstream, data=body, headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=30) as answer:
                    data = answer.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Relay)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Anvil]:
    anvil = Anvil(log_file=tmp_path / "chain" / "anvil.log")
    anvil.start()
    yield anvil
    anvil.stop()


def test_batches_are_queued_while_the_chain_is_down_and_anchored_when_it_returns(chain: Anvil, tmp_path: Path) -> None:
    w3 = web3(chain.rpc_url)
    gate = RpcGate(chain.rpc_url)
    gate.open()
    env = operator_env(tmp_path, gate.url, w3, ZCL_RECONCILE_SECONDS="0.5", ZCL_RECEIPT_TIMEOUT="30")
    service = Service(tmp_path, free_loopback_port(), env)
    service.start()
    try:
        key, stranger = Account.create(), Account.create()
        with httpx.Client(base_url=service.url, timeout=60) as http:
            for factory_id in ("CN-DOWN-0001", "CN-DOWN-0002"):
                response = http.post("/factories", json={"id": factory_id, "name": factory_id, "signer": key.address},
                                     headers=ADMIN)  # fmt: skip
                assert response.status_code == 201, response.text
            record = json.loads((tmp_path / "data" / "deployment.json").read_text())
            ledger = LedgerClient(w3, record["address"])
            good = signed_batch(ledger, "CN-DOWN-0001", key)
            wrong = signed_batch(ledger, "CN-DOWN-0002", stranger)  # not the registered signer

            gate.close()  # the node stops answering
            queued = http.post("/batches", json=good)
            assert queued.status_code == 202, queued.text
            assert (
                queued.json()["status"] == "pending" and "anchored when the chain returns" in queued.json()["message"]
            )
            batch_id = queued.json()["id"]
            assert http.get(f"/batches/{batch_id}").json()["status"] == "pending"
            again = http.post("/batches", json=good)  # resubmitted while still down: the same, at once
            assert again.status_code == 202 and again.json()["id"] == batch_id
            refused_later = http.post("/batches", json=wrong)
            assert refused_later.status_code == 202, refused_later.text
            wrong_id = refused_later.json()["id"]

            gate.open()  # and answers again
            deadline = time.monotonic() + 30
            while http.get(f"/batches/{batch_id}").json()["status"] == "pending":
                assert time.monotonic() < deadline, "the queued batch was not anchored after the chain returned"
                time.sleep(0.25)
            anchored = http.get(f"/batches/{batch_id}").json()
            assert anchored["status"] == "anchored" and anchored["tx_hash"] and anchored["block_number"]
            assert LedgerClient(w3, record["address"]).revision_count("CN-DOWN-0001", "2025-01") == 1
            while http.get(f"/batches/{wrong_id}").json()["status"] == "pending":
                assert time.monotonic() < deadline, "the wrongly signed batch was never rejected"
                time.sleep(0.25)
            rejected = http.get(f"/batches/{wrong_id}").json()
            assert rejected["status"] == "rejected" and stranger.address in rejected["reason"], rejected
            assert LedgerClient(w3, record["address"]).revision_count("CN-DOWN-0002", "2025-01") == 0
            assert http.post("/batches", json=good).status_code == 200
    finally:
        service.stop()
        gate.close()


def test_a_recorded_contract_without_code_refuses_to_start(chain: Anvil, tmp_path: Path) -> None:
    w3 = web3(chain.rpc_url)
    env = operator_env(tmp_path, chain.rpc_url, w3)
    nowhere = Account.create().address  # an address that holds no code
    (tmp_path / "data" / "deployment.json").write_text(json.dumps(
        {"chain_id": 31337, "address": nowhere, "block_number": 1, "tx_hash": "0x" + "00" * 32, "deployer": nowhere}
    ))  # fmt: skip
    result = zcl("serve", "--port", str(free_loopback_port()), env=env, cwd=tmp_path, code=1, timeout=60)
    assert "has no CarbonLedger with the committed bytecode" in result.stderr, result.stderr
    assert nowhere in result.stderr


def test_a_send_waits_for_its_confirmations(chain: Anvil) -> None:
    w3 = web3(chain.rpc_url)
    operator = Account.create()
    fund_on_anvil(w3, operator.address)
    deployed, _ = LedgerClient.deploy(w3, operator)
    ledger = LedgerClient(w3, deployed.address, operator, receipt_timeout=30, confirmations=2)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        done: list[Any] = []
        sender = threading.Thread(target=lambda: done.append(ledger.register_factory("CN-CONF-0001", operator.address)))
        sender.start()
        deadline = time.monotonic() + 10
        while not w3.eth.get_block("pending")["transactions"]:
            assert time.monotonic() < deadline, "the transaction never reached the node"
            time.sleep(0.05)
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]  # the transaction's block
        mined_in = w3.eth.block_number
        time.sleep(0.5)
        assert not done, "reported with no confirmation"
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        time.sleep(0.5)
        assert not done, "reported with one confirmation of two"
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        sender.join(timeout=10)
        assert done, "not reported after two confirmations"
        assert done[0].block_number == mined_in
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
