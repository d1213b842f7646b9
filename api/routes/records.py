from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ProofsDep

router = APIRouter(prefix="/records", tags=["records"])


@router.get("/{record_id}/proof")
def get_proof(record_id: str, proofs: ProofsDep) -> dict[str, Any]:
    """A self-contained proof bundle for one record: verify it with `zcl verify` or `POST /verify`."""
    return proofs.bundle(record_id)
