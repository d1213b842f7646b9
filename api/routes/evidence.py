"""Evidence files: upload, download, presence; and which of a batch's evidence is here.

Only bytes that a stored batch or claim cites are kept (409 otherwise), named as the citation names
them: the uploader's file name and media type are not used. New bytes past the store's quota of
total bytes are refused with 507. Nothing of a refused upload is kept.

The upload is parsed as it arrives (no spooling of the whole body first): the file part streams
into the store, which hashes and counts it. A declared Content-Length beyond the limit (plus room
for the form's headers) is refused before anything is read; otherwise, past the limit, the rest of
the body is read and dropped, so the client still gets its 413 rather than a reset.
"""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from api.deps import EvidenceDep
from api.schemas import STREAM, BatchEvidenceOut, EvidenceMetaOut, EvidenceOut, StatusIn, error
from ledger.evidence import EvidenceInfo, EvidenceQuotaExceeded, EvidenceStore, EvidenceTooLarge, EvidenceWriter
from ledger.records import RecordError

router = APIRouter(tags=["evidence"])

FIELD_LIMIT = 4096  # bytes of a form field other than the file (read, then ignored)
MAX_PARTS = 8
MAX_OVERHEAD = 1024 * 1024  # multipart headers and fields on top of the file itself
# Media types a browser may show inline from this origin: none of them runs script. Everything
# else (text/html, image/svg+xml, XML, unknown types) is served as an attachment.
INLINE_TYPES = frozenset({
    "application/pdf", "application/json", "text/plain", "text/csv",
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/tiff", "image/heic",
})  # fmt: skip


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "the document, which a "
                                 "stored batch or claim must cite by its sha256; it is recorded under the file "
                                 "name and media type of that citation (the part's filename and Content-Type "
                                 "are not used)"},
                        "media_type": {"type": "string", "description": "ignored (the citation gives the "
                                       "media type); accepted for older clients"},
                    },
                }
            }
        },
    }
}  # fmt: skip


@router.post(
    "/evidence",
    status_code=status.HTTP_201_CREATED,
    response_model=EvidenceOut,
    openapi_extra=_UPLOAD_BODY,
    responses={
        200: {"description": "these bytes were already stored: the stored file's info", "model": EvidenceOut},
        400: error("a malformed or cut-off multipart body"),
        409: error(
            "no stored batch or claim cites the file's sha256 (the message names it); nothing was kept: "
            "submit the batch or claim first, then upload"
        ),
        413: error("the file is larger than the service's limit (the message names it)"),
        415: error("the body is not multipart/form-data"),
        422: {"description": "bad input; `detail[].loc` names the field (file, form)"},
        503: error("evidence storage is not configured"),
        507: error(
            "new bytes would take the evidence store past its quota (ZCL_EVIDENCE_QUOTA_BYTES); nothing was kept"
        ),
    },
)
async def upload_evidence(request: Request, store: EvidenceDep) -> JSONResponse:
    """Store a document a stored batch or claim cites (multipart field `file`); it is named by its
    sha256 and recorded under its first citation's file name and media type."""
    content_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send the document as multipart/form-data in the field `file`"
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > store.max_bytes + MAX_OVERHEAD:
        raise _too_large(EvidenceTooLarge(store.max_bytes), close=True)

    upload = _Upload(store)
    parser = MultipartParser(boundary, cast(Any, upload.callbacks()))
    try:
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(parser.write, chunk)
        parser.finalize()
        info, created = await run_in_threadpool(upload.finish)
    except MultipartParseError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"malformed multipart body: {exc}") from None
    except EvidenceTooLarge as exc:
        raise _too_large(exc) from None
    except EvidenceQuotaExceeded as exc:
        raise HTTPException(status.HTTP_507_INSUFFICIENT_STORAGE, str(exc)) from None
    except ClientDisconnect:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the upload was cut off") from None
    finally:
        upload.abort()
    body = {"sha256": info.sha256, "size": info.size, "media_type": info.media_type, "file_name": info.file_name}
    return JSONResponse(body, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@router.post("/evidence/status", responses={503: error("evidence storage is not configured")})
def evidence_status(body: StatusIn, store: EvidenceDep) -> dict[str, bool]:
    """For each sha256 (lower-cased in the answer): is the file here? Existence and size are
    checked, not the hash itself."""
    return store.status(body.hashes)


@router.get(
    "/evidence/{sha256}",
    response_class=FileResponse,
    responses={
        200: {"description": "the file, with its recorded media type; HTML, SVG and other types a browser "
              "could run are sent as attachments", "content": {"application/octet-stream": {"schema": STREAM}}},
        404: error("no file with this sha256 here (the message names it)"),
        503: error("evidence storage is not configured"),
    },
)  # fmt: skip
def download_evidence(sha256: str, store: EvidenceDep) -> FileResponse:
    """The file whose bytes hash to sha256."""
    path, info = store.get(sha256)
    media_type = info.media_type.lower()
    inline = media_type in INLINE_TYPES
    headers = {
        "Content-Type": info.media_type,  # as recorded: no charset added to text types
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{info.sha256}"',
        "Cache-Control": "private, max-age=31536000, immutable",
    }
    if media_type != "application/pdf":  # browsers' PDF viewers refuse a sandboxed document
        headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return FileResponse(
        path,
        headers=headers,
        filename=info.file_name,
        content_disposition_type="inline" if inline else "attachment",
    )


@router.get(
    "/evidence/{sha256}/meta",
    responses={404: error("never stored here"), 503: error("evidence storage is not configured")},
)
def evidence_meta(sha256: str, store: EvidenceDep) -> EvidenceMetaOut:
    """What is recorded of a file: size, the file name and media type of its citation, when; and
    whether it is here."""
    info = store.info(sha256)
    meta = info.to_json() | {"present": store.status([info.sha256])[info.sha256]}
    return EvidenceMetaOut(**meta)


@router.get(
    "/batches/{batch_id}/evidence",
    response_model=BatchEvidenceOut,
    responses={404: error("no such batch"), 503: error("evidence storage is not configured")},
)
def batch_evidence(batch_id: str, store: EvidenceDep) -> dict[str, Any]:
    """Each record's evidence with `present: true|false`; `missing` lists the hashes not here."""
    return store.batch_evidence(batch_id)


def _too_large(exc: EvidenceTooLarge, close: bool = False) -> HTTPException:
    headers = {"Connection": "close"} if close else None
    return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"{exc.field}: {exc.message}", headers=headers)


