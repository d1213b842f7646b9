from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, status

from api.deps import BatchesDep, FactoriesDep, require_admin
from api.schemas import (
    BatchSummaryOut,
    FactoryIn,
    FactoryOut,
    FactoryProfileIn,
    RotationTypedDataOut,
    SignerIn,
    error,
)
from ledger.records.errors import RecordError

router = APIRouter(prefix="/factories", tags=["factories"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_admin)],
    responses={
        409: error("this factory id is already registered on chain"),
        503: error("this service holds no registrar key"),
    },
)
def register_factory(body: FactoryIn, factories: FactoriesDep) -> FactoryOut:
    """Register a factory and its signing address on chain (admin), sent with the registrar's key."""
    profile = body.profile.model_dump(exclude_unset=True) if body.profile is not None else None
    return FactoryOut(**asdict(factories.register(body.id, body.name, body.signer, profile)))


@router.patch(
    "/{factory_id}/profile",
    dependencies=[Depends(require_admin)],
    responses={404: error("no such factory, or not registered through this service")},
)
def update_profile(factory_id: str, body: FactoryProfileIn, factories: FactoriesDep) -> FactoryOut:
    """Change the factory's location or boundary (admin): only the fields sent change, null makes one
    unknown again. Reports already made keep the boundary they were made with."""
    return FactoryOut(**asdict(factories.update_profile(factory_id, body.model_dump(exclude_unset=True))))


@router.get(
    "/{factory_id}/rotation",
    response_model=RotationTypedDataOut,
    responses={404: error("no such factory on chain")},
)
def rotation_typed_data(factory_id: str, signer: str, factories: FactoriesDep) -> dict[str, Any]:
    """The EIP-712 `SignerRotation` the factory's current key signs to make `signer` its successor
    (eth_signTypedData_v4); it names the factory's current epoch, so it rotates once."""
    return factories.rotation_typed_data(factory_id, signer)


@router.post(
    "/{factory_id}/signer",
    responses={
        403: error("the rotation is not signed by the factory's current key"),
        404: error("no such factory on chain"),
        409: error("that address is already the factory's signer"),
    },
)
def rotate_signer(factory_id: str, body: SignerIn, factories: FactoriesDep) -> FactoryOut:
    """Replace the factory's signing key with the consent of its current key, whose signature of the
    rotation authorizes it (no admin token); the old key stays in the signer history. A lost key is
    replaced only by the admin, outside this service (`zcl factory rotate --forced`)."""
    try:
        signature = bytes.fromhex(body.signature.removeprefix("0x"))
    except ValueError:
        raise RecordError("signature", "is not valid hex") from None
    return FactoryOut(**asdict(factories.rotate_signer(factory_id, body.signer, signature)))


@router.get("/{factory_id}", responses={404: error("no such factory on chain")})
def get_factory(factory_id: str, factories: FactoriesDep) -> FactoryOut:
    """A factory's name, current signer and signer history (read from the chain)."""
    return FactoryOut(**asdict(factories.get(factory_id)))


@router.get("/{factory_id}/batches")
def list_batches(factory_id: str, batches: BatchesDep, period: str | None = None) -> list[BatchSummaryOut]:
    """The factory's batches, every revision, oldest period first; `?period=YYYY-MM` for one month."""
    return [BatchSummaryOut(**asdict(b)) for b in batches.list_for(factory_id, period)]
