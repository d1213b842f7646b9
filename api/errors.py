"""One table from the ledger's error classes to HTTP statuses, and the handlers that apply it.

A raised error is looked up along its MRO, so the most specific entry wins and a new subclass of a
class in :mod:`ledger.errors` needs no handler of its own. A database that does not answer is 503
like a chain that does not answer: both are "try again later", never a 500.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import InterfaceError as DatabaseInterfaceError
from sqlalchemy.exc import OperationalError as DatabaseOperationalError

from api.language import page_context, reader_language
from api.routes.pages import templates  # the pages' own layout, for errors a browser reads
from ledger.errors import (
    AccountingError,
    Conflict,
    Forbidden,
    InputError,
    IntegrityError,
    NotFound,
    RateLimited,
    Unavailable,
    ZclError,
)
from ledger.i18n import N_, translate_error, translator

STATUS: dict[type[Exception], int] = {
    InputError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AccountingError: status.HTTP_422_UNPROCESSABLE_CONTENT,  # an anchored record the factor set cannot account
    NotFound: status.HTTP_404_NOT_FOUND,
    Forbidden: status.HTTP_403_FORBIDDEN,
    Conflict: status.HTTP_409_CONFLICT,
    RateLimited: status.HTTP_429_TOO_MANY_REQUESTS,
    Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,  # ChainUnavailable and TransactionTimeout are Unavailable
    DatabaseOperationalError: status.HTTP_503_SERVICE_UNAVAILABLE,
    DatabaseInterfaceError: status.HTTP_503_SERVICE_UNAVAILABLE,
    IntegrityError: status.HTTP_500_INTERNAL_SERVER_ERROR,  # stored data no longer matches the chain: refuse loudly
    ZclError: status.HTTP_500_INTERNAL_SERVER_ERROR,
}


def status_of(exc: BaseException) -> int:
    """The status for ``exc``: the entry of the nearest class in its MRO (500 when none)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return status.HTTP_500_INTERNAL_SERVER_ERROR


def install(app: FastAPI) -> None:
    """Register the one handler for every class of the table, and FastAPI's own 422 in the reader's language."""
    for cls in STATUS:
        app.add_exception_handler(cls, respond)
    app.add_exception_handler(RequestValidationError, _invalid_request)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """FastAPI's own 422 (a field missing or of the wrong type), its ``msg`` texts translated."""
    assert isinstance(exc, RequestValidationError)
    lang = reader_language(request)
    detail = jsonable_encoder(exc.errors())
    for error in detail:
        error["msg"] = translate_error(str(error.get("msg", "")), lang)
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail})


async def respond(request: Request, exc: Exception) -> Response:
    """The answer to ``exc``: a page for a browser, else JSON (a 422 in FastAPI's own shape)."""
    code = status_of(exc)
    if "text/html" in request.headers.get("accept", ""):
        return _page(request, code, exc)  # a person in a browser gets a page, not JSON
    lang = reader_language(request)
    if isinstance(exc, InputError) and code == status.HTTP_422_UNPROCESSABLE_CONTENT:
        # the same shape as FastAPI's own 422s, so clients read one format for every bad field
        message = translate_error(exc.message, lang)
        detail: object = [{"loc": ["body", *_location(exc.field)], "msg": message, "type": "value_error"}]
    elif isinstance(exc, (DatabaseOperationalError, DatabaseInterfaceError)):
        # never the driver's text: it may hold the URL
        detail = translator(lang).gettext("the database does not answer; try again later")
    else:
        detail = translate_error(str(exc), lang)
    headers = {"Retry-After": "5"} if code == status.HTTP_503_SERVICE_UNAVAILABLE else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(status_code=code, content={"detail": detail}, headers=headers)


TITLES = {
    status.HTTP_404_NOT_FOUND: N_("Not found"),
    status.HTTP_403_FORBIDDEN: N_("Not allowed"),
    status.HTTP_409_CONFLICT: N_("Conflict"),
    status.HTTP_422_UNPROCESSABLE_CONTENT: N_("Not accepted"),
    status.HTTP_503_SERVICE_UNAVAILABLE: N_("Temporarily unavailable"),
}


def _page(request: Request, code: int, exc: Exception) -> Response:
    layout = page_context(request)
    t = layout["t"]
    if code == status.HTTP_503_SERVICE_UNAVAILABLE:
        message = t.gettext(
            "The chain or the database does not answer right now. Nothing is lost; try again in a moment."
        )
    elif code >= 500:
        message = t.gettext("Something went wrong on this service.")  # details go to the log, not to the page
    else:
        message = translate_error(str(exc), layout["lang"])
    chain = {"chain_id": "—", "contract": "—"}
    ledger = getattr(getattr(request.app.state, "services", None), "ledger", None)
    domain = ledger.domain_if_read if ledger is not None else None  # asks the chain nothing
    if domain is not None:
        chain = {"chain_id": domain.chain_id, "contract": domain.verifying_contract}
    context = {**layout, "title": t.gettext(TITLES.get(code, N_("Error"))), "message": message, "chain": chain}
    headers = {"Retry-After": "5"} if code == status.HTTP_503_SERVICE_UNAVAILABLE else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return templates.TemplateResponse(request, "error.html", context, status_code=code, headers=headers)


def _location(field: str) -> list[str | int]:
    """`records[3].evidence[0].sha256` → ["records", 3, "evidence", 0, "sha256"]."""
    return [int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", field)]
