"""Dependencies: this app's services (built once by the composition root) and the admin token check."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger.chain.client import LedgerClient
from ledger.evidence import EvidenceStore
from ledger.services import Services
from ledger.services.batches import BatchService
from ledger.services.claims import ClaimService
from ledger.services.evaluations import EvaluationService
from ledger.services.evaluators import EvaluatorService
from ledger.services.factories import FactoryService
from ledger.services.matching import MatchingService
from ledger.services.pages import PageViews
from ledger.services.proofs import ProofService

bearer = HTTPBearer(auto_error=False, description="the service's admin token (ZCL_ADMIN_TOKEN)")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_ledger(request: Request) -> LedgerClient:
    return get_services(request).ledger


def get_factories(request: Request) -> FactoryService:
    return get_services(request).factories


def get_batches(request: Request) -> BatchService:
    return get_services(request).batches


def get_proofs(request: Request) -> ProofService:
    return get_services(request).proofs


def get_claims(request: Request) -> ClaimService:
    return get_services(request).claims


def get_evaluations(request: Request) -> EvaluationService:
    return get_services(request).evaluations


def get_matching(request: Request) -> MatchingService:
    return get_services(request).matching


def get_evaluators(request: Request) -> EvaluatorService:
    return get_services(request).evaluators


def get_pages(request: Request) -> PageViews:
    return get_services(request).pages


def get_evidence(request: Request) -> EvidenceStore:
    """The evidence store; 503 when the app was created without an evidence directory."""
    store = get_services(request).evidence
    if store is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "evidence storage is not configured on this service")
    return store


def require_admin(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    expected: str = request.app.state.admin_token
    if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "an admin bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )


LedgerDep = Annotated[LedgerClient, Depends(get_ledger)]
FactoriesDep = Annotated[FactoryService, Depends(get_factories)]
BatchesDep = Annotated[BatchService, Depends(get_batches)]
ProofsDep = Annotated[ProofService, Depends(get_proofs)]
ClaimsDep = Annotated[ClaimService, Depends(get_claims)]
EvaluationsDep = Annotated[EvaluationService, Depends(get_evaluations)]
MatchingDep = Annotated[MatchingService, Depends(get_matching)]
EvaluatorsDep = Annotated[EvaluatorService, Depends(get_evaluators)]
PagesDep = Annotated[PageViews, Depends(get_pages)]
EvidenceDep = Annotated[EvidenceStore, Depends(get_evidence)]
