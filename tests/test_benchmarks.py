"""The benchmark plumbing: ratios, targets, percentiles, and the README table being a real run."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import numpy
import pytest

from benchmarks.common import Row, percentile
from benchmarks.report import END, README, RESULTS, START, render, replace_section


def test_ratio_is_how_many_times_better_in_the_rows_direction():
    faster = Row("t", "tree", value=2.0, unit="s", baseline=120.0, baseline_name="OZ", target=2.0)
    assert faster.ratio == 60.0 and faster.met is True
    rate = Row(
        "k",
        "keccak",
        value=1e6,
        unit="hashes/s",
        baseline=4e6,
        baseline_name="native",
        target=2e6,
        higher_is_better=True,
    )
    assert rate.ratio == 0.25 and rate.met is False
    assert Row("x", "y", value=1.0, unit="s").ratio is None
    assert Row("x", "y", value=1.0, unit="s").met is None


def test_percentile_matches_numpy():
    rng = random.Random(8)
    for n in (1, 2, 5, 100, 1001):
        samples = [rng.expovariate(1.0) for _ in range(n)]
        for p in (0, 1, 50, 90, 99, 99.9, 100):
            assert percentile(samples, p) == pytest.approx(float(numpy.percentile(samples, p)), rel=1e-12)
    with pytest.raises(ValueError):
        percentile([], 50)


def test_readme_performance_table_is_the_committed_run():
    results = json.loads(RESULTS.read_text())
    readme = README.read_text()
    assert START in readme and END in readme
    section = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert section == render(results), "README table is stale: run python -m benchmarks.report --update-readme"
    assert not results["quick"], "the README must show a full run, not --quick sizes"
    figures = {r["figure"] for r in results["rows"]}
    assert len(figures) == len(results["rows"]), "every figure appears once"


def test_replace_section_keeps_the_rest_and_refuses_missing_markers():
    text = f"intro\n{START}\nold\n{END}\noutro\n"
    assert replace_section(text, "new") == f"intro\n{START}\nnew\n{END}\noutro\n"
    with pytest.raises(ValueError, match="markers"):
        replace_section("no markers here", "new")


def test_runner_names_an_unknown_benchmark():
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--only", "tree,warp"],
        capture_output=True,
        text=True,
        cwd=README.parent,
        check=False,
    )
    assert out.returncode == 2
    assert "unknown benchmark(s) warp" in out.stderr
