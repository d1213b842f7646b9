"""An evaluation report as a PDF an evaluator hands over, laid out by WeasyPrint, in English or Chinese.

The PDF reads from the conclusion down: page one is the level card (the level reached, whether it is
confirmed, every indicator with pass/fail and, for a failure, how far it is from its threshold), then
the contents with page numbers (CSS ``target-counter``) and PDF bookmarks (``bookmark-level``), the
sections with figures rounded for reading, and an appendix with each figure exactly as the report
states it. Every page's footer names the report id, its hash and the anchoring transaction, and
counts "page x of y".

WeasyPrint is given one HTML string (the template ``templates/pdf.html``) and fetches nothing: a URL
fetcher refuses every URL, so the PDF depends on the report and the fonts installed here (Noto Sans
CJK SC for Chinese, :mod:`ledger.reports.fonts`) only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from markupsafe import Markup

from ledger.i18n.jinja import context
from ledger.reports.charts import draw_charts
from ledger.reports.fonts import ensure_cjk_font
from ledger.reports.hourly_view import matching_html
from ledger.reports.html import environment
from ledger.reports.lang import LANGUAGES, N_, Gettext, check_lang, gettext_for
from ledger.reports.print_view import build_print_view

__all__ = ["SECTIONS", "matching_pdf", "pdf_html", "render_pdf"]

SECTIONS = (
    ("status", N_("Status and anchoring")),
    ("emissions", N_("Emissions and energy")),
    ("electricity", N_("Electricity")),
    ("charts", N_("Charts")),
    ("evaluation", N_("Evaluation: levels and gates")),
    ("monthly", N_("Monthly figures")),
    ("claims", N_("Certificates and credits")),
    ("basis", N_("Chain and basis")),
    ("appendix", N_("Appendix: exact values")),
)
"""The sections after the level card, in order: their anchors and titles (the contents lists them)."""

_TYPES = {"I": N_("Type I (Scope 1 + 2)"), "II": N_("Type II (Scope 1 + 2 + 3)")}


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal, safe inside a <style> element."""
    return '"' + re.sub(r'[\\"<>\n]', lambda m: f"\\{ord(m.group(0)):x} ", text) + '"'


def _page_of(_: Gettext) -> Markup:
    """The footer's "Page x of y" as a CSS ``content`` value, the counters where the translation puts them."""
    text = _("Page %(page)s of %(pages)s", page="\0page\0", pages="\0pages\0")
    parts = [p for p in text.split("\0") if p]
    return Markup(" ".join(f"counter({p})" if p in ("page", "pages") else _css_string(p) for p in parts))


def pdf_html(report: Mapping[str, Any], lang: str = "en") -> str:
    """The HTML WeasyPrint lays out for :func:`render_pdf` (for a look in a browser, and for tests)."""
    if not isinstance(report, Mapping):
        raise TypeError("report: must be a mapping (the report JSON as a dict)")
    speaking = context(check_lang(lang))
    _ = speaking["t"].gettext
    other = gettext_for(next(x for x in LANGUAGES if x != lang))
    view = build_print_view(report, _, other)
    sections = [(sid, _(title)) for sid, title in SECTIONS]
    name = report.get("factory_name") or report.get("factory_id") or ""
    return environment().get_template("pdf.html").render(
        **view, **speaking, sections=sections, sections_by_id=dict(sections), charts=draw_charts(report, _),
        page_of=_page_of(_), type_text=_(_TYPES.get(str(report.get("type")), "%(type)s")),
        title=_("Zero-carbon evaluation — %(name)s — %(year)s", name=name, year=report.get("year")),
    )  # fmt: skip


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"the PDF report fetches nothing (asked for {json.dumps(url)[:80]})")


def render_pdf(report: Mapping[str, Any], lang: str = "en") -> bytes:
    """The report as PDF bytes in ``lang`` ("en" or "zh-CN"); the same report gives the same layout."""
    import weasyprint  # imported when used: it loads pango, which nothing else needs

    ensure_cjk_font()  # a missing font is logged; the PDF is made with boxes for Chinese
    document = weasyprint.HTML(string=pdf_html(report, lang), url_fetcher=_refuse)
    pdf: bytes = document.write_pdf()
    return pdf


def matching_pdf(document: Mapping[str, Any], lang: str = "en") -> bytes:
    """A matching run (:mod:`ledger.reports.hourly_view`) as PDF bytes in ``lang``: the page as printed,
    each page's footer naming the run's hash and counting pages. Only ``data:`` URLs are read (the
    heat-map's raster, embedded in its SVG); nothing is fetched."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    ensure_cjk_font()
    _ = gettext_for(check_lang(lang))
    run = _css_string(_("Run %(hash)s", hash=document.get("report_hash") or "—") + " · ")
    footer = Markup(f"{run} {_page_of(_)}")
    html = matching_html(document, lang, page_footer=footer)
    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    return pdf
