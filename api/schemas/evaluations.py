"""Evaluations on the wire: the requests (a factory's year, a signature, an evaluator, a park) and
the report document with its status, signature and anchor.

The report is a large document whose parts (lines, monthly figures, rule outcomes) belong to the
accounting rules rather than to the API, so its top-level fields are typed and its deeper parts are
free-form JSON; unknown top-level keys are kept (``extra="allow"``), never dropped. The report is
stored with sorted keys, so its fields are declared in that order (then the status fields, in the
order the service adds them) and the answer's key order stays as it was.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr

from api.schemas.common import Eip712DomainOut, Out, Strict, TypedFieldOut

_STEAM = (
    "steam source_id → its supplier's declared conditions: absolute_pressure_mpa (a decimal string, absolute), and "
    "temperature_c (superheated) or saturated: true. Required for every steam source metered by mass: the heat is "
    "t × (IAPWS-IF97 enthalpy − 83.74 kJ/kg feed water), never a default"
)
_STEAM_EXAMPLE = {"meter-steam-ST-2210": {"absolute_pressure_mpa": "1.0", "saturated": True}}


class Scope3ExclusionIn(Strict):
    category: StrictStr = Field(examples=["purchased_goods"], description="a [[scope3_category]] id of the rule file")
    reason: StrictStr = Field(description="why it is outside the boundary (at least 10 characters)")


class TransferIn(Strict):
    """Energy one park member sells another, metered at the buyer: netted out of the park's figures."""

    from_factory: StrictStr
    to_factory: StrictStr
    source_id: StrictStr = Field(description="the buyer's source (meter) of the purchased steam or heat")


class BaseYearIn(Strict):
    """Declared base-year data for own reductions by efficiency (not anchored: the report says so)."""

    year: StrictInt = Field(examples=[2023], description="before the evaluated year")
    gross_emissions_tco2e: StrictStr = Field(
        examples=["12000"],
        description="Scope 1 + Scope 2 location-based tCO2e of the base year, on-site renewable counted at the "
        "grid factor (decimal string)",
    )
    output: StrictStr | None = Field(None, examples=["1000000"], description="base-year production (with output_unit)")
    output_unit: StrictStr | None = Field(None, examples=["pcs"], description="a unit of the production records")
    source: StrictStr = Field(examples=["2023 GHG inventory verified by …, report no. …"])


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
    consumer_country: StrictStr | None = Field(
        None,
        description="ISO 3166-1 alpha-2 country of the factory's electricity market, for the certificates' market "
        "boundary; default: the eligibility rule file's consumer_country (CN)",
    )
    matching: Literal["claim_period", "monthly", "annual"] = Field(
        "claim_period",
        description="how certificates meet consumption: claim_period (each claim only within its own consumption "
        "months; the default, per the GHG Protocol Scope 2 quality criteria), monthly, or annual (netted over the "
        "year); the report shows the other methods' renewable share beside it",
    )
    scope3_exclusions: list[Scope3ExclusionIn] = Field(
        default_factory=list,
        description="Type II: Scope 3 categories left out on purpose, each with its reason; a category with neither "
        "data nor an exclusion is 'no data' and blocks every Type II level",
    )
    base_year: BaseYearIn | None = Field(
        None, description='declared base year for own reductions by efficiency; absent: "no base year" (never 0)'
    )


class SignatureIn(Strict):
    evaluator: StrictStr
    signature: StrictStr


class ParkIn(Strict):
    factories: list[StrictStr] = Field(description="the park's member factory ids, each once")
    year: StrictInt
    factor_set: StrictStr | None = Field(None, description="as for /evaluations: a bundled id, never a path")
    factors_toml: StrictStr | None = Field(None, description="as for /evaluations: TOML text (≤ 64 KiB)")
    steam: dict[str, dict[str, Any]] = Field(default_factory=dict, description="as for /evaluations")
    transfers: list[TransferIn] = Field(default_factory=list, description="energy sold between members, netted")


class ReportPart(Out):
    """A part of the signed report: every key the service gives is passed on, declared or not — a
    key dropped on the way would leave a report whose JSON no longer gives its ``report_hash``."""

    model_config = ConfigDict(strict=True, extra="allow")


class ReportChainOut(ReportPart):
    chain_id: int
    contract: str


class SetLabelOut(ReportPart):
    """A factor set or rule set, named as every figure computed with it names it (`label` = id@version)."""

    id: str
    label: str
    name: str
    version: str


class PeriodsOut(ReportPart):
    missing: list[dict[str, Any]] = Field(description="months with no usable anchored batch, and why")
    superseded: list[dict[str, Any]] = Field(description="earlier revisions, not used")
    used: list[dict[str, Any]] = Field(description="the anchored revision used for each month")


class TotalsOut(ReportPart):
    """tCO2 (energy in tce), as exact decimal strings rounded once for display."""

    energy_tce: str
    offsets: str
    reductions: str | None = Field(
        None, description="reports made before the floating-zero split only; see floating_zero (never one sum)"
    )
    removals: str
    scope1: str
    scope2_location: str
    scope2_market: str
    scope3: str


class FindingOut(ReportPart):
    """A double-counting finding: a claim or record that cannot count as claimed."""

    check: str
    claim_ids: list[int]
    message: str
    record_ids: list[str] = Field(
        description="at most 12 of the records involved (all, in reports before record_count)"
    )
    record_count: int | None = Field(None, description="how many records the finding is about")
    consumption: list[dict[str, Any]] | None = Field(
        None, description="the records weighed, per month, source, kind and unit: count, exact sum, MWh, first id"
    )


