"""Hourly (24/7) matching runs (issue 17): thin routes over :class:`ledger.services.matching.MatchingService`.

A run is an evaluation of report type "H": it is signed with the evaluations' own
``/evaluations/{id}/typed-data`` and ``/evaluations/{id}/signature``, and anchored by the report relay.
``GET /matching/{id}`` here is the JSON a script reads; the run's page (heat map, monthly chart, PDF) is
the pages' to add beside it (``MatchingService.get`` gives what the page shows).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from api.deps import MatchingDep
from api.schemas import error
from api.schemas.matching import AllocationBundleOut, MatchingRunOut

router = APIRouter(tags=["matching"])

_CONFLICT = error("the run is not anchored yet: a proof needs its anchor on chain")


@router.post(
    "/factories/{factory_id}/matching",
    status_code=status.HTTP_201_CREATED,
    response_model=MatchingRunOut,
    response_model_exclude_unset=True,  # a draft has no evaluator, signature or anchor keys at all
    responses={404: error("no such factory")},
)
def create_matching(
    factory_id: str,
    matching: MatchingDep,
    year: Annotated[int, Query(examples=[2025])],
    factor_set: Annotated[str | None, Query(description="a bundled factor set id (default cn-mee-2023)")] = None,
) -> dict[str, Any]:
    """Match the factory's year hour by hour from anchored data only; the run is a draft until an evaluator
    signs it (``/evaluations/{id}/typed-data``, then ``/evaluations/{id}/signature``)."""
    return matching.run(factory_id, year, factor_set=factor_set)


@router.get(
    "/matching/{run_id}",
    response_model=MatchingRunOut,
    response_model_exclude_unset=True,
    responses={404: error("no such matching run")},
)
def get_matching(run_id: str, matching: MatchingDep) -> dict[str, Any]:
    """The run document with its status, signature, anchor and staleness."""
    return matching.get(run_id)


@router.get(
    "/matching/{run_id}/proof",
    response_model=AllocationBundleOut,
    responses={404: error("no such matching run"), 409: _CONFLICT},
)
def matching_proof(
    run_id: str,
    matching: MatchingDep,
    claim: Annotated[int, Query(description="the claim id on chain")],
    serial: Annotated[
        str | None,
        Query(description="one unit, as its registry writes its serial or by its number in the block: only its pieces"),
    ] = None,
    hour: Annotated[str | None, Query(description="an hour's start, ISO 8601 with offset: only its pieces")] = None,
) -> dict[str, Any]:
    """A signed proof bundle of a claim's pieces: of one unit, one hour, or all of them."""
    return matching.allocation_bundle_for(run_id, claim, serial, hour)


@router.get(
    "/matching/{run_id}/claims/{claim_id}.json",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/AllocationBundleOut"}}},
                     "description": "the signed matching claim (an attachment)"},
               404: error("no such matching run"), 409: _CONFLICT},
)  # fmt: skip
def matching_claim(run_id: str, claim_id: int, matching: MatchingDep) -> Response:
    """The signed matching claim: every piece of the claim with its proof, to hand on and verify anywhere."""
    exported = AllocationBundleOut.model_validate(matching.matching_claim_export(run_id, claim_id))
    name = f"zcl-matching-{run_id}-claim-{claim_id}.json"
    return Response(
        json.dumps(exported.model_dump(), ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
