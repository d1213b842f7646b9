"""The chain and contract this service anchors to: what a factory needs to sign a batch."""

from __future__ import annotations

from api.schemas.common import Eip712DomainOut, Out


class ChainOut(Out):
    chain_id: int
    contract: str
    eip712_domain: Eip712DomainOut
