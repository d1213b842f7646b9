"""Human-readable renderings of evaluation reports (the JSON built by ``ledger.accounting.report``)."""

from ledger.reports.html import render_html

__all__ = ["render_html"]
