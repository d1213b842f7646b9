"""A streamed batch does bounded work before it is authenticated (issue 14, item 5).

The envelope (line 1) is checked — factory registered, signed by its registered signer for this
chain, ``leaf_count`` within the limit — before any record is read, and a refusal closes the
connection without reading the rest; records are spooled to disk with only their hashes in memory;
a client may have a limited number of streams open. Against uvicorn on loopback, a real anvil and
a real database; the bytes the application read are counted by an ASGI wrapper around the real app.
"""

from __future__ import annotations

import json
import os
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from api.app import create_app
from ledger.merkle import verify
from ledger.signing import NDJSON
from tests.builders import FACTORY_ID, batch_json
from tests.conftest import Service, serving
from tests.test_bulk_ingest import ndjson, readings, stored

JUNK_RECORDS = 1_000_000
BOUND = 1024 * 1024
"""What a refused junk stream may have the application read: its first line and one chunk or so."""


@pytest.fixture
def factory_name() -> str:
    return "Suzhou"


class Counting:
    """The real app, with the request body bytes it has read counted (what the server consumed)."""

    def __init__(self, app: Any) -> None:
        self.app, self.read = app, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            message = await receive()
            self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


class Body:
    """A streamed request body that counts what it yielded: the client stops being pulled when the
    server closes the connection. ``hold`` (if given) is waited on after the first line."""

    def __init__(self, first: bytes, line: bytes, n: int, hold: threading.Event | None = None) -> None:
        self.first, self.line, self.n, self.hold = first, line, n, hold
        self.sent = 0
        self.started = threading.Event()

    def size(self) -> int:
        return len(self.first) + len(self.line) * self.n

    def __iter__(self) -> Iterator[bytes]:
        self.sent += len(self.first)
        self.started.set()
        yield self.first
        if self.hold is not None:
            self.hold.wait(60)
        per = max(1, 65536 // len(self.line))
        for k in range(0, self.n, per):
            piece = self.line * min(per, self.n - k)
            self.sent += len(piece)
            yield piece


def _envelope_and_line(body: dict[str, Any], **changes: Any) -> tuple[bytes, bytes]:
    lines = ndjson(body).split(b"\n")
    envelope = {k: v for k, v in (json.loads(lines[0]) | changes).items() if v is not None}
    return json.dumps(envelope).encode() + b"\n", lines[1] + b"\n"


def _refused_early(service: Service, first: bytes, line: bytes) -> tuple[httpx.Response, Counting, Body]:
    counting = Counting(create_app(service.services, "t"))
    body = Body(first, line, JUNK_RECORDS)
    with serving(counting) as http:
        started = time.monotonic()
        response = http.post("/batches", content=body, headers={"Content-Type": NDJSON})
        seconds = time.monotonic() - started
    assert body.size() > 200 * BOUND  # the junk would be hundreds of megabytes
    assert counting.read <= BOUND, f"the app read {counting.read} bytes of a refused stream"
    assert body.sent < body.size() // 10, f"the client was pulled for {body.sent} of {body.size()} bytes"
    assert seconds < 10
    assert stored(service) == (0, 0)
    return response, counting, body


def test_junk_from_an_unregistered_factory_is_refused_at_its_first_line(
    service: Service, factory: LocalAccount
) -> None:
    unknown = batch_json(service.ledger, factory, readings(3, factory_id="CN-JS-SZ-0999"))
    first, line = _envelope_and_line(unknown, leaf_count=JUNK_RECORDS, signer=None)  # (a named one must match)
    response, _, _ = _refused_early(service, first, line)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "factory_id"] and "not registered" in detail["msg"]
    assert response.headers["connection"] == "close"


def test_a_wrong_signature_or_count_is_refused_at_the_first_line(
    service: Service, factory: LocalAccount, new_account: Callable[[], LocalAccount]
) -> None:
    forged = batch_json(service.ledger, new_account(), readings(3))  # the registered factory, another key
    response, _, _ = _refused_early(service, *_envelope_and_line(forged))
    assert response.status_code == 403 and "registered signer" in response.json()["detail"], response.text

    signed = batch_json(service.ledger, factory, readings(3))  # the right key, a count it did not sign
    response, _, _ = _refused_early(service, *_envelope_and_line(signed, leaf_count=JUNK_RECORDS))
    assert response.json()["detail"][0]["loc"] == ["body", "signer"], response.text  # not the signer it names
    response, _, _ = _refused_early(service, *_envelope_and_line(signed, leaf_count=JUNK_RECORDS, signer=None))
    assert response.status_code == 403 and "registered signer" in response.json()["detail"], response.text

    response, _, _ = _refused_early(service, *_envelope_and_line(signed, leaf_count=JUNK_RECORDS + 1))
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "leaf_count"]

    other_chain = batch_json(service.ledger, factory, readings(3))
    response, _, _ = _refused_early(service, *_envelope_and_line(other_chain, chain_id=1, signer=None))
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "contract"]


