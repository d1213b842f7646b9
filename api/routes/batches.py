from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Response, status

from api.deps import NotaryDep
from api.schemas import BatchOut, SignedBatchIn
from ledger.notary import PENDING
from ledger.signing import parse_signed_batch

router = APIRouter(prefix="/batches", tags=["batches"])


class BatchStatusOut(BatchOut):
    reason: str | None = None  # why a queued batch was rejected when the chain came back
    message: str | None = None  # what happens next to a queued (pending) batch


QUEUED = "the chain is unreachable; the batch is stored and will be anchored when the chain returns"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "an identical resubmission: the batch as first stored"},
        202: {"description": "the chain is unreachable: the batch is stored `pending` and anchored when it returns "
              "(its signer is checked then; a wrong one makes it `rejected`)"},
        403: {"description": "signed by a key that is not the factory's registered signer"},
        409: {"description": "this revision is already anchored with other data, or a replay"},
        422: {"description": "bad input; `detail[].loc` names the field"},
    },
)
def submit_batch(body: SignedBatchIn, notary: NotaryDep, response: Response) -> BatchStatusOut:
    """Store a factory-signed batch and anchor its root on chain (relayed with the service's key)."""
    batch, created = notary.submit_batch(parse_signed_batch(body.model_dump(exclude_none=True)))
    if batch.status == PENDING:
        response.status_code = status.HTTP_202_ACCEPTED
        return BatchStatusOut(**asdict(batch), message=QUEUED)
    if not created:
        response.status_code = status.HTTP_200_OK
    return BatchStatusOut(**asdict(batch))


@router.get("/{batch_id}")
def get_batch(batch_id: str, notary: NotaryDep) -> BatchStatusOut:
    """A batch with its anchor and its records' ids and hashes (and why, if it was rejected)."""
    return BatchStatusOut(**asdict(notary.get_batch(batch_id)))
