from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import HTMLResponse

from api.deps import EvaluationsDep
from api.language import Language
from api.schemas import (
    STREAM,
    EvaluationIn,
    EvaluationOut,
    EvaluationSummaryOut,
    ParkIn,
    ParkOut,
    ReportTypedDataOut,
    SignatureIn,
    error,
    json_error,
)
from api.schemas.matching import MatchingRunOut
from ledger.errors import NotFound
from ledger.records.errors import RecordError
from ledger.reports.html import render_html
from ledger.reports.pdf import render_pdf
from ledger.services.evaluations import EvaluationService
from ledger.services.matching_views import is_run

router = APIRouter(tags=["evaluations"])
LangQuery = Annotated[str | None, Query(description="en or zh-CN (default: the Accept-Language header)")]
"""``?lang=`` as the API documents it; ``Language`` (api.language) reads it, with the cookie and the header."""


@router.post(
    "/evaluations",
    status_code=status.HTTP_201_CREATED,
    response_model=EvaluationOut,
    response_model_exclude_unset=True,  # a draft has no evaluator, signature or anchor keys at all
    responses={404: error("no such factory")},
)
def create_evaluation(body: EvaluationIn, evaluations: EvaluationsDep) -> dict[str, Any]:
    """Compute a factory's year from anchored data only and evaluate it; the report is a draft until an
    evaluator signs its hash."""
    return evaluations.create(
        body.factory_id, body.year, body.type, factor_set=body.factor_set, factors_toml=body.factors_toml,
        grid=body.grid, onsite_projects=body.onsite_projects, count_provisional=body.count_provisional_claims,
        steam=body.steam,
        consumer_country=body.consumer_country,
        matching=body.matching,
        scope3_exclusions=[e.model_dump() for e in body.scope3_exclusions],
        base_year=body.base_year.model_dump(exclude_none=True) if body.base_year is not None else None,
    )  # fmt: skip


@router.get(
    "/evaluations/{evaluation_id}",
    response_model=EvaluationOut | MatchingRunOut,  # a matching run (type "H") is an evaluation too
    response_model_exclude_unset=True,  # a draft has no evaluator, signature or anchor keys at all
    responses={404: error("no such evaluation")},
)
def get_evaluation(evaluation_id: str, evaluations: EvaluationsDep) -> dict[str, Any]:
    """The report JSON, with the evaluator's signature and the anchor once signed."""
    return evaluations.get(evaluation_id)


@router.get(
    "/evaluations/{evaluation_id}/report.html",
    response_class=HTMLResponse,
    responses={404: json_error("no such evaluation")},
)
def evaluation_html(evaluation_id: str, evaluations: EvaluationsDep, reader: Language, lang: LangQuery = None) -> str:
    """The report as a page with charts, in the reader's language (``?lang=``, else Accept-Language)."""
    return render_html(_report(evaluations, evaluation_id), reader)


@router.get(
    "/evaluations/{evaluation_id}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {"schema": STREAM}},
                     "description": "the report as a PDF document (an attachment)"},
               404: json_error("no such evaluation")},
)  # fmt: skip
def evaluation_pdf(
    evaluation_id: str, evaluations: EvaluationsDep, reader: Language, lang: LangQuery = None
) -> Response:
    """The report as a PDF to hand over: the level card first, contents, figures rounded for reading and
    the exact values in an appendix; in the reader's language (``?lang=``, else Accept-Language)."""
    pdf = render_pdf(_report(evaluations, evaluation_id), reader)
    name = f"zcl-evaluation-{evaluation_id}-{reader}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/evaluations/{evaluation_id}/typed-data",
    response_model=ReportTypedDataOut,
    responses={404: error("no such evaluation")},
)
def evaluation_typed_data(evaluation_id: str, evaluator: str, evaluations: EvaluationsDep) -> dict[str, Any]:
    """The EIP-712 message an evaluator signs for this report (eth_signTypedData_v4)."""
    return evaluations.typed_data(evaluation_id, evaluator)


@router.post(
    "/evaluations/{evaluation_id}/signature",
    response_model=EvaluationOut | MatchingRunOut,  # a matching run is signed as a report
    response_model_exclude_unset=True,  # the keys the service gives, no more
    responses={
        403: error("the signer is not the evaluator, or does not hold the evaluator role on chain"),
        404: error("no such evaluation"),
        409: error("already anchored with another signature, or this report hash is anchored already"),
    },
)
def sign_evaluation(evaluation_id: str, body: SignatureIn, evaluations: EvaluationsDep) -> dict[str, Any]:
    """Anchor the report with the evaluator's signature; 403 unless the signer holds the evaluator role."""
    try:
        signature = bytes.fromhex(body.signature.removeprefix("0x"))
    except ValueError:
        raise RecordError("signature", "is not valid hex") from None
    return evaluations.sign(evaluation_id, body.evaluator, signature)


@router.get("/factories/{factory_id}/evaluations", response_model=list[EvaluationSummaryOut])
def factory_evaluations(factory_id: str, evaluations: EvaluationsDep) -> list[dict[str, Any]]:
    """The factory's evaluations, oldest first."""
    return evaluations.list_for(factory_id)


@router.post("/parks/evaluations", response_model=ParkOut, responses={404: error("no such factory")})
def evaluate_park(body: ParkIn, evaluations: EvaluationsDep) -> dict[str, Any]:
    """The zero-carbon park indicator (tCO2 per tce) for a set of factories forming a park."""
    return evaluations.park(body.factories, body.year, factor_set=body.factor_set, factors_toml=body.factors_toml,
                            transfers=[t.model_dump() for t in body.transfers], steam=body.steam)  # fmt: skip


def _report(evaluations: EvaluationService, evaluation_id: str) -> dict[str, Any]:
    """An evaluation report to render; a matching run (type "H") has its own page, not a report's."""
    report = evaluations.get(evaluation_id)
    if is_run(report):
        raise NotFound(f"evaluation {evaluation_id} is a matching run: GET /matching/{evaluation_id}")
    return report