def _spool_files(directory: Path) -> list[str]:
    """Files of this process open in ``directory`` (the spool's are anonymous: only a descriptor)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(directory)):
            found.append(target)
    return found


def test_a_big_valid_stream_is_spooled_stored_and_anchored(
    service: Service, factory: LocalAccount, tmp_path: Path
) -> None:
    n = 100_000
    body = batch_json(service.ledger, factory, readings(n))
    data = ndjson(body)
    spool = tmp_path / "spool"
    counting = Counting(create_app(service.services, "t", spool_dir=spool))
    with serving(counting, timeout=600) as http:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        chunks = (data[k : k + 65536] for k in range(0, len(data), 65536))
        response = http.post("/batches", content=chunks, headers={"Content-Type": NDJSON})
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        assert response.status_code == 201, response.text
        batch = response.json()
        assert counting.read == len(data) and _spool_files(spool) == []  # read whole, spool closed
        assert batch["status"] == "anchored" and batch["record_count"] == n and batch["next_offset"] == 1000
        # the body alone is ~30 MB; holding the records was ~10x that. Hashes, tree and one chunk stay small.
        assert peak < len(data), f"peak traced memory {peak / 1e6:.0f} MB for a {len(data) / 1e6:.0f} MB body"
        anchor = service.ledger.get_anchor(FACTORY_ID, "2025-01", 1)
        assert "0x" + anchor.root.hex() == batch["root"] == body["root"] and anchor.leaf_count == n

        page = http.get(f"/batches/{batch['id']}", params={"offset": n - 10, "limit": 10}).json()
        assert [r["position"] for r in page["records"]] == list(range(n - 10, n)) and page["next_offset"] is None
        assert [r["value"] for r in page["records"]] == [r["value"] for r in body["records"][-10:]]
        ids = [r["id"] for r in batch["records"]] + [r["id"] for r in page["records"]]
        assert len(set(ids)) == len(ids)
        with http.stream("GET", f"/batches/{batch['id']}/proofs") as proofs:
            lines = [json.loads(x) for x in proofs.iter_lines() if x]
        assert [p["index"] for p in lines] == list(range(n))
        assert [p["record_id"] for p in lines[:1000]] == [r["id"] for r in batch["records"]]
        for p in lines[:: n // 50]:
            assert verify(anchor.root, bytes.fromhex(p["record_hash"][2:]), [bytes.fromhex(x[2:]) for x in p["proof"]])
            bundle = http.get(f"/records/{p['record_id']}/proof").json()
            assert bundle["proof"] == p["proof"]
        # stored as the JSON path stores a record: the canonical JSON that was hashed
        bodies = service.services.batches.record_bodies(batch["id"], offset=n - 1)
        assert json.loads(bodies[0])["salt"] == body["records"][-1]["salt"]
        again = http.post("/batches", content=[data], headers={"Content-Type": NDJSON})
        assert again.status_code == 200 and again.json()["id"] == batch["id"]
    assert stored(service) == (1, n)


def test_a_client_may_have_two_streams_open_the_third_gets_429(
    service: Service, factory: LocalAccount, tmp_path: Path
) -> None:
    signed = batch_json(service.ledger, factory, readings(20))
    first, line = _envelope_and_line(signed)
    hold = threading.Event()
    streams = [Body(first, b"junk\n", 10, hold) for _ in range(2)]
    answers: list[httpx.Response] = []
    with serving(create_app(service.services, "t", max_streams_per_client=2)) as http:

        def post(body: Body) -> None:
            answers.append(http.post("/batches", content=body, headers={"Content-Type": NDJSON}))

        threads = [threading.Thread(target=post, args=(s,)) for s in streams]
        for t, s in zip(threads, streams, strict=True):
            t.start()
            assert s.started.wait(10)
        time.sleep(0.5)  # both are past the gate, held after their envelope
        third = http.post("/batches", content=first, headers={"Content-Type": NDJSON})
        assert third.status_code == 429 and int(third.headers["retry-after"]) > 0, third.text
        assert "ZCL_MAX_STREAMS_PER_CLIENT" in third.json()["detail"]
        hold.set()
        for t in threads:
            t.join(30)
        assert sorted(a.status_code for a in answers) == [422, 422]  # "junk" is not a record
        after = http.post("/batches", content=ndjson(signed), headers={"Content-Type": NDJSON})
        assert after.status_code == 201, after.text  # the gate lets the next stream in once they ended
