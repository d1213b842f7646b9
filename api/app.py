"""The FastAPI application: routers, the error table (:mod:`api.errors`) and the body-size limit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.language import RememberLanguage
from api.routes import (
    batches,
    buyer_pages,
    chain,
    claims,
    evaluations,
    evaluators,
    evidence,
    factories,
    imports,
    matching,
    matching_pages,
    pages,
    records,
    rpc,
    upload,
    verify,
)
from api.security import DOCS_PATH, REDOC_CSP, REDOC_JS, REDOC_PATH, SecurityHeaders, docs_html, origin_of
from ledger.chain.rpc_proxy import MAX_BODY_BYTES as RPC_MAX_BODY_BYTES
from ledger.chain.rpc_proxy import ReadOnlyRpc
from ledger.evidence import DEFAULT_MAX_BYTES
from ledger.services import Services
from ledger.services.ingest import DEFAULT_MAX_STREAMS_PER_CLIENT, StreamGate
from ledger.signing import DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_RECORDS, NDJSON

STATIC_DIR = Path(__file__).resolve().parent / "static"

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest request body accepted (evidence uploads: their own limit plus 1 MiB of multipart)."""
SAFE_RECURSION_LIMIT = 1000
"""CPython's default. py_ecc (imported through eth-account) raises the limit to 100,000 for its own
pairing code, which we never call; at that limit ``json.loads`` of a 100 KB body of ``[`` overflows
the C stack and kills the whole service, while at the default it is a clean 400."""
DEFAULT_MAX_STREAM_BYTES = 4 * 1024 * 1024 * 1024
"""The largest streamed (NDJSON) batch body: a million records with evidence fit several times over;
what bounds memory is the record count, since records are parsed as they arrive."""


def create_app(
    services: Services,
    admin_token: str,
    public_rpc_url: str | None = None,
    public_url: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_batch_records: int = DEFAULT_MAX_RECORDS,
    max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES,
    max_streams_per_client: int = DEFAULT_MAX_STREAMS_PER_CLIENT,
    spool_dir: Path | None = None,
) -> FastAPI:
    """The API and the pages over ``services`` (built by :mod:`api.compose`). Without an evidence
    store the /evidence routes answer 503. ``public_rpc_url`` is the chain endpoint browsers verify
    against (default: this service's read-only proxy ``/rpc``, see :mod:`api.routes.rpc`). Request
    bodies over ``max_body_bytes`` (evidence uploads: over the store's limit + 1 MiB; a batch streamed as NDJSON: over ``max_stream_bytes``)
    are refused with 413; a batch of more than ``max_batch_records`` records with 422. A client may
    have ``max_streams_per_client`` streamed batches open at once (429 beyond); their records are
    spooled in ``spool_dir`` (default: the system's temporary directory)."""
    if sys.getrecursionlimit() > SAFE_RECURSION_LIMIT:
        sys.setrecursionlimit(SAFE_RECURSION_LIMIT)
    app = FastAPI(
        title="Zero-carbon ledger",
        description="Factories' signed measurement batches, anchored on chain; proofs anyone can verify.",
        version="0.1.0",
        docs_url=None,  # served below: Swagger UI without an inline script, under the CSP
        redoc_url=None,  # likewise: ReDoc from /static/redoc, below
    )
    app.state.services = services
    app.state.admin_token = admin_token
    app.state.public_rpc_url = public_rpc_url
    app.state.public_url = public_url  # the base of links printed for readers (a certificate's QR code)
    app.state.rpc_proxy = ReadOnlyRpc(getattr(services.ledger.w3.provider, "endpoint_uri", None))
    app.state.max_batch_records = max_batch_records
    app.state.max_line_bytes = DEFAULT_MAX_LINE_BYTES
    app.state.stream_gate = StreamGate(max_streams_per_client)
    app.state.spool_dir = spool_dir
    for module in (
        factories,
        batches,
        records,
        verify,
        claims,
        evaluations,
        matching_pages,  # before the matching JSON routes: its page route takes HTML requests only
        evaluators,
        matching,
        chain,
        rpc,
        evidence,
        imports,
        pages,
        upload,
        buyer_pages,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    errors.install(app)
    evidence_max_bytes = services.evidence.max_bytes if services.evidence is not None else DEFAULT_MAX_BYTES
    app.add_middleware(
        BodySizeLimit,
        max_bytes=max_body_bytes,
        per_path={
            ("POST", "/evidence"): evidence_max_bytes + 1024 * 1024,
            ("POST", "/rpc"): RPC_MAX_BODY_BYTES,
            ("POST", "/imports/preview"): imports.MAX_BODY_BYTES,
        },
        per_stream={("POST", "/batches", NDJSON): max_stream_bytes},
    )
    # pages read the chain through /rpc ('self') unless a public RPC is configured
    public_origin = origin_of(public_rpc_url) if public_rpc_url else None
    app.add_middleware(RememberLanguage)
    app.add_middleware(SecurityHeaders, connect=[public_origin] if public_origin else [])  # outermost: on 413s too

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(docs_html(app.title, app.openapi_url or "/openapi.json"))

    @app.get(REDOC_PATH, include_in_schema=False)
    def redoc() -> HTMLResponse:
        """ReDoc from this origin (``web/build.mjs`` copies its pinned standalone bundle): no CDN, no
        web fonts, no inline script."""
        page = get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} · API", with_google_fonts=False,
            redoc_js_url=REDOC_JS, redoc_favicon_url="data:,",
        )  # fmt: skip
        page.headers["content-security-policy"] = REDOC_CSP  # its search runs in a worker made from a blob
        return page

    return app


class _BodyTooLarge(HTTPException):
    """Raised from ``receive`` while a body streams in; FastAPI passes HTTPExceptions through."""


class BodySizeLimit:
    """Refuse request bodies over a limit with 413: by Content-Length before reading anything, and by
    counting the bytes of a streamed (chunked) body as they arrive. ``per_path`` sets other limits
    by (method, path); ``per_stream`` by (method, path, media type), for bodies parsed as they stream
    in rather than read whole."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, per_path: dict[tuple[str, str], int] | None = None,
        per_stream: dict[tuple[str, str, str], int] | None = None,
    ) -> None:  # fmt: skip
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path or {}
        self.per_stream = per_stream or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = (scope["method"], scope["path"].rstrip("/") or "/")
        limit = self.per_path.get(route, self.max_bytes)
        if self.per_stream:
            limit = self.per_stream.get((*route, _media_type(scope)), limit)
        detail = f"request body too large: the limit is {limit} bytes"
        length = _content_length(scope)
        if length is not None and length > limit:
            await _send_413(send, detail)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(413, detail)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await _send_413(send, detail)


def _media_type(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_413(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]  # fmt: skip
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
