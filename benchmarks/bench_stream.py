"""Bounded work for a streamed batch: the service's memory for a 10^6-record stream, and how much of
a junk stream it reads before refusing it.

The service runs in its own process (uvicorn, SQLite, a real anvil), so its resident set is what is
measured: peak RSS (``VmHWM``, reset through ``/proc/<pid>/clear_refs`` after a warm-up batch) minus
RSS before the stream, for a valid 10^6-record stream (quick: 10^5) streamed to 201 anchored. The
client never holds the batch: records are generated from their index (salts too), hashed once to
sign the root, and generated again as they are sent. The baseline, in the same run, is the path as
it was before the change — the body parsed with every record held (``SignedBatchStream``, what
``POST /batches`` used) — in a forked process of its own, measured the same way (parse only: the old
path then also inserted).

Junk: an envelope from an unregistered factory declaring 10^6 records, then 10^6 record lines (about
300 MB), sent as fast as the server reads; the figure is the request body bytes the application read
before answering 422 (counted by an ASGI wrapper in the service process), against the body's size,
which the old path read, parsed and held in full.

Run: .venv/bin/python -m benchmarks.bench_stream [--quick]
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from benchmarks.common import Row
from ledger.chain.anvil import Anvil, free_loopback_port
from ledger.chain.client import LedgerClient
from ledger.chain.funding import fund_on_anvil
from ledger.eip712 import BatchCommit, LedgerDomain
from ledger.eip712.batch_commit import sign_commit
from ledger.merkle import MerkleTree
from ledger.records import parse_record, record_hash
from ledger.signing import NDJSON
from ledger.streamed import SignedBatchStream

if TYPE_CHECKING:
    from api.compose import Composition

SECTION = "stream bounds"
TOKEN = "bench-admin-token"
PERIOD = "2025-01"
SLOTS = 31 * 96
TZ = timezone(timedelta(hours=8))
TARGET_MB = 200.0
CHUNK = 1 << 20


def record_line(i: int) -> bytes:
    """Record ``i`` of the month, the same every time it is asked for (its salt is derived from i)."""
    meter, slot = divmod(i, SLOTS)
    start = datetime(2025, 1, 1, tzinfo=TZ) + timedelta(minutes=15 * slot)
    return json.dumps({
        "source_id": f"submeter-{meter:03d}", "kind": "grid_electricity", "value": f"{i % 5000}.{i % 1000:03d}",
        "unit": "kWh", "interval_start": start.isoformat(), "interval_end": (start + timedelta(minutes=15)).isoformat(),
        "evidence": [], "salt": "0x" + hashlib.sha256(b"salt %d" % i).hexdigest(),
    }).encode() + b"\n"  # fmt: skip


def envelope_line(key: LocalAccount, domain: LedgerDomain, factory_id: str, n: int) -> bytes:
    """The signed envelope of records 0..n-1, hashed one at a time (never all held)."""
    hashes = bytearray()
    for i in range(n):
        hashes += record_hash(parse_record(json.loads(record_line(i)), factory_id=factory_id, period=PERIOD))
    tree = MerkleTree.from_packed(hashes)
    commit = BatchCommit(factory_id, PERIOD, 1, tree.root, n, "")
    return json.dumps({
        "factory_id": factory_id, "period": PERIOD, "revision": 1, "uri": "", "root": "0x" + tree.root.hex(),
        "leaf_count": n, "signature": "0x" + sign_commit(key, domain, commit).hex(),
        "chain_id": domain.chain_id, "contract": domain.verifying_contract,
    }).encode() + b"\n"  # fmt: skip


def body(envelope: bytes, n: int, sent: list[int] | None = None) -> Iterator[bytes]:
    """The stream in chunks of about a megabyte, generated as it is sent; ``sent[0]`` counts bytes."""
    pending, size = [envelope], len(envelope)
    for i in range(n):
        line = record_line(i)
        pending.append(line)
        size += len(line)
        if size >= CHUNK:
            if sent is not None:
                sent[0] += size
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        if sent is not None:
            sent[0] += size
        yield b"".join(pending)


def _status(pid: int, field: str) -> int:
    """``VmRSS`` or ``VmHWM`` of a process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} for process {pid}")


def _reset_peak(pid: int) -> int:
    """Reset the process's peak RSS to its current RSS (Linux ≥ 4.0); returns that RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _status(pid, "VmRSS")


def _serve(
    rpc_url: str, address: str, operator_key: bytes, db: str, spool: str, port: int,
    wrap: Callable[[Composition], Any] | None = None,
) -> None:  # fmt: skip
    """The service process, as ``zcl serve`` runs it: compose over the deployed contract, freeze the
    heap, run uvicorn, on the app as ``wrap`` wraps it (a benchmark's own instruments, in its process)."""
    import uvicorn

    from api.compose import compose, freeze_heap

    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 120}))
    operator = Account.from_key(operator_key)  # the benchmark chain's one key: admin, registrar and relayer
    ledger = LedgerClient(w3, address, operator)
    composed = compose(ledger, db, admin_token=TOKEN, spool_dir=Path(spool), registrar=operator)
    freeze_heap()  # as `zcl serve` does
    uvicorn.run(composed.app if wrap is None else wrap(composed), host="127.0.0.1", port=port, log_level="warning")


def _counting(read: Any) -> Callable[[Composition], Any]:
    """Wraps the app so that ``read`` counts the request body bytes the application reads."""

    def wrap(composed: Composition) -> Any:
        app = composed.app

        async def counting(scope: Any, receive: Any, send: Any) -> None:
            async def counted() -> Any:
                message = await receive()
                with read.get_lock():
                    read.value += len(message.get("body", b""))
                return message

            await app(scope, counted, send)

        return counting

    return wrap


