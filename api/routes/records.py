from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import NotaryDep

router = APIRouter(prefix="/records", tags=["records"])


@router.get("/{record_id}/proof")
def get_proof(record_id: str, notary: NotaryDep) -> dict[str, Any]:
    """A self-contained proof bundle for one record: verify it with `zcl verify` or `POST /verify`."""
    return notary.proof_bundle(record_id)
