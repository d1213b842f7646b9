"""How the example factory's hourly year was made (issue 17, hourly 24/7 matching). Run from the
project root: `.venv/bin/python examples/hourly/generate.py`. Seeded: running it again writes the
same bytes (tests/test_hourly_example.py checks this).

What it writes, for the Suzhou factory CN-JS-SZ-0001 of examples/2025-*/batch.json:

- ``2025-MM/ems-15min-2025-MM.csv``: the main grid meter (meter-3205-10K-0457) every quarter hour,
  as the EMS export of ``examples/import-templates/ems-15min`` writes it (UTF-8 with BOM, ``时间`` =
  the end of the quarter hour); mapping ``ems-15min.toml``.
- ``2025-MM/pv-hourly-2025-MM.csv``: the rooftop PV (pv-roof-2MWp) hour by hour, as its monitoring
  platform's hourly report (``时间`` = the start of the hour); mapping ``pv-hourly.toml``.
- ``generator/GEN-JS-OW-0017-2025-01.json`` and ``-2025-06.json``: the hourly plant-meter output of
  the offshore wind project whose GECs the factory claims (examples/claims/), as batches of the
  generator's own site (records of kind ``renewable_generation``).

Each month's readings add up *exactly* to the monthly value in ``examples/2025-MM/batch.json``: the
shape gives weights, the total is split by largest remainder in the readings' last decimal (0.1 kWh).
The shapes: a two-shift factory (day shift 08:00-20:00, a lower night shift, Saturday day shift only,
Sundays and public holidays idle, the 2025 Spring Festival shutdown 28 Jan - 4 Feb with a wind-down
and a ramp-up), the PV's sun by month for Suzhou (sunrise and sunset from the solar geometry) with
clear, broken and overcast days (more of them in the plum-rain season), the wind farm's output from a
power curve over a synoptic wind series (fronts passing every few days, calm spells).
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import math
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from ledger.hourly.spread import largest_remainder

ROOT = Path(__file__).resolve().parent
EXAMPLES = ROOT.parent
FACTORY = "CN-JS-SZ-0001"
YEAR = 2025
MAIN = "meter-3205-10K-0457"
PV = "pv-roof-2MWp"
MAIN_COLUMN = "1#进线总表有功电量(kWh)"
PV_COLUMN = "发电量(kWh)"
GENERATOR = "GEN-JS-OW-0017"
PROJECT = "11320520230900017"
GENERATION_SOURCE = f"GEC:{PROJECT}:plant-meter"
GENERATION_MONTHS = ("2025-01", "2025-06")
"""The generation months of the example's GEC claims (gec-2025-01.json, gec-2025-02-12.json)."""
SEED = 17_2025
LATITUDE, LONGITUDE = 31.30, 120.62  # Suzhou Industrial Park
PV_PEAK_KW = 2000.0
PV_AC_KW = 1760.0  # the inverters' AC rating: output above it is clipped
WIND_MW = 300.0
WIND_MEAN = {"2025-01": 9.2, "2025-06": 7.0}
"""Mean hub-height wind speed (m/s) off Yancheng: the winter monsoon is strong, early summer light."""
CUT_IN, RATED, CUT_OUT = 3.0, 12.0, 25.0
PLANT_LOSSES = 0.92  # wake and electrical losses to the plant's export meter
TENTH = Decimal("0.1")

# 2025 public holidays and the working weekend days that make up for them (国务院办公厅 2025 holiday
# notice): the factory follows them. The Spring Festival shutdown is the holiday 28 Jan - 4 Feb.
HOLIDAYS = {date(2025, 1, 1), *(date(2025, 1, 28) + timedelta(d) for d in range(8)),
            date(2025, 4, 4), date(2025, 4, 5), date(2025, 4, 6), *(date(2025, 5, 1) + timedelta(d) for d in range(5)),
            date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 2), *(date(2025, 10, 1) + timedelta(d) for d in range(8))}  # fmt: skip
