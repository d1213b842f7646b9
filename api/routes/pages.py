"""The pages evaluators and buyers read: server-rendered HTML over the same services as the API.

Each route fetches one view model (:mod:`ledger.services.pages`) and renders it. Verification itself
happens in the reader's browser (``/static/zcl.js``, ethers bundled at build time) against the
chain's JSON-RPC: ``ZCL_PUBLIC_RPC_URL`` when set, else this service's read-only proxy ``/rpc``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api import charts, formats
from api.deps import PagesDep
from api.language import page_context, reader_language
from ledger.errors import NotFound
from ledger.i18n import jinja as i18n
from ledger.i18n import translate_error, translator
from ledger.records.errors import RecordError
from ledger.reports.hourly_view import matching_summary
from ledger.services.matching_pages import latest_anchored_run
from ledger.services.pages import PageViews

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
i18n.install(templates.env)
formats.install(templates.env)
templates.env.filters["utc"] = lambda ts: datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S") if ts else "—"


def _page(request: Request, views: PageViews, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"chain": views.chain(), **page_context(request), **context}, status_code=status_code
    )


def _not_found(request: Request, views: PageViews, message: str) -> HTMLResponse:
    lang = reader_language(request)
    title = translator(lang).gettext("Not found")
    return _page(request, views, "error.html", 404, title=title, message=translate_error(message, lang))


@router.get("/", response_class=HTMLResponse)
def home(request: Request, views: PagesDep) -> HTMLResponse:
    return _page(request, views, "home.html", factories=views.home())


@router.get("/factory/{factory_id}", response_class=HTMLResponse)
def factory_page(
    request: Request, factory_id: str, views: PagesDep, year: Annotated[int | None, Query(ge=2000, le=2200)] = None
) -> HTMLResponse:
    try:
        page = views.factory_dashboard(factory_id, year)
    except (NotFound, RecordError):
        return _not_found(request, views, f"No factory {factory_id} is registered on chain.")
    t = page_context(request)["t"]
    drawn: dict[str, Any] = charts.dashboard_charts(page.dashboard, t) if page.dashboard is not None else {}
    run = latest_anchored_run(views.evaluations, factory_id)
    hourly = matching_summary(run, t.lang) if run is not None else None
    return _page(request, views, "factory.html", factory=page.factory, anchors=page.anchors,
                 evaluations=page.evaluations, claims=page.claims, dashboard=page.dashboard, years=page.years,
                 hourly=hourly, **drawn)  # fmt: skip


@router.get("/park", response_class=HTMLResponse)
def park_page(request: Request, views: PagesDep, factories: str = "", year: str = "") -> HTMLResponse:
    """The park of the factories named (comma-separated) for a year: its indicator against its band.
    What a person typed is taken as a form's text: a year that is not one is said on the page."""
    members = [f.strip() for f in factories.replace("，", ",").split(",") if f.strip()]
    t = page_context(request)["t"]
    chosen = int(year) if year.strip().isdecimal() and 2000 <= int(year) <= 2200 else None
    context: dict[str, Any] = {"factories": members, "year": chosen or year.strip(), "park": None, "error": None,
                               "known": views.factories.list_all()}  # fmt: skip
    if year.strip() and chosen is None:
        context["error"] = t.gettext("The year must be a year from 2000 to 2200, such as 2025.")
    elif members and chosen is not None:
        try:
            park = views.parks.park(members, chosen)
        except (NotFound, RecordError) as exc:
            context["error"] = translate_error(str(exc), t.lang)
        else:
            context |= {"park": park, "gauge_chart": charts.park_gauge(park, t)}
    status_code = 422 if context["error"] else 200
    return _page(request, views, "park.html", status_code, **context)


@router.get("/batch/{batch_id}", response_class=HTMLResponse)
def batch_page(
    request: Request, batch_id: str, views: PagesDep, offset: Annotated[int, Query(ge=0)] = 0
) -> HTMLResponse:
    try:
        page = views.batch(batch_id, offset)
    except NotFound:
        return _not_found(request, views, f"No batch {batch_id} is held by this service.")
    return _page(request, views, "batch.html", batch=page.batch, records=page.records, root_matches=page.root_matches,
                 superseded_by=page.superseded_by, pages=page.pages, latest_batch_id=page.latest_batch_id)  # fmt: skip


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, views: PagesDep, record: str | None = None) -> HTMLResponse:
    ledger = views.ledger
    # The service's own chain endpoint (a local anvil, with its cheat methods) is never handed to browsers.
    rpc_url = getattr(request.app.state, "public_rpc_url", None) or "/rpc"
    domain = ledger.domain()
    config = {"rpcUrl": rpc_url, "contract": domain.verifying_contract, "chainId": domain.chain_id}
    return _page(request, views, "verify.html", config=config, rpc_url=rpc_url, record_id=record)
