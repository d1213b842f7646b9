"""Charts of the pages as inline SVG, drawn on the server: no chart library, no script, and the CSP's
``script-src 'self'`` untouched. Geometry only; every label comes in already translated and
formatted (the page's translator), colours come from the stylesheet's classes.

The drawing is narrow (360 units wide) so that on a phone it is shown about 1:1 and its labels stay
readable; on a wide screen the stylesheet caps its width.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from html import escape

from markupsafe import Markup

from ledger.i18n import Translator
from ledger.numbers import exact, round_half_even
from ledger.services.dashboard import Dashboard
from ledger.services.park_page import ParkPage

WIDTH, HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 46, 6, 22, 20


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    css: str


def _nice_max(value: Fraction) -> Fraction:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``value`` (1 for nothing): round axis ticks."""
    if value <= 0:
        return Fraction(1)
    scale = Fraction(1)
    while scale * 10 <= value:
        scale *= 10
    while scale > value:
        scale /= 10
    for step in (1, 2, Fraction(5, 2), 5, 10):
        if step * scale >= value:
            return step * scale
    return 10 * scale


def stacked_months(
    months: Sequence[tuple[str, dict[str, Fraction | None] | None]],
    series: Sequence[Series],
    *,
    title: str,
    unit: str,
    missing_label: str,
    number: Callable[[Decimal], str],
) -> Markup:
    """A stacked bar per month (``months``: label and figures, None when the month has no data,
    drawn as a hatched "missing" slot, never as a zero bar); ``number`` formats an axis tick."""
    totals = [sum((v[s.key] or Fraction(0) for s in series), Fraction(0)) if v else Fraction(0) for _, v in months]
    top = _nice_max(max(totals, default=Fraction(0)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(months), 1)
    bar = slot * 0.7
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>"]  # fmt: skip
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - float(value / top) * plot_h
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        tick = number(Decimal(value.numerator) / Decimal(value.denominator))
        out.append(f'<text class="tick" x="{LEFT - 4}" y="{y + 3.5:.1f}" text-anchor="end">{escape(tick)}</text>')
    out.append(f'<text class="axis" x="2" y="10">{escape(unit)}</text>')
    for i, (label, values) in enumerate(months):
        x = LEFT + i * slot + (slot - bar) / 2
        if values is None:
            out.append(f'<rect class="missing" x="{x:.1f}" y="{TOP}" width="{bar:.1f}" height="{plot_h}">'
                       f"<title>{escape(label)}: {escape(missing_label)}</title></rect>")  # fmt: skip
        else:
            base = float(TOP + plot_h)
            for s in series:
                part = values[s.key] or Fraction(0)
                h = float(part / top) * plot_h
                if h <= 0:
                    continue
                base -= h
                text = number(Decimal(part.numerator) / Decimal(part.denominator))
                out.append(f'<rect class="{s.css}" x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}">'
                           f"<title>{escape(label)} · {escape(s.label)}: {escape(text)} {escape(unit)}</title></rect>")  # fmt: skip
        out.append(f'<text class="tick" x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 13}" text-anchor="middle">'
                   f"{escape(label.split('-')[-1].lstrip('0'))}</text>")  # fmt: skip
    out.append("</svg>")
    legend = "".join(f'<li><span class="swatch {s.css}"></span>{escape(s.label)}</li>' for s in series)
    return Markup("".join(out) + f'<ul class="legend">{legend}</ul>')


def progress(
    share: Fraction | None, marks: Sequence[tuple[Fraction, str, bool, bool]], *, title: str, label: str
) -> Markup:
    """A bar filled to ``share`` (capped at 100 %), with a tick per level threshold (``marks``: the
    minimum, its label, whether it is the target, whether it is confirmed)."""
    w, x0, bar_y, bar_h = WIDTH - 12, 6, 22, 18
    filled = 0.0 if share is None else float(min(max(share, Fraction(0)), Fraction(1))) * w
    out = [f'<svg class="chart progress" viewBox="0 0 {WIDTH} 72" role="img" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>",
           f'<rect class="track" x="{x0}" y="{bar_y}" width="{w}" height="{bar_h}" rx="4"/>',
           f'<rect class="fill" x="{x0}" y="{bar_y}" width="{filled:.1f}" height="{bar_h}" rx="4"/>',
           f'<text class="value" x="{x0}" y="{bar_y - 6}">{escape(label)}</text>']  # fmt: skip
    for i, (minimum, text, target, confirmed) in enumerate(marks):
        x = x0 + float(min(minimum, Fraction(1))) * w
        css = "mark target" if target else "mark"
        css += "" if confirmed else " unconfirmed"
        anchor = "end" if x > WIDTH - 30 else "middle"
        below = bar_y + bar_h + 14 + 13 * (i % 2)  # neighbours' labels on two rows: 80 % and 100 % are close
        out.append(f'<line class="{css}" x1="{x:.1f}" x2="{x:.1f}" y1="{bar_y - 3}" y2="{below - 10}"/>')
        out.append(f'<text class="{css}" x="{x:.1f}" y="{below}" text-anchor="{anchor}">{escape(text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def gauge(value: Fraction | None, limits: Sequence[tuple[Fraction, str, bool]], *, title: str, label: str) -> Markup:
    """A horizontal scale from 0 to twice the highest limit, the value's bar (an arrow past the end
    when it is off the scale) and a tick per limit (``limits``: value, label, whether it applies)."""
    highest = max((lim for lim, _, _ in limits), default=Fraction(0))
    top = highest * 2 if highest else max(value or Fraction(0), Fraction(1)) * Fraction(6, 5)
    w, x0, bar_y, bar_h = WIDTH - 12, 6, 22, 18
    off_scale = value is not None and value > top
    filled = 0.0 if value is None else float(min(value / top, Fraction(1))) * w
    over = any(on and value is not None and value > lim for lim, _, on in limits)
    out = [f'<svg class="chart gauge" viewBox="0 0 {WIDTH} 72" role="img" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>",
           f'<rect class="track" x="{x0}" y="{bar_y}" width="{w}" height="{bar_h}" rx="4"/>',
           f'<rect class="fill{" over" if over else ""}" x="{x0}" y="{bar_y}" width="{filled:.1f}" height="{bar_h}" rx="4"/>',
           f'<text class="value" x="{x0}" y="{bar_y - 6}">{escape(label)}</text>']  # fmt: skip
    if off_scale:
        out.append(f'<text class="offscale" x="{x0 + w - 4}" y="{bar_y + 13}" text-anchor="end">»</text>')
    for i, (lim, text, on) in enumerate(limits):
        x = x0 + float(lim / top) * w
        css = "mark target" if on else "mark"
        below = bar_y + bar_h + 14 + 13 * (i % 2)
        out.append(f'<line class="{css}" x1="{x:.1f}" x2="{x:.1f}" y1="{bar_y - 3}" y2="{below - 10}"/>')
        out.append(f'<text class="{css}" x="{x:.1f}" y="{below}" text-anchor="middle">{escape(text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _tick(t: Translator) -> Callable[[Decimal], str]:
    """An axis tick: whole numbers without decimals (0, 500, 1,000), a small step with one (0.5)."""
    return lambda v: t.number(v, 0 if v >= 10 or v == v.to_integral_value() else 1)


def dashboard_charts(dashboard: Dashboard, t: Translator) -> dict[str, Markup]:
    """The factory page's charts of a year: electricity and emissions per month, and the renewable
    share against the levels' thresholds; labels in the reader's language."""
    months = [(m.period, None if m.missing else m.figures) for m in dashboard.months]
    missing = t.gettext("no usable data")
    energy = stacked_months(
        months,
        [Series("grid_mwh", t.gettext("Grid electricity"), "s-grid"),
         Series("onsite_mwh", t.gettext("On-site renewable"), "s-onsite")],
        title=t.gettext("Electricity used per month (MWh)"), unit="MWh", missing_label=missing,
        number=_tick(t),
    )  # fmt: skip
    emissions = stacked_months(
        months,
        [Series("scope1", t.gettext("Scope 1"), "s-scope1"),
         Series("scope2_market", t.gettext("Scope 2 (market)"), "s-scope2"),
         Series("scope3", t.gettext("Scope 3"), "s-scope3")],
        title=t.gettext("Emissions per month by scope (tCO2e)"), unit="tCO2e", missing_label=missing,
        number=_tick(t),
    )  # fmt: skip
    drawn = {"energy_chart": energy, "emissions_chart": emissions, "progress_chart": Markup("")}
    r = dashboard.renewable
    if r is not None:
        share = "—" if r.share is None else t.percent(round_half_even(r.share * 100, 6), 1)
        marks = [(mark.minimum, f"{mark.level} {t.percent(round_half_even(mark.minimum * 100, 0), 0)}",
                  r.target is not None and mark.level == r.target.level, mark.confirmed) for mark in r.marks]  # fmt: skip
        drawn["progress_chart"] = progress(
            r.share, marks, title=t.gettext("Renewable share of the electricity used"),
            label=t.gettext("Renewable share: %(share)s", share=share),
        )  # fmt: skip
    return drawn


def park_gauge(park: ParkPage, t: Translator) -> Markup:
    """The park's indicator on a scale with its bands' limits, the one that applies marked."""
    limits = [(exact(b["max_intensity"]), t.number(Decimal(b["max_intensity"]), 2),
               park.band_max is not None and exact(b["max_intensity"]) == park.band_max) for b in park.bands]  # fmt: skip
    value = "—" if park.intensity is None else t.quantity(round_half_even(park.intensity, 6), "tCO2/tce", 3)
    return gauge(park.intensity, limits, title=t.gettext("Park indicator against its band"),
                 label=t.gettext("Indicator: %(value)s", value=value))  # fmt: skip
