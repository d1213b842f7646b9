"""What every resource's wire models share: the strict input base, the output base, addresses,
the error body and the EIP-712 domain.

Inputs are strict and closed (``extra="forbid"``) so a JSON number is never taken for an exact
decimal string. Outputs are strict too, for the opposite reason: FastAPI validates every answer
against its response model, and a lax model would quietly turn a numeric string into an int (or
an int-like float into an int); a strict one fails the request instead, which a test notices.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictStr

Address = Annotated[StrictStr, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="0x + 20-byte hex address")]


class Strict(BaseModel):
    """A request body: unknown keys are refused, types are not coerced."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """An answer: validated strictly against what the services return (see the module docstring)."""

    model_config = ConfigDict(strict=True)


class ErrorOut(Out):
    """The body of every refusal other than a 422: FastAPI's ``HTTPException`` shape."""

    detail: str = Field(description="what was refused and why, in words")


class Eip712DomainOut(Out):
    """The EIP-712 domain as wallets take it (``eth_signTypedData_v4``): hence the camelCase."""

    name: str
    version: str
    chainId: int  # noqa: N815 - EIP-712's own key
    verifyingContract: str  # noqa: N815 - EIP-712's own key


class TypedFieldOut(Out):
    """One member of an EIP-712 struct type."""

    name: str
    type: str


class TxOut(Out):
    """Where a write landed on chain."""

    tx_hash: str | None
    block_number: int | None


ERROR_REF = "#/components/schemas/ErrorOut"
STREAM = {"type": "string", "format": "binary"}
"""The schema of a body that is bytes (a file, an NDJSON stream), so generated clients read it raw."""


def error(description: str) -> dict[str, object]:
    """A ``responses=`` entry for a refusal whose body is :class:`ErrorOut`, so the OpenAPI document
    gives its shape: ``responses={404: error("no such batch")}``."""
    return {"model": ErrorOut, "description": description}


def json_error(description: str) -> dict[str, object]:
    """:func:`error` for a route whose own answer is not JSON (an HTML page): FastAPI would label a
    ``model`` with the route's media type, but the refusal is JSON, so it is given by reference
    (``ErrorOut`` is in the document's components through the other routes)."""
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}
