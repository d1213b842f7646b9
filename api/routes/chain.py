from __future__ import annotations

from fastapi import APIRouter

from api.deps import LedgerDep
from api.schemas import ChainOut, Eip712DomainOut

router = APIRouter(tags=["chain"])


@router.get("/chain")
def chain(ledger: LedgerDep) -> ChainOut:
    """The chain and contract this service anchors to: what a factory needs to sign a batch."""
    domain = ledger.domain()
    return ChainOut(
        chain_id=domain.chain_id, contract=domain.verifying_contract, eip712_domain=Eip712DomainOut(**domain.as_dict())
    )
