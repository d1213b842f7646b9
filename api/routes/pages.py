"""The pages evaluators and buyers read: server-rendered HTML over the same services as the API.

Verification itself happens in the reader's browser (``/static/zcl.js``, ethers bundled at build
time) against the chain's JSON-RPC, so the verify page asks nothing of this server but the bundle.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.deps import ClaimsDep, EvaluationsDep, NotaryDep
from ledger.claims.registries import REGISTRIES
from ledger.merkle import MerkleTree
from ledger.merkle.proof import verify as verify_proof
from ledger.errors import NotFound
from ledger.notary import Notary
from ledger.records.errors import RecordError

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
templates.env.filters["utc"] = lambda ts: datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S") if ts else "—"

RECORDS_PER_PAGE = 500
"""Records per batch page: a month of 15-minute readings is 10^5 rows, too many for one page."""


def _page(request: Request, notary: Notary, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    domain = notary.domain
    chain = {"chain_id": domain.chain_id, "contract": domain.verifying_contract}
    return templates.TemplateResponse(request, name, {"chain": chain, **context}, status_code=status_code)


def _not_found(request: Request, notary: Notary, message: str) -> HTMLResponse:
    return _page(request, notary, "error.html", 404, title="Not found", message=message)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, notary: NotaryDep) -> HTMLResponse:
    return _page(request, notary, "home.html", factories=notary.list_factories())


@router.get("/factory/{factory_id}", response_class=HTMLResponse)
def factory_page(request: Request, factory_id: str, notary: NotaryDep, evaluations: EvaluationsDep) -> HTMLResponse:
    try:
        factory = notary.get_factory(factory_id)
    except (NotFound, RecordError):
        return _not_found(request, notary, f"No factory {factory_id} is registered on chain.")
    ledger = notary.ledger
    held = {(b.period, b.revision): b.id for b in notary.list_batches(factory_id)}
    events = ledger.anchored_events(factory_id)
    latest: dict[str, int] = {}
    for event in events:
        latest[event["period"]] = max(latest.get(event["period"], 0), event["revision"])
    times: dict[int, int] = {}
    anchors = []
    for event in sorted(events, key=lambda e: (e["period"], e["revision"])):
        block = event["block"]
        if block not in times:
            times[block] = ledger.w3.eth.get_block(block)["timestamp"]
        anchors.append({
            "period": event["period"], "revision": event["revision"], "root": "0x" + bytes(event["root"]).hex(),
            "leaf_count": event["leafCount"], "tx_hash": event["tx_hash"], "block": block, "time": times[block],
            "latest": event["revision"] == latest[event["period"]], "batch_id": held.get((event["period"], event["revision"])),
        })  # fmt: skip
    return _page(request, notary, "factory.html", factory=factory, anchors=anchors,
                 evaluations=evaluations.list_for(factory_id))  # fmt: skip


@router.get("/batch/{batch_id}", response_class=HTMLResponse)
def batch_page(
    request: Request, batch_id: str, notary: NotaryDep, offset: Annotated[int, Query(ge=0)] = 0
) -> HTMLResponse:
    try:
        batch = notary.get_batch(batch_id, offset=offset, limit=RECORDS_PER_PAGE)
    except NotFound:
        return _not_found(request, notary, f"No batch {batch_id} is held by this service.")
    bodies = [json.loads(body) for body in notary.record_bodies(batch_id, offset=offset, limit=RECORDS_PER_PAGE)]
    tree = MerkleTree.build(notary.record_hashes(batch_id))  # every record, straight from the database
    store = getattr(request.app.state, "evidence", None)
    refs = [e["sha256"] for body in bodies for e in body.get("evidence", [])]
    present = store.status(refs) if store is not None and refs else {}
    root_matches, chain_root, superseded_by = None, None, None
    if batch.status == "anchored":
        anchor = notary.ledger.get_anchor(batch.factory_id, batch.period, batch.revision)
        chain_root = anchor.root
        root_matches = tree.root == chain_root
        latest = notary.ledger.revision_count(batch.factory_id, batch.period)
        superseded_by = latest if latest > batch.revision else None
    records = []
    for row, body in zip(batch.records, bodies, strict=True):
        record_hash = bytes.fromhex(row.record_hash[2:])
        proven = chain_root is not None and verify_proof(chain_root, record_hash, tree.proof(row.position))
        evidence = [
            {"sha256": e["sha256"], "file_name": e["file_name"], "present": present.get(e["sha256"]) if store else None}
            for e in body.get("evidence", [])
        ]
        records.append(asdict(row) | {"evidence": evidence, "proven": proven})
    pages = {
        "first": batch.offset + 1 if records else 0,
        "last": batch.offset + len(records),
        "previous": max(batch.offset - RECORDS_PER_PAGE, 0) if batch.offset > 0 else None,
        "next": batch.offset + len(records) if batch.offset + len(records) < batch.record_count else None,
    }
    return _page(request, notary, "batch.html", batch=batch, records=records, root_matches=root_matches,
                 superseded_by=superseded_by, pages=pages)  # fmt: skip


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, notary: NotaryDep, record: str | None = None) -> HTMLResponse:
    rpc_url = getattr(request.app.state, "public_rpc_url", None) or str(
        getattr(notary.ledger.w3.provider, "endpoint_uri", "")
    )
    domain = notary.domain
    config = {"rpcUrl": rpc_url, "contract": domain.verifying_contract, "chainId": domain.chain_id}
    return _page(request, notary, "verify.html", config=config, rpc_url=rpc_url, record_id=record)


@router.get("/certificates", response_class=HTMLResponse)
def certificates_page(
    request: Request, notary: NotaryDep, claims: ClaimsDep, registry: str = "GEC", serial: str | None = None
) -> HTMLResponse:
    status, error = None, None
    if serial:
        try:
            status = claims.certificate_status(registry, serial.strip())
        except RecordError as exc:
            error = str(exc)
    return _page(request, notary, "certificates.html", registries=sorted(REGISTRIES), registry=registry,
                 serial=serial, status=status, error=error, status_code=422 if error else 200)  # fmt: skip