def _old_parse(envelope: bytes, n: int, out: Any) -> None:
    """The baseline process: the stream parsed as before, every record held; reports its RSS growth."""
    pid = os.getpid()
    before = _reset_peak(pid)
    parser = SignedBatchStream(max_records=n)
    for chunk in body(envelope, n):
        parser.feed(chunk)
    signed = parser.finish()
    out.send((_status(pid, "VmHWM") - before, len(signed.batch.records)))


@dataclass
class Served:
    """A service process over a fresh contract on its own anvil, and a client to it."""

    http: httpx.Client
    pid: int
    domain: LedgerDomain
    db: Path


@contextmanager
def serving(tmp: Path, ctx: Any, wrap: Callable[[Composition], Any] | None = None) -> Iterator[Served]:
    """Anvil, the contract deployed, and the service (SQLite in ``tmp``) in a forked process."""
    with Anvil(log_file=tmp / "anvil.log") as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 120}))
        operator = Account.create()
        fund_on_anvil(w3, operator.address)
        ledger, _ = LedgerClient.deploy(w3, operator)
        port = free_loopback_port()
        db = tmp / "ledger.db"
        server = ctx.Process(
            target=_serve, daemon=True,
            args=(anvil.rpc_url, ledger.address, bytes(operator.key), f"sqlite:///{db}", str(tmp / "spool"), port,
                  wrap),
        )  # fmt: skip
        server.start()
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=3600) as http:
                _wait(http)
                yield Served(http, server.pid, ledger.domain(), db)
        finally:
            server.terminate()
            server.join(10)


def run(quick: bool = False) -> list[Row]:
    n = 100_000 if quick else 1_000_000
    size = "10^5" if quick else "10^6"
    ctx = multiprocessing.get_context("fork")
    read = ctx.Value("q", 0)
    with tempfile.TemporaryDirectory(prefix="zcl-bench-stream-") as tmp_dir:
        with serving(Path(tmp_dir), ctx, _counting(read)) as served:
            return _measure(served.http, served.pid, read, served.domain, n, size, ctx)


def _wait(http: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            http.get("/openapi.json").raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _register(http: httpx.Client, factory_id: str) -> LocalAccount:
    key = Account.create()
    response = http.post("/factories", json={"id": factory_id, "name": factory_id, "signer": key.address},
                         headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    response.raise_for_status()
    return key


def _post(http: httpx.Client, chunks: Iterator[bytes]) -> httpx.Response:
    return http.post("/batches", content=chunks, headers={"Content-Type": NDJSON})


def _measure(http: httpx.Client, pid: int, read: Any, domain: LedgerDomain, n: int, size: str, ctx: Any) -> list[Row]:
    # warm-up: a small batch through every step, so imports and caches are not counted
    warm = _register(http, "CN-BENCH-WARM")
    warm_response = _post(http, body(envelope_line(warm, domain, "CN-BENCH-WARM", 100), 100))
    if warm_response.status_code != 201:
        raise RuntimeError(f"warm-up answered {warm_response.status_code}: {warm_response.text[:300]}")

    key = _register(http, "CN-BENCH-STREAM")
    start = time.perf_counter()
    envelope = envelope_line(key, domain, "CN-BENCH-STREAM", n)
    sign_seconds = time.perf_counter() - start
    before = _reset_peak(pid)
    start = time.perf_counter()
    sent = [0]
    response = _post(http, body(envelope, n, sent))
    seconds = time.perf_counter() - start
    growth = _status(pid, "VmHWM") - before
    if response.status_code != 201 or response.json()["status"] != "anchored":
        raise RuntimeError(f"the stream answered {response.status_code}: {response.text[:300]}")
    if response.json()["record_count"] != n:
        raise RuntimeError("the stored batch does not have every record")

    receiver, sender = ctx.Pipe(duplex=False)
    old = ctx.Process(target=_old_parse, args=(envelope, n, sender))
    old.start()
    old_growth, held = receiver.recv()
    old.join()
    if held != n:
        raise RuntimeError(f"the baseline parsed {held} of {n} records")

    # junk: an unregistered factory declaring n records, then n lines, refused at line 1
    junk_envelope = json.loads(envelope) | {"factory_id": "CN-BENCH-NOBODY"}
    junk_first = json.dumps(junk_envelope).encode() + b"\n"
    junk_size = len(junk_first) + sent[0] - len(envelope)
    with read.get_lock():
        read.value = 0
    junk_sent = [0]
    start = time.perf_counter()
    junk = _post(http, body(junk_first, n, junk_sent))
    junk_seconds = time.perf_counter() - start
    junk_read = read.value
    if junk.status_code != 422 or junk.json()["detail"][0]["loc"] != ["body", "factory_id"]:
        raise RuntimeError(f"junk answered {junk.status_code}: {junk.text[:300]}")

    mb = 1024 * 1024
    return [
        Row(SECTION, f"{size}-record stream: service peak RSS growth", growth / mb, "MB",
            baseline=old_growth / mb, baseline_name="old path: records parsed and held (parse only)",
            target=TARGET_MB,
            note=f"{sent[0] / mb:.0f} MB NDJSON streamed to 201 anchored in {seconds:.0f} s "
                 f"(client hashing to sign: {sign_seconds:.0f} s)"),
        Row(SECTION, f"junk {size}-record stream: body bytes read before refusal", junk_read / 1024, "KiB",
            baseline=junk_size / 1024, baseline_name="the whole body (old path read and parsed it all)",
            target=1024.0,
            note=f"422 factory_id in {junk_seconds * 1000:.0f} ms; the client was pulled for "
                 f"{junk_sent[0] / mb:.1f} MB (socket buffers) of {junk_size / mb:.0f} MB"),
    ]  # fmt: skip


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