WORKING_WEEKEND = {date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)}
RAMP = {date(2025, 1, 27): 0.45, date(2025, 2, 5): 0.5, date(2025, 2, 6): 0.75, date(2025, 2, 7): 0.9}
"""Production level around the Spring Festival: the last day winds down, workers return over three days."""


def monthly_value(period: str, source_id: str) -> Decimal:
    """The source's value in ``examples/<period>/batch.json`` (revision 1, one record a month)."""
    batch = json.loads((EXAMPLES / period / "batch.json").read_text(encoding="utf-8"))
    [value] = [r["value"] for r in batch["records"] if r["source_id"] == source_id]
    return Decimal(value)


def spread(total: Decimal, weights: list[float]) -> list[Decimal]:
    """``total`` (a decimal with at most one place) in tenths of a kWh, shaped by ``weights`` (kW, as
    whole W): largest remainder, as the ledger spreads a total over hours (ties to the earlier part)."""
    tenths = int(total / TENTH)
    if Decimal(tenths) * TENTH != total:
        raise ValueError(f"{total} has more than one decimal place")
    parts = largest_remainder(tenths, np.array([round(w * 1000) for w in weights], dtype=np.int64))
    return [Decimal(int(n)) * TENTH for n in parts]


def days(period: str) -> list[date]:
    y, m = map(int, period.split("-"))
    return [date(y, m, d) for d in range(1, calendar.monthrange(y, m)[1] + 1)]


def production_level(day: date) -> tuple[float, float]:
    """(day shift, night shift) production level of ``day``: 1 is the day shift of a working day."""
    if day in RAMP:
        return RAMP[day], RAMP[day] * 0.5
    if day in HOLIDAYS:
        return 0.0, 0.0
    weekday = day.weekday()
    if weekday < 5 or day in WORKING_WEEKEND:
        return 1.0, 0.62
    return (0.85, 0.0) if weekday == 5 else (0.0, 0.0)


def demand(day: date, rng: random.Random) -> list[float]:
    """The factory's demand (relative, ≈ kW / 3,200) in each quarter hour of ``day``: base load
    (compressed air, servers, cold rooms, security lighting), production by shift with dips at the
    shift changes and meals, and cooling in summer afternoons or heating in winter working hours."""
    day_shift, night_shift = production_level(day)
    # the night shift that starts this evening runs into tomorrow morning; this morning's hours
    # belong to yesterday's night shift
    morning_shift = production_level(day - timedelta(1))[1]
    swing = 1 + rng.uniform(-0.04, 0.04)  # orders, machines down for maintenance
    out = []
    for q in range(96):
        hour = q / 4
        if hour < 8:
            level = morning_shift
        elif hour < 20:
            level = day_shift
        else:
            level = night_shift
        if 7.75 <= hour < 8.25 or 19.75 <= hour < 20.25:
            level *= 0.6  # shift change
        elif 11.5 <= hour < 12.5 or 0 <= hour < 0.5:
            level *= 0.85  # meal breaks, the lines run on with fewer hands
        comfort = 0.0
        if day.month in (6, 7, 8, 9) and 10 <= hour < 18:
            comfort = 0.10 * math.sin(math.pi * (hour - 10) / 8) * (1.0 if level else 0.4)
        elif day.month in (12, 1, 2) and 8 <= hour < 18 and level:
            comfort = 0.04
        noise = 1 + rng.uniform(-0.05, 0.05)
        out.append((0.14 + 0.80 * level * swing + comfort) * noise)
    return out


