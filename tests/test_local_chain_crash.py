"""The local chain of `zcl serve` through crashes: SIGKILL of the service, SIGKILL of its anvil alone.

The service runs in local mode (no ``ZCL_RPC_URL``): it launches anvil with the state file in its
data directory. Its anvil must die with it, however it dies; one data directory's chain has one
owner at a time; and after any crash the restored chain, which may lack its last half second,
must hold again every batch the database holds as anchored.

A short run by default; ``./scripts/test --all`` runs 20 trials of each.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from web3 import Web3

from ledger.chain.anvil import free_loopback_port
from ledger.chain.client import LedgerClient
from tests.builders import batch_json, example_batch
from tests.test_cli import Service, anvil_pids, base_env, one_error_line, zcl
from tests.test_local_chain import LINUX_ONLY, alive

pytestmark = [pytest.mark.e2e, LINUX_ONLY]  # finds anvil through /proc
TOKEN = "local-crash-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
TRIALS = [2, pytest.param(20, marks=pytest.mark.long)]


@dataclass
class Local:
    """A data directory served by `zcl serve` on its own local anvil."""

    service: Service
    counter: int = 0

    @property
    def data(self) -> Path:
        return self.service.workdir / "data"

    @property
    def state_file(self) -> Path:
        return self.data / "chain" / "anvil-state.json"

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.service.url, timeout=60, headers=ADMIN)

    def ledger(self) -> LedgerClient:
        rpc_url = json.loads((self.data / "chain" / "endpoint.json").read_text())["rpc_url"]
        address = json.loads((self.data / "deployment.json").read_text())["address"]
        return LedgerClient(Web3(Web3.HTTPProvider(rpc_url)), address)

    def anvil(self) -> int:
        pids = anvil_pids(self.state_file)
        assert len(pids) == 1, f"expected the service's one anvil, found {pids}"
        return pids[0]

    def saved_height(self) -> int:
        return int(json.loads(self.state_file.read_text())["best_block_number"])

    def new_factory(self) -> tuple[str, Any]:
        """A registered factory whose registration is saved in the state file (a crash keeps it)."""
        self.counter += 1
        factory_id, key = f"CN-LOCAL-{self.counter:04d}", Account.create()
        with self.http() as http:
            response = http.post("/factories", json={"id": factory_id, "name": factory_id, "signer": key.address})
        assert response.status_code == 201, response.text
        height = self.ledger().w3.eth.block_number
        deadline = time.monotonic() + 10
        while self.saved_height() < height:
            assert time.monotonic() < deadline, "the state file was not saved within 10 s"
            time.sleep(0.05)
        return factory_id, key

    def anchor(self, factory_id: str, key: Any) -> dict[str, Any]:
        """POST a signed batch; returns the service's answer (anchored) and the signed root."""
        body = batch_json(self.ledger().domain(), key, example_batch(factory_id))
        with self.http() as http:
            response = http.post("/batches", json=body)
        assert response.status_code == 201 and response.json()["status"] == "anchored", response.text
        return response.json() | {"signed_root": body["root"]}

    def kill_service(self) -> None:
        process, self.service.process = self.service.process, None
        assert process is not None
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL

    def assert_anchored(self, factory_id: str, batch: dict[str, Any], timeout: float = 30) -> None:
        """The chain holds the batch's root for its revision and the database says anchored."""
        deadline = time.monotonic() + timeout
        while True:
            ledger = self.ledger()
            on_chain = ledger.revision_count(factory_id, "2025-01") >= 1
            root = "0x" + ledger.get_anchor(factory_id, "2025-01", 1).root.hex() if on_chain else None
            with self.http() as http:
                status = http.get(f"/batches/{batch['id']}").json()["status"]
            if root == batch["signed_root"] and status == "anchored":
                return
            assert time.monotonic() < deadline, f"{factory_id}: chain root {root}, database says {status}"
            time.sleep(0.5)


def wait_dead(pid: int, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, f"anvil {pid} outlived the service that launched it"
        time.sleep(0.05)


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Local]:
    env = base_env(ZCL_DATA_DIR=str(tmp_path / "data"), ZCL_ADMIN_TOKEN=TOKEN, ZCL_RECONCILE_SECONDS="1")
    served = Local(Service(tmp_path, free_loopback_port(), env))
    yield served
    if served.service.process is not None:
        served.service.stop()
    for pid in anvil_pids(served.state_file):  # clean up after a failure, which the test reported
        os.kill(pid, signal.SIGKILL)


def test_a_second_serve_on_the_same_data_dir_fails_fast_naming_the_lock_and_its_holder(local: Local) -> None:
    local.service.start()
    assert local.service.process is not None
    first_pid, first_url = local.service.process.pid, local.ledger().w3.provider.endpoint_uri  # type: ignore[attr-defined]
    started = time.monotonic()
    result = zcl("serve", "--port", str(free_loopback_port()), env=local.service.env, cwd=local.service.workdir,
                 code=1, timeout=60)  # fmt: skip
    assert time.monotonic() - started < 15
    line = one_error_line(result)
    assert f"{local.state_file}.lock is held by process {first_pid}" in line, line
    assert "ZCL_DATA_DIR" in line
    local.anvil()  # still exactly one anvil, the first's
    assert json.loads((local.data / "chain" / "endpoint.json").read_text())["rpc_url"] == first_url
    with local.http() as http:
        assert http.get("/").status_code == 200


@pytest.mark.parametrize("trials", TRIALS)
def test_sigkill_of_the_service_takes_its_anvil_along_and_the_restart_owns_the_chain(local: Local, trials: int) -> None:
    local.service.start()
    for _ in range(trials):
        factory_id, key = local.new_factory()
        batch = local.anchor(factory_id, key)
        deadline = time.monotonic() + 10
        while local.saved_height() < batch["block_number"]:  # saved: this crash loses nothing
            assert time.monotonic() < deadline, "the anchor's block was not saved within 10 s"
            time.sleep(0.05)
        anvil = local.anvil()
        local.kill_service()
        wait_dead(anvil)
        assert not anvil_pids(local.state_file), "an orphan anvil is running on the state file"
        local.service.start()  # the dead service's lock blocks nothing
        assert local.anvil() != anvil
        local.assert_anchored(factory_id, batch, timeout=0)


@pytest.mark.parametrize("victim", ["service", "anvil"])
@pytest.mark.parametrize("trials", TRIALS)
def test_an_anchor_the_crash_lost_is_anchored_again_from_the_database(local: Local, victim: str, trials: int) -> None:
    """Killed right after the 201, within the save interval: the restored chain may lack the anchor."""
    local.service.start()
    lost = 0
    for _ in range(trials):
        factory_id, key = local.new_factory()
        batch = local.anchor(factory_id, key)
        anvil = local.anvil()
        if victim == "service":
            local.kill_service()
            wait_dead(anvil)
        else:
            os.kill(anvil, signal.SIGKILL)
            wait_dead(anvil)
            saved = local.state_file.read_bytes()
            local.service.stop()  # a clean stop of a service whose chain is dead saves nothing over it
            assert local.state_file.read_bytes() == saved
        assert not anvil_pids(local.state_file)
        lost += local.saved_height() < batch["block_number"]
        local.service.start()
        local.assert_anchored(factory_id, batch)
    print(f"{victim} killed {trials} times right after anchoring: the saved chain lacked the anchor {lost} times")
