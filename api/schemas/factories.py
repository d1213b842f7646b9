"""Factories on the wire: registration (admin), a signer rotation signed by the factory's current
key (its EIP-712 message, and the signature), and the factory as the chain records it, with every
signer it has had and whether the admin forced one in."""

from __future__ import annotations

from pydantic import Field, StrictStr

from api.schemas.common import Address, Eip712DomainOut, Out, Strict, TypedFieldOut
from ledger.accounting.source_register import measurement_methods

_UNKNOWN = "; null or absent: unknown"


_METHODS = ", ".join(measurement_methods()[1])


class SourceDeclarationIn(Strict):
    """What the factory declares of one source (ledger/accounting/source_register.py): sent again, it
    replaces the source's whole declaration."""

    method: StrictStr = Field(
        examples=["metered"],
        description=f"how the source's figures are obtained: {_METHODS} (rules/measurement-methods.toml)",
    )
    meter: StrictStr | None = Field(None, examples=["State Grid revenue meter 3205-10K-0457"])
    in_service_from: StrictStr | None = Field(
        None, examples=["2025-04-15"], description="first day in service, YYYY-MM-DD; null or absent: before any record"
    )
    in_service_until: StrictStr | None = Field(
        None, description="last day in service (inclusive), YYYY-MM-DD; null or absent: still in service"
    )
    declared_by: StrictStr | None = Field(None, examples=["Wang Fang, energy manager"])
    profile: StrictStr | None = Field(
        None, examples=["cn-industrial-two-shift"],
        description="a load-profile source only: the standard profile (ledger/hourly/rules/load-profiles.toml) its "
        "monthly totals are spread by in hourly matching; null or absent: the file's default (flat)",
    )  # fmt: skip


class FactoryProfileIn(Strict):
    """The factory's location and boundary. On registration, fields left out are unknown; on an update,
    only the fields sent change (null makes one unknown again)."""

    province: StrictStr | None = Field(None, examples=["CN-JS"], description="ISO 3166-2:CN code" + _UNKNOWN)
    grid_region: StrictStr | None = Field(
        None, examples=["east"], description="a regional grid key of the factor sets (east, north, …)" + _UNKNOWN
    )
    legal_entity: StrictStr | None = Field(None, examples=["苏州精密零部件有限公司"])
    unified_social_credit_code: StrictStr | None = Field(
        None, examples=["91350100M000100Y43"], description="18 characters, GB 32100-2015, check character verified"
    )
    site_address: StrictStr | None = Field(None, examples=["88 Xinghu St, Suzhou Industrial Park, Jiangsu"])
    facilities: list[StrictStr] | None = Field(
        None, examples=[["assembly hall A", "rooftop PV 1.2 MWp"]], description="the facilities inside the boundary"
    )
    sources: dict[str, SourceDeclarationIn | None] | None = Field(
        None,
        description="the source register: source_id → its declaration (replaces that source's), null withdraws "
        "one; sources not named stay as declared; null for the whole withdraws every declaration",
    )


class FactoryIn(Strict):
    id: StrictStr = Field(examples=["CN-SZ-0001"])
    name: StrictStr = Field(examples=["Suzhou Precision Components Co."])
    signer: Address
    profile: FactoryProfileIn | None = None


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


class SourceDeclarationOut(Out):
    method: str
    meter: str | None
    in_service_from: str | None
    in_service_until: str | None
    declared_by: str | None
    declared_at: str = Field(description="when this declaration was entered (UTC)")
    version: int = Field(description="the register's version that holds this declaration")
    profile: str | None = Field(None, description="a load-profile source's standard profile; null: the default")


class SourceRegisterOut(Out):
    """What the factory declared of its sources; version 0 with no sources: nothing declared (every
    source is then "undeclared" in a report, never taken as metered)."""

    version: int
    updated_at: str | None
    sources: dict[str, SourceDeclarationOut]


class FactoryProfileOut(Out):
    """Each field null when unknown (never guessed); `updated_at` of the last change, null if never set."""

    province: str | None = Field(description="ISO 3166-2:CN code, e.g. CN-JS")
    grid_region: str | None
    legal_entity: str | None
    unified_social_credit_code: str | None
    site_address: str | None
    facilities: list[str] | None
    updated_at: str | None
    source_register: SourceRegisterOut


class FactoryOut(Out):
    id: str
    name: str | None
    signer: str
    signer_history: list[SignerEpochOut]
    registered_tx: str | None
    profile: FactoryProfileOut