class _Upload:
    """Multipart callbacks: the `file` part into the store's writer, small fields into memory (and
    ignored: the citation names the file).

    The first problem is remembered and the rest of the body is only read (so the client gets an
    answer rather than a reset); :meth:`finish` raises it.
    """

    def __init__(self, store: EvidenceStore) -> None:
        self.store = store
        self.writer: EvidenceWriter | None = None
        self.fields: dict[str, bytearray] = {}
        self.error: RecordError | None = None
        self.file_complete = False
        self._parts = 0
        self._current: str | None = None
        self._headers: dict[bytes, bytes] = {}
        self._name = bytearray()
        self._value = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _fail(self, error: RecordError) -> None:
        if self.error is None:
            self.error = error
        if self.writer is not None:
            self.writer.abort()

    def _part_begin(self) -> None:
        self._parts += 1
        self._headers, self._current = {}, None
        if self._parts > MAX_PARTS:
            self._fail(RecordError("form", f"at most {MAX_PARTS} form fields"))

    def _header_end(self) -> None:
        self._headers[bytes(self._name).strip().lower()] = bytes(self._value).strip()
        self._name.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        if self.error is not None:
            return
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == "file":
            if self.writer is not None:
                self._fail(RecordError("file", "send one file per upload"))
                return
            if b"filename" not in options:
                self._fail(RecordError("file", "must be a file part with a filename"))
                return
            self.writer = self.store.writer()
            self._current = "file"
        elif name and b"filename" not in options:
            self._current = name
            self.fields[name] = bytearray()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.error is not None or self._current is None:
            return
        if self._current == "file":
            assert self.writer is not None
            try:
                self.writer.write(data[start:end])
            except EvidenceTooLarge as exc:
                self._fail(exc)
            return
        field = self.fields[self._current]
        field.extend(data[start:end])
        if len(field) > FIELD_LIMIT:
            self._fail(RecordError(self._current, f"at most {FIELD_LIMIT} bytes"))

    def _part_end(self) -> None:
        if self._current == "file":
            self.file_complete = True
        self._current = None

    def finish(self) -> tuple[EvidenceInfo, bool]:
        if self.error is not None:
            raise self.error
        if self.writer is None:
            raise RecordError("file", "is required: send the document as the multipart field `file`")
        if not self.file_complete:
            raise RecordError("file", "the body ended before the file part did (no closing boundary)")
        return self.writer.commit()

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
