"""A matching run's two charts as inline SVG, drawn by matplotlib as the report's charts are: the year's
hourly CFE score as a heat-map (hour of day × day) and the monthly CFE score as bars.

The heat-map has 8,760 (8,784) cells. Drawn as rectangles it would be a megabyte of SVG; it is one
embedded raster instead (``imshow`` with ``interpolation="none"``: the PNG holds one block of pixels
per hour, scaled by the viewer without smoothing), a few kilobytes, with the axes, legend and colour
scale as vector text. Each hour is upscaled to a 3 × 3 block so that a viewer that smooths anyway
(WeasyPrint) blurs only the block's edge.

An hour that was not scored (a gap: some load source has no reading for it) is grey and hatched, an
hour without load is white: neither is a 0 % hour, and the legend counts each. A month without a
scored hour is a hatched slot in the bar chart, never a zero bar. Floats appear here only, for
drawing; labels that state a figure are rounded down from the run's decimal strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_FLOOR
from fractions import Fraction
from typing import Any

import matplotlib
import numpy as np
from markupsafe import Markup
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path

from ledger.reports.charts import _DRAW_LOCK, _month_label, _svg
from ledger.reports.fields import get
from ledger.reports.fonts import CHART_FONTS, ensure_cjk_font
from ledger.reports.lang import Gettext, gettext_for
from ledger.reports.reading import rounded

__all__ = ["HourGrid", "draw_hourly_charts", "hour_grid", "percent_down"]

CMAP = matplotlib.colormaps["viridis"]
"""0 % dark violet to 100 % yellow: ordered for colour-blind readers and in grey print."""
GAP_RGBA = (0.80, 0.80, 0.80, 1.0)
NO_LOAD_RGBA = (1.0, 1.0, 1.0, 1.0)
SCALE = 3  # pixels per hour on each side of the raster
MAX_HATCHED_RUNS = 2_000  # beyond this the gaps are grey only (the hatch would outweigh the chart)


def percent_down(share: Any, places: int = 2) -> str | None:
    """A share (decimal string, 0.999999) in percent rounded **down** ("99.99"); None when absent.
    A score is never rounded up to a figure it did not reach (0.99999 is 99.99 %, never 100.00 %)."""
    if share is None:
        return None
    return rounded(Fraction(str(share)) * 100, places, ROUND_FLOOR)


class HourGrid:
    """The span's hours laid out as rows (local hour of day 0–23) × columns (local days).

    ``state``: 0 outside the span, 1 unscored (a gap), 2 scored without load, 3 scored with load;
    ``cfe``: matched ÷ load of each scored hour with load (NaN elsewhere), a float for drawing.
    """

    def __init__(self, start: datetime, load: np.ndarray, matched: np.ndarray, known: np.ndarray) -> None:
        self.start = start
        first = start.hour
        n = len(load)
        self.days = (first + n - 1) // 24 + 1
        pos = first + np.arange(n)
        rows, cols = pos % 24, pos // 24
        self.state = np.zeros((24, self.days), dtype=np.int8)
        self.cfe = np.full((24, self.days), np.nan)
        self.state[rows, cols] = np.where(~known, 1, np.where(load > 0, 3, 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(known & (load > 0), matched / np.where(load > 0, load, 1), np.nan)
        self.cfe[rows, cols] = ratio

    def count(self, state: int) -> int:
        return int((self.state == state).sum())

    def rgba(self) -> np.ndarray:
        """The raster: viridis by score, grey gaps, white hours without load, transparent outside."""
        image = CMAP(np.nan_to_num(np.clip(self.cfe, 0.0, 1.0)))
        image[self.state == 1] = GAP_RGBA
        image[self.state == 2] = NO_LOAD_RGBA
        image[self.state == 0] = (1.0, 1.0, 1.0, 0.0)
        return np.repeat(np.repeat(image, SCALE, axis=0), SCALE, axis=1)

    def gap_runs(self) -> list[tuple[int, int, int]]:
        """Unscored hours as (day, first hour, hours) runs down each day's column."""
        runs: list[tuple[int, int, int]] = []
        gap = self.state == 1
        for col in np.flatnonzero(gap.any(axis=0)):
            column = np.concatenate(([False], gap[:, col], [False]))
            edges = np.flatnonzero(column[1:] != column[:-1])
            runs.extend((int(col), int(a), int(b - a)) for a, b in zip(edges[::2], edges[1::2], strict=True))
        return runs


def hour_grid(results: Mapping[str, Any]) -> HourGrid:
    """The run's results (design item 6: ``span``, ``hourly``) as an :class:`HourGrid`."""
    span, hourly = get(results, "span", {}), get(results, "hourly", {})
    start = datetime.fromisoformat(str(span["start"]))
    load = np.asarray(hourly["load"], dtype=np.int64)
    matched = np.asarray(hourly["matched"], dtype=np.int64)
    bits = np.unpackbits(np.frombuffer(bytes.fromhex(str(hourly["known"])), dtype=np.uint8), bitorder="big")
    if len(load) != int(span["hours"]) or len(matched) != len(load) or len(bits) < len(load):
        raise ValueError("results.hourly: the series do not cover the span's hours")
    return HourGrid(start, load, matched, bits[: len(load)].astype(bool))


