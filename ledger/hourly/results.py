"""A matching result as the JSON a run document signs and the pages draw (design item 6).

Every energy is an exact decimal string of MWh (the engine's int mWh / 10^9, no exponent, no
trailing zeros); every share (CFE, metered/profiled) is matched / load over the **scored** hours,
a decimal string rounded **down** to six places (a score is never rounded up to a level it did
not reach), or ``None`` where no scored hour had load.

``hourly.known`` is a bitmap in hex: hour ``i`` is bit ``7 - i % 8`` of byte ``i // 8`` (the first
hour is the first byte's high bit; ``numpy.packbits``), padded with zero bits to whole bytes.

Totals, months and days count scored hours only, except ``unscored_load_mwh`` and
``unscored_supply_mwh`` (supply offered in unscored hours: neither matched nor excess).

Market-based Scope 2, hourly: for every hour, the grid electricity not met by contract or
certificate energy in that hour, at the residual-mix factor (tCO2/MWh); on-site output is not grid
electricity and a contract counts through its bundled GEC, as in the annual inventory
(:mod:`ledger.accounting.inventory`: ``(grid − covered) × residual``). An unscored hour's grid
electricity is counted at the residual factor in full: nothing was matched to it. The annual
figure (``annual_market_tco2``, the evaluation's electricity part, certificates matched by month)
is shown beside it; the hourly one is never lower, since an hour can only use its own supply.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from ledger.hourly.model import MWH, MatchingResult, Span
from ledger.numbers import shown


def mwh(mwh_milli: int) -> str:
    """mWh as an exact decimal string of MWh: ``1500000000`` → ``"1.5"``, ``0`` → ``"0"``."""
    return format(Decimal(int(mwh_milli)).scaleb(-9).normalize(), "f")


def share(part: int, whole: int) -> str | None:
    """``part / whole`` rounded down to six places (``"0.412734"``), or None when ``whole`` is 0."""
    if whole == 0:
        return None
    millionths = int(part) * 10**6 // int(whole)
    return str(Decimal(millionths).scaleb(-6))


def offset_text(offset: timedelta) -> str:
    """``+08:00`` for China time."""
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def iso(t: int, span: Span) -> str:
    """Unix seconds as ISO 8601 in the span's local time."""
    return datetime.fromtimestamp(t, UTC).astimezone(timezone(span.utc_offset)).isoformat()


def summarize(
    result: MatchingResult,
    residual_factor: Fraction,
    annual_market_tco2: str | None,
    annual_renewable_share: Fraction | None = None,
) -> dict[str, Any]:
    """The results JSON of a run: span, CFE (year, months, days), totals, hour counts, months,
    load shares, Scope 2, the hourly series, gaps and claims. ``annual_renewable_share`` is the annual
    evaluation's renewable share of the same year (certificates matched by its annual method), shown
    beside the hourly score (``annual.renewable_share``, rounded down like the CFE; None: not computed)."""
    span, h = result.span, result.hours
    scored = h.known
    load = np.where(scored, h.load, 0)
    matched = np.where(scored, h.matched, 0)
    deficit = scored & (h.matched < h.load)
    months, days = span.month_index(), span.day_index()
    supply = h.contract + h.certificates
    alloc = result.allocation
    certified = np.zeros(span.hours, dtype=np.int64)  # certificate energy allocated, per hour
    is_certificate = _certificate_pieces(result)
    np.add.at(certified, alloc.hour[is_certificate], alloc.allocated[is_certificate])
    grid_total, grid_scored = int(h.grid.sum()), int(np.where(scored, h.grid, 0).sum())
    met_from_grid = int(matched.sum()) - int(np.where(scored, h.onsite, 0).sum())
    market = Fraction(grid_total - met_from_grid, MWH) * residual_factor

    def total(values: np.ndarray) -> str:
        return mwh(int(np.where(scored, values, 0).sum()))

    return {
        "span": {"start": iso(span.start, span), "hours": span.hours, "utc_offset": offset_text(span.utc_offset)},
        "cfe": {
            "year": share(int(matched.sum()), int(load.sum())),
            "months": {key: share(*_sums(matched, load, months == m)) for m, key in _periods(months, _month)},
            "days": {key: share(*_sums(matched, load, days == d)) for d, key in _periods(days, _day)},
        },
        "totals": {
            "load_mwh": mwh(int(load.sum())),
            "grid_mwh": mwh(grid_scored),
            "onsite_mwh": total(h.onsite),
            "contract_mwh": total(h.contract),
            "certificates_offered_mwh": total(h.certificates),
            "certificates_matched_mwh": total(certified),
            "matched_mwh": mwh(int(matched.sum())),
            "unusable_excess_mwh": total(h.excess),
            "unscored_load_mwh": mwh(int(np.where(scored, 0, h.load).sum())),
            "unscored_supply_mwh": mwh(int(np.where(scored, 0, supply).sum())),
        },
        "hours": {
            "scored": int(scored.sum()),
            "unscored": int((~scored).sum()),
            "deficit": int(deficit.sum()),
            "full": int((scored & ~deficit).sum()),
        },
        "months": {key: _month_json(result, months == m, deficit) for m, key in _periods(months, _month)},
        "load_share": {
            "metered": share(int(np.where(scored, h.metered, 0).sum()), int(load.sum())) or "0",
            "profiled": share(int(np.where(scored, h.profiled, 0).sum()), int(load.sum())) or "0",
        },
        "annual": {
            "renewable_share": None
            if annual_renewable_share is None
            else share(annual_renewable_share.numerator, annual_renewable_share.denominator),
        },
        "scope2": {
            "market_hourly_tco2": shown(market),
            "market_annual_tco2": annual_market_tco2,
            "residual_factor": shown(residual_factor),
        },
        "hourly": {
            "load": [int(x) for x in h.load],
            "matched": [int(x) for x in h.matched],
            "known": np.packbits(scored.astype(bool), bitorder="big").tobytes().hex(),
        },
        "gaps": [{"source_id": s, "start": iso(g.start, span), "end": iso(g.end, span)} for s, g in result.gaps],
        "claims": list(_claims_json(result)),
    }


