"""An RPC endpoint that answers something other than JSON-RPC is a chain that does not answer.

A proxy in front of a node answers with an HTML error page (status 200 or 502), or a broken one with
bytes that are not even UTF-8, or JSON that is no JSON-RPC. The service's chain endpoint here is
a real HTTP server on loopback (:class:`Endpoint`) that forwards to anvil until the test makes it
answer like such a proxy: then ``POST /batches`` queues (202), exactly as with a dead chain
(tests/test_chain_faults.py), read routes answer 503 or from the database, and nothing answers 500.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from api.compose import compose
from ledger.chain.client import LedgerClient
from tests.builders import batch_json, example_batch, register_factory
from tests.conftest import serving
from tests.test_unreachable import ADMIN_TOKEN, NEEDS_CHAIN, _populate, _reads

HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
ANSWERS = {
    "html page, status 200": (200, "text/html", HTML),
    "html page, status 502": (502, "text/html", HTML),
    "bytes, not UTF-8": (200, "application/octet-stream", b"\x00\xff\xfe garbage \x81"),
    "JSON, not JSON-RPC": (200, "application/json", b'{"message": "upstream timed out"}'),
    "JSON-RPC error": (200, "application/json", b'{"jsonrpc": "2.0", "id": 0, "error": {"code": -32005, '
                       b'"message": "rate limit exceeded"}}'),
}  # fmt: skip


class Endpoint:
    """A loopback HTTP server forwarding JSON-RPC to ``upstream``, or answering ``answer`` instead."""

    def __init__(self, upstream: str) -> None:
        self.answer: tuple[int, str, bytes] | None = None
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if endpoint.answer is None:
                    request = urllib.request.Request(upstream, data=body, headers={"Content-Type": "application/json"})
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, kind, payload = response.status, "application/json", response.read()
                else:
                    status, kind, payload = endpoint.answer
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint(rpc_url: str) -> Iterator[Endpoint]:
    served = Endpoint(rpc_url)
    yield served
    served.close()


@pytest.mark.service  # builds the app itself
@pytest.mark.parametrize("answer", ANSWERS)
def test_a_garbled_rpc_answer_queues_the_batch_and_no_route_answers_500(
    answer: str, endpoint: Endpoint, tmp_path: Path, database_url: str, new_account: Callable[[], LocalAccount]
) -> None:
    w3 = Web3(Web3.HTTPProvider(endpoint.url, request_kwargs={"timeout": 10}))
    deployer = new_account()
    ledger, _ = LedgerClient.deploy(w3, deployer)
    composed = compose(ledger, database_url, admin_token=ADMIN_TOKEN, evidence_dir=tmp_path / "evidence",
                       wait_timeout=5, registrar=deployer)  # fmt: skip
    try:
        with serving(composed.app) as http:
            ids = _populate(http, ledger, new_account())  # the domain is read: batches can be queued
            proof = http.get(f"/records/{ids['record_id']}/proof").json()
            factory = new_account()
            register_factory(http, factory, "CN-GARBLED-0001")
            body = batch_json(ledger.domain(), factory, example_batch("CN-GARBLED-0001"))

            endpoint.answer = ANSWERS[answer]
            queued = http.post("/batches", json=body)
            assert queued.status_code == 202, queued.text
            assert queued.json()["status"] == "pending"
            for path, method, request in _reads(composed.app, ids, proof, new_account().address):
                response = http.request(method, **request)
                assert response.status_code != 500, f"{method} {path}: 500 on {answer}: {response.text[:300]}"
                assert response.status_code in (200, 503), f"{method} {path}: {response.status_code}"
                if path in NEEDS_CHAIN:
                    assert response.status_code == 503 and response.headers["retry-after"], (path, response.text)
                    assert "<html" not in response.text.lower(), "the proxy's page is not passed on"

            endpoint.answer = None  # the proxy is fixed: the queued batch is anchored, as signed
            assert composed.services.reconcile()[0] == 1
            assert http.get(f"/batches/{queued.json()['id']}").json()["status"] == "anchored"
            assert "0x" + ledger.get_anchor("CN-GARBLED-0001", "2025-01", 1).root.hex() == body["root"]
    finally:
        composed.close()


@pytest.mark.service
def test_a_garbled_answer_before_the_domain_was_ever_read_is_503_with_retry_after(
    endpoint: Endpoint, tmp_path: Path, database_url: str, w3: Web3, new_account: Callable[[], LocalAccount]
) -> None:
    """Without the domain the service cannot check what a batch was signed for, so it cannot queue it."""
    direct, _ = LedgerClient.deploy(w3, new_account())
    endpoint.answer = ANSWERS["html page, status 200"]
    garbled = LedgerClient(Web3(Web3.HTTPProvider(endpoint.url, request_kwargs={"timeout": 10})), direct.address)
    composed = compose(garbled, database_url, admin_token=ADMIN_TOKEN, evidence_dir=tmp_path / "evidence",
                       wait_timeout=5)  # fmt: skip
    try:
        with serving(composed.app) as http:
            response = http.post("/batches", json=batch_json(direct.domain(), new_account(), example_batch()))
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] and "JSON-RPC" in response.text
    finally:
        composed.close()