def _month_starts(start: date, days: int) -> list[tuple[int, date]]:
    """(column, first day) of each month that begins inside the span's days (and the first day)."""
    out = [(0, start)]
    day = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    while (day - start).days < days:
        out.append(((day - start).days, day))
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def _heatmap(results: Mapping[str, Any], _: Gettext, subtitle: str) -> str:
    grid = hour_grid(results)
    fig = Figure(figsize=(9.6, 4.3), dpi=100, layout="constrained")
    fig.set_facecolor("white")
    ax = fig.add_subplot()
    ax.imshow(grid.rgba(), aspect="auto", interpolation="none", extent=(0, grid.days, 24, 0))
    runs = grid.gap_runs()
    if runs and len(runs) <= MAX_HATCHED_RUNS:
        verts: list[tuple[float, float]] = []
        codes: list[int] = []
        for col, row, n in runs:
            verts += [(col, row), (col + 1, row), (col + 1, row + n), (col, row + n), (col, row)]
            codes += [int(Path.MOVETO), int(Path.LINETO), int(Path.LINETO), int(Path.LINETO), int(Path.CLOSEPOLY)]
        ax.add_patch(PathPatch(Path(verts, codes), facecolor="none", edgecolor="#555555", hatch="////", linewidth=0))
    year = grid.start.year
    starts = _month_starts(grid.start.date(), grid.days)
    ax.set_xticks([c for c, _d in starts], [_month_label(f"{d.year}-{d.month:02d}", _) for _c, d in starts])
    ax.set_yticks([0.5, 6.5, 12.5, 18.5, 23.5], ["0", "6", "12", "18", "23"])
    ax.set_ylabel(_("Hour of the day"))
    ax.set_xlabel(_("Day of %(year)s", year=year))
    ax.set_xlim(0, grid.days)
    ax.set_ylim(24, 0)
    title = _("CFE score of each hour, %(year)s", year=year)
    ax.set_title(f"{title}\n{subtitle}" if subtitle else title, fontweight="bold")
    bar = fig.colorbar(ScalarMappable(Normalize(0, 100), CMAP), ax=ax, fraction=0.04, pad=0.01)
    bar.set_ticks([0, 25, 50, 75, 100], labels=["0 %", "25 %", "50 %", "75 %", "100 %"])
    bar.set_label(_("hourly CFE score (matched ÷ load)"))
    handles = [
        Patch(facecolor=GAP_RGBA, edgecolor="#555555", hatch="////",
              label=_("unscored hours (gaps, not 0 %%): %(n)s", n=format(grid.count(1), ","))),
        Patch(facecolor=NO_LOAD_RGBA, edgecolor="#888888",
              label=_("hours without load: %(n)s", n=format(grid.count(2), ","))),
        Patch(facecolor=CMAP(0.5), label=_("scored hours (colour: their score): %(n)s", n=format(grid.count(3), ","))),
    ]  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=9)
    return _svg(fig, "chart-cfe-hours", title)


def _months(results: Mapping[str, Any], _: Gettext, annual_share: str | None, subtitle: str) -> str:
    months: Mapping[str, Any] = get(results, "months", {}) or {}
    periods = sorted(months)
    values = [get(months[p], "cfe") for p in periods]
    fig = Figure(figsize=(6.4, 4.4), dpi=100, layout="constrained")
    fig.set_facecolor("white")
    ax = fig.add_subplot()
    xs = list(range(len(periods)))
    heights = [float(Fraction(str(v)) * 100) if v is not None else 0.0 for v in values]
    rects = ax.bar(xs, heights, width=0.7, color=CMAP(0.55), label=_("CFE score of the month"))
    labels = [f"{percent_down(v, 1)}" if v is not None else "" for v in values]
    ax.bar_label(rects, labels=labels, padding=2, fontsize=8)
    missing = [i for i, v in enumerate(values) if v is None]
    for n, i in enumerate(missing):
        ax.axvspan(i - 0.4, i + 0.4, facecolor="#e6e6e6", edgecolor="#8a8a8a", hatch="///", linewidth=0,
                   label=_("no scored hour with load") if n == 0 else None)  # fmt: skip
    year_cfe = get(get(results, "cfe", {}), "year")
    if year_cfe is not None:
        ax.axhline(float(Fraction(str(year_cfe)) * 100), color="#1f1f1f", linestyle=":", linewidth=1.2,
                   label=_("CFE score of the year: %(share)s %%", share=percent_down(year_cfe)))  # fmt: skip
    if annual_share is not None:
        ax.axhline(float(Fraction(str(annual_share)) * 100), color="#c0392b", linestyle="--", linewidth=1.2,
                   label=_("annual matching of the same supply: %(share)s %%", share=percent_down(annual_share)))  # fmt: skip
    ax.set_xticks(xs, [_month_label(p, _) for p in periods])
    ax.set_xlim(-0.6, len(periods) - 0.4)
    ax.set_ylim(0, 110)
    ax.set_yticks([0, 25, 50, 75, 100], ["0 %", "25 %", "50 %", "75 %", "100 %"])
    ax.set_ylabel(_("CFE score (matched ÷ load)"))
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    title = _("CFE score per month")
    ax.set_title(f"{title}\n{subtitle}" if subtitle else title, fontweight="bold")
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=2, frameon=False, fontsize=9)
    return _svg(fig, "chart-cfe-months", title)


def draw_hourly_charts(
    results: Mapping[str, Any], _: Gettext | None = None, *, annual_share: str | None = None, subtitle: str = ""
) -> tuple[Markup, Markup]:
    """The heat-map of the hours' CFE scores and the monthly CFE bars of a run's ``results``, as SVG
    labelled through ``_`` (default: English); ``annual_share`` (a decimal string) draws the annual
    matching reference line, ``subtitle`` (the factory) goes under each title."""
    _ = _ or gettext_for("en")
    ensure_cjk_font()
    subtitle = subtitle.replace("$", r"\$")  # never mathtext
    with _DRAW_LOCK, matplotlib.rc_context({"font.family": CHART_FONTS}):
        charts = _heatmap(results, _, subtitle), _months(results, _, annual_share, subtitle)
    return Markup(charts[0]), Markup(charts[1])
