"""The example year's revision-2 batches for hourly matching, and the wind farm's generation batches.

Revision 1 (examples/2025-MM/batch.json) holds one record a month per source. Revision 2 of each month
holds the same records, except that the main grid meter becomes its 2,976-odd quarter hours (the EMS
export, imported with ``ems-15min.toml``) and the rooftop PV its hours (``pv-hourly.toml``): the same
monthly totals, so the annual evaluation does not change (tests/test_hourly_example.py checks it
through ledger.accounting), while hourly matching can now see each hour. The office meter
(meter-3205-04K-1190) stays a monthly record; ``source-register.json`` declares it ``load-profile``.

The records are made by the import path a factory uses (:func:`ledger.imports.import_file`), so the
import is tested by the example too. Batches come out unsalted, as the revision-1 files are:
``zcl batch sign`` adds the salts; :func:`salted` does for tests.

Write them with their evidence for ``zcl batch sign`` / ``zcl batch submit --evidence-dir``:
``.venv/bin/python examples/hourly/batches.py data/hourly`` → ``data/hourly/2025-MM/batch.json`` and
``evidence/`` (the bill, the photo, the statements, and the two interval exports).
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ledger.imports import import_file, load_mapping_text
from ledger.records import new_salt

ROOT = Path(__file__).resolve().parent
EXAMPLES = ROOT.parent
FACTORY = "CN-JS-SZ-0001"
MONTHS = tuple(f"2025-{m:02d}" for m in range(1, 13))
INTERVAL_SOURCES = {"meter-3205-10K-0457": "ems-15min", "pv-roof-2MWp": "pv-hourly"}
"""Each source that becomes interval records in revision 2, and the export (and mapping) it comes from."""
REGISTER = ROOT / "source-register.json"
"""The factory's source register: the body of ``PATCH /factories/CN-JS-SZ-0001/profile``."""
GENERATOR = "GEN-JS-OW-0017"
GENERATION_MONTHS = ("2025-01", "2025-06")


def export(period: str, name: str) -> Path:
    """The interval export ``name`` (``ems-15min`` or ``pv-hourly``) of ``period``."""
    return ROOT / period / f"{name}-{period}.csv"


def interval_records(period: str, name: str) -> list[dict[str, Any]]:
    """The records the export ``name`` of ``period`` imports to with its mapping (``<name>.toml``);
    every problem the import finds is an error here: the example must import clean."""
    mapping = load_mapping_text((ROOT / f"{name}.toml").read_text(encoding="utf-8"))
    path = export(period, name)
    result = import_file(path.read_bytes(), path.name, mapping, period=period)
    if not result.ok:
        raise ValueError(f"{path}: " + "; ".join(str(issue.to_json()) for issue in result.issues[:3]))
    return result.records


def revision_one(period: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / period / "batch.json").read_text(encoding="utf-8"))
    return data


def revision_two(period: str) -> dict[str, Any]:
    """Revision 1 of ``period`` with each interval source's monthly record replaced, where it stood,
    by the source's interval records; every other record as it was."""
    batch = revision_one(period)
    records: list[dict[str, Any]] = []
    for record in batch["records"]:
        name = INTERVAL_SOURCES.get(record["source_id"])
        records += [record] if name is None else interval_records(period, name)
    return batch | {"revision": 2, "records": records}


def generation_batch(period: str) -> dict[str, Any]:
    """The wind farm's batch for ``period`` (``generator/GEN-JS-OW-0017-<period>.json``): its plant
    meter's hourly output, signed by the generator's own key as a site of the ledger."""
    data: dict[str, Any] = json.loads((ROOT / "generator" / f"{GENERATOR}-{period}.json").read_text(encoding="utf-8"))
    return data


def salted(batch: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``batch`` with a fresh salt on every record (what ``zcl batch sign`` adds)."""
    out = copy.deepcopy(batch)
    for record in out["records"]:
        record["salt"] = "0x" + new_salt().hex()
    return out


def register() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REGISTER.read_text(encoding="utf-8"))
    return data


def evidence_files(period: str) -> Iterator[Path]:
    """The files revision 2 of ``period`` cites: revision 1's evidence and the two interval exports."""
    yield from sorted((EXAMPLES / period / "evidence").iterdir())
    for name in INTERVAL_SOURCES.values():
        yield export(period, name)


def write(out: Path) -> None:
    """``out/<period>/batch.json`` (revision 2, unsalted) and ``out/<period>/evidence/`` for each month."""
    for period in MONTHS:
        directory = out / period
        (directory / "evidence").mkdir(parents=True, exist_ok=True)
        (directory / "batch.json").write_text(json.dumps(revision_two(period), indent=1, ensure_ascii=False) + "\n")
        for file in evidence_files(period):
            shutil.copyfile(file, directory / "evidence" / file.name)
        print(f"{directory / 'batch.json'}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: batches.py OUT_DIR")
    write(Path(sys.argv[1]))
