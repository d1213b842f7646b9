"""``POST /rpc``: the chain's JSON-RPC, read-only, for the in-browser verifier on this origin.

A thin face over :class:`ledger.chain.rpc_proxy.ReadOnlyRpc`: the body goes in as bytes and the
JSON-RPC answer comes out with status 200, errors included, as JSON-RPC clients expect. No CORS
header is sent: the verify page calls it from this service's own origin, and a page elsewhere has
no business reading the chain through this service (it can ask a node of its own). A body that
is not ``application/json`` is refused with 415, so a page on another origin cannot make a browser
send one without a CORS preflight, which fails.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ledger.chain.rpc_proxy import ALLOWED_METHODS, INVALID_REQUEST, MAX_BATCH, MAX_LOG_BLOCKS, ReadOnlyRpc, error

router = APIRouter(tags=["chain"])

_ANSWER = {"anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}


@router.post(
    "/rpc",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "the JSON-RPC answer (errors included)",
            "content": {"application/json": {"schema": _ANSWER}},
        }
    },
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _ANSWER}}}},
    description=f"Read-only JSON-RPC to this service's chain: {', '.join(sorted(ALLOWED_METHODS))}; at most "
    f"{MAX_BATCH} requests a batch, eth_getLogs over at most {MAX_LOG_BLOCKS} blocks, no eth_call state override.",
)
async def rpc(request: Request) -> JSONResponse:
    """The chain's JSON-RPC, reads only (the local anvil itself is not for browsers)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return JSONResponse(error(None, INVALID_REQUEST, "Content-Type must be application/json"), status_code=415)
    proxy: ReadOnlyRpc = request.app.state.rpc_proxy
    body = await request.body()
    return JSONResponse(await run_in_threadpool(proxy.handle, body))
