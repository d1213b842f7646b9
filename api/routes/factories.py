from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, status

from api.deps import BatchesDep, FactoriesDep, require_admin
from api.schemas import BatchSummaryOut, FactoryIn, FactoryOut, SignerIn, error

router = APIRouter(prefix="/factories", tags=["factories"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_admin)],
    responses={409: error("this factory id is already registered on chain")},
)
def register_factory(body: FactoryIn, factories: FactoriesDep) -> FactoryOut:
    """Register a factory and its signing address on chain (admin)."""
    return FactoryOut(**asdict(factories.register(body.id, body.name, body.signer)))


@router.post(
    "/{factory_id}/signer",
    dependencies=[Depends(require_admin)],
    responses={404: error("no such factory on chain"), 409: error("that address is already the factory's signer")},
)
def rotate_signer(factory_id: str, body: SignerIn, factories: FactoriesDep) -> FactoryOut:
    """Replace the factory's signing key (admin); the old key stays in the signer history."""
    return FactoryOut(**asdict(factories.rotate_signer(factory_id, body.signer)))


@router.get("/{factory_id}", responses={404: error("no such factory on chain")})
def get_factory(factory_id: str, factories: FactoriesDep) -> FactoryOut:
    """A factory's name, current signer and signer history (read from the chain)."""
    return FactoryOut(**asdict(factories.get(factory_id)))


@router.get("/{factory_id}/batches")
def list_batches(factory_id: str, batches: BatchesDep, period: str | None = None) -> list[BatchSummaryOut]:
    """The factory's batches, every revision, oldest period first; `?period=YYYY-MM` for one month."""
    return [BatchSummaryOut(**asdict(b)) for b in batches.list_for(factory_id, period)]
