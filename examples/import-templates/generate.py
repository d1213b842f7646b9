"""How the import templates' sample files were made: January 2025 of the example Suzhou factory,
written as each program exports it. Run from the project root:
`.venv/bin/python examples/import-templates/generate.py`.

Every sample imports (with its template's mapping.toml) to the figures of examples/2025-01/batch.json:
the bill's two meters 1286420.4 and 38216.0 kWh, the EMS 15-minute export of the same meters, the
PV counter's 131624.0 kWh, the production sheet's 1842.35 t. The values are made with integer
arithmetic in the file's last decimal place, so they add up exactly.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DAYS = 31
START = datetime(2025, 1, 1)


def spread(total: Decimal, parts: int, places: int, seed: int) -> list[Decimal]:
    """``total`` split into ``parts`` uneven non-negative amounts with ``places`` decimals, summing exactly."""
    unit = Decimal(1).scaleb(-places)
    whole = int(total / unit)
    weights = [1000 + (i * 7919 + seed * 104729) % 700 + (300 if 32 <= i % 96 < 80 else 0) for i in range(parts)]
    amounts = [whole * w // sum(weights) for w in weights]
    amounts[-1] += whole - sum(amounts)
    return [Decimal(a) * unit for a in amounts]


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def state_grid_bill() -> None:
    """国网 monthly bill summary, as the 网上国网 portal's Excel export saved as CSV (GBK)."""
    rows = [["户号", "表号", "计费起始日期", "计费截止日期", "起码", "止码", "倍率",
             "峰(kWh)", "平(kWh)", "谷(kWh)", "用电量(kWh)", "电费(元)"]]  # fmt: skip
    rows.append(["3205001234567", "10K-0457", "2025-01-01", "2025-01-31", "41826.5130", "42469.7232", "2000",
                 "452310.2", "498765.8", "335344.4", "1286420.4", "891245.37"])  # fmt: skip
    rows.append(["3205001234567", "04K-1190", "2025-01-01", "2025-01-31", "12034.6", "12512.3", "80",
                 "15286.4", "14520.1", "8409.5", "38216.0", "26512.86"])  # fmt: skip
    rows.append(["合计", "", "", "", "", "", "", "467596.6", "513285.9", "343753.9", "1324636.4", "917758.23"])
    write_csv(ROOT / "state-grid-bill" / "sample.csv", rows, "gbk")


def ems_15min() -> None:
    """An energy management system's 15-minute export (UTF-8 with BOM), each row labelled by the
    end of its quarter hour: 00:15 is 00:00–00:15, the last row 2025-02-01 00:00."""
    count = DAYS * 96
    main = spread(Decimal("1286420.4"), count, 1, 1)
    office = spread(Decimal("38216.0"), count, 1, 2)
    rows = [["时间", "1#进线总表有功电量(kWh)", "2#办公楼电表有功电量(kWh)"]]
    for i in range(count):
        end = START + timedelta(minutes=15 * (i + 1))
        rows.append([end.strftime("%Y-%m-%d %H:%M"), f"{main[i]:,}", f"{office[i]:,}"])
    write_csv(ROOT / "ems-15min" / "sample.csv", rows, "utf-8-sig")


def pv_inverter() -> None:
    """A PV monitoring platform's daily export: yield per day and the inverter's lifetime counter
    at the end of each day, from 31 December (the month's opening reading) to 31 January."""
    daily = spread(Decimal("131624.0"), DAYS, 1, 3)
    counter = Decimal("1862345.7")
    rows = [["日期", "日发电量(kWh)", "累计发电量(kWh)", "等效利用小时(h)"]]
    rows.append(["2024-12-31", "3652.8", f"{counter}", "1.83"])
    for day in range(DAYS):
        counter += daily[day]
        rows.append([(date(2025, 1, 1) + timedelta(days=day)).isoformat(), f"{daily[day]}", f"{counter}",
                     f"{daily[day] / 2000:.2f}"])  # fmt: skip
    write_csv(ROOT / "pv-inverter" / "sample.csv", rows, "utf-8")


def production_sheet() -> None:
    """The production department's daily sheet (XLSX): a title, then one row per day and line."""
    from openpyxl import Workbook

    lines = {"CNC-A": Decimal("612.40"), "CNC-B": Decimal("588.15"), "STAMP-1": Decimal("641.80")}
    daily = {name: spread(total, DAYS, 2, seed) for seed, (name, total) in enumerate(lines.items(), 4)}
    book = Workbook()
    sheet = book.active
    sheet.title = "产量"
    sheet.append(["苏州精密部件有限公司 2025年1月 产量日报表"])
    sheet.append([])
    sheet.append(["日期", "CNC-A产量(吨)", "CNC-B产量(吨)", "STAMP-1产量(吨)", "合计(吨)", "备注"])
    for day in range(DAYS):
        values = [daily[name][day] for name in lines]
        sheet.append([datetime(2025, 1, 1) + timedelta(days=day), *map(float, values), float(sum(values)),
                      "春节停产" if day >= 27 else None])  # fmt: skip
    sheet.append(["合计", *(float(t) for t in lines.values()), float(sum(lines.values()))])
    for row in sheet.iter_rows(min_row=4):
        row[0].number_format = "yyyy-mm-dd"
        for cell in row[1:5]:
            cell.number_format = "#,##0.00"
    book.properties.created = book.properties.modified = datetime(2025, 2, 3, 9, 0)
    book.save(ROOT / "production-sheet" / "sample.xlsx")


if __name__ == "__main__":
    for make in (state_grid_bill, ems_15min, pv_inverter, production_sheet):
        make()
