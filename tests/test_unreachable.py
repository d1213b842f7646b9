"""Every read route answers 503 — never 500 — when the chain or the database does not answer.

The chain is cut for real: the service reaches anvil through a loopback TCP relay (:class:`Relay`)
that the test closes, so the service's JSON-RPC connections are refused exactly as when a node goes
away. The database is taken away for real too: the SQLite file's directory is removed under a
running service. Routes are enumerated from the app itself, so a new read route is covered without
touching this file.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.routing import APIRoute
from web3 import Web3

from api.compose import compose
from ledger.chain.client import LedgerClient
from ledger.eip712.typed_data import sign as sign_typed_data
from tests.builders import (
    ADMIN,
    CLAIM_PROJECT,
    EXAMPLE_STEAM,
    attest,
    batch_json,
    claim_json,
    example_batch,
    hourly_month,
    register_factory,
    sign_report,
)
from tests.conftest import serving

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FACTORY = "CN-JS-SZ-0001"
SITE = "GEN-JS-OW-0017"  # the offshore wind farm of the example's GEC, registered as a site
BILL = EXAMPLES / "2025-01" / "evidence" / "state-grid-bill-2025-01.pdf"
GEC_SERIAL = "11320520230900017202501000450011"
ADMIN_TOKEN = ADMIN["Authorization"].removeprefix("Bearer ")

# A route is a read when it changes nothing: every GET, and these POSTs.
READ_POSTS = {"/verify", "/evidence/status"}
# Routes that must read the chain to answer; with the chain cut they answer 503, the rest from the database.
NEEDS_CHAIN = {
    "/factories/{factory_id}", "/factories/{factory_id}/rotation", "/factory/{factory_id}", "/claims/{claim_id}", "/certificates/{registry}/{serial}",
    "/certificates", "/certificates/{registry}",
}  # fmt: skip
# Routes that must read the database; with it gone they answer 503.
NEEDS_DATABASE = {
    "/", "/factories/{factory_id}/batches", "/batches/{batch_id}", "/batches/{batch_id}/proofs",
    "/records/{record_id}/proof", "/evaluations/{evaluation_id}", "/evaluations/{evaluation_id}/report.html",
    "/evaluations/{evaluation_id}/typed-data", "/factories/{factory_id}/evaluations", "/batch/{batch_id}",
    "/evidence/{sha256}/meta", "/batches/{batch_id}/evidence", "/evidence/status",
    "/evaluators/{address}/profile", "/evaluators/{address}/profile/typed-data",
    "/matching/{run_id}", "/matching/{run_id}/proof", "/matching/{run_id}/claims/{claim_id}.json",
}  # fmt: skip
EVALUATOR_PROFILE = {"name": "Li Wei", "organisation": "CQC", "accreditation": "CNAS C001-M"}


class Relay:
    """A loopback TCP relay to ``target`` that can be cut: every connection through it is closed and
    new ones are refused, as when a node goes away."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone would not
        except OSError:
            pass
        self.listener.close()
        with self._lock:
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _populate(http: httpx.Client, ledger: LedgerClient, factory: LocalAccount) -> dict[str, str]:
    """A factory, an anchored month with its evidence, a claim and an evaluation; returns their ids."""
    register_factory(http, factory, FACTORY)
    domain = ledger.domain()
    batch = http.post("/batches", json=batch_json(domain, factory, example_batch()))
    assert batch.status_code == 201, batch.text
    with BILL.open("rb") as file:
        uploaded = http.post("/evidence", files={"file": (BILL.name, file, "application/pdf")})
    assert uploaded.status_code in (200, 201), uploaded.text
    claim = json.loads((EXAMPLES / "claims" / "gec-2025-01.json").read_text())
    claimed = http.post("/claims", json=claim_json(domain, factory, claim))
    assert claimed.status_code == 201, claimed.text
    evaluation = http.post(
        "/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I", "steam": EXAMPLE_STEAM}
    )
    assert evaluation.status_code == 201, evaluation.text
    evaluator = Account.create()  # an appointed evaluator with a signed profile
    ledger.grant_evaluator(evaluator.address)
    typed = http.get(f"/evaluators/{evaluator.address}/profile/typed-data", params=EVALUATOR_PROFILE).json()
    signature = "0x" + sign_typed_data(evaluator, typed).hex()
    profile = http.put(f"/evaluators/{evaluator.address}/profile",
                       json=EVALUATOR_PROFILE | {"version": 1, "signature": signature})  # fmt: skip
    assert profile.status_code == 200, profile.text
    run = _matching_run(http, ledger, claimed.json()["claim_id"], evaluator)
    return {
        "run_id": run, "factory_id": FACTORY, "batch_id": batch.json()["id"], "record_id": batch.json()["records"][0]["id"],
        "claim_id": str(claimed.json()["claim_id"]), "evaluation_id": evaluation.json()["id"],
        "sha256": uploaded.json()["sha256"], "registry": "GEC", "serial": GEC_SERIAL, "address": evaluator.address,
        "name": "ems-15min",  # an import template (GET /imports/templates/{name}/sample)
    }  # fmt: skip


def _matching_run(http: httpx.Client, ledger: LedgerClient, claim_id: int, evaluator: LocalAccount) -> str:
    """A signed and anchored hourly matching run of the factory's January: its meters declared
    load-profile, the claimed GEC project's hourly output anchored by the wind farm's own site."""
    site = Account.create()
    register_factory(http, site, SITE)
    output = hourly_month(SITE, "2025-01", f"GEC:{CLAIM_PROJECT}:plant-meter", "renewable_generation", lambda h: "1500")
    assert http.post("/batches", json=batch_json(ledger.domain(), site, output)).status_code == 201
    sources = dict.fromkeys(("meter-3205-10K-0457", "meter-3205-04K-1190", "pv-roof-2MWp"), {"method": "load-profile"})
    declared = http.patch(
        f"/factories/{FACTORY}/profile", json={"province": "CN-JS", "sources": sources}, headers=ADMIN
    )
    assert declared.status_code == 200, declared.text
    attest(ledger, claim_id)
    run = http.post(f"/factories/{FACTORY}/matching", params={"year": 2025})
    assert run.status_code == 201, run.text
    return str(sign_report(http, run.json()["id"], evaluator)["id"])


