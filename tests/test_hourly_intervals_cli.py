"""`zcl batch intervals` as an energy manager runs it before signing: a generated month of 15-minute
grid readings (with a gap) and a monthly PV total, checked with and without the source register, as
JSON for scripts and as a table in English and Chinese; an overlap is named by its records and exits 1."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
ZCL = str(Path(sys.executable).with_name("zcl"))
CN = timezone(timedelta(hours=8))
GRID, PV = "meter-3205-10K-0457", "pv-roof-2MWp"


def zcl(*args: str, cwd: Path, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([ZCL, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})  # fmt: skip
    assert result.returncode == code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _batch(extra: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """February 2025 (672 hours): the grid meter every 15 minutes at 10.25 kWh, but none on
    2025-02-10 from 14:00 to 15:30 (6 readings); the PV meter's monthly total."""
    start = datetime(2025, 2, 1, tzinfo=CN)
    gap = {start + timedelta(days=9, hours=14, minutes=15 * q) for q in range(6)}
    records = [
        {"source_id": GRID, "kind": "grid_electricity", "value": "10.25", "unit": "kWh",
         "interval_start": t.isoformat(), "interval_end": (t + timedelta(minutes=15)).isoformat(), "evidence": []}
        for t in (start + timedelta(minutes=15 * i) for i in range(28 * 96)) if t not in gap
    ]  # fmt: skip
    records.append({"source_id": PV, "kind": "onsite_renewable_self_consumed", "value": "98000", "unit": "kWh",
                    "interval_start": start.isoformat(), "interval_end": "2025-03-01T00:00:00+08:00", "evidence": []})  # fmt: skip
    return {"factory_id": "CN-JS-SZ-0001", "period": "2025-02", "revision": 1, "records": records + list(extra)}


def test_a_batch_checked_as_json_and_as_tables_in_both_languages(tmp_path: Path) -> None:
    (tmp_path / "batch.json").write_text(json.dumps(_batch()), encoding="utf-8")
    (tmp_path / "register.json").write_text(json.dumps({"source_register": {"version": 1, "sources": {
        GRID: {"method": "metered", "meter": "M-1", "declared_at": "2025-01-05T00:00:00Z", "version": 1},
        PV: {"method": "load-profile", "profile": "cn-industrial-two-shift"}}}}), encoding="utf-8")  # fmt: skip

    bare = json.loads(zcl("batch", "intervals", "batch.json", "--json", cwd=tmp_path, code=1).stdout)
    pv = next(s for s in bare["sources"] if s["source_id"] == PV)
    assert pv["method"] == "undeclared" and [e["problem"] for e in pv["errors"]] == ["needs-load-profile"]

    report = json.loads(zcl("batch", "intervals", "batch.json", "--register", "register.json", "--json",
                            cwd=tmp_path).stdout)  # fmt: skip
    assert report["ok"] and report["month"]["hours"] == 672
    grid, pv = report["sources"]
    assert (grid["source_id"], grid["resolution"], grid["records"], grid["method"]) == (
        GRID,
        900,
        28 * 96 - 6,
        "metered",
    )
    assert grid["gaps"] == [{"start": "2025-02-10T14:00:00+08:00", "end": "2025-02-10T15:30:00+08:00"}]
    assert grid["hours_covered"] == "670.5" and grid["total_kwh"] == str(Decimal("10.25") * (28 * 96 - 6))
    assert (pv["resolution"], pv["hourly"], pv["profile"]) == ("monthly", "load-profile",
                                                              "load-profiles@1/cn-industrial-two-shift")  # fmt: skip

    table = zcl("batch", "intervals", "batch.json", "--register", "register.json", cwd=tmp_path).stdout
    header = next(line for line in table.splitlines() if line.startswith("source"))
    assert header.split()[:4] == ["source", "kind", "method", "resolution"]
    row = next(line for line in table.splitlines() if line.startswith(GRID))
    assert "15 min" in row and "670.5" in row and "27,490.5" in row and row.endswith("yes")
    assert f"gap       {GRID} 2025-02-10T14:00:00+08:00 .. 2025-02-10T15:30:00+08:00" in table
    assert table.splitlines()[-1] == "ok: hourly matching can read every source"

    zh = zcl("batch", "intervals", "batch.json", "--register", "register.json", "--lang", "zh-CN", cwd=tmp_path).stdout
    assert "读数间隔" in zh and "15 分钟" in zh and "按 load-profiles@1/cn-industrial-two-shift 分摊" in zh
    assert f"缺失      {GRID} 2025-02-10T14:00:00+08:00 .. 2025-02-10T15:30:00+08:00" in zh
    assert zh.splitlines()[-1] == "通过：逐时匹配可以读取每个来源"


def test_an_overlap_is_named_by_its_records_in_both_languages(tmp_path: Path) -> None:
    """A half-hour reading 2025-02-01T00:00..00:30 sent beside the quarter-hours records[0] and [1]."""
    extra = [{"source_id": GRID, "kind": "grid_electricity", "value": "20.5", "unit": "kWh",
              "interval_start": "2025-02-01T00:00:00+08:00", "interval_end": "2025-02-01T00:30:00+08:00",
              "evidence": []}]  # fmt: skip
    batch = _batch(extra)
    last = len(batch["records"]) - 1
    (tmp_path / "batch.json").write_text(json.dumps(batch), encoding="utf-8")
    report = json.loads(zcl("batch", "intervals", "batch.json", "--json", cwd=tmp_path, code=1).stdout)
    grid = report["sources"][0]
    assert [(e["problem"], e["records"]) for e in grid["errors"]] == [("overlap", [0, last]), ("overlap", [last, 1])]
    en = zcl("batch", "intervals", "batch.json", cwd=tmp_path, code=1).stdout
    assert f"error     {GRID}: records[0] and records[{last}] overlap: they count the same time twice" in en
    zh = zcl("batch", "intervals", "batch.json", "--lang", "zh-CN", cwd=tmp_path, code=1).stdout
    assert f"错误      {GRID}：records[0] 与 records[{last}] 重叠：同一时段被计算了两次" in zh
    assert "处错误：逐时匹配无法按现状读取此批次" in zh.splitlines()[-1]
