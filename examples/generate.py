"""How the example year was made: 2025-02 … 2025-12 of the Suzhou factory, with evidence files,
and the claims that cover its year. Run from the project root: `.venv/bin/python examples/generate.py`.
January (examples/2025-01) was written by hand and is left as it is.

Every evidence file agrees with its record: bill readings × multiplier give the metered kWh, PV
daily rows add up to the month, steam weekly rows to the month's tonnes. December's office meter is
chosen so the year's grid electricity is a whole number of MWh, which whole certificates can cover
exactly (claiming more than was consumed is double counting).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import struct
import zlib
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent
FACTORY = "CN-JS-SZ-0001"
MAIN = ["1286420.4", "1012876.8", "1352210.6", "1338904.2", "1371552.0", "1402318.8", "1498730.6", "1512044.8",
        "1394406.2", "1360988.4", "1349871.6", "1331298.0"]  # fmt: skip  # kWh, multiples of 0.2 (×2000 readings)
OFFICE = ["38216.0", "31480.5", "36902.0", "34118.4", "35990.2", "41876.9", "47215.3", "48330.0", "40114.6",
          "35402.8", "36250.1", None]  # fmt: skip  # December is computed
PV = ["131624.0", "148302.5", "196440.2", "228916.0", "254330.8", "241018.6", "268774.1", "262209.3", "221478.0",
      "198336.7", "152087.4", "128990.5"]  # fmt: skip
GAS = ["18652.0", "16230.0", "15804.0", "12450.0", "10928.0", "9870.0", "9612.0", "9540.0", "10310.0", "12880.0",
       "15420.0", "18110.0"]  # fmt: skip
STEAM = ["426.8", "352.1", "410.5", "398.2", "402.9", "415.6", "421.0", "418.3", "409.7", "404.4", "412.8", "430.2"]
OUTPUT = ["1842.35", "1420.10", "1965.40", "1988.75", "2012.60", "2040.15", "2095.80", "2101.25", "2018.90",
          "1996.30", "1985.45", "1950.70"]  # fmt: skip
MAIN_START_READING = Decimal("41826.5130")
GEC_PROJECT = "11320520230900017"


def pdf(path: Path, lines: list[str]) -> None:
    """A small valid one-page PDF (Helvetica text) with a correct xref table."""
    escaped = (ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for ln in lines)
    text = "BT /F1 10 Tf 50 790 Td 14 TL " + " ".join(f"({ln}) Tj T*" for ln in escaped) + " ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("latin-1") + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))


def png(path: Path, seed: int) -> None:
    """A small 'meter photo' PNG, a different pattern each month."""
    w, h = 96, 48

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        if not (8 <= y < 40 and 8 <= x < 88):
            return (230, 230, 220)
        return (30, 30, 30) if (x // 10 + y // 8 + seed) % 2 else (60, 200, 90)

    raw = b"".join(b"\x00" + bytes(v for x in range(w) for v in pixel(x, y)) for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    )


def ref(directory: Path, name: str, media: str) -> dict[str, str]:
    digest = hashlib.sha256((directory / name).read_bytes()).hexdigest()
    return {"sha256": digest, "file_name": name, "media_type": media}


def month(m: int, reading: Decimal, office: str) -> Decimal:
    period = f"2025-{m:02d}"
    days = calendar.monthrange(2025, m)[1]
    directory = ROOT / period
    evidence = directory / "evidence"
    evidence.mkdir(parents=True, exist_ok=True)
    main = Decimal(MAIN[m - 1])
    end_reading = reading + main / 2000
    nxt = "2026-01-01" if m == 12 else f"2025-{m + 1:02d}-01"
    pdf(evidence / f"state-grid-bill-{period}.pdf", [
        "State Grid Jiangsu Electric Power Co., Ltd. - Suzhou Power Supply Company",
        "Electricity bill / Guo Wang Jiangsu dian fei zhang dan",
        "Account: 3205 0871 2264   Customer: Suzhou Precision Components Co., Ltd.",
        f"Billing period: {period}-01 to {period}-{days:02d}   Supply: 10 kV, two-part tariff",
        "Meter 3205-10K-0457 (main incoming)   Multiplier: 2000",
        f"  Reading {period}-01 00:00: {reading:,.4f}   Reading {nxt} 00:00: {end_reading:,.4f}",
        f"  Active energy: {main:,.1f} kWh",
        f"Meter 3205-04K-1190 (office building, 0.4 kV): {Decimal(office):,.1f} kWh",
    ])  # fmt: skip
    pdf(evidence / f"gas-bill-{period}.pdf", [
        "Suzhou Towngas Co., Ltd. - Industrial natural gas statement",
        "Customer: Suzhou Precision Components Co., Ltd.   Account: SZG-IND-55821",
        f"Billing period: {period}-01 to {period}-{days:02d}",
        "Meter G-0091 (flow corrected to standard conditions, 0 C / 101.325 kPa)",
        f"  Volume: {Decimal(GAS[m - 1]):,.1f} Nm3",
    ])  # fmt: skip
    png(evidence / f"grid-meter-photo-{period}-{days:02d}.png", m)
    pv_total = Decimal(PV[m - 1])
    daily = [(pv_total / days).quantize(Decimal("0.1"))] * (days - 1)
    daily.append(pv_total - sum(daily))
    (evidence / f"pv-inverter-export-{period}.csv").write_text(
        "date,self_consumed_kwh\n" + "".join(f"{period}-{d + 1:02d},{v}\n" for d, v in enumerate(daily))
    )
    steam = Decimal(STEAM[m - 1])
    weeks = [(steam / 4).quantize(Decimal("0.1"))] * 3
    weeks.append(steam - sum(weeks))
    (evidence / f"steam-statement-{period}.csv").write_text(
        f"supplier,Suzhou Industrial Park Thermal Power Co.\nperiod,{period}\nmeter,ST-2210 (1.0 MPa saturated)\n"
        "week,tonnes\n" + "".join(f"{i + 1},{w}\n" for i, w in enumerate(weeks)) + f"total,{steam}\n"
    )
    (evidence / f"production-report-{period}.csv").write_text(f"line,output_t\nall lines,{OUTPUT[m - 1]}\n")
    interval = {"interval_start": f"{period}-01T00:00:00+08:00", "interval_end": f"{nxt}T00:00:00+08:00"}
    bill = ref(evidence, f"state-grid-bill-{period}.pdf", "application/pdf")
    batch = {
        "factory_id": FACTORY, "period": period, "revision": 1, "uri": "",
        "records": [
            {"source_id": "meter-3205-10K-0457", "kind": "grid_electricity", "value": MAIN[m - 1], "unit": "kWh",
             **interval, "evidence": [bill, ref(evidence, f"grid-meter-photo-{period}-{days:02d}.png", "image/png")]},
            {"source_id": "meter-3205-04K-1190", "kind": "grid_electricity", "value": office, "unit": "kWh",
             **interval, "evidence": [bill]},
            {"source_id": "pv-roof-2MWp", "kind": "onsite_renewable_self_consumed", "value": PV[m - 1], "unit": "kWh",
             **interval, "evidence": [ref(evidence, f"pv-inverter-export-{period}.csv", "text/csv")]},
            {"source_id": "meter-gas-G-0091", "kind": "natural_gas", "value": GAS[m - 1], "unit": "Nm3", **interval,
             "evidence": [ref(evidence, f"gas-bill-{period}.pdf", "application/pdf")]},
            {"source_id": "meter-steam-ST-2210", "kind": "purchased_steam", "value": STEAM[m - 1], "unit": "t",
             **interval, "evidence": [ref(evidence, f"steam-statement-{period}.csv", "text/csv")]},
            {"source_id": "production-lines", "kind": "production_output", "value": OUTPUT[m - 1], "unit": "t",
             **interval, "evidence": [ref(evidence, f"production-report-{period}.csv", "text/csv")]},
        ],
    }  # fmt: skip
    (directory / "batch.json").write_text(json.dumps(batch, indent=2, ensure_ascii=False) + "\n")
    return end_reading


def claims(grid_mwh: int) -> None:
    """The year's three retirement statements and the claims citing them: January's 800 GEC, June's
    GECs for February..December (the rest of the year's grid use) and 1,900 CCER offsets."""
    out = ROOT / "claims"
    gec(out, "gec-cancellation-statement-2025.pdf", "gec-2025-01.json", month="202501", first=4001, units=800,
        consumption=("2025-01", "2025-01"), cancellation=("GEC-ZX-2025-1218-000431", "2025-12-18"))  # fmt: skip
    gec(out, "gec-cancellation-statement-2025-02-12.pdf", "gec-2025-02-12.json", month="202506", first=1,
        units=grid_mwh - 800, consumption=("2025-02", "2025-12"),
        cancellation=("GEC-ZX-2025-1219-000502", "2025-12-19"))  # fmt: skip
    pdf(out / "ccer-cancellation-statement-2025.pdf", [
        "National Climate Strategy Centre - CCER registry - cancellation certificate",
        f"Account holder: Suzhou Precision Components Co., Ltd. ({FACTORY})",
        "Project: CCER-14-2024-0031  Fujian coastal afforestation carbon sink   Vintage: 2024",
        "Methodology: CCER-14-001-V01 (afforestation carbon sink)   Location: Fujian, China",
        "Units: 1..1900 of issuance CCER-14-2024-0031-V2024-B03   Quantity: 1,900 tCO2e",
        "Purpose: neutralising residual 2025 emissions (T/CECA-G 0171-2022)",
        "Cancellation number: CCER-ZX-2025-00173   Cancelled: 2025-12-20",
    ])  # fmt: skip
    ccer = {
        "factory_id": FACTORY, "registry": "CCER", "block_id": "CCER-14-2024-0031-V2024-B03",
        "serial_start": "1", "serial_end": "1900", "project_id": "CCER-14-2024-0031",
        "technology": "afforestation carbon sink", "quantity": "1900", "unit": "tCO2e",
        "generation_start": "2024-01", "generation_end": "2024-12",
        "consumption_start": "2025-01", "consumption_end": "2025-12",
        "purpose": "neutralising residual 2025 emissions (T/CECA-G 0171-2022)",
        "evidence_sha256": hashlib.sha256((out / "ccer-cancellation-statement-2025.pdf").read_bytes()).hexdigest(),
        "country": "CN", "region": "CN-FJ", "methodology": "CCER-14-001-V01",
        "cancellation_number": "CCER-ZX-2025-00173", "cancellation_date": "2025-12-20", "bundled_with": "",
    }  # fmt: skip
    (out / "ccer-2025.json").write_text(json.dumps(ccer, indent=2, ensure_ascii=False) + "\n")


def gec(
    out: Path, statement: str, name: str, *, month: str, first: int, units: int,
    consumption: tuple[str, str], cancellation: tuple[str, str],
) -> None:  # fmt: skip
    """One GEC retirement statement (a PDF) and the claim that cites it."""
    start, end = f"{GEC_PROJECT}{month}{first:07d}11", f"{GEC_PROJECT}{month}{first + units - 1:07d}11"
    produced, (number, date) = f"{month[:4]}-{month[4:]}", cancellation
    span = consumption[0] if consumption[0] == consumption[1] else f"{consumption[0]}..{consumption[1]}"
    pdf(out / statement, [
        "China Green Electricity Certificate Trading Platform - certificate cancellation (retirement) statement",
        f"Beneficiary: Suzhou Precision Components Co., Ltd. ({FACTORY})",
        f"Project: {GEC_PROJECT}  Yancheng offshore wind farm phase II (Jiangsu, China)  Technology: offshore wind",
        f"Certificates: {start} .. {end}",
        f"Quantity: {units} GEC = {units} MWh   Production month: {produced}",
        f"Purpose: renewable electricity consumption claim for {span} (Scope 2, market-based)",
        f"Cancellation number: {number}   Cancelled: {date}",
    ])  # fmt: skip
    claim = {
        "factory_id": FACTORY, "registry": "GEC", "serial": f"{start}..{end}", "project_id": GEC_PROJECT,
        "technology": "offshore wind", "quantity": str(units), "unit": "MWh",
        "generation_start": produced, "generation_end": produced,
        "consumption_start": consumption[0], "consumption_end": consumption[1],
        "purpose": f"renewable electricity consumption claim, Scope 2 market-based, {span}",
        "evidence_sha256": hashlib.sha256((out / statement).read_bytes()).hexdigest(),
        "country": "CN", "region": "CN-JS", "methodology": "", "cancellation_number": number,
        "cancellation_date": date, "bundled_with": "",
    }  # fmt: skip
    (out / name).write_text(json.dumps(claim, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    total = sum(Decimal(x) for x in MAIN) + sum(Decimal(x) for x in OFFICE[:-1])
    december_target = Decimal("38000")  # about the office's usual month
    grid_kwh = total + december_target
    whole_mwh = int(grid_kwh / 1000) + 1
    OFFICE[-1] = str(december_target + Decimal(whole_mwh * 1000) - grid_kwh)
    reading = MAIN_START_READING + Decimal(MAIN[0]) / 2000
    for m in range(2, 13):
        reading = month(m, reading, OFFICE[m - 1])  # type: ignore[arg-type]
    claims(whole_mwh)
    print(f"grid electricity 2025: {whole_mwh} MWh; December office meter {OFFICE[-1]} kWh")


if __name__ == "__main__":
    main()
