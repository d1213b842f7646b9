"""Bounded load on loopback: F factories × B monthly batches submitted concurrently; nothing lost,
one revision per (factory, period), and every record provable."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import func, select

from ledger.store.models import BatchRow, RecordRow
from ledger.verify import verify_bundle
from tests.builders import batch_json, example_batch
from tests.conftest import ADMIN, Service

pytestmark = [
    pytest.mark.e2e,  # whole programs: see tests/conftest.py's layers
    pytest.mark.usefixtures("served"),  # clients on their own connections, from threads
]
WORKERS = 16


def period_of(index: int) -> tuple[str, str, str]:
    """The index-th month from 2000-01 (2000–2049 × 12 months): period, first instant, next month."""
    year, month = 2000 + index // 12, index % 12 + 1
    assert year < 2050
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return (f"{year:04d}-{month:02d}", f"{year:04d}-{month:02d}-01T00:00:00+08:00",
            f"{next_year:04d}-{next_month:02d}-01T00:00:00+08:00")  # fmt: skip


def month_batch(factory_id: str, index: int) -> dict[str, Any]:
    period, start, end = period_of(index)
    data = example_batch(factory_id, period=period)
    for record in data["records"]:
        record["interval_start"], record["interval_end"] = start, end
    return data


def run_load(service: Service, new_account: Callable[[], LocalAccount], factories: int, batches: int,
             verify_all: bool) -> None:  # fmt: skip
    keys: dict[str, LocalAccount] = {}
    for f in range(factories):
        factory_id = f"CN-LOAD-{f:04d}"
        keys[factory_id] = key = new_account()
        response = service.http.post("/factories", json={"id": factory_id, "name": factory_id, "signer": key.address},
                                     headers=ADMIN)  # fmt: skip
        assert response.status_code == 201, response.text
    bodies = [batch_json(service.ledger, keys[fid], month_batch(fid, b)) for fid in keys for b in range(batches)]
    random.Random(7).shuffle(bodies)  # interleave factories

    base_url = str(service.http.base_url)
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=base_url, timeout=180)
        return local.http  # type: ignore[no-any-return]

    def submit(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = client().post("/batches", json=body)
        return response.status_code, response.json()

    started = time.monotonic()
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(submit, bodies))
    elapsed = time.monotonic() - started
    statuses = Counter(code for code, _ in results)
    total = len(bodies)
    print(f"\nload: {factories} factories × {batches} batches = {total} batches ({total * 6} records) "
          f"in {elapsed:.1f} s with {WORKERS} clients: {total / elapsed:.1f} batches/s; statuses {dict(statuses)}")  # fmt: skip
    assert statuses == {201: total}, [body for code, body in results if code != 201][:3]

    # nothing lost, nothing duplicated
    with service.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BatchRow)) == total
        assert session.scalar(select(func.count()).select_from(RecordRow)) == total * 6
        statuses_db = Counter(session.scalars(select(BatchRow.status)))
    assert statuses_db == {"anchored": total}, statuses_db
    assert {(b["factory_id"], b["period"]) for _, b in results} == {(d["factory_id"], d["period"]) for d in bodies}
    for _, batch in results:
        assert service.ledger.revision_count(batch["factory_id"], batch["period"]) == 1
        assert batch["revision"] == 1 and batch["status"] == "anchored"

    # every record (or a sample) has a bundle that verifies against the chain alone
    records = [record["id"] for _, batch in results for record in batch["records"]]
    chosen = records if verify_all else random.Random(11).sample(records, min(len(records), 2 * total))

    def check(record_id: str) -> None:
        response = client().get(f"/records/{record_id}/proof")
        assert response.status_code == 200, response.text
        report = verify_bundle(response.json(), service.w3, expected_contract=service.ledger.address)
        assert report.valid and report.superseded_by is None, report.to_json()

    started = time.monotonic()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(check, chosen))
    print(f"load: {len(chosen)} of {len(records)} proof bundles verified in {time.monotonic() - started:.1f} s")


def test_concurrent_factories_lose_nothing(service: Service, new_account: Callable[[], LocalAccount]) -> None:
    run_load(service, new_account, factories=5, batches=4, verify_all=False)


@pytest.mark.long
def test_a_thousand_batches_lose_nothing(service: Service, new_account: Callable[[], LocalAccount]) -> None:
    run_load(service, new_account, factories=20, batches=50, verify_all=True)
