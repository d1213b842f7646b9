"""An evaluation report as one self-contained HTML page: readable on a phone, printable, no assets.

:func:`render_html` takes the report JSON (as built by :func:`ledger.accounting.report.build_report`,
optionally with the fields the service adds once it is signed and anchored) and returns a page with
inline CSS and three inline SVG charts. Nothing is fetched: no fonts, scripts, images or style sheets
from anywhere, and a Content-Security-Policy forbids them.

The page is the Jinja2 template ``templates/report.html``, like every other page of the product. It
renders a view model (:mod:`ledger.reports.view`) and the charts (:mod:`ledger.reports.charts`).
Every string taken from the report is escaped: factory names and technologies are user data, so the
environment autoescapes, and its finalizer (:func:`ledger.reports.format.esc`) writes each value
with :func:`html.escape` (None as "—"). ``StrictUndefined`` makes a name the view model lacks an
error rather than a silently empty cell. The same report gives the same page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2

from ledger.i18n.jinja import context, install
from ledger.reports import format as fmt
from ledger.reports.charts import draw_charts
from ledger.reports.lang import check_lang
from ledger.reports.reading import next_level_gaps, renewable_share, with_unit
from ledger.reports.view import build_view

__all__ = ["environment", "render_html"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("ledger.reports", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    finalize=fmt.esc,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
install(_ENV)
_ENV.filters.update(reading=with_unit, num=fmt.num, breakable=fmt.breakable, plural=fmt.plural)
_ENV.globals["T"] = fmt.TCO2E


def environment() -> jinja2.Environment:
    """The report templates' environment (escaping finalizer, filters), for the PDF's template too."""
    return _ENV


def render_html(report: Mapping[str, Any], lang: str = "en") -> str:
    """The report as one self-contained HTML page (UTF-8 text) in ``lang`` ("en" or "zh-CN"); the
    same report gives the same page."""
    if not isinstance(report, Mapping):
        raise TypeError("report: must be a mapping (the report JSON as a dict)")
    speaking = context(check_lang(lang))
    _ = speaking["t"].gettext
    return _ENV.get_template("report.html").render(
        **build_view(report),
        **speaking,
        charts=draw_charts(report, _),
        next_level=next_level_gaps(report, _),
        renewable_share_read=renewable_share(report),
    )
