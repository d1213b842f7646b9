"""Runs every benchmark and prints one table of figures, baselines, ratios and targets.

Usage: ``./scripts/bench [--quick] [--only tree,gas] [--save benchmarks/results.json]``.
``--save`` writes the rows with the machine they ran on; ``python -m benchmarks.report
--update-readme`` renders that file into README's performance table, so the README shows one real
run rather than figures typed in by hand.

The process pins itself (and so anvil, Node and the service it starts) to one CPU by default,
because the targets are stated for one core; ``--all-cores`` lifts that.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import Row
from benchmarks.machine import describe

# In the order of the data flow: hash → tree → records and signatures → ingest (and its bounds) → reading a
# batch back → claims → gas → evaluation → hourly matching.
MODULES = {
    "tree": "benchmarks.bench_tree",
    "signing": "benchmarks.bench_signing",
    "ingest": "benchmarks.bench_ingest",
    "stream": "benchmarks.bench_stream",
    "batchpage": "benchmarks.bench_batchpage",
    "claims": "benchmarks.bench_claims",
    "gas": "benchmarks.bench_gas",
    "evaluate": "benchmarks.bench_evaluate",
    "hourly": "benchmarks.bench_hourly",
}


def format_value(value: float, unit: str) -> str:
    """Seconds and milliseconds to three significant figures, rates and gas with thousands commas."""
    if unit in {"s", "ms", "µs", "gas/record"} or abs(value) < 100:
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:,.0f}"


def format_row(row: Row) -> dict[str, str]:
    ratio = row.ratio
    return {
        "section": row.section,
        "figure": row.figure,
        "value": f"{format_value(row.value, row.unit)} {row.unit}",
        "baseline": (
            f"{format_value(row.baseline, row.unit)} {row.unit} ({row.baseline_name})"
            if row.baseline is not None
            else ""
        ),
        "ratio": f"{ratio:,.1f}×" if ratio is not None else "",
        "target": (
            f"{'≥' if row.higher_is_better else '≤'} {format_value(row.target, row.unit)} {row.unit}"
            if row.target is not None
            else ""
        ),
        "met": {True: "yes", False: "NO", None: ""}[row.met],
        "note": row.note,
    }


COLUMNS = ("section", "figure", "value", "baseline", "ratio", "target", "met", "note")


def print_table(rows: list[Row]) -> None:
    cells = [format_row(r) for r in rows]
    widths = {c: max([len(c)] + [len(x[c]) for x in cells]) for c in COLUMNS}
    print("  ".join(c.ljust(widths[c]) for c in COLUMNS))
    print("  ".join("-" * widths[c] for c in COLUMNS))
    for x in cells:
        print("  ".join(x[c].ljust(widths[c]) for c in COLUMNS))


def _git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not figures")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(MODULES)}")
    parser.add_argument("--save", type=Path, help="write the rows and the machine to this JSON file")
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one CPU")
    args = parser.parse_args(argv)

    chosen = [m.strip() for m in args.only.split(",") if m.strip()] or list(MODULES)
    unknown = [m for m in chosen if m not in MODULES]
    if unknown:
        parser.error(f"--only: unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # children inherit it

    machine = describe()
    cores = "1 core" if not args.all_cores else f"{machine['cores']} cores"
    print(
        f"machine: {machine['cpu']}, {cores} used of {machine['cores']}, {machine['memory_gib']} GiB, "
        f"Python {machine['python']}, Node {machine['node']}, keccak {machine['keccak_backend']}",
        flush=True,
    )
    rows: list[Row] = []
    started = time.perf_counter()
    for name in chosen:
        print(f"\n== {name} ==", flush=True)
        t = time.perf_counter()
        module_rows = importlib.import_module(MODULES[name]).run(quick=args.quick)
        print(f"   ({len(module_rows)} figures in {time.perf_counter() - t:.0f} s)", flush=True)
        rows.extend(module_rows)
    print()
    print_table(rows)
    missed = [r for r in rows if r.met is False]
    print(
        f"\n{len(rows)} figures in {time.perf_counter() - started:.0f} s; "
        f"targets met: {sum(r.met is True for r in rows)}, missed: {len(missed)}"
    )
    if args.save:
        payload = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "commit": _git_commit(),
            "quick": args.quick,
            "cores_used": 1 if not args.all_cores else machine["cores"],
            "machine": machine,
            "rows": [asdict(r) for r in rows],
        }
        args.save.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
        print(f"saved to {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
