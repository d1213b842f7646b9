"""Crash safety: `zcl serve` killed (SIGKILL, like a power cut) at every point of a submission.

The chain is an anvil started by the test (``ZCL_RPC_URL``), so it outlives the service like a real
chain does. At each point the service dies with the client's request unanswered (the client was
never told "accepted"); restarted without the fault, it must have the batch or claim on chain
exactly once, and the same signed submission must come back 200 with the same id.

One kill per point by default; ``./scripts/test --all`` runs every point 20 times.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.anvil import Anvil, free_loopback_port
from ledger.chain.client import LedgerClient
from ledger.chain.funding import fund_on_anvil
from ledger.eip712.domain import LedgerDomain
from tests.builders import batch_json, claim_body, claim_json, example_batch, role_key_files
from tests.test_cli import Service, base_env

pytestmark = pytest.mark.e2e  # whole programs: see tests/conftest.py's layers
TOKEN = "crash-test-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
PASSWORD = "crash test operator password"
BATCH_POINTS = ["batch.stored", "batch.sent", "batch.mined"]
CLAIM_POINTS = ["claim.stored", "claim.sent", "claim.mined"]
LONG_RUNS = 20


@dataclass
class Rig:
    """A data directory whose `zcl serve` writes to a chain the test owns."""

    service: Service
    w3: Web3
    counter: int = 0
    kills: int = 0

    def start(self, crash_at: str | None = None) -> None:
        env = {k: v for k, v in self.service.env.items() if k != "ZCL_CRASH_AT"}
        if crash_at is not None:
            env["ZCL_CRASH_AT"] = crash_at
        self.service.env = env
        self.service.start()

    @property
    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.service.url, timeout=60)

    def ledger(self) -> LedgerClient:
        record = json.loads((self.service.workdir / "data" / "deployment.json").read_text())
        return LedgerClient(self.w3, record["address"])

    def domain(self) -> LedgerDomain:
        return self.ledger().domain()

    def new_factory(self) -> tuple[str, LocalAccount]:
        self.counter += 1
        factory_id = f"CN-CRASH-{self.counter:04d}-{time.monotonic_ns() % 10**6:06d}"
        key = Account.create()
        with self.http as http:
            response = http.post("/factories", json={"id": factory_id, "name": factory_id, "signer": key.address},
                                 headers=ADMIN)  # fmt: skip
        assert response.status_code == 201, response.text
        return factory_id, key

    def killed(self, path: str, body: dict[str, Any]) -> None:
        """POST, expecting the service to die before it answers."""
        with pytest.raises(httpx.TransportError), self.http as http:
            http.post(path, json=body)
        process = self.service.process
        assert process is not None
        code = process.wait(timeout=30)
        self.service.process = None
        assert code == -signal.SIGKILL, f"expected death by SIGKILL, got exit code {code}"


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anvil]:
    with Anvil(log_file=tmp_path_factory.mktemp("crash-anvil") / "anvil.log") as anvil:
        yield anvil


@pytest.fixture(scope="module")
def rig(chain: Anvil, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    workdir = tmp_path_factory.mktemp("crash")
    w3 = Web3(Web3.HTTPProvider(chain.rpc_url, request_kwargs={"timeout": 30}))
    role_key_files(workdir / "data", PASSWORD, lambda address: fund_on_anvil(w3, address))
    env = base_env(
        ZCL_DATA_DIR=str(workdir / "data"), ZCL_RPC_URL=chain.rpc_url, ZCL_KEY_PASSWORD=PASSWORD,
        ZCL_ADMIN_TOKEN=TOKEN, ZCL_RECONCILE_SECONDS="1", ZCL_RECEIPT_TIMEOUT="30",
    )  # fmt: skip
    rig = Rig(Service(workdir, free_loopback_port(), env), w3)
    yield rig
    if rig.service.process is not None:
        rig.service.stop()


def signed_batch(rig: Rig, factory_id: str, key: LocalAccount) -> dict[str, Any]:
    return batch_json(rig.domain(), key, example_batch(factory_id))


def signed_claim(rig: Rig, factory_id: str, key: LocalAccount) -> dict[str, Any]:
    first = 1000 * rig.counter + 1
    last = first + 99
    return claim_json(rig.domain(), key, claim_body(factory_id, first, last))


def prepare_batch(rig: Rig) -> tuple[str, dict[str, Any]]:
    factory_id, key = rig.new_factory()
    return factory_id, signed_batch(rig, factory_id, key)


def check_batch(rig: Rig, factory_id: str, body: dict[str, Any]) -> None:
    assert rig.ledger().revision_count(factory_id, "2025-01") == 1, "the batch must be on chain exactly once"
    with rig.http as http:
        listed = http.get(f"/factories/{factory_id}/batches").json()
        again = http.post("/batches", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "anchored" and again.json()["tx_hash"]
    assert [b["id"] for b in listed] == [again.json()["id"]], listed
    anchor = rig.ledger().get_anchor(factory_id, "2025-01", 1)
    assert "0x" + anchor.root.hex() == body["root"]


def prepare_claim(rig: Rig) -> tuple[str, dict[str, Any], int]:
    factory_id, key = rig.new_factory()
    return factory_id, signed_claim(rig, factory_id, key), rig.ledger().claim_count()


def check_claim(rig: Rig, factory_id: str, body: dict[str, Any], before: int) -> None:
    ledger = rig.ledger()
    assert ledger.claim_count() == before + 1, "the claim must be on chain exactly once"
    with rig.http as http:
        again = http.post("/claims", json=body)
        assert again.status_code == 200, again.text
        claim = again.json()
        assert claim["status"] == "claimed" and claim["claim_id"] == before + 1 and claim["tx_hash"]
        assert http.post("/claims", json=body).json()["claim_id"] == claim["claim_id"]
    assert ledger.get_claim(claim["claim_id"]).factory_id == factory_id


def kill_and_recover(rig: Rig, point: str, runs: int) -> None:
    """``runs`` times: prepare with a clean service, restart it to die at ``point``, restart and check."""
    is_batch = point.startswith("batch")
    path, prepare, check = (
        ("/batches", prepare_batch, check_batch) if is_batch else ("/claims", prepare_claim, check_claim)
    )
    rig.start()
    try:
        prepared: Any = prepare(rig)
        for run in range(runs):
            rig.service.stop()
            rig.start(crash_at=point)
            rig.killed(path, prepared[1])
            rig.start()  # the start-up reconcile finishes what the kill left
            check(rig, *prepared)
            rig.kills += 1
            if run < runs - 1:
                prepared = prepare(rig)
    finally:
        if rig.service.process is not None:
            rig.service.stop()


@pytest.mark.parametrize("point", BATCH_POINTS + CLAIM_POINTS)
def test_a_submission_survives_a_kill(rig: Rig, point: str) -> None:
    kill_and_recover(rig, point, 1)


@pytest.mark.long
@pytest.mark.parametrize("point", BATCH_POINTS + CLAIM_POINTS)
def test_every_point_survives_many_kills(rig: Rig, point: str) -> None:
    kill_and_recover(rig, point, LONG_RUNS)
