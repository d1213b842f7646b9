"""A matching run's page and PDF (issue 17): ``GET /matching/{id}`` answers a browser (``Accept:
text/html``) with the page, ``/matching/{id}/page`` always does, ``/matching/{id}/report.pdf`` is the
PDF; in the reader's language (``?lang=``, the cookie, else Accept-Language).

``GET /matching/{id}`` is also the run's JSON (:mod:`api.routes.matching`): the page's route is an
:class:`HtmlRoute`, which matches only a request that asks for HTML, so any other request falls
through to the JSON route. This router is included before that one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from api.deps import PagesDep
from api.language import Language
from api.routes.evaluations import LangQuery
from ledger.errors import NotFound
from ledger.records.errors import RecordError
from ledger.reports.hourly_view import matching_html
from ledger.reports.pdf import matching_pdf
from ledger.services.matching_pages import matching_run
from ledger.services.pages import PageViews


def wants_html(scope: Scope) -> bool:
    """Whether the request asks for a page (a browser's Accept header), as :mod:`api.errors` decides it."""
    accept = next((v for k, v in scope.get("headers", ()) if k == b"accept"), b"")
    return b"text/html" in accept


class HtmlRoute(APIRoute):
    """A route that matches only requests asking for HTML; others go on to the next route of the path."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE and not wants_html(scope):
            return Match.NONE, {}
        return match, child


router = APIRouter(include_in_schema=False)
html_router = APIRouter(include_in_schema=False, route_class=HtmlRoute)


def _document(views: PageViews, run_id: str) -> dict[str, Any]:
    """The run with its factory's name (the page's title), when the factory is registered."""
    document = matching_run(views.evaluations, run_id)
    try:
        name = views.factories.get(str(document["factory_id"])).name
    except (NotFound, RecordError):
        name = None
    return document | ({"factory_name": name} if name else {})


@html_router.get("/matching/{run_id}", response_class=HTMLResponse)
def matching_page_negotiated(run_id: str, views: PagesDep, reader: Language) -> HTMLResponse:
    return HTMLResponse(matching_html(_document(views, run_id), reader))


@router.get("/matching/{run_id}/page", response_class=HTMLResponse)
def matching_page(run_id: str, views: PagesDep, reader: Language, lang: LangQuery = None) -> HTMLResponse:
    """The run's page: CFE of the year beside annual matching, the heat-map, months, claims, anchor."""
    return HTMLResponse(matching_html(_document(views, run_id), reader))


@router.get("/matching/{run_id}/report.pdf", response_class=Response)
def matching_report_pdf(run_id: str, views: PagesDep, reader: Language, lang: LangQuery = None) -> Response:
    """The run's page as a PDF to hand over."""
    pdf = matching_pdf(_document(views, run_id), reader)
    name = f"zcl-matching-{run_id}-{reader}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


router.include_router(html_router)