def _reads(app: Any, ids: dict[str, str], proof: dict[str, Any], evaluator: str) -> Iterator[tuple[str, str, Any]]:
    """(route, method, request kwargs) for every read route of ``app``, filled with real ids."""
    for route in _api_routes(app.routes):
        path = route.path
        if "GET" in route.methods:
            params = {"evaluator": evaluator} if path.endswith("/typed-data") else {}
            if path.endswith("/rotation"):
                params = {"signer": evaluator}  # any address: the message is read from the chain
            if path in ("/certificates", "/certificates/{registry}"):
                params = {"registry": "GEC", "serial": GEC_SERIAL}
            if path.endswith("/profile/typed-data"):
                params = EVALUATOR_PROFILE
            if path == "/matching/{run_id}/proof":
                params = {"claim": ids["claim_id"], "serial": "4001"}
            yield path, "GET", {"url": path.format(**ids), "params": params}
        elif "POST" in route.methods and path in READ_POSTS:
            body = proof if path == "/verify" else {"hashes": [ids["sha256"]]}
            yield path, "POST", {"url": path, "json": body}


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI ≥ 0.165 includes routers lazily)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


@pytest.fixture
def relayed(
    tmp_path: Path, rpc_url: str, new_account: Callable[[], LocalAccount], database_url: str
) -> Iterator[dict[str, Any]]:
    """A service whose only way to the chain is a relay the test can cut, with data in it."""
    relay = Relay((httpx.URL(rpc_url).host, httpx.URL(rpc_url).port or 80))
    w3 = Web3(Web3.HTTPProvider(relay.url, request_kwargs={"timeout": 10}))
    deployer = new_account()
    ledger, _ = LedgerClient.deploy(w3, deployer)
    composed = compose(
        ledger, database_url, admin_token=ADMIN_TOKEN, evidence_dir=tmp_path / "evidence", wait_timeout=5,
        registrar=deployer,
    )  # fmt: skip
    with serving(composed.app) as http:
        ids = _populate(http, ledger, new_account())
        proof = http.get(f"/records/{ids['record_id']}/proof").json()
        yield {"app": composed.app, "http": http, "relay": relay, "ids": ids, "proof": proof,
               "evaluator": new_account().address}  # fmt: skip
    relay.cut()
    composed.close()


def test_with_the_chain_cut_every_read_route_answers_503_or_from_the_database(relayed: dict[str, Any]) -> None:
    http, relay = relayed["http"], relayed["relay"]
    relay.cut()
    answers = {}
    for path, method, request in _reads(relayed["app"], relayed["ids"], relayed["proof"], relayed["evaluator"]):
        response = http.request(method, **request)
        answers[f"{method} {path}"] = response.status_code
        assert response.status_code != 500, f"{method} {path}: 500 with the chain cut: {response.text[:300]}"
        if path in NEEDS_CHAIN:
            assert response.status_code == 503, f"{method} {path}: {response.status_code} {response.text[:300]}"
            assert "did not answer" in response.text or "does not answer" in response.text, response.text[:300]
        else:
            assert response.status_code in (200, 503), f"{method} {path}: {response.status_code} {response.text[:300]}"
    print(json.dumps(answers, indent=1))
    assert len(answers) >= 20 and set(NEEDS_CHAIN) <= {k.split(" ", 1)[1] for k in answers}
    evaluation = http.get(f"/evaluations/{relayed['ids']['evaluation_id']}")  # whether it is stale is unknown
    assert evaluation.status_code == 200 and evaluation.json()["stale"] is None, evaluation.text[:300]
    page = http.get(f"/factory/{relayed['ids']['factory_id']}", headers={"Accept": "text/html"})  # as a browser asks
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "Temporarily unavailable" in page.text and "Nothing is lost" in page.text and page.headers["retry-after"]


@pytest.mark.service  # builds the app itself
def test_with_the_database_gone_every_read_route_answers_503_or_from_the_chain(
    tmp_path: Path, w3: Web3, ledger: LedgerClient, operator: LocalAccount, new_account: Callable[[], LocalAccount]
) -> None:
    database_dir = tmp_path / "db"
    composed = compose(ledger, f"sqlite:///{database_dir / 'ledger.db'}", admin_token=ADMIN_TOKEN,
                       evidence_dir=tmp_path / "evidence", wait_timeout=5, registrar=operator)  # fmt: skip
    app = composed.app
    with serving(app) as http:
        ids = _populate(http, ledger, new_account())
        proof = http.get(f"/records/{ids['record_id']}/proof").json()
        composed.close()  # no pooled connection survives
        shutil.rmtree(database_dir)
        answers = {}
        for path, method, request in _reads(app, ids, proof, new_account().address):
            response = http.request(method, **request)
            answers[f"{method} {path}"] = response.status_code
            assert response.status_code != 500, f"{method} {path}: 500 with the database gone: {response.text[:300]}"
            if path in NEEDS_DATABASE:
                assert response.status_code == 503, f"{method} {path}: {response.status_code} {response.text[:300]}"
                assert "database" in response.text and "sqlite" not in response.text.lower(), response.text[:300]
    print(json.dumps(answers, indent=1))
    assert set(NEEDS_DATABASE) <= {k.split(" ", 1)[1] for k in answers}
