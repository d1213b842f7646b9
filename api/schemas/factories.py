"""Factories on the wire: registration (admin), a signer rotation signed by the factory's current
key (its EIP-712 message, and the signature), and the factory as the chain records it, with every
signer it has had and whether the admin forced one in."""

from __future__ import annotations

from pydantic import Field, StrictStr

from api.schemas.common import Address, Eip712DomainOut, Out, Strict, TypedFieldOut


class FactoryIn(Strict):
    id: StrictStr = Field(examples=["CN-SZ-0001"])
    name: StrictStr = Field(examples=["Suzhou Precision Components Co."])
    signer: Address


class SignerIn(Strict):
    signer: Address = Field(description="the new signing address")
    signature: StrictStr = Field(
        description="the factory's current key's EIP-712 signature of the SignerRotation "
        "(GET /factories/{id}/rotation?signer=…), 0x + 65 bytes"
    )


class RotationMessageOut(Out):
    """The `SignerRotation` struct the current key signs (EIP-712 names, hence camelCase)."""

    factoryId: str  # noqa: N815
    newSigner: str  # noqa: N815
    epoch: int = Field(description="the number of signer epochs so far: a signature rotates once")


class RotationTypedDataOut(Out):
    """What `eth_signTypedData_v4` takes."""

    types: dict[str, list[TypedFieldOut]]
    primaryType: str  # noqa: N815
    domain: Eip712DomainOut
    message: RotationMessageOut


class SignerEpochOut(Out):
    signer: str
    valid_from_block: int
    valid_from_time: int
    forced: bool = Field(description="put in force by the admin without the previous key's signature (a lost key)")


class FactoryOut(Out):
    id: str
    name: str | None
    signer: str
    signer_history: list[SignerEpochOut]
    registered_tx: str | None
