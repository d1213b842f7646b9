"""The buyers' pages: look up a serial or a block's unit range (``/certificates``), and one claim
verified in the reader's browser against the chain (``/claim/{id}``).

The lookup form adapts its labels to the registry (:data:`LOOKUP_LABELS`, sent to
``/static/lookup.js`` as data; without script the form still works with every field shown). The
claim page hands ``/static/zcl.js`` what this service says about the claim; the script reads the
claim from the contract over the chain's JSON-RPC and compares the two, check by check.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from api.deps import ClaimsDep, PagesDep
from api.language import page_context
from api.routes.buyer_texts import CLAIM_MESSAGES, GENERIC_LABELS, LOOKUP_LABELS, STATE_LABELS
from api.routes.pages import _not_found, _page
from ledger.claims.registries import REGISTRIES
from ledger.claims.serials import SERIAL_FORMATS
from ledger.errors import NotFound
from ledger.i18n import Translator, translate_error, translator
from ledger.records.errors import RecordError

router = APIRouter(include_in_schema=False)


def lookup_labels(t: Translator) -> dict[str, dict[str, Any]]:
    """The labels of every registry in the reader's language, and whether it has a serial format
    (CCER has none) and its unit."""
    return {
        name: {
            **{
                key: text if key.endswith("example") else t.gettext(text)
                for key, text in LOOKUP_LABELS.get(name, GENERIC_LABELS).items()
            },
            "has_serial": name in SERIAL_FORMATS,
            "unit": REGISTRIES[name].unit,
        }  # fmt: skip
        for name in sorted(REGISTRIES)
    }


def states(t: Translator) -> dict[str, str]:
    return {state: t.gettext(text) for state, text in STATE_LABELS.items()}


@router.get("/certificates", response_class=HTMLResponse)
def certificates_page(
    request: Request,
    views: PagesDep,
    claims: ClaimsDep,
    registry: str = "GEC",
    by: str | None = None,
    serial: str | None = None,
    block: str | None = None,
    first: str | None = None,
    last: str | None = None,
) -> HTMLResponse:
    """The lookup: by serial, or by block id and unit range (``by=block``; CCER's only way)."""
    lang = page_context(request)["lang"]
    t = translator(lang)
    labels = lookup_labels(t)
    if by not in ("serial", "block"):
        by = "block" if block else "serial"
    if registry in labels and not labels[registry]["has_serial"]:
        by = "block"
    status, error = None, None
    try:
        if by == "block" and block:
            status = claims.lookup.by_block(registry, block, first or "", last or "")
        elif by == "serial" and serial and serial.strip():
            status = claims.lookup.by_serial(registry, serial.strip())
    except RecordError as exc:
        error = translate_error(str(exc), lang)
    return _page(
        request, views, "certificates.html", registries=sorted(REGISTRIES), registry=registry, by=by,
        labels=labels, current=labels.get(registry, labels["GEC"]), serial=serial, block=block, first=first,
        last=last, status=status, error=error, states=states(t), status_code=422 if error else 200,
    )  # fmt: skip


@router.get("/claim/{claim_id}", response_class=HTMLResponse)
def claim_page(
    request: Request, claim_id: Annotated[int, Path(ge=0, lt=2**256)], views: PagesDep, claims: ClaimsDep
) -> HTMLResponse:
    """One claim as this service says it is, checked by the reader's browser against the chain."""
    try:
        claim = claims.on_chain(claim_id)
    except NotFound:
        return _not_found(request, views, f"No claim {claim_id} is recorded on chain.")
    t = translator(page_context(request)["lang"])
    rpc_url = getattr(request.app.state, "public_rpc_url", None) or "/rpc"
    chain = views.chain()
    config = {"rpcUrl": rpc_url, "contract": chain["contract"], "chainId": chain["chain_id"], "claimId": claim_id}
    unit = REGISTRIES[claim["registry"]].unit if claim["registry"] in REGISTRIES else ""
    units = int(claim["serial_end"]) - int(claim["serial_start"]) + 1
    return _page(request, views, "claim.html", claim=claim, config=config, rpc_url=rpc_url, unit=unit, units=units,
                 states=states(t), messages={key: t.gettext(text) for key, text in CLAIM_MESSAGES.items()})  # fmt: skip
