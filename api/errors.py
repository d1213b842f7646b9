"""One table from the ledger's error classes to HTTP statuses, and the handlers that apply it.

A raised error is looked up along its MRO, so the most specific entry wins and a new subclass of a
class in :mod:`ledger.errors` needs no handler of its own. A database that does not answer is 503
like a chain that does not answer: both are "try again later", never a 500.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError as DatabaseInterfaceError
from sqlalchemy.exc import OperationalError as DatabaseOperationalError

from ledger.errors import (
    AccountingError,
    Conflict,
    Forbidden,
    InputError,
    IntegrityError,
    NotFound,
    Unavailable,
    ZclError,
)

STATUS: dict[type[Exception], int] = {
    InputError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AccountingError: status.HTTP_422_UNPROCESSABLE_CONTENT,  # an anchored record the factor set cannot account
    NotFound: status.HTTP_404_NOT_FOUND,
    Forbidden: status.HTTP_403_FORBIDDEN,
    Conflict: status.HTTP_409_CONFLICT,
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
    """Register the one handler for every class of the table."""
    for cls in STATUS:
        app.add_exception_handler(cls, _handle)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    code = status_of(exc)
    if isinstance(exc, InputError) and code == status.HTTP_422_UNPROCESSABLE_CONTENT:
        # the same shape as FastAPI's own 422s, so clients read one format for every bad field
        detail: object = [{"loc": ["body", *_location(exc.field)], "msg": exc.message, "type": "value_error"}]
    elif isinstance(exc, (DatabaseOperationalError, DatabaseInterfaceError)):
        detail = "the database does not answer; try again later"  # never the driver's text: it may hold the URL
    else:
        detail = str(exc)
    headers = {"Retry-After": "5"} if code == status.HTTP_503_SERVICE_UNAVAILABLE else None
    return JSONResponse(status_code=code, content={"detail": detail}, headers=headers)


def _location(field: str) -> list[str | int]:
    """`records[3].evidence[0].sha256` → ["records", 3, "evidence", 0, "sha256"]."""
    return [int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", field)]
