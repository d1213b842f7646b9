"""The report's three charts as inline SVG, drawn by matplotlib: emissions, electricity, neutralisation.

Charts are illustrations of the figures in the tables (which are the record), so figures become
floats here and only here. Months without anchored data are drawn as hatched "missing" slots, never
as zero.

Charts use matplotlib's object-oriented API (a :class:`~matplotlib.figure.Figure` per chart, no
pyplot state), and drawing is serialised by a lock, so concurrent renders in a threaded server are
safe. Matplotlib's random SVG ids are renumbered per chart, so the same report gives the same page
and the ids of the three charts do not collide.

Text is drawn with DejaVu Sans and, for what it lacks (a Chinese factory name, the zh-CN labels), Noto
Sans CJK SC (:mod:`ledger.reports.fonts`); labels are translated by the ``_`` given to
:func:`draw_charts`. Glyphs are written as paths, so the SVG needs no font where it is shown.
"""

from __future__ import annotations

import html
import io
import math
import re
import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter
from matplotlib.transforms import blended_transform_factory

from ledger.reports.fields import as_list, get, missing_periods
from ledger.reports.fonts import CHART_FONTS, ensure_cjk_font
from ledger.reports.format import TCO2E as T
from ledger.reports.lang import N_, Gettext, gettext_for

__all__ = ["draw_charts"]

_DRAW_LOCK = threading.Lock()
_MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
           N_("Oct"), N_("Nov"), N_("Dec"))  # fmt: skip
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")

# colours: scopes, electricity sources, and the neutralisation chart
_C = {
    "scope1": "#b4532a",
    "scope2_market": "#3b6ea8",
    "scope3": "#8c6bb1",
    "scope2_location": "#1f1f1f",
    "grid": "#6b7b8c",
    "green_power": "#2e9d5b",
    "certificates": "#a6d96a",
    "onsite": "#f2b01e",
    "consumed": "#1f1f1f",
    "remaining": "#c0392b",
    "own": "#f2b01e",
    "efficiency": "#2e9d5b",
    "certificates_effect": "#a6d96a",
    "offsets": "#3b6ea8",
    "removals": "#1b7f79",
    "missing": "#e6e6e6",
    "missing_edge": "#8a8a8a",
}


def _float(value: Any) -> float:
    """For plotting only; anything that is not a number is NaN (not drawn)."""
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return math.nan


def _month_label(period: Any, _: Gettext) -> str:
    m = _PERIOD.match(str(period))
    if m and 1 <= int(m.group(2)) <= 12:
        return _(_MONTHS[int(m.group(2)) - 1])
    return str(period).replace("$", r"\$")  # never mathtext


def _svg(fig: Figure, prefix: str, title: str) -> str:
    """The figure as an inline <svg>: no XML prolog or metadata, ids renumbered under ``prefix``
    (unique on the page, the same on every render), sized by CSS from its viewBox."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    mapping: dict[str, str] = {}
    for old in re.findall(r'\bid="([^"]+)"', text):
        mapping.setdefault(old, f"{prefix}-{len(mapping)}")

    def rename(m: re.Match[str]) -> str:
        new = mapping.get(m.group(2))
        return m.group(0) if new is None else m.group(1) + new

    text = re.sub(r'(\bid="|#)([A-Za-z_][\w.\-]*)', rename, text)
    # the root element: size from CSS, an accessible name
    head_end = text.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
    return f'{head} role="img" aria-label="{html.escape(title, quote=True)}"' + text[head_end:]


def _new_figure() -> Figure:
    fig = Figure(figsize=(5.8, 4.6), dpi=100, layout="constrained")
    fig.set_facecolor("white")
    return fig


def _mark_missing(ax: Any, xs: Sequence[int], label_once: list[bool], _: Gettext) -> None:
    """Hatched slots with a "missing" label: a month without anchored data is not a zero."""
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    for i in xs:
        label = _("missing month (no anchored data)") if not label_once[0] else None
        label_once[0] = True
        ax.axvspan(i - 0.45, i + 0.45, facecolor=_C["missing"], edgecolor=_C["missing_edge"], hatch="///",
                   linewidth=0.0, zorder=0, label=label)  # fmt: skip
        ax.text(i, 0.72, _("MISSING"), transform=trans, rotation=90, ha="center", va="center", fontsize=10,
                fontweight="bold", color="#444444", zorder=5,
                bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none",
                      "alpha": 0.85})  # fmt: skip


def _month_axis(ax: Any, labels: Sequence[str], missing_idx: Sequence[int], year: Any, _: Gettext) -> None:
    ax.set_xticks(range(len(labels)), labels)
    for i, tick in enumerate(ax.get_xticklabels()):
        if i in missing_idx:
            tick.set_color("#a33")
            tick.set_fontweight("bold")
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_xlabel(_("Month of %(year)s", year=year) if year is not None else _("Month"))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)


def _legend(fig: Figure, ax: Any, ncols: int = 2) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False, fontsize=9)


def _no_data(ax: Any, _: Gettext) -> None:
    ax.text(0.5, 0.5, _("no monthly data in this report"), transform=ax.transAxes, ha="center", va="center")


def _factory(report: Mapping[str, Any]) -> str:
    """The factory's name (often Chinese) as a chart subtitle, never read as mathtext."""
    return str(report.get("factory_name") or report.get("factory_id") or "").replace("$", r"\$")


