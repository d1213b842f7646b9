"""Batches: submitted as one JSON body or streamed as NDJSON, read back a page of records at a
time, and proved all at once as a stream of every record's proof."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect

from api import errors
from api.deps import BatchesDep, ProofsDep, get_batches
from api.schemas import STREAM, BatchStatusOut, SignedBatchIn, error
from ledger.errors import ZclError
from ledger.services.ingest import StreamedBatch, TooManyStreams
from ledger.services.views import BatchView
from ledger.signing import NDJSON, parse_signed_batch
from ledger.store.batches import PENDING

router = APIRouter(prefix="/batches", tags=["batches"])

PAGE = 1000
"""Records in a batch answer unless ``limit`` says otherwise."""
MAX_PAGE = 10_000
FEED_BYTES = 1024 * 1024
"""Bytes of a streamed body collected before they are parsed (off the event loop) in one go."""


QUEUED = "the chain is unreachable; the batch is stored and will be anchored when the chain returns"


class BatchUpload(APIRoute):
    """``POST /batches`` reads a JSON body as FastAPI does, or an NDJSON body as a stream: the
    content type picks the path before FastAPI would read the whole body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        json_handler = super().get_route_handler()

        async def handler(request: Request) -> Response:
            if request.headers.get("content-type", "").split(";")[0].strip().lower() == NDJSON:
                return await _submit_stream(request)
            return await json_handler(request)

        return handler


STREAM_DOC = (
    f"Or `Content-Type: {NDJSON}`, streamed: line 1 is the signed envelope (every key of the JSON form "
    "but `records`), then one record per line in the JSON form's record shape. A 422 names the field "
    "as the JSON form does (`records[41].value`) and its line (`(line 43)`); nothing is stored. The envelope "
    "is checked (factory registered, signed for this chain and contract by its registered signer, "
    "`leaf_count` within the limit) before any record is read, and a refusal before the body has ended "
    "answers at once and closes the connection without reading the rest. Records are spooled to disk, "
    "not held in memory; a client may have a limited number of streams open at once (429 beyond)."
)


def submit_batch(body: SignedBatchIn, batches: BatchesDep, response: Response) -> BatchStatusOut:
    batch, created = batches.submit(parse_signed_batch(body.model_dump(exclude_none=True)), limit=PAGE)
    response.status_code = _status(batch, created)
    return _out(batch, QUEUED if batch.status == PENDING else None)


router.add_api_route(
    "",
    submit_batch,
    methods=["POST"],
    response_model=BatchStatusOut,
    status_code=status.HTTP_201_CREATED,
    description="Store a factory-signed batch and anchor its root on chain (relayed with the service's key). "
    f"The answer holds the first {PAGE} records; page through the rest with `GET /batches/{{id}}`.\n\n" + STREAM_DOC,
    openapi_extra={
        "requestBody": {"content": {NDJSON: {"schema": {"type": "string", "format": "binary"}}}},
    },
    responses={
        200: {"model": BatchStatusOut, "description": "an identical resubmission: the batch as first stored"},
        202: {"model": BatchStatusOut, "description": "the chain is unreachable: the batch is stored `pending` and "
              "anchored when it returns (its signer is checked then; a wrong one makes it `rejected`)"},
        403: error("signed by a key that is not the factory's registered signer"),
        409: error("this revision is already anchored with other data, or a replay"),
        413: error("the body is over the service's size limit"),
        429: error("this client already has its limit of batch streams open (`Retry-After` says when to retry)"),
        422: {"description": "bad input; `detail[].loc` names the field (and a streamed body's message its line)"},
    },
    route_class_override=BatchUpload,
)  # fmt: skip


async def _submit_stream(request: Request) -> Response:
    state = request.app.state
    try:
        with state.stream_gate.enter(request.client.host if request.client else "unknown"):
            return await _receive_stream(request)
    except TooManyStreams as exc:
        headers = {"Retry-After": str(exc.retry_after), "Connection": "close"}
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_429_TOO_MANY_REQUESTS, headers=headers)


