"""An evaluation report as one self-contained HTML page: readable on a phone, printable, no assets.

:func:`render_html` takes the report JSON (as built by :func:`ledger.accounting.report.build_report`,
optionally with the fields the service adds once it is signed and anchored) and returns a page with
inline CSS and three inline SVG charts drawn by matplotlib. Nothing is fetched: no fonts, scripts,
images or style sheets from anywhere, and a Content-Security-Policy forbids them.

Figures are printed as the report's own decimal strings (thousands grouped, digits unchanged); they
are turned into floats only to draw the charts, which are illustrations — the tables are the record.
Months without anchored data are drawn as hatched "missing" slots and listed, never shown as zero.
Every string taken from the report is escaped: factory names and technologies are user data.

Charts use matplotlib's object-oriented API (a :class:`~matplotlib.figure.Figure` per chart, no
pyplot state), and drawing is serialised by a lock, so concurrent renders in a threaded server are
safe. Matplotlib's random SVG ids are renumbered per chart, so the same report gives the same page.
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

from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter
from matplotlib.transforms import blended_transform_factory

from ledger.accounting.report import report_hash

__all__ = ["render_html"]

_DRAW_LOCK = threading.Lock()
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
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
    "reductions": "#2e9d5b",
    "offsets": "#3b6ea8",
    "removals": "#1b7f79",
    "missing": "#e6e6e6",
    "missing_edge": "#8a8a8a",
}

T = "tCO₂e"


# --------------------------------------------------------------------------------------------
# small helpers: escaping and numbers
# --------------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """Any value from the report as escaped text (None → an em dash)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return html.escape(str(value), quote=True)


