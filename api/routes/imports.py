"""Importing a meter export for the web upload flow: a preview of the records a file makes with a
mapping, with every row error, and the shipped templates to start a mapping from.

Nothing is stored: the upload is read from a temporary file (Starlette spools a large part to
disk) and dropped with the request. A body over the import limit is refused with 413 before it is
read; a wrong mapping is a 422 naming the mapping field; bad rows are a 200 listing them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from starlette.datastructures import UploadFile

from api.errors import _location
from api.language import reader_language
from api.schemas import error
from api.schemas.imports import ImportPreviewOut, ImportTemplateOut
from ledger.i18n import translator
from ledger.imports import MAX_FILE_BYTES, ImportTooLarge, MappingError, import_file, load_mapping_text, templates

router = APIRouter(tags=["imports"])

MAX_OVERHEAD = 1024 * 1024  # the mapping and the form's headers on top of the file
MAX_BODY_BYTES = MAX_FILE_BYTES + MAX_OVERHEAD
MAX_MAPPING_BYTES = 256 * 1024

_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "mapping"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "the export: CSV or XLSX"},
                        "mapping": {"type": "string", "description": "the mapping as JSON text (the TOML's structure)"},
                        "factory_id": {"type": "string", "description": "default: the mapping's factory_id"},
                        "period": {"type": "string", "description": "YYYY-MM; default: the first record's month"},
                    },
                }
            }
        },
    }
}  # fmt: skip


@router.post(
    "/imports/preview",
    response_model=ImportPreviewOut,
    openapi_extra=_FORM,
    responses={
        413: error("the file is over the import limit (the message names it)"),
        415: error("the body is not multipart/form-data"),
        422: {"description": "a wrong mapping, factory id or period: `detail[].loc` names the field "
              "(`mapping.columns.0.unit`)"},
    },
)  # fmt: skip
async def preview_import(request: Request) -> Any:
    """The records a file makes with a mapping (as batch.json holds them), every row error with its
    row and column, and the totals per source; nothing is stored."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send multipart/form-data: file and mapping")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"file: the limit is {MAX_FILE_BYTES} bytes")
    t = translator(reader_language(request))
    form = await request.form(max_files=1, max_fields=4, max_part_size=MAX_MAPPING_BYTES)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return _invalid("file", t.gettext("is required: the export as the multipart field `file`"))
        mapping_text = form.get("mapping")
        if not isinstance(mapping_text, str) or not mapping_text.strip():
            return _invalid("mapping", t.gettext("is required: the mapping as JSON text"))
        data = await upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"file: the limit is {MAX_FILE_BYTES} bytes")
        factory_id, period = (_text(form.get(name)) for name in ("factory_id", "period"))
        try:
            mapping = load_mapping_text(mapping_text, json_text=True)
            result = await run_in_threadpool(
                import_file, data, upload.filename or "upload", mapping, factory_id=factory_id, period=period
            )
        except MappingError as exc:
            return _invalid(exc.field, exc.message_in(t.gettext))
        except ImportTooLarge as exc:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"{exc.field}: {exc.message_in(t.gettext)}")
    finally:
        await form.close()
    return {
        "factory_id": result.factory_id,
        "period": result.period,
        "records": result.records,
        "errors": [issue.to_json(t.gettext) for issue in result.issues],
        "errors_not_listed": result.dropped,
        "summary": result.summary(),
    }


@router.get("/imports/templates", response_model=list[ImportTemplateOut])
def import_templates() -> list[dict[str, Any]]:
    """The shipped mappings (a State Grid bill, an EMS 15-minute export, a PV inverter export, a
    production sheet), each with its sample file's name."""
    return [template.to_json() for template in templates()]


@router.get(
    "/imports/templates/{name}/sample",
    response_class=FileResponse,
    responses={404: error("no such template, or it has no sample")},
)
def import_template_sample(name: str) -> FileResponse:
    """A template's sample export, to try the preview with."""
    found = next((tpl for tpl in templates() if tpl.name == name and tpl.sample), None)
    if found is None or found.sample is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no import template {name!r} with a sample")
    from ledger.imports import TEMPLATES_DIR

    return FileResponse(TEMPLATES_DIR / found.name / found.sample, filename=f"{found.name}-{found.sample}")


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _invalid(field: str, message: str) -> JSONResponse:
    """A 422 in FastAPI's shape, ``loc`` naming the form field (``mapping.columns.0.unit``)."""
    detail = [{"loc": ["body", *_location(field)], "msg": message, "type": "value_error"}]
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail})