def _title(ax: Any, title: str, report: Mapping[str, Any]) -> None:
    name = _factory(report)
    ax.set_title(f"{title}\n{name}" if name else title, fontweight="bold")


def _chart_emissions(report: Mapping[str, Any], _: Gettext) -> str:
    monthly = [m for m in as_list(report.get("monthly")) if isinstance(m, Mapping)]
    missing = missing_periods(report)
    type_ii = report.get("type") == "II"
    fig = _new_figure()
    ax = fig.add_subplot()
    title = _("Monthly emissions by scope")
    labels = [_month_label(m.get("period"), _) for m in monthly]
    miss_idx = [i for i, m in enumerate(monthly) if str(m.get("period")) in missing]

    def series(key: str) -> list[float]:
        return [math.nan if i in miss_idx else _float(m.get(key)) for i, m in enumerate(monthly)]

    xs = list(range(len(monthly)))
    s1, s2m, s3, s2l = series("scope1"), series("scope2_market"), series("scope3"), series("scope2_location")
    if monthly:
        ax.bar(xs, s1, width=0.7, color=_C["scope1"], label=_("Scope 1 (direct)"))
        ax.bar(xs, s2m, width=0.7, bottom=s1, color=_C["scope2_market"], label=_("Scope 2, market-based"))
        has_s3 = any(v > 0 for v in s3 if not math.isnan(v))
        if type_ii or has_s3:
            bottom = [a + b for a, b in zip(s1, s2m, strict=True)]
            kw: dict[str, Any] = {"color": _C["scope3"], "label": _("Scope 3")}
            if not type_ii:
                kw.update(
                    color="white", edgecolor=_C["scope3"], hatch="..", label=_("Scope 3 (outside Type I boundary)")
                )
            ax.bar(xs, s3, width=0.7, bottom=bottom, **kw)
        ax.plot(xs, s2l, color=_C["scope2_location"], linestyle="--", marker="D", markersize=5, linewidth=1.2,
                label=_("Scope 2, location-based (for comparison)"))  # fmt: skip
        _mark_missing(ax, miss_idx, [False], _)
        ax.set_ylim(bottom=0)
    else:
        _no_data(ax, _)
    _month_axis(ax, labels, miss_idx, report.get("year"), _)
    ax.set_ylabel(_("Emissions (%(unit)s)", unit=T))
    _title(ax, title, report)
    _legend(fig, ax)
    return _svg(fig, "chart-emissions", title)


def _chart_electricity(report: Mapping[str, Any], _: Gettext) -> str:
    monthly = [m for m in as_list(report.get("monthly")) if isinstance(m, Mapping)]
    missing = missing_periods(report)
    fig = _new_figure()
    ax = fig.add_subplot()
    title = _("Electricity mix per month")
    labels = [_month_label(m.get("period"), _) for m in monthly]
    miss_idx = [i for i, m in enumerate(monthly) if str(m.get("period")) in missing]
    xs = list(range(len(monthly)))
    if monthly:
        grid, onsite, green, certs = (
            [_float(m.get(k)) for m in monthly]
            for k in ("grid_electricity", "onsite_renewable_self_consumed", "green_power_contract", "certificates")
        )
        # a missing month has no measurements; certificates are claims and are allocated to it all the same
        for i in miss_idx:
            grid[i] = onsite[i] = green[i] = math.nan
        if all("covered" in m for m in monthly):  # matched by the report's method: at most the month's grid use
            covered = [math.nan if i in miss_idx else _float(m.get("covered")) for i, m in enumerate(monthly)]
            stacks = [
                ([math.nan if math.isnan(g) else max(g - c, 0.0) for g, c in zip(grid, covered, strict=True)],
                 _C["grid"], _("grid, not covered")),
                (covered, _C["certificates"], _("grid covered by valid certificates, as matched")),
            ]  # fmt: skip
        else:  # a report from before matching was a choice: green power and certificates as allocated
            uncovered = [
                math.nan if math.isnan(g) else max(g - gp - c, 0.0) for g, gp, c in zip(grid, green, certs, strict=True)
            ]
            stacks = [
                (uncovered, _C["grid"], _("grid, not covered")),
                (green, _C["green_power"], _("green-power contracts")),
                (certs, _C["certificates"], _("certificates (valid, allocated per month)")),
            ]
        bottom = [0.0] * len(xs)
        for values, color, label in (*stacks, (onsite, _C["onsite"], _("on-site renewable, self-consumed"))):
            ax.bar(xs, values, width=0.7, bottom=bottom, color=color, label=label)
            bottom = [b + (0.0 if math.isnan(v) else v) for b, v in zip(bottom, values, strict=True)]
        consumed = [g + o for g, o in zip(grid, onsite, strict=True)]
        ax.plot(xs, consumed, linestyle="none", marker="_", markersize=22, markeredgewidth=2.2,
                color=_C["consumed"], label=_("consumed (grid + on-site)"))  # fmt: skip
        _mark_missing(ax, miss_idx, [False], _)
        ax.set_ylim(bottom=0)
    else:
        _no_data(ax, _)
    _month_axis(ax, labels, miss_idx, report.get("year"), _)
    ax.set_ylabel(_("Electricity (MWh)"))
    _title(ax, title, report)
    _legend(fig, ax)
    return _svg(fig, "chart-electricity", title)


