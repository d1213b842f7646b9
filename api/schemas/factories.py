"""Factories on the wire: registration and signer rotation (admin), and the factory as the chain
records it, with every signer it has had."""

from __future__ import annotations

from pydantic import Field, StrictStr

from api.schemas.common import Address, Out, Strict


class FactoryIn(Strict):
    id: StrictStr = Field(examples=["CN-SZ-0001"])
    name: StrictStr = Field(examples=["Suzhou Precision Components Co."])
    signer: Address


class SignerIn(Strict):
    signer: Address


class SignerEpochOut(Out):
    signer: str
    valid_from_block: int
    valid_from_time: int


class FactoryOut(Out):
    id: str
    name: str | None
    signer: str
    signer_history: list[SignerEpochOut]
    registered_tx: str | None
