"""Matching runs on the wire (issue 17): the run document with its status, and a proof bundle.

The run document belongs to the hourly rules (:mod:`ledger.hourly.run`), so its top-level fields are
typed here and its deeper parts are free-form JSON; unknown keys are kept (``extra="allow"``), never
dropped: a key dropped on the way would leave a document whose JSON no longer gives its hash.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.common import Out
from api.schemas.evaluations import ReportAnchorOut, StaleBecauseOut

_STALE = "the chain has since anchored a newer revision of a month the run used: computed on read, not signed"


class MatchingRunOut(Out):
    """A matching run: an evaluation of report type "H" whose document is the hourly run document."""

    model_config = ConfigDict(strict=True, extra="allow")

    format: str = Field(examples=["zcl-hourly-matching/1"])
    factory_id: str
    year: int
    span: dict[str, Any] = Field(description="the hours matched: start (local ISO), hours, utc_offset")
    inputs: dict[str, Any] = Field(description="the anchored batches, generation profiles and claims the run read")
    rules: dict[str, Any] = Field(description="the rule files and factor set used, each id@version")
    results: dict[str, Any] = Field(
        description="CFE score per year, month and day; totals in MWh (exact decimal strings); hour counts; "
        "hourly vs annual market-based Scope 2; the hourly series; gaps; per claim what it offered and matched"
    )
    allocations: dict[str, Any] = Field(description="Merkle root and count of the allocation leaves")
    report_hash: str = Field(description="keccak256 of the canonical JSON without the fields added after signing")
    id: str
    status: str = Field(description="`draft`; `pending` once signed, until the chain holds it; then `anchored`")
    created_at: str
    evaluator: str | None = None
    evaluator_identity: dict[str, Any] | None = None
    signature: str | None = None
    anchor: ReportAnchorOut | None = None
    stale: bool | None = Field(None, description=_STALE)
    stale_because: list[StaleBecauseOut] = Field(default_factory=list)
    superseded_by: str | None = Field(None, description="the newest later run of the year that is not stale")


class AllocationBundleOut(Out):
    """A signed matching claim ("zcl-hourly-allocation/1"): the anchored run's header, its evaluator's
    signature, the claim, and per piece its leaf fields and Merkle proof; ``zcl verify`` checks it."""

    model_config = ConfigDict(strict=True, extra="allow")

    type: str = Field(examples=["zcl-hourly-allocation/1"])