async def _receive_stream(request: Request) -> Response:
    """Feed the body to a :class:`StreamedBatch` as it arrives: line 1 at once (the envelope is
    authenticated before any record is read), then a megabyte at a time. A refusal before the body
    has ended answers at once and closes the connection: the rest is never read."""
    state = request.app.state
    streamed = StreamedBatch(
        get_batches(request), max_records=state.max_batch_records, max_line_bytes=state.max_line_bytes,
        spool_dir=state.spool_dir,
    )  # fmt: skip
    ended = False
    try:
        pending: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            pending.append(chunk)
            size += len(chunk)
            if size >= FEED_BYTES or streamed.admitted is None:
                data, pending, size = b"".join(pending), [], 0
                await run_in_threadpool(streamed.feed, data)
        ended = True
        if pending:
            await run_in_threadpool(streamed.feed, b"".join(pending))
        batch, created = await run_in_threadpool(streamed.submit, limit=PAGE)
    except ClientDisconnect:
        return Response(status_code=status.HTTP_400_BAD_REQUEST)
    except ZclError as exc:
        if ended:
            raise
        response = await errors.respond(request, exc)
        response.headers["Connection"] = "close"  # uvicorn closes after the answer, reading no more
        return response
    finally:
        streamed.close()
    out = _out(batch, QUEUED if batch.status == PENDING else None)
    return JSONResponse(out.model_dump(mode="json"), status_code=_status(batch, created))


def _status(batch: BatchView, created: bool) -> int:
    if batch.status == PENDING:
        return status.HTTP_202_ACCEPTED
    return status.HTTP_201_CREATED if created else status.HTTP_200_OK


def _out(batch: BatchView, message: str | None = None) -> BatchStatusOut:
    following = batch.offset + len(batch.records)
    return BatchStatusOut(
        **asdict(batch), next_offset=following if following < batch.record_count else None, message=message
    )


@router.get("/{batch_id}", responses={404: error("no such batch")})
def get_batch(
    batch_id: str,
    batches: BatchesDep,
    offset: Annotated[int, Query(ge=0, description="the position of the first record to list")] = 0,
    limit: Annotated[int, Query(ge=0, le=MAX_PAGE, description="records to list")] = PAGE,
) -> BatchStatusOut:
    """A batch with its anchor and a page of its records' ids and hashes (and why, if it was rejected)."""
    return _out(batches.get(batch_id, offset=offset, limit=limit))


@router.get(
    "/{batch_id}/proofs",
    response_class=StreamingResponse,
    responses={
        200: {"content": {NDJSON: {"schema": STREAM}}, "description": "one JSON object per line, in record order: "
              '`{"record_id", "index", "record_hash", "leaf", "proof"}`; the headers `X-ZCL-Root` and '
              "`X-ZCL-Leaf-Count` give the anchored root and the record count, `X-ZCL-Final` whether the "
              "anchor is final (`true`) or could still be taken by a reorg (`false`)"},
        404: error("no such batch"),
        409: error("the batch is `conflict` or `rejected`: the chain does not hold its root"),
        503: error("the batch is not anchored yet (or is being anchored again after a reorg)"),
    },
)  # fmt: skip
def get_proofs(
    batch_id: str,
    proofs: ProofsDep,
    offset: Annotated[int, Query(ge=0, description="the position of the first record to prove")] = 0,
    limit: Annotated[int | None, Query(ge=1, description="records to prove (all from `offset` when absent)")] = None,
) -> StreamingResponse:
    """The records' Merkle proofs, computed from one tree and streamed as NDJSON: all of them, or a
    page (`offset`, `limit`; the header `X-ZCL-Next-Offset` names the next page while there is one)."""
    batch, lines = proofs.stream(batch_id, offset=offset, limit=limit)
    headers = {
        "X-ZCL-Root": batch.root, "X-ZCL-Leaf-Count": str(batch.leaf_count),
        "X-ZCL-Final": "true" if batch.final else "false",
    }  # fmt: skip
    if limit is not None and offset + limit < batch.leaf_count:
        headers["X-ZCL-Next-Offset"] = str(offset + limit)
    return StreamingResponse(lines, media_type=NDJSON, headers=headers)
