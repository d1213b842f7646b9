from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Response, status

from api.deps import NotaryDep
from api.schemas import BatchOut, SignedBatchIn
from ledger.signing import parse_signed_batch

router = APIRouter(prefix="/batches", tags=["batches"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "an identical resubmission: the batch as first stored"},
        403: {"description": "signed by a key that is not the factory's registered signer"},
        409: {"description": "this revision is already anchored with other data, or a replay"},
        422: {"description": "bad input; `detail[].loc` names the field"},
    },
)
def submit_batch(body: SignedBatchIn, notary: NotaryDep, response: Response) -> BatchOut:
    """Store a factory-signed batch and anchor its root on chain (relayed with the service's key)."""
    batch, created = notary.submit_batch(parse_signed_batch(body.model_dump(exclude_none=True)))
    if not created:
        response.status_code = status.HTTP_200_OK
    return BatchOut(**asdict(batch))


@router.get("/{batch_id}")
def get_batch(batch_id: str, notary: NotaryDep) -> BatchOut:
    """A batch with its anchor and its records' ids and hashes."""
    return BatchOut(**asdict(notary.get_batch(batch_id)))
