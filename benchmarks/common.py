"""The one row format every benchmark reports in, so ``benchmarks.run`` can print a single table.

A figure is only meaningful next to what it is compared with and what it should reach, so a row
carries all three: the measured value, an optional baseline measured *in the same run* (never a
number copied from elsewhere), and an optional target with the direction that meets it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.records import new_salt


@dataclass(frozen=True)
class Row:
    section: str  # e.g. "Merkle tree", "keccak", "ingest"
    figure: str  # what was measured, e.g. "tree + all proofs, 10^6 hashes"
    value: float
    unit: str  # e.g. "s", "hashes/s", "ms", "gas/record"
    baseline: float | None = None  # the same figure for what users would otherwise pick
    baseline_name: str | None = None  # e.g. "@openzeppelin/merkle-tree"
    target: float | None = None
    higher_is_better: bool = False  # direction for the target and for the ratio
    note: str = ""  # e.g. "roots equal"

    @property
    def ratio(self) -> float | None:
        """How many times better than the baseline (>1 means we are better), or None."""
        if self.baseline is None or self.value == 0 or self.baseline == 0:
            return None
        return self.value / self.baseline if self.higher_is_better else self.baseline / self.value

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Wall seconds of one call and its result (perf_counter: monotonic, highest resolution)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def percentile(samples: Sequence[float], p: float) -> float:
    """The p-th percentile (0–100), linearly interpolated between the nearest ranks (numpy's default)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


METER_KINDS = [("grid_electricity", "kWh", 3), ("natural_gas", "Nm3", 2), ("purchased_steam", "t", 3)]
"""(kind, unit, decimal places) of the sub-meters the benchmarks' batches read."""


STEAM_DECLARED: dict[str, Any] = {
    f"submeter-{meter:03d}": {"absolute_pressure_mpa": "1.0", "saturated": True} for meter in range(4, 1000, 5)
}
"""Declared conditions for every steam sub-meter :func:`meter_reading` can name (``meter % 5 == 4``)."""


def meter_reading(rng: random.Random, meter: int, kind: int, start: str, end: str) -> dict[str, Any]:
    """One quarter-hour reading of sub-meter ``meter`` of kind ``METER_KINDS[kind]``, salted afresh."""
    name, unit, places = METER_KINDS[kind]
    value = Decimal(rng.randrange(0, 5_000_000)).scaleb(-places)
    return {"source_id": f"submeter-{meter:03d}", "kind": name, "value": str(value), "unit": unit,
            "interval_start": start, "interval_end": end, "evidence": [], "salt": "0x" + new_salt().hex()}  # fmt: skip
