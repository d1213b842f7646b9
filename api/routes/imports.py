"""Importing a meter export for the web upload flow: a preview of the records a file makes with a
mapping, with every row error, and the shipped templates to start a mapping from.

Nothing is stored: the upload is read from a temporary file (Starlette spools a large part to
disk) and dropped with the request. A body over the import limit is refused with 413 before it is
read; a wrong mapping is a 422 naming the mapping field; bad rows are a 200 listing them.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from starlette.datastructures import UploadFile

from api.errors import _location
from api.language import reader_language
from api.schemas import STREAM, error
from api.schemas.imports import ImportInspectOut, ImportPreviewOut, ImportTemplateOut
from ledger.i18n import Translator, translator
from ledger.imports import (
    MAX_FILE_BYTES,
    ImportTooLarge,
    MappingError,
    import_file,
    inspect_file,
    load_mapping_text,
    templates,
)

router = APIRouter(tags=["imports"])

MAX_OVERHEAD = 1024 * 1024  # the mapping and the form's headers on top of the file
MAX_BODY_BYTES = MAX_FILE_BYTES + MAX_OVERHEAD
MAX_MAPPING_BYTES = 256 * 1024


def _form(*required: str) -> dict[str, Any]:
    """The multipart body's OpenAPI description (the route reads the form itself, with limits)."""
    properties = {
        "file": {"type": "string", "format": "binary", "description": "the export: CSV or XLSX"},
        "mapping": {"type": "string", "description": "the mapping as JSON text (the TOML's structure)"},
        "factory_id": {"type": "string", "description": "default: the mapping's factory_id"},
        "period": {"type": "string", "description": "YYYY-MM; default: the first record's month"},
    }
    schema = {"type": "object", "required": list(required), "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


@router.post(
    "/imports/preview",
    response_model=ImportPreviewOut,
    openapi_extra=_form("file", "mapping"),
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
    t = translator(reader_language(request))
    try:
        data, name, fields = await _upload(request, t, mapping_required=True)
        mapping = load_mapping_text(fields["mapping"], json_text=True)
        result = await run_in_threadpool(
            import_file, data, name, mapping, factory_id=fields.get("factory_id"), period=fields.get("period")
        )
    except _Invalid as exc:
        return _invalid(exc.field, exc.message)
    except MappingError as exc:
        return _invalid(exc.field, exc.message_in(t))
    except ImportTooLarge as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"{exc.field}: {exc.message_in(t)}")
    return result.to_json(t)


@router.post(
    "/imports/inspect",
    response_model=ImportInspectOut,
    openapi_extra=_form("file"),
    responses={
        413: error("the file is over the import limit (the message names it)"),
        415: error("the body is not multipart/form-data"),
        422: {"description": "a wrong `file` table in the mapping: `detail[].loc` names the field"},
    },
)  # fmt: skip
async def inspect_import(request: Request) -> Any:
    """A first look at an export before it is mapped: its columns (header and letter), the first
    rows as text, the encoding, delimiter and sheets found. Only the mapping's `file` table (sheet,
    header row, encoding…) is used, and the mapping is optional."""
    t = translator(reader_language(request))
    try:
        data, name, fields = await _upload(request, t, mapping_required=False)
        options = json.loads(fields["mapping"]).get("file") if "mapping" in fields else None
        found = await run_in_threadpool(inspect_file, data, name, options, t)
    except _Invalid as exc:
        return _invalid(exc.field, exc.message)
    except (ValueError, AttributeError) as exc:
        if isinstance(exc, MappingError):
            return _invalid(exc.field, exc.message_in(t))
        return _invalid("mapping", t.gettext("must be a JSON object"))
    except ImportTooLarge as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"{exc.field}: {exc.message_in(t)}")
    return found


class _Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


async def _upload(request: Request, t: Translator, *, mapping_required: bool) -> tuple[bytes, str, dict[str, str]]:
    """The uploaded file's bytes and name, and the form's text fields (blank ones left out). The
    declared length is checked before the body is read; the form is closed (its spooled temporary
    file removed) before this returns."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send multipart/form-data: file and mapping")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"file: the limit is {MAX_FILE_BYTES} bytes")
    form = await request.form(max_files=1, max_fields=4, max_part_size=MAX_MAPPING_BYTES)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise _Invalid("file", t.gettext("is required: the export as the multipart field `file`"))
        fields = {k: v.strip() for k, v in form.items() if isinstance(v, str) and v.strip()}
        if mapping_required and "mapping" not in fields:
            raise _Invalid("mapping", t.gettext("is required: the mapping as JSON text"))
        data = await upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"file: the limit is {MAX_FILE_BYTES} bytes")
        return data, upload.filename or "upload", fields
    finally:
        await form.close()


@router.get("/imports/templates", response_model=list[ImportTemplateOut])
def import_templates() -> list[dict[str, Any]]:
    """The shipped mappings (a State Grid bill, an EMS 15-minute export, a PV inverter export, a
    production sheet), each with its sample file's name."""
    return [template.to_json() for template in templates()]


@router.get(
    "/imports/templates/{name}/sample",
    response_class=FileResponse,
    responses={
        200: {"description": "the sample export (CSV or XLSX) as bytes",
              "content": {"application/octet-stream": {"schema": STREAM}}},
        404: error("no such template, or it has no sample"),
    },
)  # fmt: skip
def import_template_sample(name: str) -> FileResponse:
    """A template's sample export, to try the preview with."""
    found = next((tpl for tpl in templates() if tpl.name == name and tpl.sample), None)
    if found is None or found.sample is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no import template {name!r} with a sample")
    from ledger.imports import TEMPLATES_DIR

    return FileResponse(TEMPLATES_DIR / found.name / found.sample, filename=f"{found.name}-{found.sample}")


def _invalid(field: str, message: str) -> JSONResponse:
    """A 422 in FastAPI's shape, ``loc`` naming the form field (``mapping.columns.0.unit``)."""
    detail = [{"loc": ["body", *_location(field)], "msg": message, "type": "value_error"}]
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail})