_LEVEL_STATUS = '"confirmed", "placeholder" (3★-5★ thresholds not public), "unconfirmed factors" or "none"'
_UNCONFIRMED_BECAUSE = "why level_confirmed is false"


class EvaluationResultOut(ReportPart):
    gates: list[dict[str, Any]]
    level: str = Field(description='the level awarded, or "none"')
    level_confirmed: bool | None
    levels: list[dict[str, Any]]
    remaining_emissions: str = Field(description='tCO2e, or "unknown" while a Type II Scope 3 category has no data')
    rule_set: str
    type: str
    completeness: dict[str, Any] | None = Field(
        None, description="findings per source and month: no records, gaps or overlaps in the months held"
    )
    level_status: str | None = Field(None, description=_LEVEL_STATUS)
    level_unconfirmed_because: list[str] | None = Field(None, description=_UNCONFIRMED_BECAUSE)
    materiality: dict[str, Any] | None = None
    scope3: dict[str, Any] | None = Field(None, description="Type II: each Scope 3 category's data or exclusion")
    unconfirmed_factors: list[dict[str, Any]] | None = Field(
        None, description="factors marked confirmed = false that the remaining emissions use, with their weight"
    )


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

    boundary: dict[str, Any] | None = Field(
        None,
        description="legal entity, credit code, site, facilities, province, grid region from the factory "
        "profile at evaluation time (null: unknown)",
    )
    certificates: list[dict[str, Any]]
    chain: ReportChainOut
    credits: list[dict[str, Any]]
    data_quality: list[dict[str, Any]] | None = Field(
        None,
        description="per source: months present and absent, records, `measurement` as the factory declared it "
        "(metered, utility-attested, load-profile, estimated; `undeclared` when it did not; null in reports made "
        "before source registers), evidence",
    )
    double_counting: list[FindingOut]
    electricity: dict[str, str] = Field(description="MWh figures, the renewable share and the market-based arithmetic")
    eligibility: dict[str, Any] | None = Field(
        None,
        description="which certificates and credits count: the eligibility rule file (`rule_set`), the consumer's "
        "market (`consumer_country`), `findings` (serial/declared mismatches first) and `ineligible_claims` with the "
        "reason. Apart from double counting: it does not block the double-counting gate, but an ineligible claim "
        "counts for nothing. Absent from reports made before eligibility was assessed.",
    )
    evaluation: EvaluationResultOut
    factor_set: SetLabelOut
    factors_used: list[dict[str, Any]] | None = Field(
        None, description="every factor used with its value, unit, source, year and confirmed flag"
    )
    factory_id: str
    factory_name: str | None
    floating_zero: dict[str, Any] | None = Field(
        None,
        description="own reductions (on-site renewable, efficiency vs a base year), certificates, offsets "
        "and removals: separate figures, never summed",
    )
    format: str = Field(examples=["zcl-evaluation/3"])
    green_power: list[dict[str, Any]] | None = Field(
        None,
        description="per green-power contract (source_id): MWh delivered, the GEC claims bundled with it, certified and "
        "uncertified MWh (uncertified green power is not counted). Absent from older reports.",
    )
    grid: str
    lines: list[dict[str, Any]] = Field(
        description="every inventory line: one source, kind and unit in one month, with its record count, factors and arithmetic"
    )
    matching: dict[str, Any] | None = Field(
        None,
        description="the matching method used (`method`), what it means, why the default is what it is, and every "
        "method's covered MWh, renewable share and market-based Scope 2 (`compared`). Absent from older reports.",
    )
    methodology: dict[str, Any] | None = Field(
        None, description="standards, gases, GWP set, matching method, exclusions with reasons"
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
    source_register: dict[str, Any] | None = Field(
        None,
        description="the factory's declarations of its sources as they stood (version, updated_at, who entered "
        "them), the measurement methods' meanings, and `excused`: months (or days) completeness did not ask of a "
        "source because its declared service dates put it out of service. Absent from older reports.",
    )
    totals: TotalsOut
    type: str
    undisclosed_claims: list[int]
    year: int
    id: str
    status: str = Field(description="`draft`; `pending` once signed, until the chain holds it; then `anchored`")
    created_at: str
    evaluator: str | None = None
    evaluator_identity: dict[str, Any] | None = Field(
        None,
        description="the evaluator's name, organisation and accreditation number as their key signed them, "
        "when they signed this report (null: no signed profile)",
    )
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
    created_at: str | None = Field(None, description="when the evaluation was computed (ISO 8601, UTC)")
    factor_set: str | None = Field(None, description="the factor set it was computed with, `id@version`")
    level_placeholder: bool = Field(
        False, description="the level's thresholds are a placeholder of the rule file (3★-5★), not the standard's"
    )
    level_confirmed: bool | None = Field(
        None, description="false: the level is not confirmed (a placeholder, or a material factor unconfirmed); "
        "null: no level awarded",
    )  # fmt: skip
    level_status: str | None = Field(None, description=_LEVEL_STATUS)
    level_unconfirmed_because: list[str] | None = Field(None, description=_UNCONFIRMED_BECAUSE)
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
    incomplete_sources: dict[str, list[str]] = Field(description="factory id → its source-months not covered")
    completeness_checked: bool
    transfers: list[dict[str, Any]] = Field(description="each declared transfer with the tCO2 and tce netted")
    netted: dict[str, str]
    variants: list[dict[str, Any]] = Field(description="the numerator variants, the notice's choice being unconfirmed")
    variants_agree: bool
    numerator_note: str
    year: int
    factor_set: str
    rule_set: str
