"""Evaluators' identities on the wire: the profile an evaluator's key signs, and the stored profile."""

from __future__ import annotations

from pydantic import Field, StrictInt, StrictStr

from api.schemas.common import Eip712DomainOut, Out, Strict, TypedFieldOut


class EvaluatorProfileIn(Strict):
    name: StrictStr = Field(examples=["Li Wei"])
    organisation: StrictStr = Field(examples=["China Quality Certification Centre"])
    accreditation: StrictStr = Field(examples=["CNAS C001-M"], description="accreditation number, e.g. CNAS")
    version: StrictInt = Field(description="the next version (GET …/profile/typed-data says which)")
    signature: StrictStr = Field(description="the evaluator's EIP-712 signature of the EvaluatorProfile, 0x + 65 bytes")


class EvaluatorProfileOut(Out):
    address: str
    name: str
    organisation: str
    accreditation: str
    version: int
    signature: str = Field(description="the evaluator's key's signature of this profile (anyone can check it)")
    updated_at: str


class EvaluatorProfileMessageOut(Out):
    evaluator: str
    name: str
    organisation: str
    accreditation: str
    version: int


class EvaluatorProfileTypedDataOut(Out):
    """What `eth_signTypedData_v4` takes."""

    types: dict[str, list[TypedFieldOut]]
    primaryType: str  # noqa: N815
    domain: Eip712DomainOut
    message: EvaluatorProfileMessageOut
