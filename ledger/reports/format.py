"""How report values are written on the page: escaped text, grouped decimals, breakable identifiers.

These are the report template's finalizer and filters (see :mod:`ledger.reports.html`). Each returns
:class:`~markupsafe.Markup`, escaped here with :func:`html.escape`, so autoescaping leaves it alone
and every value on the page is escaped exactly once, with the same entities as the page always had.

Figures are printed as the report's own decimal strings, thousands grouped and digits unchanged: the
page never rounds or re-computes a figure, it only makes it readable.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup

__all__ = ["TCO2E", "breakable", "esc", "is_zero", "num", "plural"]

TCO2E = "tCO₂e"
"""The unit of every emission figure on the page."""


def esc(value: Any) -> Markup:
    """Any value from the report as escaped text: None is an em dash, booleans are yes/no.

    Markup (a macro's output, a chart) is already safe and passes through unchanged.
    """
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("—")
    if isinstance(value, bool):
        return Markup("yes" if value else "no")
    return Markup(html.escape(str(value), quote=True))


def num(value: Any) -> Markup:
    """A decimal string from the report, thousands grouped, digits as given; anything else as text."""
    if value is None or isinstance(value, bool):
        return esc(value)
    text = str(value)
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        return esc(text)
    if not d.is_finite():
        return esc(text)
    return esc(format(d, ","))


def breakable(value: Any) -> Markup:
    """Identifiers (metric, category, factor key) with line-break chances only after "_" or "."."""
    return Markup(re.sub(r"([_.])", r"\1<wbr>", str(esc(value))))


def is_zero(value: Any) -> bool:
    """Whether a report figure is the number zero (False for anything that is not a number)."""
    try:
        return Decimal(str(value)) == 0
    except (InvalidOperation, ValueError, TypeError):
        return False


def plural(n: int, one: str, many: str) -> str:
    """``one`` for exactly one, ``many`` otherwise (zero included)."""
    return one if n == 1 else many
