from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import NotaryDep
from api.schemas import ProofBundleOut, error

router = APIRouter(prefix="/records", tags=["records"])


@router.get(
    "/{record_id}/proof",
    response_model=ProofBundleOut,
    responses={404: error("no such record"), 503: error("the record's batch is not anchored yet")},
)
def get_proof(record_id: str, notary: NotaryDep) -> dict[str, Any]:
    """A self-contained proof bundle for one record: verify it with `zcl verify` or `POST /verify`."""
    return notary.proof_bundle(record_id)
