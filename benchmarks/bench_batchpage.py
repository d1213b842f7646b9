"""A batch's page and one record's proof at 10^5 records, now that the batch's Merkle tree is persisted.

The service runs in its own process (uvicorn, SQLite, a real anvil; :func:`bench_stream.serving`) and
a 10^5-record month (quick: 10^4) is streamed to it, 201 anchored. Then, :data:`REQUESTS` timed GETs
each (after one untimed), p50 and p99 of the wall time the client waits for the whole answer:

* ``GET /batch/{id}``, the HTML page: 500 records, each proved against the root read from the chain.
  With the tree in the service's memory (a view after the first); and as after a restart: the
  service's memory cache emptied before each request (by a control path this benchmark wraps around
  the app, in the service's process), so the tree is read from the database and its digest checked.
* ``GET /records/{id}/proof`` of the middle record, the same two ways.

The machine's 1-minute load average (the highest seen at the start and end of the timed requests) is
noted: on a shared machine it says how far the figures are from an idle one.

The baseline, in the same run, is the path as it was before: each view rebuilt the tree from every
stored record hash. It is taken by removing the batch's persisted tree (SQL, from this process) and
emptying the memory cache before each request, which makes the service rebuild it; it then also
writes the rebuilt tree back, which the old path did not (that write is timed apart, in this
process, as the cost the store now pays once per batch).

Every answer is checked: the page shows 500 proven records and says the records give the on-chain
root; the proof bundle verifies against the batch's anchored root.

Run: .venv/bin/python -m benchmarks.bench_batchpage [--quick]
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.orm import Session

from benchmarks.bench_stream import _post as post
from benchmarks.bench_stream import _register as register
from benchmarks.bench_stream import body, envelope_line, serving
from benchmarks.common import Row, percentile, timed
from ledger.merkle import MerkleTree
from ledger.merkle.proof import verify
from ledger.services.pages import RECORDS_PER_PAGE
from ledger.services.trees import BatchTrees
from ledger.store.db import make_engine, migrate, session_factory

if TYPE_CHECKING:
    from api.compose import Composition

SECTION = "batch page"
REQUESTS = 30
TARGET_MS = 100.0
FORGET = "/__bench/forget/"


def _with_forget(composed: Composition) -> Any:
    """The app, plus ``POST /__bench/forget/{batch id}``: the batch's tree leaves the memory cache."""
    app, cache = composed.app, composed.services.batches.trees.cache

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(FORGET):
            cache.forget(scope["path"][len(FORGET) :])
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)

    return wrapped


def _times(
    http: httpx.Client, path: str, check: Callable[[httpx.Response], None], before: Callable[[], None]
) -> list[float]:
    """Milliseconds of :data:`REQUESTS` GETs of ``path`` (one more first, untimed), ``before`` run
    (untimed) ahead of each, every answer checked."""
    out = []
    for i in range(REQUESTS + 1):
        before()
        seconds, response = timed(lambda: http.get(path))
        check(response)
        if i:
            out.append(seconds * 1000)
    return out


def _stats(ms: list[float]) -> tuple[float, float]:
    return percentile(ms, 50), percentile(ms, 99)


