"""Evaluations on the wire: the requests (a factory's year, a signature, an evaluator, a park) and
the report document with its status, signature and anchor.

The report is a large document whose parts (lines, monthly figures, rule outcomes) belong to the
accounting rules rather than to the API, so its top-level fields are typed and its deeper parts are
free-form JSON; unknown top-level keys are kept (``extra="allow"``), never dropped. The report is
stored with sorted keys, so its fields are declared in that order (then the status fields, in the
order the service adds them) and the answer's key order stays as it was.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr

from api.schemas.common import Eip712DomainOut, Out, Strict, TypedFieldOut

_STEAM = (
    "steam source_id → its supplier's declared conditions: absolute_pressure_mpa (a decimal string, absolute), and "
    "temperature_c (superheated) or saturated: true. Required for every steam source metered by mass: the heat is "
    "t × (IAPWS-IF97 enthalpy − 83.74 kJ/kg feed water), never a default"
)
_STEAM_EXAMPLE = {"meter-steam-ST-2210": {"absolute_pressure_mpa": "1.0", "saturated": True}}


class EvaluationIn(Strict):
    factory_id: StrictStr
    year: StrictInt = Field(examples=[2025])
    type: StrictStr = Field(description='"I" (Scope 1 + 2) or "II" (+ transport and purchased products)')
    factor_set: StrictStr | None = Field(
        None, description="a bundled factor set id (default cn-mee-2023), never a path: a file is sent as factors_toml"
    )
    factors_toml: StrictStr | None = Field(None, description="a factor-set file of your own, as TOML text (≤ 64 KiB)")
    grid: StrictStr = Field(
        "national_average",
        description="location-based grid factor: national_average, a region (east, north…) or a province by its "
        "ISO 3166-2:CN code (CN-HE); a province the factor set has no figure for is refused",
    )
    onsite_projects: dict[str, str] = Field(
        default_factory=dict, description="on-site meter source_id → the certificate project id of that installation"
    )
    count_provisional_claims: StrictBool = Field(
        False, description="count claims no attestor has confirmed yet (a local demonstration; the report says so)"
    )
    steam: dict[str, dict[str, Any]] = Field(default_factory=dict, description=_STEAM, examples=[_STEAM_EXAMPLE])


class SignatureIn(Strict):
    evaluator: StrictStr
    signature: StrictStr


class ParkIn(Strict):
    factories: list[StrictStr] = Field(description="the park's member factory ids, each once")
    year: StrictInt
    factor_set: StrictStr | None = Field(None, description="as for /evaluations: a bundled id, never a path")
    factors_toml: StrictStr | None = Field(None, description="as for /evaluations: TOML text (≤ 64 KiB)")
    steam: dict[str, dict[str, Any]] = Field(default_factory=dict, description="as for /evaluations")


class ReportChainOut(Out):
    chain_id: int
    contract: str


class SetLabelOut(Out):
    """A factor set or rule set, named as every figure computed with it names it (`label` = id@version)."""

    id: str
    label: str
    name: str
    version: str


class PeriodsOut(Out):
    missing: list[dict[str, Any]] = Field(description="months with no usable anchored batch, and why")
    superseded: list[dict[str, Any]] = Field(description="earlier revisions, not used")
    used: list[dict[str, Any]] = Field(description="the anchored revision used for each month")


class TotalsOut(Out):
    """tCO2 (energy in tce), as exact decimal strings rounded once for display."""

    energy_tce: str
    offsets: str
    reductions: str
    removals: str
    scope1: str
    scope2_location: str
    scope2_market: str
    scope3: str


class FindingOut(Out):
    """A double-counting finding: a claim or record that cannot count as claimed."""

    check: str
    claim_ids: list[int]
    message: str
    record_ids: list[str]


class EvaluationResultOut(Out):
    gates: list[dict[str, Any]]
    level: str = Field(description='the level awarded, or "none"')
    level_confirmed: bool | None
    levels: list[dict[str, Any]]
    remaining_emissions: str
    rule_set: str
    type: str


class ReportAnchorOut(Out):
    report_id: int
    tx_hash: str | None
    block_number: int | None
    final: bool = Field(description="anchored under ZCL_CONFIRMATIONS blocks: a reorg can no longer take it")


_STALE = (
    "the chain has since anchored a newer revision of a month the report used, or a month it listed as missing: "
    "computed on read, not part of the signed report; null while the chain cannot be asked"
)
_SUPERSEDED_BY = "the newest later evaluation of the same factory, year and type that is not stale, if any"


class StaleBecauseOut(Out):
    """A month the chain has corrected (or first anchored) since the report was made."""

    period: str
    used_revision: int = Field(description="the revision the report used; 0 when it listed the month as missing")
    latest_revision: int


class EvaluationOut(Out):
    """An evaluation report with its status; `evaluator`, `signature` and `anchor` appear once signed."""

    model_config = ConfigDict(extra="allow")

    certificates: list[dict[str, Any]]
    chain: ReportChainOut
    credits: list[dict[str, Any]]
    double_counting: list[FindingOut]
    electricity: dict[str, str] = Field(description="MWh figures, the renewable share and the market-based arithmetic")
    evaluation: EvaluationResultOut
    factor_set: SetLabelOut
    factory_id: str
    factory_name: str | None
    format: str = Field(examples=["zcl-evaluation/2"])
    grid: str
    lines: list[dict[str, Any]] = Field(
        description="every inventory line: one source, kind and unit in one month, with its record count, factors and arithmetic"
    )
    monthly: list[dict[str, str]]
    periods: PeriodsOut
    production: dict[str, str]
    provisional_claims: dict[str, Any] | None = Field(
        None,
        description="`claim_ids`: the factory's claims no attestor has confirmed; `counted`: whether they were "
        "counted anyway (count_provisional_claims, a demo). Absent from reports made before claims were attested.",
    )
    report_hash: str = Field(description="keccak256 of the canonical JSON without the fields added after signing")
    rounding: str
    rule_set: SetLabelOut
    totals: TotalsOut
    type: str
    undisclosed_claims: list[int]
    year: int
    id: str
    status: str = Field(description="`draft`; `pending` once signed, until the chain holds it; then `anchored`")
    created_at: str
    evaluator: str | None = None
    signature: str | None = None
    anchor: ReportAnchorOut | None = None
    stale: bool | None = Field(None, description=_STALE)
    stale_because: list[StaleBecauseOut] = Field(default_factory=list)
    superseded_by: str | None = Field(None, description=_SUPERSEDED_BY)


class EvaluationSummaryOut(Out):
    id: str
    year: int
    type: str
    level: str
    status: str
    report_hash: str
    tx_hash: str | None
    stale: bool | None = Field(None, description=_STALE)
    stale_because: list[StaleBecauseOut] = Field(default_factory=list)
    superseded_by: str | None = Field(None, description=_SUPERSEDED_BY)


class ReportMessageOut(Out):
    """The `EvaluationReport` struct an evaluator signs (EIP-712 names, hence camelCase)."""

    factoryId: str  # noqa: N815
    year: int
    reportType: str  # noqa: N815
    level: str
    reportHash: str  # noqa: N815
    factorSet: str  # noqa: N815
    ruleSet: str  # noqa: N815
    evaluator: str


class ReportTypedDataOut(Out):
    """What `eth_signTypedData_v4` takes."""

    types: dict[str, list[TypedFieldOut]]
    primaryType: str  # noqa: N815
    domain: Eip712DomainOut
    message: ReportMessageOut


class ParkOut(Out):
    members: list[str]
    source: str
    numerator: str
    numerator_confirmed: bool
    emissions_tco2: str
    energy_tce: str
    intensity: str
    threshold: str
    passed: bool = Field(description="true only for a complete year (every member, every month) within its band")
    verdict: str = Field(description='"pass", "fail", or "incomplete" when a member lacks months (never a pass)')
    missing_months: dict[str, list[str]] = Field(description="factory id → the months it has no usable data for")
    explanation: str
    year: int
    factor_set: str
    rule_set: str
