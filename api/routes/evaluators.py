"""An evaluator's identity (name, organisation, accreditation number), set by the evaluator's own
signature, never by a token: see :mod:`ledger.services.evaluators` for why."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import EvaluatorsDep
from api.schemas.common import error
from api.schemas.evaluators import EvaluatorProfileIn, EvaluatorProfileOut, EvaluatorProfileTypedDataOut
from ledger.records.errors import RecordError

router = APIRouter(prefix="/evaluators", tags=["evaluators"])


@router.get("/{address}/profile", response_model=EvaluatorProfileOut, responses={404: error("no signed profile")})
def get_profile(address: str, evaluators: EvaluatorsDep) -> dict[str, Any]:
    """The evaluator's identity as their key signed it."""
    return evaluators.get(address)


@router.get("/{address}/profile/typed-data", response_model=EvaluatorProfileTypedDataOut)
def profile_typed_data(
    address: str, name: str, organisation: str, accreditation: str, evaluators: EvaluatorsDep
) -> dict[str, Any]:
    """The EIP-712 `EvaluatorProfile` the evaluator's key signs, at the next version."""
    return evaluators.typed_data(address, name, organisation, accreditation)


@router.put(
    "/{address}/profile",
    response_model=EvaluatorProfileOut,
    responses={
        403: error("not signed by the address's key, or the address holds no evaluator role"),
        409: error("not the next version"),
    },
)
def set_profile(address: str, body: EvaluatorProfileIn, evaluators: EvaluatorsDep) -> dict[str, Any]:
    """Set the evaluator's identity, signed by the evaluator's own key (the address must hold the
    evaluator role on chain). Reports already signed keep the identity they were signed with."""
    try:
        signature = bytes.fromhex(body.signature.removeprefix("0x"))
    except ValueError:
        raise RecordError("signature", "is not valid hex") from None
    fields = {"name": body.name, "organisation": body.organisation, "accreditation": body.accreditation}
    return evaluators.set(address, fields, body.version, signature)
