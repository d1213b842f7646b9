"""A big batch end to end: streamed submit → anchored → every proof available.

One factory-month of sub-meter readings every 15 minutes (10^5 records; --quick: 10^4) is signed
by the factory, streamed as NDJSON to the service (uvicorn on loopback, SQLite, a real anvil, as
the tests run it) until it answers 201 anchored, then every proof is read from
``GET /batches/{id}/proofs``: all lines counted, a sample checked against the anchored root
(offline, and a few with the contract's ``verifyRecord``). The breakdown times the service's own
steps. The baseline is the same batch through the JSON body and ``GET /records/{id}/proof`` per
record, as a client would get every proof without the proofs stream (per-record proofs timed on
a sample and scaled to the batch).

Run: .venv/bin/python -m benchmarks.bench_ingest [--quick]
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from eth_account import Account

from benchmarks.common import Row, meter_reading
from benchmarks.serving import deployed, serving
from ledger.chain.client import LedgerClient
from ledger.merkle import verify
from ledger.records import parse_batch
from ledger.services import Services
from ledger.signing import NDJSON, SignedBatch, sign_batch
from ledger.store import batches as batch_rows

SECTION = "ingest"
TOKEN = "bench-admin-token"
PERIOD = "2025-01"
SLOTS = 31 * 96  # quarter-hours in January
TZ = timezone(timedelta(hours=8))
TARGET_SECONDS = 10.0
PROOF_SAMPLE = 500


def month_of_readings(factory_id: str, n: int, seed: int = 8) -> dict[str, Any]:
    """``n`` quarter-hour readings of as many sub-meters as it takes, in meter order."""
    rng = random.Random(seed)
    first = datetime(2025, 1, 1, tzinfo=TZ)
    slots = [(first + timedelta(minutes=15 * k)).isoformat() for k in range(SLOTS + 1)]
    records = []
    for i in range(n):
        meter, slot = divmod(i, SLOTS)
        records.append(meter_reading(rng, meter, 0 if meter % 5 else meter // 5 % 3, slots[slot], slots[slot + 1]))
    return {"factory_id": factory_id, "period": PERIOD, "revision": 1, "uri": "", "records": records}


class Stopwatch:
    """Wall time spent inside some of the service's functions, by name (the last call of each)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.started: dict[str, float] = {}

    def wrap(self, obj: Any, name: str) -> None:
        inner = getattr(obj, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            self.started[name] = start
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[name] = time.perf_counter() - start

        setattr(obj, name, timed)


def _chunks(data: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    for k in range(0, len(data), size):
        yield data[k : k + size]


def _register(http: httpx.Client, factory_id: str, signer: str) -> None:
    response = http.post("/factories", json={"id": factory_id, "name": factory_id, "signer": signer},
                         headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    response.raise_for_status()


def _read_proofs(http: httpx.Client, batch_id: str) -> tuple[int, list[bytes], str]:
    """Every proof line of the batch: the count, a random sample of lines, and the root header."""
    count, sample, tail = 0, [], b""
    rng = random.Random(1)
    with http.stream("GET", f"/batches/{batch_id}/proofs") as response:
        response.raise_for_status()
        root = response.headers["x-zcl-root"]
        for piece in response.iter_bytes(1 << 20):
            lines = (tail + piece).split(b"\n")
            tail = lines.pop()
            count += len(lines)
            if len(sample) < PROOF_SAMPLE:
                sample += rng.sample(lines, min(len(lines), 20))
    if tail:
        raise RuntimeError("the proofs stream ended inside a line")
    return count, sample, root


def _check_proofs(sample: list[bytes], root: str, ledger: LedgerClient) -> int:
    """Every sampled proof leads to the anchored root (offline); a few also with verifyRecord."""
    anchored = bytes.fromhex(root[2:])
    for k, line in enumerate(sample):
        item = json.loads(line)
        record_hash = bytes.fromhex(item["record_hash"][2:])
        proof = [bytes.fromhex(p[2:]) for p in item["proof"]]
        if not verify(anchored, record_hash, proof):
            raise RuntimeError(f"record {item['record_id']}: its proof does not lead to the anchored root")
        if k < 3 and not ledger.verify_record(anchored, record_hash, proof):
            raise RuntimeError(f"record {item['record_id']}: verifyRecord refused its proof")
    return len(sample)


def _timed_post(post: Callable[[], httpx.Response]) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    response = post()
    seconds = time.perf_counter() - start
    if response.status_code != 201 or response.json()["status"] != "anchored":
        raise RuntimeError(f"submit answered {response.status_code}: {response.text[:300]}")
    return seconds, response.json()


def run(quick: bool = False) -> list[Row]:
    n = 10_000 if quick else 100_000
    size = "10^4" if quick else "10^5"
    with deployed("zcl-bench-ingest-", TOKEN) as (composed, ledger):
        with serving(composed.app) as url, httpx.Client(base_url=url, timeout=600) as http:
            return _measure(http, composed.services, ledger, n, size)


def _signed(http: httpx.Client, ledger: LedgerClient, factory_id: str, n: int) -> SignedBatch:
    key = Account.create()
    _register(http, factory_id, key.address)
    return sign_batch(parse_batch(month_of_readings(factory_id, n)), key, ledger.domain())


def _measure(http: httpx.Client, services: Services, ledger: LedgerClient, n: int, size: str) -> list[Row]:
    streamed = _signed(http, ledger, "CN-BENCH-NDJSON", n)
    body = "".join(streamed.ndjson_lines()).encode()
    watch = Stopwatch()
    watch.wrap(services.batches, "submit_stream")  # the streamed path: envelope checked, records spooled
    watch.wrap(batch_rows, "insert_batch")  # the batch service calls it through the module
    watch.wrap(services.batches.lifecycle, "relay")  # build the call, broadcast, wait, confirm

    start = time.perf_counter()
    post_seconds, batch = _timed_post(
        lambda: http.post("/batches", content=_chunks(body), headers={"Content-Type": NDJSON})
    )
    upload_parse = watch.started["submit_stream"] - start
    proofs_start = time.perf_counter()
    count, sample, root = _read_proofs(http, batch["id"])
    proofs_seconds = time.perf_counter() - proofs_start
    total = time.perf_counter() - start
    if count != n or root != batch["root"]:
        raise RuntimeError(f"the proofs stream gave {count} proofs for {n} records, root {root} vs {batch['root']}")
    checked = _check_proofs(sample, root, ledger)

    # the baseline: the same records as one JSON body, and a proof per record
    plain = _signed(http, ledger, "CN-BENCH-JSON", n)
    json_seconds, json_batch = _timed_post(lambda: http.post("/batches", json=plain.to_json()))
    ids: list[str] = []
    page_start = time.perf_counter()
    while len(ids) < n:
        page = http.get(f"/batches/{json_batch['id']}", params={"offset": len(ids), "limit": 10_000}).json()
        ids += [r["id"] for r in page["records"]]
    paging = time.perf_counter() - page_start
    picks = random.Random(2).sample(ids, min(PROOF_SAMPLE, n))
    one_start = time.perf_counter()
    for record_id in picks:
        http.get(f"/records/{record_id}/proof").raise_for_status()
    per_proof = (time.perf_counter() - one_start) / len(picks)
    baseline = json_seconds + paging + per_proof * n

    store = watch.seconds["insert_batch"]
    anchor = watch.seconds["relay"]
    note = f"{n:,} records, {len(body) / 1e6:.0f} MB NDJSON, {count:,} proofs, {checked} checked against the root"
    return [
        Row(SECTION, f"{size}-record batch end to end (submit → anchored → every proof)", total, "s",
            baseline=baseline, baseline_name="JSON body + GET /records/{id}/proof each", target=TARGET_SECONDS,
            note=note + f"; baseline proofs: {len(picks)} GETs × {n / len(picks):.0f}"),
        Row(SECTION, f"{size}-record batch end to end, rate", n / total, "records/s",
            baseline=n / baseline, baseline_name="JSON body + GET /records/{id}/proof each", higher_is_better=True),
        Row(SECTION, f"{size} submit, streamed NDJSON → 201 anchored", post_seconds, "s", baseline=json_seconds,
            baseline_name="JSON body (same batch)", note="streamed NDJSON vs one JSON body"),
        Row(SECTION, f"{size} upload + parse + hash + tree", upload_parse, "s", note="until the batch service gets the batch"),
        Row(SECTION, f"{size} DB insert (one transaction)", store, "s", note="SQLite, executemany in chunks"),
        Row(SECTION, f"{size} anchor (one transaction, mined)", anchor, "s", note="anvil"),
        Row(SECTION, f"{size} every proof streamed and received", proofs_seconds, "s",
            note=f"GET /batches/{{id}}/proofs, {n / proofs_seconds:,.0f} proofs/s"),
    ]  # fmt: skip


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
