"""Dependencies: the notary of this app, its services, and the admin bearer token check."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger.accounting.service import EvaluationService
from ledger.claims.service import ClaimService
from ledger.evidence import EvidenceStore
from ledger.notary import Notary

bearer = HTTPBearer(auto_error=False, description="the service's admin token (ZCL_ADMIN_TOKEN)")


def get_notary(request: Request) -> Notary:
    return request.app.state.notary  # type: ignore[no-any-return]


def get_claims(request: Request) -> ClaimService:
    return request.app.state.claims  # type: ignore[no-any-return]


def get_evaluations(request: Request) -> EvaluationService:
    return request.app.state.evaluations  # type: ignore[no-any-return]


def get_evidence(request: Request) -> EvidenceStore:
    """The evidence store; 503 when the app was created without an evidence directory."""
    store: EvidenceStore | None = getattr(request.app.state, "evidence", None)
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


NotaryDep = Annotated[Notary, Depends(get_notary)]
ClaimsDep = Annotated[ClaimService, Depends(get_claims)]
EvaluationsDep = Annotated[EvaluationService, Depends(get_evaluations)]
EvidenceDep = Annotated[EvidenceStore, Depends(get_evidence)]
