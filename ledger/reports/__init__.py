"""Human-readable renderings of evaluation reports (the JSON built by ``ledger.accounting.report``)."""

from ledger.reports.html import render_html
from ledger.reports.pdf import render_pdf

__all__ = ["render_html", "render_pdf"]
