"""Small builders of hourly matching's inputs (HourlySource, ClaimInput, Supply) for the tests, made
directly rather than through load.py / claim_inputs.py / pieces.py, so the engine is tested alone."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ledger.hourly.model import MWH, ClaimInput, Gap, HourlySource, Span, Supply
from ledger.hourly.pieces import split_units

SPAN_START = 1_735_660_800
"""2025-01-01 00:00 China time (2024-12-31 16:00 UTC)."""


def span(hours: int) -> Span:
    return Span(SPAN_START, hours)


def source(
    kind: str,
    energy: Sequence[int],
    known: Sequence[bool] | None = None,
    method: str = "metered",
    source_id: str = "meter-1",
) -> HourlySource:
    """A load source; its gaps are the runs of unknown hours."""
    read = np.ones(len(energy), dtype=bool) if known is None else np.array(known, dtype=bool)
    gaps = tuple(Gap(SPAN_START + int(i) * 3600, SPAN_START + (int(i) + 1) * 3600) for i in np.flatnonzero(~read))
    return HourlySource(source_id, kind, method, 3600, np.array(energy, dtype=np.int64), read, gaps)


def claim(
    claim_id: int,
    units: int = 1,
    expiry: str = "2026-12-31",
    vintage: str = "2025-01",
    serial_start: int = 1,
    usable: bool = True,
    reasons: tuple[str, ...] = (),
) -> ClaimInput:
    return ClaimInput(
        claim_id=claim_id, registry="GEC", block_id=f"B{claim_id}", serial_start=serial_start,
        serial_end=serial_start + units - 1, project_id="P-1", generation_start=vintage, generation_end=vintage,
        expiry=expiry, vintage=vintage, usable=usable, reasons=reasons,
        deliverability="same_province" if usable else "",
    )  # fmt: skip


def supply(claim_id: int, pieces: Sequence[tuple[int, int, int, int]], source: str = "profile:P-1") -> Supply:
    """A supply from ``(unit_offset, hour, energy mWh, PieceKind)`` rows."""
    rows = np.array(pieces, dtype=np.int64).reshape(-1, 4)
    return Supply(claim_id, rows[:, 0], rows[:, 1].astype(np.int32), rows[:, 2], rows[:, 3].astype(np.int8), source)


def laid(claim_id: int, hourly: Sequence[int], first_hour: int = 0, source: str = "profile:P-1") -> Supply:
    """A claim's units laid along ``hourly`` (mWh per hour from ``first_hour``, adding up to whole
    MWh): the cut pieces.py makes."""
    total = sum(hourly)
    assert total % MWH == 0, "a profile of whole units"
    weights = np.array(hourly, dtype=np.int64)
    hours = np.arange(first_hour, first_hour + len(hourly), dtype=np.int32)
    return split_units(claim_id, total // MWH, hours[weights > 0], weights[weights > 0], source)
