"""Evaluation at scale: a factory's year of quarter-hour sub-meter readings, evaluated from the chain.

One factory's year of 12 anchored months of 10^5 records each (--quick: 10^4) is stored through
the batch service (a real anvil, SQLite, as the tests run it), then evaluated through
``EvaluationService.create``: every record re-hashed from its stored body, every month's root
checked against the chain, the inventory computed and the report stored. The baseline is the same
year through the previous path in the same run (:func:`previous_path`): each stored body decoded,
checked and hashed on its own, the cyclic collector running throughout, one report line per record,
every figure rounded through a Decimal, every unit ratio, factor text and factor recomputed for
each record. It gives the same figures (tests/test_evaluation_scale.py compares them). The
baseline keeps one later change: the electricity sums per month, kind and unit (exact, converted
once), so it is a little faster than the path before this benchmark. Both are timed on the wall
clock, with this process's CPU time in the note (on a busy machine the two differ). Then a park of 10 such factories (--quick:
2) through ``EvaluationService.park``.

Run: .venv/bin/python -m benchmarks.bench_evaluate [--quick]
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Any
from unittest import mock

from eth_account import Account

from benchmarks.common import STEAM_DECLARED, Row, meter_reading
from benchmarks.serving import deployed
from ledger import gc_pause
from ledger.accounting.activities import Activity, InventoryRecord
from ledger.accounting.report import UNSIGNED_FIELDS
from ledger.chain.client import LedgerClient
from ledger.factors import arithmetic
from ledger.factors.units import Scaled
from ledger.numbers import PLACES, round_half_even
from ledger.records import parse_batch, parse_record, record_hash, units
from ledger.services import Services
from ledger.signing import sign_batch

SECTION = "evaluate"
YEAR = 2025
TZ = timezone(timedelta(hours=8))
FACTOR_SET = "cn-mee-2023@1.1"
"""Both paths use the set without fuel CH4/N2O: under 1.2 the previous path's report (a line for each
record and gas) is over a gigabyte, past what SQLite stores in one value. Per record the current path
costs the same under either (its lines are per month and source)."""
TARGET_SECONDS = 30.0
PARK_TARGET_SECONDS = 300.0


def month_of_readings(factory_id: str, month: int, n: int, seed: int) -> dict[str, Any]:
    """``n`` quarter-hour readings of as many sub-meters as it takes (at least 5), slot by slot."""
    rng = random.Random(seed * 100 + month)
    first = datetime(YEAR, month, 1, tzinfo=TZ)
    end = datetime(YEAR + month // 12, month % 12 + 1, 1, tzinfo=TZ)
    slot_count = int((end - first) / timedelta(minutes=15))
    slots = [(first + timedelta(minutes=15 * k)).isoformat() for k in range(slot_count + 1)]
    meters = max(5, -(-n // slot_count))
    records = []
    for i in range(n):  # three in five meters on the grid, one on gas, one on steam
        slot, meter = divmod(i, meters)
        records.append(meter_reading(rng, meter, max(0, meter % 5 - 2), slots[slot], slots[slot + 1]))
    period = f"{YEAR}-{month:02d}"
    return {"factory_id": factory_id, "period": period, "revision": 1, "uri": "", "records": records}


def store_year(services: Services, ledger: LedgerClient, factory_id: str, n: int, seed: int) -> None:
    """Register the factory and anchor its 12 months through the batch service."""
    key = Account.create()
    services.factories.register(factory_id, factory_id, key.address)
    for month in range(1, 13):
        signed = sign_batch(parse_batch(month_of_readings(factory_id, month, n, seed)), key, ledger.domain())
        batch, _ = services.batches.submit(signed, limit=0)
        if batch.status != "anchored":
            raise RuntimeError(f"{factory_id} {batch.period}: {batch.status}")


def previous_shown(value: Fraction, places: int = PLACES) -> str:
    """:func:`ledger.numbers.shown` as it was: through a Decimal, compared back as a Fraction."""
    rounded = round_half_even(value, places)
    if Fraction(rounded) == value:
        return format(rounded.normalize(), "f") if rounded != 0 else "0"
    return format(rounded, "f")


def _read_every_time(basis: arithmetic.Basis, read: Callable[..., Scaled], *args: Any) -> Scaled:
    """``Basis.scaled`` as it was: each factor read and scaled again for every record."""
    return read(basis.fs, *args)


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """The signed report without its lines: totals, months, electricity, outcomes — what both paths
    must agree on exactly (their lines differ: one per record, or one per month, source and unit)."""
    return {k: v for k, v in report.items() if k not in UNSIGNED_FIELDS | {"lines"}}


def one_body_at_a_time(bodies: list[str], *, factory_id: str, period: str) -> tuple[list[bytes], list[Any]]:
    """The re-hash as it was: each stored body decoded, fully checked and hashed on its own."""
    records = [parse_record(json.loads(body), factory_id=factory_id, period=period) for body in bodies]
    return [record_hash(r) for r in records], records


class _CollectorNeverPaused:
    """``gc`` as :mod:`ledger.gc_pause` sees it in the baseline: the collector runs throughout."""

    isenabled = staticmethod(gc.isenabled)

    @staticmethod
    def disable() -> None:
        pass

    enable = disable


def one_line_per_record(records: Iterable[InventoryRecord]) -> list[Activity]:
    """Each record its own activity: one report line per record and product, as before lines summed
    a month's records of one source."""
    return [
        Activity(r.period, r.record.source_id, r.record.kind, r.record.unit, r.record.quantity, 1, r.record_id)
        for r in records
    ]