def _num(value: Any) -> str:
    """A decimal string from the report, thousands grouped, digits as given; escaped."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _e(value)
    text = str(value)
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        return _e(text)
    if not d.is_finite():
        return _e(text)
    return _e(format(d, ","))


def _qty(value: Any, unit: str) -> str:
    return f'{_num(value)}<span class="unit">&nbsp;{_e(unit)}</span>'


def _float(value: Any) -> float:
    """For plotting only; anything that is not a number is NaN (not drawn)."""
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return math.nan


def _is_zero(value: Any) -> bool:
    try:
        return Decimal(str(value)) == 0
    except (InvalidOperation, ValueError, TypeError):
        return False


def _mono(value: Any) -> str:
    """Hashes, addresses, uuids: monospace, may break anywhere."""
    return f'<span class="mono">{_e(value)}</span>'


def _code(value: Any) -> str:
    """Identifiers (metric, category, factor key): monospace, broken only after "_" or "."."""
    return '<span class="code">' + re.sub(r"([_.])", r"\1<wbr>", _e(value)) + "</span>"


def _nw(value: Any) -> str:
    return f'<span class="nw">{_e(value)}</span>'


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _get(mapping: Any, key: str, default: Any = None) -> Any:
    return mapping.get(key, default) if isinstance(mapping, Mapping) else default


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else []


def _ids(values: Any) -> str:
    items = _list(values)
    return ", ".join(_mono(v) for v in items) if items else "—"


def _badge(text: str, kind: str) -> str:
    return f'<span class="badge {kind}">{_e(text)}</span>'


def _pass_badge(passed: Any) -> str:
    return _badge("pass", "pass") if passed else _badge("fail", "fail")


def _confirmed_badge(confirmed: Any) -> str:
    if confirmed is None:
        return ""
    return _badge("confirmed", "confirmed") if confirmed else _badge("placeholder", "placeholder")


def _table(headers: Sequence[str], rows: Sequence[str], cls: str = "") -> str:
    head = "".join(f"<th scope=\"col\">{h}</th>" for h in headers)
    body = "".join(rows) if rows else f'<tr><td colspan="{len(headers)}" class="empty">none</td></tr>'
    return f'<div class="scroll"><table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _row(*cells: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<tr{attr}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _dl(items: Sequence[tuple[str, str]]) -> str:
    return '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


# --------------------------------------------------------------------------------------------
# months
# --------------------------------------------------------------------------------------------


def _month_label(period: Any) -> str:
    m = _PERIOD.match(str(period))
    if m and 1 <= int(m.group(2)) <= 12:
        return _MONTHS[int(m.group(2)) - 1]
    return str(period).replace("$", r"\$")  # never mathtext


def _missing(report: Mapping[str, Any]) -> dict[str, str]:
    missing = _list(_get(_get(report, "periods"), "missing"))
    return {str(_get(m, "period")): str(_get(m, "reason", "") or "") for m in missing}


# --------------------------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------------------------


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
    return f'{head} role="img" aria-label="{_e(title)}"' + text[head_end:]


def _new_figure() -> Figure:
    fig = Figure(figsize=(5.8, 4.6), dpi=100, layout="constrained")
    fig.set_facecolor("white")
    return fig


def _mark_missing(ax: Any, xs: Sequence[int], label_once: list[bool]) -> None:
    """Hatched slots with a "missing" label: a month without anchored data is not a zero."""
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    for i in xs:
        label = "missing month (no anchored data)" if not label_once[0] else None
        label_once[0] = True
        ax.axvspan(i - 0.45, i + 0.45, facecolor=_C["missing"], edgecolor=_C["missing_edge"], hatch="///",
                   linewidth=0.0, zorder=0, label=label)  # fmt: skip
        ax.text(i, 0.72, "MISSING", transform=trans, rotation=90, ha="center", va="center", fontsize=10,
                fontweight="bold", color="#444444", zorder=5,
                bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none",
                      "alpha": 0.85})  # fmt: skip


def _month_axis(ax: Any, labels: Sequence[str], missing_idx: Sequence[int], year: Any) -> None:
    ax.set_xticks(range(len(labels)), labels)
    for i, tick in enumerate(ax.get_xticklabels()):
        if i in missing_idx:
            tick.set_color("#a33")
            tick.set_fontweight("bold")
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_xlabel(f"Month of {year}" if year is not None else "Month")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)


def _legend(fig: Figure, ax: Any, ncols: int = 2) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False, fontsize=9)


def _no_data(ax: Any) -> None:
    ax.text(0.5, 0.5, "no monthly data in this report", transform=ax.transAxes, ha="center", va="center")


def _chart_emissions(report: Mapping[str, Any]) -> str:
    monthly = [m for m in _list(report.get("monthly")) if isinstance(m, Mapping)]
    missing = _missing(report)
    type_ii = report.get("type") == "II"
    fig = _new_figure()
    ax = fig.add_subplot()
    title = "Monthly emissions by scope"
    labels = [_month_label(m.get("period")) for m in monthly]
    miss_idx = [i for i, m in enumerate(monthly) if str(m.get("period")) in missing]

    def series(key: str) -> list[float]:
        return [math.nan if i in miss_idx else _float(m.get(key)) for i, m in enumerate(monthly)]

    xs = list(range(len(monthly)))
    s1, s2m, s3, s2l = series("scope1"), series("scope2_market"), series("scope3"), series("scope2_location")
    if monthly:
        ax.bar(xs, s1, width=0.7, color=_C["scope1"], label="Scope 1 (direct)")
        ax.bar(xs, s2m, width=0.7, bottom=s1, color=_C["scope2_market"], label="Scope 2, market-based")
        has_s3 = any(v > 0 for v in s3 if not math.isnan(v))
        if type_ii or has_s3:
            bottom = [a + b for a, b in zip(s1, s2m, strict=True)]
            kw: dict[str, Any] = {"color": _C["scope3"], "label": "Scope 3"}
            if not type_ii:
                kw.update(color="white", edgecolor=_C["scope3"], hatch="..", label="Scope 3 (outside Type I boundary)")
            ax.bar(xs, s3, width=0.7, bottom=bottom, **kw)
        ax.plot(xs, s2l, color=_C["scope2_location"], linestyle="--", marker="D", markersize=5, linewidth=1.2,
                label="Scope 2, location-based (for comparison)")  # fmt: skip
        _mark_missing(ax, miss_idx, [False])
        ax.set_ylim(bottom=0)
    else:
        _no_data(ax)
    _month_axis(ax, labels, miss_idx, report.get("year"))
    ax.set_ylabel(f"Emissions ({T})")
    ax.set_title(title, fontweight="bold")
    _legend(fig, ax)
    return _svg(fig, "chart-emissions", title)


def _chart_electricity(report: Mapping[str, Any]) -> str:
    monthly = [m for m in _list(report.get("monthly")) if isinstance(m, Mapping)]
    missing = _missing(report)
    fig = _new_figure()
    ax = fig.add_subplot()
    title = "Electricity mix per month"
    labels = [_month_label(m.get("period")) for m in monthly]
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
        uncovered = [
            math.nan if math.isnan(g) else max(g - gp - c, 0.0) for g, gp, c in zip(grid, green, certs, strict=True)
        ]
        bottom = [0.0] * len(xs)
        for values, color, label in (
            (uncovered, _C["grid"], "grid, not covered"),
            (green, _C["green_power"], "green-power contracts"),
            (certs, _C["certificates"], "certificates (valid, allocated per month)"),
            (onsite, _C["onsite"], "on-site renewable, self-consumed"),
        ):
            ax.bar(xs, values, width=0.7, bottom=bottom, color=color, label=label)
            bottom = [b + (0.0 if math.isnan(v) else v) for b, v in zip(bottom, values, strict=True)]
        consumed = [g + o for g, o in zip(grid, onsite, strict=True)]
        ax.plot(xs, consumed, linestyle="none", marker="_", markersize=22, markeredgewidth=2.2,
                color=_C["consumed"], label="consumed (grid + on-site)")  # fmt: skip
        _mark_missing(ax, miss_idx, [False])
        ax.set_ylim(bottom=0)
    else:
        _no_data(ax)
    _month_axis(ax, labels, miss_idx, report.get("year"))
    ax.set_ylabel("Electricity (MWh)")
    ax.set_title(title, fontweight="bold")
    _legend(fig, ax)
    return _svg(fig, "chart-electricity", title)


def _chart_neutralisation(report: Mapping[str, Any]) -> str:
    totals = _get(report, "totals", {})
    evaluation = _get(report, "evaluation", {})
    type_ii = report.get("type") == "II"
    fig = _new_figure()
    ax = fig.add_subplot()
    title = "Reductions, offsets and removals vs remaining emissions"
    remaining_label = "remaining emissions (Scope 1 + 2 market-based" + (" + 3)" if type_ii else ")")
    bars = [  # (tick, legend, value, colour)
        ("remaining\nemissions", remaining_label, _float(_get(evaluation, "remaining_emissions")), _C["remaining"]),
        ("reductions", "reductions (renewable electricity × grid factor)", _float(_get(totals, "reductions")),
         _C["reductions"]),
        ("offsets", "offsets (credits retired)", _float(_get(totals, "offsets")), _C["offsets"]),
        ("removals", "removals (credits retired)", _float(_get(totals, "removals")), _C["removals"]),
    ]  # fmt: skip
    xs = list(range(len(bars)))
    values = [0.0 if math.isnan(b[2]) else b[2] for b in bars]
    rects = ax.bar(xs, values, width=0.6, color=[b[3] for b in bars], label=[b[1] for b in bars])
    shown_values = [f"{v:,.1f}" if not math.isnan(b[2]) else "n/a" for v, b in zip(values, bars, strict=True)]
    ax.bar_label(rects, labels=shown_values, padding=3, fontsize=9)
    remaining = bars[0][2]
    if not math.isnan(remaining) and remaining > 0:
        ax.axhline(remaining, color=_C["remaining"], linestyle=":", linewidth=1.2, label="level of remaining emissions")
    ax.set_xticks(xs, [b[0] for b in bars])
    ax.set_xlabel(f"Annual totals for {report.get('year')}")
    ax.set_ylabel(f"Emissions per year ({T})")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylim(0, max([*values, 1.0]) * 1.15)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Reductions, offsets and removals\nvs remaining emissions", fontweight="bold")
    _legend(fig, ax, ncols=1)
    return _svg(fig, "chart-neutralisation", title)


def _charts(report: Mapping[str, Any]) -> list[str]:
    with _DRAW_LOCK:
        return [_chart_emissions(report), _chart_electricity(report), _chart_neutralisation(report)]


# --------------------------------------------------------------------------------------------
# page sections
# --------------------------------------------------------------------------------------------


def _hash_check(report: Mapping[str, Any]) -> tuple[bool | None, str]:
    """Whether ``report_hash`` is the hash of the content shown (None: cannot tell), and a badge saying so."""
    stated = report.get("report_hash")
    if not stated:
        return False, _badge("no report hash", "fail")
    try:
        recomputed = "0x" + report_hash(dict(report)).hex()
    except (TypeError, ValueError) as exc:
        return None, _badge("not recomputed", "placeholder") + f" <small>{_e(exc)}</small>"
    if str(stated).lower() == recomputed:
        return True, _badge("matches this report's content", "pass")
    return False, (_badge("does NOT match this report's content", "fail")
                   + f" <small>recomputed {_mono(recomputed)}</small>")  # fmt: skip


def _status(report: Mapping[str, Any]) -> str:
    status = report.get("status")
    anchor = _get(report, "anchor")
    signature = report.get("signature")
    anchored = status == "anchored"
    if anchored:
        banner = (
            '<div class="banner ok" role="status"><strong>Signed and anchored on chain.</strong> '
            "The evaluator signed this report's hash and the chain records it"
            + (f" (on-chain report #{_e(_get(anchor, 'report_id'))})." if isinstance(anchor, Mapping) else ".")
            + "</div>"
        )
    elif signature:
        banner = (
            '<div class="banner draft" role="alert"><strong>Signed but NOT anchored on chain.</strong> '
            f"Status: {_e(status or 'unknown')}. Until the chain records it, this report is not final.</div>"
        )
    else:
        banner = (
            '<div class="banner draft" role="alert"><strong>DRAFT — NOT signed and NOT anchored on chain.</strong> '
            "No evaluator has signed this report and its hash is not recorded on chain; its figures and level "
            "are provisional and must not be relied on as an evaluation result.</div>"
        )
    items: list[tuple[str, str]] = [("Status", _e(status or "draft (unsigned)"))]
    if report.get("id") is not None:
        items.append(("Report id", _mono(report.get("id"))))
    if isinstance(anchor, Mapping):
        items += [
            ("On-chain report id", _mono(anchor.get("report_id"))),
            ("Anchor transaction", _mono(anchor.get("tx_hash"))),
            ("Anchor block", _num(anchor.get("block_number"))),
        ]
    elif anchored:
        items.append(("Anchor", _badge("status says anchored, but no anchor details are in the report", "fail")))
    items.append(("Evaluator", _mono(report.get("evaluator")) if report.get("evaluator") else "— (not signed)"))
    hash_ok, hash_badge = _hash_check(report)
    items.append(("Report hash", f"{_mono(report.get('report_hash'))} {hash_badge}"))
    if signature:
        items.append(("Signature", _mono(signature)))
    if report.get("created_at") is not None:
        items.append(("Created", _e(report.get("created_at"))))
    if hash_ok is False:
        banner = (
            '<div class="banner draft" role="alert"><strong>The content shown does NOT match the report hash.'
            "</strong> The report was changed after its hash was computed, or has no hash: whatever the status "
            "says, no signature or anchor vouches for the figures on this page.</div>"
        ) + banner
    return banner + _dl(items)


def _header(report: Mapping[str, Any]) -> str:
    name = report.get("factory_name")
    factory_id = report.get("factory_id")
    evaluation = _get(report, "evaluation", {})
    level = _get(evaluation, "level", "none")
    level_confirmed = _get(evaluation, "level_confirmed")
    awarded = level not in (None, "", "none")
    type_text = {"I": "Type I (Scope 1 + 2)", "II": "Type II (Scope 1 + 2 + 3)"}.get(
        str(report.get("type")), f"Type {report.get('type')}"
    )
    if awarded:
        level_html = f'<div class="level" aria-label="awarded level">{_e(level)}</div>'
        if level_confirmed:
            note = (
                _badge("thresholds confirmed", "confirmed")
                + " — this level's thresholds are the standard's published text"
            )
        else:
            note = (
                _badge("placeholder thresholds", "placeholder")
                + " — this level's thresholds are placeholders, not the standard's text: the award is provisional"
            )
        level_source = next(
            (lv.get("source") for lv in _list(_get(evaluation, "levels")) if _get(lv, "level") == level), None
        )
        if level_source:
            note += f'<div class="small">{_e(level_source)}</div>'
    else:
        level_html = '<div class="level none" aria-label="awarded level">no level</div>'
        note = "No zero-carbon level is awarded: see the gates and levels below for what failed."
    chain = _get(report, "chain", {})
    factor_set = _get(report, "factor_set", {})
    rule_set = _get(report, "rule_set", {})
    chain_items = [
        ("Chain id", _mono(_get(chain, "chain_id"))),
        ("Contract", _mono(_get(chain, "contract"))),
    ]
    if isinstance(chain, Mapping):
        chain_items += [(_e(str(k).replace("_", " ").capitalize()), _mono(v)) for k, v in chain.items()
                        if k not in ("chain_id", "contract")]  # fmt: skip
    meta = _dl([
        *chain_items,
        ("Factor set", f"{_mono(_get(factor_set, 'label'))} — {_e(_get(factor_set, 'name'))}"),
        ("Rule set",
         f"{_mono(_get(rule_set, 'label') or _get(evaluation, 'rule_set'))} — {_e(_get(rule_set, 'name'))}"),
        ("Grid factor", _e(report.get("grid"))),
        ("Rounding", _e(report.get("rounding"))),
        ("Format", _mono(report.get("format"))),
    ])  # fmt: skip
    title = _e(name) if name else _mono(factory_id)
    return f"""
