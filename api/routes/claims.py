from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response, status

from api.deps import ClaimsDep, FactoriesDep
from api.language import Language
from api.schemas import CertificateStatusOut, ClaimOnChainOut, ClaimSubmitOut, error
from ledger.claims.registries import REGISTRIES
from ledger.claims.signed import parse_signed_claim
from ledger.errors import InputError, NotFound
from ledger.reports.retirement import certificate_pdf

router = APIRouter(tags=["claims"])


@router.post(
    "/claims",
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimSubmitOut,
    responses={
        200: {"model": ClaimSubmitOut, "description": "an identical resubmission: the claim as first recorded"},
        403: error("signed by a key that is not the factory's registered signer"),
        409: error("a unit was claimed before; the message names that claim (claimant, range, period, tx)"),
        422: {
            "description": "bad input, or a claim below its registry's minimum (ZCL_CLAIM_MIN_UNITS); "
            "`detail[].loc` names the field"
        },
        429: error("the factory has used its share of claim relays (ZCL_CLAIMS_PER_HOUR); see Retry-After"),
        503: error("the claim is stored but the chain has not confirmed it yet; it is finished when it does"),
    },
)
def submit_claim(claims: ClaimsDep, response: Response, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Record a factory-signed retirement claim on chain; refused if any unit was claimed before."""
    claim, created = claims.submit(parse_signed_claim(body))
    if not created:
        response.status_code = status.HTTP_200_OK
    return claim


@router.get("/claims/{claim_id}", response_model=ClaimOnChainOut, responses={404: error("no such claim on chain")})
def get_claim(claim_id: Annotated[int, Path(ge=0, lt=2**256)], claims: ClaimsDep) -> dict[str, Any]:
    """A claim as the chain records it, with its transaction."""
    return claims.on_chain(claim_id)


@router.get(
    "/claims/{claim_id}/certificate.pdf",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the claim's retirement certificate, one A4 page",
        },
        404: error("no such claim on chain"),
    },
)
def claim_certificate(
    request: Request,
    claim_id: Annotated[int, Path(ge=0, lt=2**256)],
    claims: ClaimsDep,
    factories: FactoriesDep,
    reader: Language,
    lang: Annotated[
        str | None, Query(pattern="^(zh-CN|en)$", description="zh-CN or en (default: the Accept-Language header)")
    ] = None,
) -> Response:
    """A printable retirement certificate of the claim (PDF), with a QR code leading to `/claim/{id}`,
    where the reader's browser checks the claim against the chain; in the reader's language
    (`?lang=`, else Accept-Language). Its base address is `ZCL_PUBLIC_URL`, else the address this
    request came to."""
    lang = lang or reader
    claim = claims.on_chain(claim_id)
    chain = claims.ledger.domain()
    base = getattr(request.app.state, "public_url", None) or str(request.base_url).rstrip("/")
    try:
        name: str | None = factories.get(claim["factory_id"]).name
    except NotFound:
        name = None  # registered on chain by another service: the id alone
    pdf = certificate_pdf(
        claim | {"contract": chain.verifying_contract, "chain_id": chain.chain_id}, url=f"{base}/claim/{claim_id}",
        unit=REGISTRIES[claim["registry"]].unit if claim["registry"] in REGISTRIES else "", lang=lang,
        factory_name=name,
    )  # fmt: skip
    filename = f"retirement-certificate-claim-{claim_id}-{lang}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


@router.get(
    "/certificates/{registry}",
    response_model=CertificateStatusOut,
    responses={422: {"description": "no serial and no block range, both, or a bad one; `detail[].loc` names it"}},
)
def certificate_lookup(
    registry: str,
    claims: ClaimsDep,
    serial: Annotated[str | None, Query(max_length=200, description="the registry's serial, or START..END")] = None,
    block: Annotated[
        str | None, Query(max_length=200, description="the block id (CCER: as on the registry's statement)")
    ] = None,
    first: Annotated[str | None, Query(max_length=40, description="the block's first unit looked up (decimal)")] = None,
    last: Annotated[str | None, Query(max_length=40, description="the block's last unit looked up (decimal)")] = None,
) -> dict[str, Any]:
    """The buyer's check, by serial (`?serial=`) or by block id and unit range (`?block=&first=&last=`,
    the way for CCER, which has no per-unit serial): for every claim over those units, who claimed
    which of them for which consumption period, in which transaction and block, confirmed or
    provisional (or revoked), and which units no claim holds."""
    if serial is not None and block is None:
        return claims.lookup.by_serial(registry, serial)
    if serial is None and block is not None:
        for name, value in (("first", first), ("last", last)):
            if value is None:
                raise InputError(name, "is required with block (the block's first and last unit looked up)")
        return claims.lookup.by_block(registry, block, first or "", last or "")
    raise InputError("serial", "give either serial, or block with first and last")


@router.get("/certificates/{registry}/{serial}", response_model=CertificateStatusOut)
def certificate_status(registry: str, serial: str, claims: ClaimsDep) -> dict[str, Any]:
    """The buyer's check of a serial (or START..END); the same as `GET /certificates/{registry}?serial=`."""
    return claims.lookup.by_serial(registry, serial)
