"""The factory's upload page: a meter export turned into a signed, anchored month in the browser.

The page is a form and a script (``/static/upload.js``, built from ``web/src/upload*.js``): mapping
and preview go through ``POST /imports/preview``, the batch is signed in the browser with the
factory's keystore decrypted there, and submitted to ``POST /batches``. This route only renders it
with what the script needs: the factory's registered signer (a key file for another address is
refused before it is decrypted), the EIP-712 domain, and the latest anchored revision of each month
(so a correction is numbered n + 1).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import PagesDep
from api.routes.pages import _not_found, _page
from ledger.errors import NotFound
from ledger.records.errors import RecordError

router = APIRouter(include_in_schema=False)


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, views: PagesDep, factory: str = "", period: str = "") -> HTMLResponse:
    try:
        page = views.factory(factory)
    except (NotFound, RecordError):
        return _not_found(request, views, f"No factory {factory} is registered on chain.")
    domain = views.ledger.domain()
    revisions: dict[str, int] = {}
    for anchor in page.anchors:
        revisions[anchor["period"]] = max(revisions.get(anchor["period"], 0), anchor["revision"])
    config = {"factoryId": page.factory.id, "signer": page.factory.signer, "chainId": domain.chain_id,
              "contract": domain.verifying_contract, "revisions": revisions}  # fmt: skip
    return _page(request, views, "upload.html", factory=page.factory, period=period, config=config)