def run(quick: bool = False) -> list[Row]:
    n = 10_000 if quick else 100_000
    size = "10^4" if quick else "10^5"
    ctx = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory(prefix="zcl-bench-batchpage-") as tmp_dir:
        tmp = Path(tmp_dir)
        with serving(tmp, ctx, _with_forget) as served:
            http = served.http
            key = register(http, "CN-BENCH-PAGE")
            stored = post(http, body(envelope_line(key, served.domain, "CN-BENCH-PAGE", n), n))
            if stored.status_code != 201 or stored.json()["status"] != "anchored":
                raise RuntimeError(f"the batch answered {stored.status_code}: {stored.text[:300]}")
            batch_id, root = stored.json()["id"], bytes.fromhex(stored.json()["root"][2:])
            middle = http.get(f"/batches/{batch_id}", params={"offset": n // 2, "limit": 1}).json()["records"][0]

            def page_ok(response: httpx.Response) -> None:
                shown = min(RECORDS_PER_PAGE, n)
                if response.status_code != 200 or response.text.count("proven against chain") != shown:
                    raise RuntimeError(f"the page answered {response.status_code} without {shown} proven records")
                if "records give the on-chain root" not in response.text:
                    raise RuntimeError("the page does not say the records give the on-chain root")

            def proof_ok(response: httpx.Response) -> None:
                bundle = response.json()
                steps = [bytes.fromhex(s[2:]) for s in bundle["proof"]]
                if not verify(root, bytes.fromhex(bundle["record_hash"][2:]), steps):
                    raise RuntimeError("the proof bundle does not verify against the anchored root")

            def forget() -> None:
                http.post(FORGET + batch_id).raise_for_status()

            def rebuild() -> None:
                with sqlite3.connect(served.db) as db:
                    db.execute("DELETE FROM batch_trees WHERE batch_id = ?", (batch_id,))
                forget()

            def nothing() -> None:
                pass

            page, proof = f"/batch/{batch_id}", f"/records/{middle['id']}/proof"
            load = os.getloadavg()[0]
            figures = {
                "page": _stats(_times(http, page, page_ok, nothing)),
                "page_restart": _stats(_times(http, page, page_ok, forget)),
                "page_old": _stats(_times(http, page, page_ok, rebuild)),
                "proof": _stats(_times(http, proof, proof_ok, nothing)),
                "proof_restart": _stats(_times(http, proof, proof_ok, forget)),
                "proof_old": _stats(_times(http, proof, proof_ok, rebuild)),
            }
            load = max(load, os.getloadavg()[0])
            save_ms, rebuild_ms, size_mb = _store_cost(tmp, served.db, batch_id)
    return _rows(figures, size, save_ms, rebuild_ms, size_mb, load)


def _store_cost(tmp: Path, db: Path, batch_id: str) -> tuple[float, float, float]:
    """Milliseconds to rebuild the batch's tree from its stored hashes, and to persist it (in a
    transaction of its own on a copy of the database), and the persisted size in MB."""
    copy = tmp / "copy.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    engine = make_engine(f"sqlite:///{copy}")
    migrate(engine)
    trees = BatchTrees(session_factory(engine))
    rebuild_seconds, tree = timed(lambda: trees.rebuild(batch_id))
    assert isinstance(tree, MerkleTree)

    def save() -> None:
        with Session(engine) as session, session.begin():
            trees.save(session, batch_id, tree)

    save_seconds, _ = timed(save)
    engine.dispose()
    nodes, positions = tree.stored()
    return save_seconds * 1000, rebuild_seconds * 1000, (len(nodes) + len(positions)) / 1e6


def _rows(
    figures: dict[str, tuple[float, float]], size: str, save_ms: float, rebuild_ms: float, mb: float, load: float
) -> list[Row]:
    old = "old path: tree rebuilt from the stored hashes on each view"
    page, restart, page_old = figures["page"], figures["page_restart"], figures["page_old"]
    proof, proof_restart, proof_old = figures["proof"], figures["proof_restart"], figures["proof_old"]
    shown = f"{RECORDS_PER_PAGE} records shown, each proved against the chain's root; machine load {load:.1f}"
    return [
        Row(SECTION, f"GET /batch/{{id}} p99, {size} records, tree in memory", page[1], "ms",
            baseline=page_old[1], baseline_name=old, target=TARGET_MS,
            note=f"p50 {page[0]:.1f} ms (old path {page_old[0]:.1f} ms); {REQUESTS} requests; {shown}"),
        Row(SECTION, f"GET /batch/{{id}} p99, {size} records, as after a restart (tree read from the database)",
            restart[1], "ms", baseline=page_old[1], baseline_name=old, target=TARGET_MS,
            note=f"p50 {restart[0]:.1f} ms; the persisted tree's digest and root checked on each read"),
        Row(SECTION, f"GET /records/{{id}}/proof p99, {size} records, tree in memory", proof[1], "ms",
            baseline=proof_old[1], baseline_name=old, target=TARGET_MS,
            note=f"p50 {proof[0]:.1f} ms (old path {proof_old[0]:.1f} ms); the bundle verifies against the anchored root"),
        Row(SECTION, f"GET /records/{{id}}/proof p99, {size} records, as after a restart", proof_restart[1], "ms",
            baseline=proof_old[1], baseline_name=old, target=TARGET_MS, note=f"p50 {proof_restart[0]:.1f} ms"),
        Row(SECTION, f"persisting a {size}-record tree when the batch is stored", save_ms, "ms",
            note=f"{mb:.1f} MB in batch_trees (SQLite); rebuilding it from the stored hashes: {rebuild_ms:.0f} ms; "
                 "the old-path figures above include this write too"),
    ]  # fmt: skip


if __name__ == "__main__":
    started = time.perf_counter()
    for row in run(quick="--quick" in sys.argv):
        print(row)
    print(f"{time.perf_counter() - started:.0f} s")