def _chart_neutralisation(report: Mapping[str, Any], _: Gettext) -> str:
    totals = get(report, "totals", {})
    evaluation = get(report, "evaluation", {})
    zero = get(report, "floating_zero", {})
    own = get(zero, "own_reductions", {})
    type_ii = report.get("type") == "II"
    fig = _new_figure()
    ax = fig.add_subplot()
    title = _("Own reductions, certificates, offsets and removals (apart) vs remaining emissions")
    remaining_label = (_("remaining emissions (Scope 1 + 2 market-based + 3)") if type_ii
                       else _("remaining emissions (Scope 1 + 2 market-based)"))  # fmt: skip
    bars = [  # (tick, legend, value, colour): each its own bar, never stacked into one "reductions"
        (_("remaining\nemissions"), remaining_label, _float(get(evaluation, "remaining_emissions")), _C["remaining"]),
        (_("on-site\nrenewable"), _("own: on-site renewable × grid factor"),
         _float(get(get(own, "onsite_renewable", {}), "tco2e")), _C["own"]),
        (_("efficiency"), _("own: efficiency vs base year (n/a: no base year)"),
         _float(get(get(own, "efficiency", {}), "tco2e")), _C["efficiency"]),
        (_("certificates"), _("certificates: market-based Scope 2 effect"),
         _float(get(get(zero, "certificates", {}), "scope2_market_effect_tco2e")), _C["certificates_effect"]),
        (_("offsets"), _("offsets (credits retired)"), _float(get(totals, "offsets")), _C["offsets"]),
        (_("removals"), _("removals (credits retired)"), _float(get(totals, "removals")), _C["removals"]),
    ]  # fmt: skip
    xs = list(range(len(bars)))
    values = [0.0 if math.isnan(b[2]) else b[2] for b in bars]
    rects = ax.bar(xs, values, width=0.6, color=[b[3] for b in bars], label=[b[1] for b in bars])
    shown_values = [f"{v:,.1f}" if not math.isnan(b[2]) else "n/a" for v, b in zip(values, bars, strict=True)]
    ax.bar_label(rects, labels=shown_values, padding=3, fontsize=9)
    remaining = bars[0][2]
    if not math.isnan(remaining) and remaining > 0:
        ax.axhline(
            remaining, color=_C["remaining"], linestyle=":", linewidth=1.2, label=_("level of remaining emissions")
        )
    ax.set_xticks(xs, [b[0] for b in bars])
    ax.set_xlabel(_("Annual totals for %(year)s", year=report.get("year")))
    ax.set_ylabel(_("Emissions per year (%(unit)s)", unit=T))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylim(min([*values, 0.0]) * 1.15, max([*values, 1.0]) * 1.15)  # efficiency may be negative
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    _title(ax, _("Own reductions, certificates, offsets, removals\n(apart) vs remaining emissions"), report)
    _legend(fig, ax, ncols=1)
    return _svg(fig, "chart-neutralisation", title)


def draw_charts(report: Mapping[str, Any], _: Gettext | None = None) -> tuple[Markup, Markup, Markup]:
    """Emissions by scope per month, electricity mix per month, and the year's neutralisation, as SVG,
    labelled through ``_`` (default: English).

    The SVG is safe to insert as is: matplotlib escapes the text it writes, and the page's own
    strings in it (titles, month labels) are escaped or constant.
    """
    _ = _ or gettext_for("en")
    ensure_cjk_font()  # loud when missing; the charts are drawn all the same
    with _DRAW_LOCK, matplotlib.rc_context({"font.family": CHART_FONTS}):
        charts = _chart_emissions(report, _), _chart_electricity(report, _), _chart_neutralisation(report, _)
    return Markup(charts[0]), Markup(charts[1]), Markup(charts[2])