def cos_zenith(moment: datetime) -> float:
    """Cosine of the sun's zenith angle over Suzhou at local (UTC+8) time ``moment`` (Spencer 1971
    for declination and the equation of time); 0 below the horizon."""
    n = moment.timetuple().tm_yday
    g = 2 * math.pi * (n - 1) / 365
    decl = (0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g) - 0.006758 * math.cos(2 * g)
            + 0.000907 * math.sin(2 * g) - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g))  # fmt: skip
    eot = 229.18 * (0.000075 + 0.001868 * math.cos(g) - 0.032077 * math.sin(g) - 0.014615 * math.cos(2 * g)
                    - 0.040849 * math.sin(2 * g))  # fmt: skip  # minutes
    solar_minutes = moment.hour * 60 + moment.minute + moment.second / 60 + eot + 4 * (LONGITUDE - 120)
    angle = math.radians(solar_minutes / 4 - 180)
    lat = math.radians(LATITUDE)
    return max(0.0, math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * math.cos(angle))


def sky(day: date, rng: random.Random) -> tuple[float, float]:
    """(clearness, variability) of ``day``: clear, broken cloud or overcast, overcast more often in the
    plum-rain season (mid-June to mid-July) and in winter."""
    overcast = 0.45 if (day.month, day.day) >= (6, 10) and (day.month, day.day) <= (7, 15) else 0.22
    overcast += 0.08 if day.month in (1, 2, 12) else 0.0
    draw = rng.random()
    if draw < overcast:
        return rng.uniform(0.08, 0.3), 0.1
    if draw < overcast + 0.35:
        return rng.uniform(0.45, 0.8), 0.3
    return rng.uniform(0.85, 1.0), 0.04


def pv_potential(day: date, rng: random.Random) -> list[float]:
    """The PV's output (kW) in each quarter hour of ``day``: clear-sky irradiance (Meinel's air-mass
    attenuation) at the quarter hour's middle, times the day's clearness and passing clouds."""
    clearness, variability = sky(day, rng)
    out = []
    for q in range(96):
        mu = cos_zenith(datetime(day.year, day.month, day.day) + timedelta(minutes=15 * q + 7.5))
        if mu < 0.02:
            out.append(0.0)
            continue
        irradiance = 1.353 * 0.7 ** ((1 / mu) ** 0.678) * mu  # kW/m²
        cloud = min(1.0, max(0.02, clearness * (1 + rng.uniform(-variability, variability))))
        out.append(PV_PEAK_KW * 0.82 * irradiance * cloud)
    return out


def factory_month(period: str, rng: random.Random) -> tuple[list[Decimal], list[Decimal]]:
    """The month's main-meter quarter hours and PV hours (kWh, one decimal), adding up exactly to
    the month's records. The PV has an anti-backflow device: it never gives more than the site uses
    (its self-consumption is capped at 95 % of demand, and at the inverters' AC rating), and the
    grid meter reads the rest of demand."""
    main_total, pv_total = monthly_value(period, MAIN), monthly_value(period, PV)
    shape = [x for day in days(period) for x in demand(day, rng)]
    sun = [x for day in days(period) for x in pv_potential(day, rng)]
    kw = float(main_total + pv_total) / (sum(shape) / 4)
    need = [x * kw for x in shape]
    caps = [min(PV_AC_KW, 0.95 * d) for d in need]
    low, high = 0.0, 50.0  # the irradiance scale that yields the month's total under the caps (bisection)
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (
            (mid, high)
            if sum(min(mid * s, c) for s, c in zip(sun, caps, strict=True)) / 4 < float(pv_total)
            else (low, mid)
        )
    pv = [min(low * s, c) for s, c in zip(sun, caps, strict=True)]
    grid = [d - p for d, p in zip(need, pv, strict=True)]
    hourly_pv = [sum(pv[h * 4 : h * 4 + 4]) for h in range(len(pv) // 4)]
    return spread(main_total, grid), spread(pv_total, hourly_pv)


def wind_month(period: str, rng: random.Random) -> list[Decimal]:
    """The wind farm's hourly export (MWh, three decimals): a log-normal wind speed that follows
    passing weather systems (a slow component with a 3-6 day rhythm) and gusts (an hourly AR(1)
    with a day-long memory), through a turbine power curve (cut-in 3 m/s, rated 12 m/s, cut-out
    25 m/s), scaled to the plant's capacity less its wake and electrical losses."""
    hours = len(days(period)) * 24
    systems = [(rng.uniform(60, 150), rng.uniform(0, 2 * math.pi), rng.uniform(0.2, 0.35)) for _ in range(3)]
    gust, out = 0.0, []
    for h in range(hours):
        gust = 0.96 * gust + rng.gauss(0, 0.08)
        synoptic = sum(a * math.sin(2 * math.pi * h / p + phase) for p, phase, a in systems)
        speed = WIND_MEAN[period] * math.exp(synoptic + gust - 0.12)
        if speed < CUT_IN or speed >= CUT_OUT:
            share = 0.0
        elif speed >= RATED:
            share = 1.0
        else:
            share = (speed**3 - CUT_IN**3) / (RATED**3 - CUT_IN**3)
        out.append(Decimal(round(WIND_MW * share * PLANT_LOSSES * 1000)).scaleb(-3))
    return out


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))


