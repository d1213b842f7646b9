"""A matching run's results and run document shaped as design item 6 and 8 have them, for the page
tests: a factory with a day shift and a night shift, a solar certificate whose noon output exceeds
the load (lost excess) while the nights are deficit hours, a meter gap of 36 hours in March (not
scored), and the Spring Festival shutdown (hours without load).

The figures are computed here from the hourly series with the rules of item 6 (shares are matched ÷
load over scored hours, rounded down to six places; energies exact MWh strings), so the page reads a
consistent run; the page itself never recomputes them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import numpy as np

from ledger.accounting.report import report_hash

MWH = 10**9
CHINA = timezone(timedelta(hours=8))
START = datetime(2025, 1, 1, tzinfo=CHINA)
HOURS = 8760
GAP = (datetime(2025, 3, 10, 5, tzinfo=CHINA), datetime(2025, 3, 11, 17, tzinfo=CHINA))  # 36 hours
SHUTDOWN = (datetime(2025, 1, 28, tzinfo=CHINA), datetime(2025, 1, 30, tzinfo=CHINA))  # 48 hours, no load


def mwh(m: int) -> str:
    return format(Decimal(int(m)).scaleb(-9).normalize(), "f")


def share(part: int, whole: int) -> str | None:
    return None if whole == 0 else str(Decimal(int(part) * 10**6 // int(whole)).scaleb(-6))


def _index(moment: datetime) -> int:
    return int((moment - START).total_seconds()) // 3600


def series() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Load, certificate supply (mWh) and known, per hour of 2025 (China time)."""
    i = np.arange(HOURS)
    hour, day = i % 24, i // 24
    load = np.where((hour >= 8) & (hour < 20), 1_200_000_000, 600_000_000).astype(np.int64)  # day / night shift
    load[_index(SHUTDOWN[0]) : _index(SHUTDOWN[1])] = 0
    season = 0.6 + 0.4 * np.sin(np.pi * (day - 80) / 365) ** 2
    sun = np.clip(np.sin(np.pi * (hour - 6) / 12), 0, None)  # 06:00–18:00, noon peak
    supply = (2_000_000_000 * season * sun).astype(np.int64) // 1000 * 1000
    known = np.ones(HOURS, dtype=bool)
    known[_index(GAP[0]) : _index(GAP[1])] = False
    return load, supply, known


def results() -> dict[str, Any]:
    load, supply, known = series()
    matched = np.minimum(load, supply)
    excess = supply - matched
    s_load, s_matched = np.where(known, load, 0), np.where(known, matched, 0)
    deficit = known & (matched < load)
    local = [START + timedelta(hours=int(h)) for h in range(HOURS)]
    months_of = np.array([d.month for d in local])
    days_of = np.array([d.timetuple().tm_yday for d in local])
    months = {}
    for m in range(1, 13):
        w = months_of == m
        months[f"2025-{m:02d}"] = {
            "load_mwh": mwh(s_load[w].sum()), "matched_mwh": mwh(s_matched[w].sum()),
            "excess_mwh": mwh(np.where(known, excess, 0)[w].sum()), "cfe": share(s_matched[w].sum(), s_load[w].sum()),
            "deficit_hours": int((deficit & w).sum()), "unscored_hours": int((~known & w).sum()),
        }  # fmt: skip
    days = {
        (START + timedelta(days=d - 1)).date().isoformat(): share(s_matched[days_of == d].sum(), s_load[days_of == d].sum())
        for d in range(1, 366)
    }  # fmt: skip
    offered = int(np.where(known, supply, 0).sum())
    return {
        "span": {"start": START.isoformat(), "hours": HOURS, "utc_offset": "+08:00"},
        "cfe": {"year": share(s_matched.sum(), s_load.sum()), "months": {k: v["cfe"] for k, v in months.items()},
                "days": days},
        "totals": {
            "load_mwh": mwh(s_load.sum()), "grid_mwh": mwh(s_load.sum()), "onsite_mwh": "0", "contract_mwh": "0",
            "certificates_offered_mwh": mwh(offered), "certificates_matched_mwh": mwh(s_matched.sum()),
            "matched_mwh": mwh(s_matched.sum()), "unusable_excess_mwh": mwh(np.where(known, excess, 0).sum()),
            "unscored_load_mwh": mwh(np.where(known, 0, load).sum()),
            "unscored_supply_mwh": mwh(np.where(known, 0, supply).sum()),
        },
        "hours": {"scored": int(known.sum()), "unscored": int((~known).sum()), "deficit": int(deficit.sum()),
                  "full": int((known & ~deficit).sum())},
        "months": months,
        "load_share": {"metered": "0.812345", "profiled": "0.187655"},
        "scope2": {"market_hourly_tco2": "2803.442112", "market_annual_tco2": "1210.5", "residual_factor": "0.5942"},
        "hourly": {"load": [int(x) for x in load], "matched": [int(x) for x in matched],
                   "known": np.packbits(known, bitorder="big").tobytes().hex()},
        "gaps": [{"source_id": "grid-main", "start": GAP[0].isoformat(), "end": GAP[1].isoformat()}],
        "claims": [
            {"claim_id": 7, "usable": True, "reasons": [], "offered_mwh": mwh(supply.sum()),
             "matched_mwh": mwh(s_matched.sum()), "excess_mwh": mwh(np.where(known, excess, 0).sum()),
             "unscored_mwh": mwh(np.where(known, 0, supply).sum()), "deliverability": "same_regional_grid",
             "profile": "profile:GEN-JS-PV-0001/2025-01/r1@0x" + "ab" * 32},
            {"claim_id": 8, "usable": False, "reasons": ["a credit, not a certificate: it supplies no electricity"],
             "offered_mwh": "0", "matched_mwh": "0", "excess_mwh": "0", "unscored_mwh": "0", "deliverability": "",
             "profile": None},
        ],
    }  # fmt: skip


def run_document(factory_id: str = "CN-JS-SZ-0001") -> dict[str, Any]:
    """A run document (design item 8) around :func:`results`, with its hash."""
    document: dict[str, Any] = {
        "format": "zcl-hourly-matching/1", "factory_id": factory_id, "year": 2025,
        "span": {"start": START.isoformat(), "hours": HOURS, "utc_offset": "+08:00"},
        "inputs": {"batches": [f"{factory_id}/2025-{m:02d}/r1@0x{m:064x}" for m in range(1, 13)],
                   "profiles": [{"registry": "GEC", "project_id": "JS-PV-0001", "period": "2025-01",
                                 "tier": "plant-meter", "attestor": "GEN-JS-PV-0001",
                                 "batch": "GEN-JS-PV-0001/2025-01/r1@0x" + "ab" * 32}],
                   "claims": [{"claim_id": 7, "details_hash": "0x" + "cd" * 32},
                              {"claim_id": 8, "details_hash": "0x" + "ef" * 32}]},
        "rules": {"deliverability": "deliverability@1", "load_profiles": "load-profiles@1",
                  "validity": "certificate-validity@1", "measurement_methods": "measurement-methods@1",
                  "factor_set": "cn-mee-2023@1"},
        "parameters": {"order": "expiry,vintage,serial", "unit": "mWh"},
        "results": results(),
        "allocations": {"root": "0x" + "12" * 32, "count": 4321, "leaf_type": "HourAllocation"},
    }  # fmt: skip
    document["report_hash"] = "0x" + report_hash(document).hex()
    return document


def created() -> datetime:
    return datetime(2026, 1, 15, 9, tzinfo=UTC)
