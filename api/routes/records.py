from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ProofsDep
from api.schemas import ProofBundleOut, error

router = APIRouter(prefix="/records", tags=["records"])


@router.get(
    "/{record_id}/proof",
    response_model=ProofBundleOut,
    responses={
        404: error("no such record"),
        409: error("the record's batch is `conflict` or `rejected`: the chain does not hold its root"),
        503: error("the record's batch is not anchored yet (or is being anchored again after a reorg)"),
    },
)
def get_proof(record_id: str, proofs: ProofsDep) -> dict[str, Any]:
    """A self-contained proof bundle for one record: verify it with `zcl verify` or `POST /verify`."""
    return proofs.bundle(record_id)