def write_factory(out: Path, period: str, main: list[Decimal], pv: list[Decimal]) -> None:
    start = datetime.fromisoformat(f"{period}-01T00:00")
    rows = [["时间", MAIN_COLUMN]]
    rows += [
        [(start + timedelta(minutes=15 * (i + 1))).strftime("%Y-%m-%d %H:%M"), f"{v:,}"] for i, v in enumerate(main)
    ]
    write_csv(out / period / f"ems-15min-{period}.csv", rows, "utf-8-sig")
    rows = [["时间", PV_COLUMN]]
    rows += [[(start + timedelta(hours=i)).strftime("%Y-%m-%d %H:%M"), f"{v}"] for i, v in enumerate(pv)]
    write_csv(out / period / f"pv-hourly-{period}.csv", rows, "utf-8")


def generation_batch(period: str, output: list[Decimal]) -> dict[str, Any]:
    """The generator's batch for ``period``: one ``renewable_generation`` record per hour of its
    plant meter (unsalted, as examples/2025-*/batch.json: ``zcl batch sign`` adds the salts)."""
    start = datetime.fromisoformat(f"{period}-01T00:00:00+08:00")
    records = [
        {"source_id": GENERATION_SOURCE, "kind": "renewable_generation", "value": str(v), "unit": "MWh",
         "interval_start": (start + timedelta(hours=i)).isoformat(),
         "interval_end": (start + timedelta(hours=i + 1)).isoformat(), "evidence": []}
        for i, v in enumerate(output)
    ]  # fmt: skip
    return {"factory_id": GENERATOR, "period": period, "revision": 1, "uri": "", "records": records}


def batch_text(batch: dict[str, Any]) -> str:
    """A batch as JSON with one record per line: valid JSON, a readable diff, a third of the size."""
    head = "".join(
        f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},\n" for k, v in batch.items() if k != "records"
    )
    body = ",\n".join("    " + json.dumps(r, ensure_ascii=False) for r in batch["records"])
    return "{\n" + head + '  "records": [\n' + body + "\n  ]\n}\n"


def main(out: Path = ROOT) -> None:
    """Write every file under ``out`` (this directory, or another to compare with)."""
    rng = random.Random(SEED)
    for m in range(1, 13):
        period = f"{YEAR}-{m:02d}"
        write_factory(out, period, *factory_month(period, rng))
    for period in GENERATION_MONTHS:
        batch = generation_batch(period, wind_month(period, rng))
        path = out / "generator" / f"{GENERATOR}-{period}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(batch_text(batch), encoding="utf-8")
        total = sum(Decimal(r["value"]) for r in batch["records"])
        print(f"{GENERATOR} {period}: {total} MWh")


if __name__ == "__main__":
    main()