def _month(m: int) -> str:
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def _day(d: int) -> str:
    return (datetime(1970, 1, 1) + timedelta(days=int(d))).strftime("%Y-%m-%d")


def _periods(index: np.ndarray, name: Any) -> Iterator[tuple[int, str]]:
    for value in np.unique(index):
        yield int(value), name(int(value))


def _sums(matched: np.ndarray, load: np.ndarray, where: np.ndarray) -> tuple[int, int]:
    return int(matched[where].sum()), int(load[where].sum())


def _month_json(result: MatchingResult, where: np.ndarray, deficit: np.ndarray) -> dict[str, Any]:
    h = result.hours
    scored = where & h.known
    load, matched = int(h.load[scored].sum()), int(h.matched[scored].sum())
    return {
        "load_mwh": mwh(load),
        "matched_mwh": mwh(matched),
        "excess_mwh": mwh(int(h.excess[scored].sum())),
        "cfe": share(matched, load),
        "deficit_hours": int((where & deficit).sum()),
        "unscored_hours": int((where & ~h.known).sum()),
    }


def _certificate_pieces(result: MatchingResult) -> np.ndarray:
    """Per allocated piece: True for a certificate's, False for a green-power contract's."""
    contract = np.array([any(s.startswith("contract:") for s in sources) for sources in result.claim_sources]
                        or [False], dtype=bool)  # fmt: skip
    return ~contract[result.allocation.claim_index] if len(result.allocation.claim_index) else np.zeros(0, bool)


def _claims_json(result: MatchingResult) -> Iterator[dict[str, Any]]:
    """Each claim: offered (in the span), matched, excess (offered in scored hours, unmatched) and
    unscored (offered in unscored hours); a claim that is not usable offers nothing to any hour."""
    n = len(result.claims)
    alloc, known = result.allocation, result.hours.known
    matched = np.zeros(n, dtype=np.int64)
    scored = np.zeros(n, dtype=np.int64)
    np.add.at(matched, alloc.claim_index, alloc.allocated)
    in_known = known[alloc.hour] if len(alloc.hour) else np.zeros(0, dtype=bool)
    np.add.at(scored, alloc.claim_index[in_known], alloc.energy[in_known])
    offered = result.offered or (0,) * n
    for i, claim in enumerate(result.claims):
        sources = result.claim_sources[i] if result.claim_sources else ()
        usable = claim.usable
        yield {
            "claim_id": claim.claim_id,
            "usable": usable,
            "reasons": list(claim.reasons),
            "offered_mwh": mwh(offered[i]),
            "matched_mwh": mwh(int(matched[i])),
            "excess_mwh": mwh(int(scored[i] - matched[i]) if usable else 0),
            "unscored_mwh": mwh(int(offered[i] - scored[i]) if usable else 0),
            "deliverability": claim.deliverability,
            "profile": ", ".join(sources) if sources else None,
        }