<header class="top">
  <div class="who">
    <p class="kicker">Zero-carbon factory evaluation · T/CECA-G 0171-2022</p>
    <h1>{title}</h1>
    <p class="sub">Factory {_mono(factory_id)} · Year <strong>{_e(report.get("year"))}</strong> ·
      <strong>{_e(type_text)}</strong></p>
  </div>
  <div class="award">
    <div class="label">Awarded level</div>
    {level_html}
    <div class="note">{note}</div>
  </div>
</header>
<section id="status"><h2>Status</h2>{_status(report)}</section>
<section id="basis"><h2>Chain and basis</h2>{meta}</section>"""


def _summary(report: Mapping[str, Any]) -> str:
    t = _get(report, "totals", {})
    e = _get(report, "electricity", {})
    evaluation = _get(report, "evaluation", {})
    type_ii = report.get("type") == "II"
    cards = [
        ("Scope 1", _qty(_get(t, "scope1"), T), "direct: fuels and process emissions"),
        ("Scope 2 · location-based", _qty(_get(t, "scope2_location"), T), "grid average factor"),
        ("Scope 2 · market-based", _qty(_get(t, "scope2_market"), T), "residual mix for electricity not covered"),
    ]
    scope3 = _get(t, "scope3")
    if type_ii:
        cards.append(("Scope 3", _qty(scope3, T), "transport and purchased products"))
    elif scope3 is not None and not _is_zero(scope3):
        cards.append(("Scope 3", _qty(scope3, T), "outside the Type I boundary — not evaluated"))
    cards += [
        ("Remaining emissions", _qty(_get(evaluation, "remaining_emissions"), T),
         "Scope 1 + Scope 2 market-based" + (" + Scope 3" if type_ii else "")),
        ("Energy", _qty(_get(t, "energy_tce"), "tce"), "comprehensive energy, GB/T 2589"),
        ("Renewable share", _e(_get(e, "renewable_share")),
         f"{_num(_get(e, 'renewable_mwh'))} of {_num(_get(e, 'total_mwh'))} MWh consumed"),
        ("Reductions", _qty(_get(t, "reductions"), T), "renewable MWh × location factor; not netted"),
        ("Offsets", _qty(_get(t, "offsets"), T), "credits retired for the year"),
        ("Removals", _qty(_get(t, "removals"), T), "removal credits retired for the year"),
    ]  # fmt: skip
    production = _get(report, "production", {})
    if isinstance(production, Mapping) and production:
        cards.append(("Production", "<br>".join(_qty(q, u) for u, q in production.items()), "output recorded"))
    body = "".join(
        f'<div class="card"><div class="k">{_e(k)}</div><div class="v">{v}</div><div class="d">{_e(d)}</div></div>'
        for k, v, d in cards
    )
    return f'<section id="summary"><h2>Summary</h2><div class="cards">{body}</div></section>'


def _charts_section(report: Mapping[str, Any]) -> str:
    svgs = _charts(report)
    missing = _missing(report)
    captions = [
        "Stacked bars: Scope 1, Scope 2 market-based" + (" and Scope 3" if report.get("type") == "II" else "")
        + " per month; the dashed line is Scope 2 location-based for comparison.",
        (
            "Stacked bars: grid electricity not covered, green-power contracts, certificates (allocated evenly over "
            "their months) and on-site renewable; the black tick is electricity consumed. Certificates are matched "
            "to consumption over the year, so in a month the bar may rise above the tick."
        ),
        (
            "Annual totals. Reductions are avoided grid emissions from renewable electricity; offsets and removals "
            "are retired credits, kept apart from emissions and compared with the emissions that remain."
        ),
    ]
    if missing:
        note = ("Hatched slots marked MISSING are months without anchored data (" +
                ", ".join(_e(p) for p in sorted(missing)) + "): they are not zero.")  # fmt: skip
        captions[0] += " " + note
        captions[1] += f" {note} A missing month still shows its share of certificates: claims, not measurements."
    figs = "".join(
        f'<figure class="chart"><div class="chartbox">{svg}</div><figcaption>{cap}</figcaption></figure>'
        for svg, cap in zip(svgs, captions, strict=True)
    )
    return (f'<section id="charts"><h2>Charts</h2><p class="small">Charts are drawn from the figures below and '
            f"are illustrations; the tables are the record.</p>{figs}{_monthly_table(report)}</section>")  # fmt: skip


def _monthly_table(report: Mapping[str, Any]) -> str:
    missing = _missing(report)
    rows = []
    for m in _list(report.get("monthly")):
        if not isinstance(m, Mapping):
            continue
        period = str(m.get("period"))
        if period in missing:
            rows.append(
                f'<tr class="missing"><td>{_nw(period)}</td><td colspan="7">{_badge("missing", "fail")} '
                f"{_e(missing[period] or 'no anchored data')} — not counted as zero</td>"
                f"<td>{_num(m.get('certificates'))}</td></tr>"
            )
            continue
        rows.append(_row(_e(period), *(_num(m.get(k)) for k in (
            "scope1", "scope2_location", "scope2_market", "scope3", "grid_electricity",
            "onsite_renewable_self_consumed", "green_power_contract", "certificates"))))  # fmt: skip
    headers = ["Month", f"Scope 1<br>{T}", f"Scope 2 location<br>{T}", f"Scope 2 market<br>{T}", f"Scope 3<br>{T}",
               "Grid<br>MWh", "On-site renewable<br>MWh", "Green power<br>MWh", "Certificates<br>MWh"]  # fmt: skip
    return "<h3>Monthly figures</h3>" + _table(headers, rows, "num")


def _electricity(report: Mapping[str, Any]) -> str:
    e = _get(report, "electricity", {})
    items = [
        ("Grid electricity", _qty(_get(e, "grid_mwh"), "MWh")),
        ("On-site renewable, self-consumed", _qty(_get(e, "onsite_mwh"), "MWh")),
        ("Green-power contracts", _qty(_get(e, "green_power_mwh"), "MWh")),
        ("Valid certificates", _qty(_get(e, "certificates_mwh"), "MWh")),
        ("Grid covered (green power + certificates, at most grid)", _qty(_get(e, "covered_mwh"), "MWh")),
        ("Consumed (grid + on-site)", _qty(_get(e, "total_mwh"), "MWh")),
        ("Renewable (on-site + covered)", _qty(_get(e, "renewable_mwh"), "MWh")),
        ("Renewable share", _e(_get(e, "renewable_share"))),
        ("Location-based factor", _qty(_get(e, "location_factor"), "tCO₂/MWh")),
        ("Residual-mix factor", _qty(_get(e, "residual_mix_factor"), "tCO₂/MWh")),
        ("Scope 2 market-based, electricity", f'<span class="arith">{_e(_get(e, "market_based_arithmetic"))}</span>'),
    ]
    return f'<section id="electricity"><h2>Electricity</h2>{_dl(items)}</section>'


def _outcome_rows(outcomes: Any) -> list[str]:
    return [
        _row(_code(_get(o, "metric")), _e(_get(o, "value")), _e(_get(o, "threshold")), _pass_badge(_get(o, "passed")),
             _confirmed_badge(_get(o, "confirmed")), f'<span class="arith">{_e(_get(o, "explanation"))}</span>')
        for o in _list(outcomes)
    ]


def _evaluation(report: Mapping[str, Any]) -> str:
    ev = _get(report, "evaluation", {})
    headers = ["Metric", "Value", "Needs", "Result", "Threshold", "Explanation"]
    awarded = _get(ev, "level")
    out = [
        '<section id="evaluation"><h2>Evaluation</h2>',
        _dl([
            ("Type", _e(_get(ev, "type"))),
            ("Rule set", _mono(_get(ev, "rule_set"))),
            ("Level awarded", _e(awarded)),
            ("Remaining emissions", _qty(_get(ev, "remaining_emissions"), T)),
        ]),
        '<h3>Gates <small>(checked at every level)</small></h3>',
        _table(headers, _outcome_rows(_get(ev, "gates")), "outcomes"),
        "<h3>Levels</h3>",
    ]
    levels = _list(_get(ev, "levels"))
    if not levels:
        out.append('<p class="empty">This report lists no levels.</p>')
    for lv in levels:
        name = _get(lv, "level")
        is_awarded = name == awarded
        out.append(
            f'<div class="levelcard{" awarded" if is_awarded else ""}"><div class="lvhead">'
            f'<span class="lvname">{_e(name)}</span> {_pass_badge(_get(lv, "passed"))} '
            f'{_confirmed_badge(_get(lv, "confirmed"))}'
            + (" " + _badge("awarded", "pass") if is_awarded else "")
            + f'<div class="small">{_e(_get(lv, "source"))}</div></div>'
            + _table(headers, _outcome_rows(_get(lv, "rules")), "outcomes")
            + "</div>"
        )
    findings = [f for f in _list(report.get("double_counting")) if isinstance(f, Mapping)]
    out.append("<h3>Double counting</h3>")
    if findings:
        n = len(findings)
        out.append(f"<p>{_badge(f'{n} ' + _plural(n, 'finding', 'findings'), 'fail')} "
                   "Claims named in a finding count for nothing.</p>")
        out.append(_table(["Check", "Finding", "Claims", "Records"], [
            _row(_code(f.get("check")), _e(f.get("message")), _ids(f.get("claim_ids")), _ids(f.get("record_ids")))
            for f in findings
        ]))  # fmt: skip
    else:
        out.append(f"<p>{_badge('none', 'pass')} No double counting found.</p>")
    undisclosed = _list(report.get("undisclosed_claims"))
    out.append("<h3>Undisclosed claims</h3>")
    if undisclosed:
        out.append(
            f"<p>{_badge(f'{len(undisclosed)} undisclosed', 'placeholder')} "
            f"{_plural(len(undisclosed), 'Claim', 'Claims')} {_ids(undisclosed)} "
            f"{_plural(len(undisclosed), 'is', 'are')} on chain, "
            "but their details are not held by this service (or do not match what the chain recorded): they "
            "could not be checked for double counting and are not counted in this report.</p>"
        )
    else:
        out.append(f"<p>{_badge('none', 'pass')} Every claim on chain has its details disclosed here.</p>")
    out.append("</section>")
    return "".join(out)


def _traceability(report: Mapping[str, Any]) -> str:
    periods = _get(report, "periods", {})
    used = [
        _row(_nw(_get(p, "period")), _e(_get(p, "revision")), _mono(_get(p, "batch_id")), _mono(_get(p, "root")),
             _mono(_get(p, "tx_hash")), _num(_get(p, "block_number")), _num(_get(p, "records")))
        for p in _list(_get(periods, "used"))
    ]
    superseded = [
        _row(_nw(_get(p, "period")), _e(_get(p, "revision")), _mono(_get(p, "root")), _num(_get(p, "anchored_block")),
             _e(_get(p, "superseded_by")))
        for p in _list(_get(periods, "superseded"))
    ]
    missing = [
        _row(_nw(_get(p, "period")), _e(_get(p, "reason")), cls="missing") for p in _list(_get(periods, "missing"))
    ]
    lines = []
    for ln in _list(report.get("lines")):
        scope = _get(ln, "scope")
        unit = "tce" if scope == "energy" else T
        factors = "<br>".join(f"{_code(_get(f, 'key'))} = {_nw(_get(f, 'value'))}" for f in _list(_get(ln, "factors")))
        lines.append(_row(
            _e(scope), _code(_get(ln, "category")), _nw(_get(ln, "period")), _nw(_get(ln, "activity")),
            factors or "—", _qty(_get(ln, "result"), unit),
            f'<span class="arith">{_e(_get(ln, "arithmetic"))}</span>'
            f'<span class="recs">{_plural(len(_list(_get(ln, "record_ids"))), "record", "records")} '
            f'{_ids(_get(ln, "record_ids"))}</span>',
        ))  # fmt: skip

    def claim_rows(entries: Any, with_kind: bool) -> list[str]:
        rows = []
        for c in _list(entries):
            cells = [_code(_get(c, "claim_id"))]
            if with_kind:
                cells.append(_e(_get(c, "kind")))
            cells += [
                _e(_get(c, "registry")), _code(_get(c, "block_id")), _code(_get(c, "serials")),
                _num(_get(c, "units")), _qty(_get(c, "allocated_to_year"), str(_get(c, "unit") or "")),
                _nw(_get(c, "consumption")), _e(_get(c, "technology")), _mono(_get(c, "tx_hash")),
                _badge("valid", "pass") if _get(c, "valid") else _badge("not valid", "fail"),
            ]  # fmt: skip
            rows.append(_row(*cells, cls="" if _get(c, "valid") else "invalid"))
        return rows

    claim_headers = ["Claim", "Registry", "Block", "Serials", "Units", "Allocated to the year", "Consumption",
                     "Technology", "Claim transaction", "Counted"]  # fmt: skip
    return "".join([
        '<section id="traceability"><h2>Traceability</h2>',
        "<h3>Periods used</h3>",
        _table(["Period", "Revision", "Batch", "Merkle root (on chain)", "Anchor transaction", "Block", "Records"],
               used),
        "<h3>Superseded revisions</h3>",
        _table(["Period", "Revision", "Root", "Anchored in block", "Superseded by revision"], superseded),
        "<h3>Missing months</h3>",
        _table(["Period", "Reason"], missing),
        "<h3>Calculation lines</h3>",
        ('<p class="small">Each line names its records, the activity as measured, the factors from the factor set and '
         "the arithmetic, so it can be redone by hand.</p>"),
        _table(["Scope", "Category", "Period", "Activity", "Factors", "Result", "Arithmetic and records"], lines,
               "lines"),
        "<h3>Certificates</h3>",
        _table(claim_headers, claim_rows(report.get("certificates"), False)),
        "<h3>Credits (offsets and removals)</h3>",
        _table([claim_headers[0], "Kind", *claim_headers[1:]], claim_rows(report.get("credits"), True)),
        "</section>",
    ])  # fmt: skip


_CSS = """
:root{--fg:#1d2329;--muted:#5b6670;--line:#d9dee3;--bg:#f6f7f9;--ok:#1e7b46;--bad:#b42318;--warn:#a15c00;--info:#1f5fa8}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;color:var(--fg);background:#fff;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",
"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif}
main{max-width:1120px;margin:0 auto;padding:16px}
h1{font-size:1.7rem;line-height:1.25;margin:.2rem 0;overflow-wrap:anywhere}
h2{font-size:1.3rem;margin:2rem 0 .6rem;padding-bottom:.25rem;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:1.4rem 0 .5rem}
h3 small{font-weight:normal;color:var(--muted)}
.kicker{margin:0;color:var(--muted);font-size:.85rem;text-transform:uppercase;letter-spacing:.04em}
.sub{margin:.2rem 0;color:var(--muted)}
.small{font-size:.85rem;color:var(--muted)}
.mono{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85em;
word-break:break-all}
.code{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85em}
.nw{white-space:nowrap}
.unit{color:var(--muted);font-size:.85em;white-space:nowrap}
.recs{display:block;margin-top:3px;font-size:.92em;color:var(--muted)}
.printmark{display:none}
header.top{display:flex;flex-wrap:wrap;gap:16px;align-items:stretch;justify-content:space-between}
header.top .who{flex:1 1 420px;min-width:0}
.award{flex:0 1 320px;border:1px solid var(--line);border-radius:10px;padding:12px 16px;background:var(--bg)}
.award .label{font-size:.8rem;text-transform:uppercase;color:var(--muted);letter-spacing:.04em}
.level{font-size:3.4rem;font-weight:800;line-height:1.1;color:var(--ok)}
.level.none{color:var(--muted);font-size:2.4rem}
.award .note{font-size:.85rem}
.banner{border-radius:8px;padding:12px 14px;margin:.4rem 0 .8rem;border:2px solid}
.banner.ok{background:#e8f5ee;border-color:var(--ok)}
.banner.draft{background:#fdecea;border-color:var(--bad)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}
.card{border:1px solid var(--line);border-radius:10px;padding:10px 12px;background:var(--bg);break-inside:avoid}
.card .k{font-size:.8rem;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.card .v{font-size:1.3rem;font-weight:700;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.card .d{font-size:.8rem;color:var(--muted)}
figure.chart{margin:0 0 1.2rem;break-inside:avoid;page-break-inside:avoid}
.chartbox{overflow-x:auto;-webkit-overflow-scrolling:touch}
figure.chart svg{display:block;width:100%;height:auto;max-width:680px;margin:0 auto}
figcaption{font-size:.85rem;color:var(--muted);max-width:680px;margin:.2rem auto 0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:0 0 .8rem;border:1px solid var(--line);
border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
table.num td{font-variant-numeric:tabular-nums;white-space:nowrap}
table.num td:not(:first-child){text-align:right}
table.num tr.missing td{white-space:normal;text-align:left}
tr.missing td{background:repeating-linear-gradient(135deg,#f3f3f3 0 6px,#e4e4e4 6px 12px)}
tr.invalid td{background:#fdf3f2}
td.empty,p.empty{color:var(--muted);font-style:italic}
td .arith{display:block;min-width:18rem;max-width:40rem}
dd .arith{display:block}
table.lines td:nth-child(6){white-space:nowrap}
table.outcomes td:nth-child(2),table.outcomes td:nth-child(3){white-space:nowrap}
.badge{display:inline-block;padding:1px 7px;border-radius:999px;font-size:.75rem;font-weight:700;white-space:nowrap;
border:1px solid;vertical-align:baseline}
.badge.pass{color:var(--ok);background:#e8f5ee}
.badge.fail{color:var(--bad);background:#fdecea}
.badge.confirmed{color:var(--info);background:#e8f0fb}
.badge.placeholder{color:var(--warn);background:#fff4e0}
.levelcard{border:1px solid var(--line);border-radius:10px;padding:10px 12px 2px;margin:0 0 10px}
.levelcard.awarded{border:2px solid var(--ok)}
.lvname{font-size:1.25rem;font-weight:800;margin-right:4px}
.lvhead{margin-bottom:6px}
footer{margin:2rem 0 1rem;font-size:.8rem;color:var(--muted);border-top:1px solid var(--line);padding-top:.6rem}
@media (max-width:600px){
 body{font-size:14px}
 main{padding:10px}
 h1{font-size:1.35rem}
 .level{font-size:2.8rem}
 dl.facts{grid-template-columns:1fr}
 dl.facts dd{margin-bottom:6px}
 .cards{grid-template-columns:repeat(2,minmax(0,1fr))}
 .card .v{font-size:1.05rem}
 td .arith{min-width:16rem}
}
@page{size:A4;margin:12mm}
@media print{
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{font-size:9.5pt}
 main{max-width:none;padding:0}
 .scroll{overflow:visible;border:none}
 table{font-size:7.5pt}
 th{white-space:normal}
 table.num td,table.lines td{white-space:normal}
 td .arith{min-width:0}
 .chartbox{overflow:visible}
 figure.chart svg{min-width:0;max-width:16cm}
 h2,h3{break-after:avoid;page-break-after:avoid}
 tr,.levelcard,.card{break-inside:avoid;page-break-inside:avoid}
 .mono{word-break:break-all}
 .printmark{display:block;position:fixed;top:0;right:0;font-size:8pt;font-weight:700;color:var(--bad);
  border:1px solid var(--bad);padding:1px 6px;background:#fff}
}
"""


def render_html(report: Mapping[str, Any]) -> str:
    """The report as one self-contained HTML page (UTF-8 text); the same report gives the same page."""
    if not isinstance(report, Mapping):
        raise TypeError("report: must be a mapping (the report JSON as a dict)")
    name = report.get("factory_name") or report.get("factory_id") or "factory"
    status = report.get("status") or "draft"
    draft = status != "anchored"
    page_title = f"{'[DRAFT] ' if draft else ''}Zero-carbon evaluation — {name} — {report.get('year')}"
    mark = '<div class="printmark" aria-hidden="true">DRAFT — not anchored on chain</div>' if draft else ""
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    body = "".join([
        _header(report),
        _summary(report),
        _charts_section(report),
        _electricity(report),
        _evaluation(report),
        _traceability(report),
    ])  # fmt: skip
    footer = (
        f"<footer>Rendered from report {_mono(report.get('report_hash'))} ({_e(report.get('format'))}). Figures are "
        "the report's own decimal strings with thousands grouped; "
        f"{_e(report.get('rounding') or 'see the report for rounding')}. The report JSON, not this page, is what "
        "the evaluator signs and the chain anchors.</footer>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="robots" content="noindex">'
        f"<title>{_e(page_title)}</title><style>{_CSS}</style></head>"
        f"<body>{mark}<main>{body}{footer}</main></body></html>\n"
    )