@contextmanager
def previous_path() -> Iterator[None]:
    """The evaluation as it was before its per-record costs were cut: the baseline, in the same run.
    Its figures are the same; its report has one line per record and product; each body is decoded,
    checked and hashed on its own, and the cyclic collector runs throughout."""
    modules = ["ledger.numbers", "ledger.factors.arithmetic", "ledger.accounting.inventory",
               "ledger.accounting.report", "ledger.accounting.evaluation", "ledger.accounting.statements"]  # fmt: skip
    with ExitStack() as stack:
        stack.enter_context(mock.patch("ledger.accounting.inventory.activities", one_line_per_record))
        stack.enter_context(mock.patch("ledger.services.integrity.rehash_bodies", one_body_at_a_time))
        stack.enter_context(mock.patch.object(gc_pause, "gc", _CollectorNeverPaused))
        for module in modules:
            stack.enter_context(mock.patch(f"{module}.shown", previous_shown))
        stack.enter_context(mock.patch.object(units, "_unit_ratio", units._unit_ratio.__wrapped__))
        stack.enter_context(mock.patch.object(arithmetic, "_rate", arithmetic._rate.__wrapped__))
        stack.enter_context(mock.patch.object(arithmetic.Basis, "scaled", _read_every_time))
        yield


@contextmanager
def a_service() -> Iterator[tuple[Services, LedgerClient]]:
    with deployed("zcl-bench-evaluate-", "bench-admin-token") as (composed, ledger):
        yield composed.services, ledger


def timed_evaluation(services: Services, factory_id: str) -> tuple[float, float, dict[str, Any]]:
    """Wall-clock and this process's CPU seconds (the CPU figure says how much of the wall time other
    work on the machine took), and the report."""
    start, cpu = time.perf_counter(), time.process_time()
    report = services.evaluations.create(factory_id, YEAR, "I", steam=STEAM_DECLARED, factor_set=FACTOR_SET)
    return time.perf_counter() - start, time.process_time() - cpu, report


def run(quick: bool = False) -> list[Row]:
    n = 10_000 if quick else 100_000
    park_size = 2 if quick else 10
    size = "12 × 10^4" if quick else "12 × 10^5"
    with a_service() as (services, ledger):
        store_year(services, ledger, "CN-BENCH-0000", n, 0)
        seconds, cpu, report = timed_evaluation(services, "CN-BENCH-0000")
        with previous_path():
            baseline, baseline_cpu, previous = timed_evaluation(services, "CN-BENCH-0000")
        if figures(previous) != figures(report):
            raise RuntimeError("the previous path gave different figures")
        records = sum(p["records"] for p in report["periods"]["used"])
        if records != 12 * n:
            raise RuntimeError(f"the report used {records} records of {12 * n}")
        for k in range(1, park_size):
            store_year(services, ledger, f"CN-BENCH-{k:04d}", n, k)
        start, park_cpu = time.perf_counter(), time.process_time()
        park = services.evaluations.park(
            [f"CN-BENCH-{k:04d}" for k in range(park_size)], YEAR, steam=STEAM_DECLARED, factor_set=FACTOR_SET
        )
        park_seconds, park_cpu = time.perf_counter() - start, time.process_time() - park_cpu
    note = (f"{12 * n:,} records, {len(report['lines']):,} report lines against {len(previous['lines']):,} on the "
            f"previous path; the same figures (every total, month and outcome); factor set {FACTOR_SET}; CPU "
            f"{cpu:.1f} s against {baseline_cpu:.1f} s")  # fmt: skip
    return [
        Row(SECTION, f"a year of {size} records evaluated (EvaluationService.create)", seconds, "s",
            baseline=baseline, baseline_name="previous path", target=None if quick else TARGET_SECONDS, note=note),
        Row(SECTION, f"a year of {size} records evaluated, rate", 12 * n / seconds, "records/s",
            baseline=12 * n / baseline, baseline_name="previous path", higher_is_better=True),
        Row(SECTION, f"a park of {park_size} such factories (EvaluationService.park)", park_seconds, "s",
            target=None if quick else PARK_TARGET_SECONDS,
            note=f"{park_size * 12 * n:,} records, inventories only (no report); park verdict {park['verdict']}; "
                 f"CPU {park_cpu:.1f} s"),
    ]  # fmt: skip


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
