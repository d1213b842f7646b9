from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, status

from api.deps import NotaryDep, require_admin
from api.schemas import BatchSummaryOut, FactoryIn, FactoryOut, SignerIn, error

router = APIRouter(prefix="/factories", tags=["factories"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_admin)],
    responses={409: error("this factory id is already registered on chain")},
)
def register_factory(body: FactoryIn, notary: NotaryDep) -> FactoryOut:
    """Register a factory and its signing address on chain (admin)."""
    return FactoryOut(**asdict(notary.register_factory(body.id, body.name, body.signer)))


@router.post(
    "/{factory_id}/signer",
    dependencies=[Depends(require_admin)],
    responses={404: error("no such factory on chain"), 409: error("that address is already the factory's signer")},
)
def rotate_signer(factory_id: str, body: SignerIn, notary: NotaryDep) -> FactoryOut:
    """Replace the factory's signing key (admin); the old key stays in the signer history."""
    return FactoryOut(**asdict(notary.rotate_signer(factory_id, body.signer)))


@router.get("/{factory_id}", responses={404: error("no such factory on chain")})
def get_factory(factory_id: str, notary: NotaryDep) -> FactoryOut:
    """A factory's name, current signer and signer history (read from the chain)."""
    return FactoryOut(**asdict(notary.get_factory(factory_id)))


@router.get("/{factory_id}/batches")
def list_batches(factory_id: str, notary: NotaryDep, period: str | None = None) -> list[BatchSummaryOut]:
    """The factory's batches, every revision, oldest period first; `?period=YYYY-MM` for one month."""
    return [BatchSummaryOut(**asdict(b)) for b in notary.list_batches(factory_id, period)]
