"""Several service instances over one database and one contract: how users scale out.

Each instance is its own app with its own engine and its own operator key (a different funded
sender; none is granted anything — anyone may relay). The database is PostgreSQL when
``ZCL_TEST_DATABASE_URL`` is set (``ZCL_TEST_POSTGRES=1 ./scripts/test``), else one shared SQLite file.
Racing the same request to two instances must still anchor or claim it once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from eth_account.signers.local import LocalAccount
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from api.compose import compose
from ledger.chain.anvil import free_loopback_port
from ledger.chain.client import LedgerClient
from ledger.store.models import BatchRow, ClaimRow
from tests.builders import batch_json, claim_body, claim_json, example_batch
from tests.conftest import ADMIN

INSTANCES = 2


@dataclass
class Instance:
    http: httpx.Client
    ledger: LedgerClient
    base_url: str


@dataclass
class Cluster:
    instances: list[Instance]
    ledger: LedgerClient  # the deployer's: admin and registrar
    sessions: sessionmaker[Session]
    dialect: str

    def register(self, factory_id: str, key: LocalAccount) -> None:
        response = self.instances[0].http.post(
            "/factories", json={"id": factory_id, "name": factory_id, "signer": key.address}, headers=ADMIN
        )
        assert response.status_code == 201, response.text


def _serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    port = free_loopback_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    return server, thread, port


@pytest.fixture
def cluster(
    tmp_path: Path, w3: Web3, ledger: LedgerClient, database_url: str, new_account: Callable[[], LocalAccount]
) -> Iterator[Cluster]:
    composed, servers, instances = [], [], []
    try:
        for n in range(INSTANCES):
            # Instance 0 relays and registers with the deployer's key (the test chain's one key is
            # admin and registrar); the others relay with fresh funded keys that hold no role at all.
            relayer = ledger if n == 0 else LedgerClient(w3, ledger.address, new_account(), receipt_timeout=60)
            composed.append(
                compose(
                    relayer,
                    database_url,
                    admin_token="test-admin-token",
                    evidence_dir=tmp_path / "evidence",
                    wait_timeout=30,
                    registrar=ledger.sender if n == 0 else None,
                )  # fmt: skip
            )  # each instance its own engine and services, as separate processes would have
            server, thread, port = _serve(composed[-1].app)
            servers.append((server, thread))
            base = f"http://127.0.0.1:{port}"
            instances.append(Instance(httpx.Client(base_url=base, timeout=120), relayer, base))
        assert len({i.ledger.sender.address for i in instances}) == INSTANCES
        yield Cluster(instances, ledger, composed[0].services.sessions, composed[0].engine.dialect.name)
    finally:
        for instance in instances:
            instance.http.close()
        for server, _ in servers:
            server.should_exit = True
        for _, thread in servers:
            thread.join(timeout=10)
        for each in composed:
            each.close()


def at_once(requests: list[tuple[Instance, str, dict[str, Any]]]) -> list[httpx.Response]:
    """POSTs every (instance, path, body) from its own thread, released together by a barrier."""
    results: list[httpx.Response | BaseException | None] = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def post(i: int) -> None:
        instance, path, body = requests[i]
        try:
            with httpx.Client(base_url=instance.base_url, timeout=120) as client:
                barrier.wait()
                results[i] = client.post(path, json=body)
        except BaseException as error:  # noqa: BLE001 - reported below
            results[i] = error

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    for result in results:
        assert isinstance(result, httpx.Response), f"a request failed: {result!r}"
    return results  # type: ignore[return-value]


def signed_batch(cluster: Cluster, key: LocalAccount, factory_id: str) -> dict[str, Any]:
    return batch_json(cluster.ledger, key, example_batch(factory_id))


def signed_claim(cluster: Cluster, key: LocalAccount, body: dict[str, Any]) -> dict[str, Any]:
    return claim_json(cluster.ledger, key, body)


def batch_rows(cluster: Cluster, factory_id: str) -> int:
    with cluster.sessions() as session:
        return session.scalar(select(func.count()).select_from(BatchRow).where(BatchRow.factory_id == factory_id))


def test_the_same_batch_to_two_instances_at_once_is_anchored_once(
    cluster: Cluster, new_account: Callable[[], LocalAccount]
) -> None:
    a, b = cluster.instances[0], cluster.instances[1]
    rounds, codes_seen = 10, []
    for n in range(rounds):
        factory_id = f"CN-TWIN-{n:02d}"
        key = new_account()
        cluster.register(factory_id, key)
        body = signed_batch(cluster, key, factory_id)
        period = example_batch(factory_id)["period"]
        # Alternate which instance is listed first so neither is always the one to win.
        first, second = at_once([(a, "/batches", body), (b, "/batches", body)] if n % 2 == 0 else
                                [(b, "/batches", body), (a, "/batches", body)])  # fmt: skip
        codes = sorted([first.status_code, second.status_code])
        codes_seen.append(codes)
        assert codes == [200, 201], [first.text, second.text]
        one, two = first.json(), second.json()
        assert one["id"] == two["id"]
        assert cluster.ledger.revision_count(factory_id, period) == 1
        assert batch_rows(cluster, factory_id) == 1
        created = one if first.status_code == 201 else two
        assert created["status"] == "anchored" and created["tx_hash"]
        # the duplicate's instance waits for the anchor the other instance is sending
        assert one["tx_hash"] == two["tx_hash"] and one["status"] == two["status"] == "anchored", (one, two)
    print(
        f"\n[instances/{cluster.dialect}] same batch to 2 instances x {rounds}: each anchored once on chain, "
        f"one row each, both answers the same anchor"
    )


def test_the_same_claim_to_two_instances_at_once_is_one_claim(
    cluster: Cluster, new_account: Callable[[], LocalAccount]
) -> None:
    key = new_account()
    cluster.register("CN-A", key)
    body = signed_claim(cluster, key, claim_body("CN-A", 1, 10))
    first, second = at_once([(cluster.instances[0], "/claims", body), (cluster.instances[1], "/claims", body)])
    assert sorted([first.status_code, second.status_code]) == [200, 201], [first.text, second.text]
    assert first.json()["claim_id"] == second.json()["claim_id"] == 1
    assert first.json()["tx_hash"] == second.json()["tx_hash"]
    assert cluster.ledger.claim_count() == 1
    with cluster.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ClaimRow)) == 1
    print(f"\n[instances/{cluster.dialect}] same claim to 2 instances: claim_count=1")


def test_overlapping_claims_to_two_instances_one_wins(
    cluster: Cluster, new_account: Callable[[], LocalAccount]
) -> None:
    a_key, b_key = new_account(), new_account()
    cluster.register("CN-A", a_key)
    cluster.register("CN-B", b_key)
    bodies = [
        signed_claim(cluster, a_key, claim_body("CN-A", 4001, 4800)),
        signed_claim(cluster, b_key, claim_body("CN-B", 4500, 5200)),
    ]
    results = at_once([(cluster.instances[0], "/claims", bodies[0]), (cluster.instances[1], "/claims", bodies[1])])
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 409], [r.text for r in results]
    winner = next(r.json() for r in results if r.status_code == 201)
    loser = next(r.json() for r in results if r.status_code == 409)
    assert winner["factory_id"] in loser["detail"] and f"claim {winner['claim_id']}" in loser["detail"]
    assert winner["tx_hash"] in loser["detail"]
    assert cluster.ledger.claim_count() == 1
    print(f"\n[instances/{cluster.dialect}] overlapping claims on 2 instances: {winner['factory_id']} won, other 409")


def test_twenty_batches_spread_over_the_instances_all_anchored_once(
    cluster: Cluster, new_account: Callable[[], LocalAccount]
) -> None:
    count = 20
    requests = []
    for n in range(count):
        factory_id = f"CN-SPREAD-{n:02d}"
        key = new_account()
        cluster.register(factory_id, key)
        requests.append(
            (cluster.instances[n % len(cluster.instances)], "/batches", signed_batch(cluster, key, factory_id))
        )
    results = at_once(requests)
    assert [r.status_code for r in results] == [201] * count, [r.text for r in results if r.status_code != 201]
    answers = [r.json() for r in results]
    assert all(a["status"] == "anchored" for a in answers)
    assert len({a["id"] for a in answers}) == count and len({a["tx_hash"] for a in answers}) == count
    period = example_batch()["period"]
    counts = [cluster.ledger.revision_count(f"CN-SPREAD-{n:02d}", period) for n in range(count)]
    assert counts == [1] * count
    with cluster.sessions() as session:
        rows = session.scalar(select(func.count()).select_from(BatchRow).where(BatchRow.factory_id.like("CN-SPREAD-%")))
    assert rows == count
    print(f"\n[instances/{cluster.dialect}] {count} batches over {len(cluster.instances)} instances: all anchored once")
