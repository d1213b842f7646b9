"""Completeness per source and month (:mod:`ledger.accounting.completeness`) on interval meters:
readings out of order, gaps and overlaps, each named with its source, month and the instants."""

from __future__ import annotations

from ledger.accounting.completeness import source_gaps
from ledger.accounting.inventory import InventoryRecord
from ledger.records import parse_record

PERIOD = "2025-02"  # 28 days: 2025-02-01T00:00+08:00 .. 2025-03-01T00:00+08:00


def reading(n: int, source: str, start: str, end: str) -> InventoryRecord:
    wire = {"source_id": source, "kind": "grid_electricity", "value": "1", "unit": "MWh", "evidence": [],
            "interval_start": start, "interval_end": end, "salt": "0x" + f"{n:064x}"}  # fmt: skip
    return InventoryRecord(f"r{n}", PERIOD, parse_record(wire, factory_id="CN-G", period=PERIOD))


def halves(source: str, first: int, *, second_start: str = "2025-02-15T00:00:00+08:00") -> list[InventoryRecord]:
    return [reading(first, source, "2025-02-01T00:00:00+08:00", "2025-02-15T00:00:00+08:00"),
            reading(first + 1, source, second_start, "2025-03-01T00:00:00+08:00")]  # fmt: skip


def test_halves_in_either_order_cover_the_month() -> None:
    """Two half-month readings cover February whether they come in order or not; the same instant
    written in UTC (2025-02-14T16:00Z = 2025-02-15T00:00+08:00) joins them too."""
    in_order = halves("a", 0)
    utc = [in_order[0], reading(9, "a", "2025-02-14T16:00:00+00:00", "2025-02-28T16:00:00+00:00")]
    assert source_gaps(in_order, [PERIOD]) == [] and source_gaps(in_order[::-1], [PERIOD]) == []
    assert source_gaps(utc, [PERIOD]) == []


def test_a_gap_and_an_overlap_are_named_with_their_instants() -> None:
    """Meter b's second reading starts a day late (16 Feb, not 15 Feb): one day uncovered. Meter c's
    starts a day early (14 Feb): one day counted twice. Meter d has no reading in February at all."""
    records = (halves("b", 0, second_start="2025-02-16T00:00:00+08:00")
               + halves("c", 10, second_start="2025-02-14T00:00:00+08:00"))  # fmt: skip
    found = {g.source_id: g for g in source_gaps(records, [PERIOD, "2025-03"]) if g.period == PERIOD}
    assert found["b"].problem == "gaps" and found["b"].period == PERIOD
    assert "2025-02-15T00:00:00+08:00..2025-02-16T00:00:00+08:00" in found["b"].detail
    assert found["c"].problem == "overlaps" and "covered more than once" in found["c"].detail
    assert "2025-02-14T00:00:00+08:00..2025-02-15T00:00:00+08:00" in found["c"].detail
    # March is held (another source has it) but neither b nor c has a reading there
    march = [g for g in source_gaps(records, [PERIOD, "2025-03"]) if g.period == "2025-03"]
    assert [(g.source_id, g.problem) for g in march] == [("b", "no records"), ("c", "no records")]
