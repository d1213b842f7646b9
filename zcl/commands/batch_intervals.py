"""``zcl batch intervals FILE``: the interval check of a month's batch before it is signed — per
electricity source its readings' resolution, count, first and last instant, gaps in the month,
total, and what would stop hourly matching (overlaps, readings straddling an hour, a monthly total
of a source not declared load-profile), each naming its records (``records[i]``).

Offline: it reads the batch file (unsigned ``batch.json`` or a signed envelope) and, with
``--register``, the factory's source register (the ``source_register`` of ``zcl factory show
--json``, its ``sources``, or a PATCH body's). Exit 0 when matching can read every source, 1 otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ledger.accounting.source_register import parse_sources
from ledger.hourly.intervals import interval_report
from ledger.records import RecordError, parse_batch
from ledger.signing import SIGNED_KEYS
from zcl.output import print_json, read_json
from zcl.render import grouped
from zcl.tables import table
from zcl.text import N_, current, error_text

_DECLARATION = ("method", "profile")
"""What the check reads of a declaration; the register's bookkeeping (declared_at, version…) is dropped."""
HEADERS = (N_("source"), N_("kind"), N_("method"), N_("resolution"), N_("records"), N_("first"), N_("last"),
           N_("gaps"), N_("hours covered"), N_("total (kWh)"), N_("hourly"))  # fmt: skip
NUMERIC = (False, False, False, True, True, False, False, True, True, True, False)
_LISTED_GAPS = 5
"""Gaps listed per source for a person (all of them with --json)."""


def register(batch: Any) -> None:
    """Adds ``intervals`` to ``zcl batch``'s actions."""
    t = current()
    parser = batch.add_parser(
        "intervals",
        help=t.gettext(
            "check a batch's interval readings for hourly matching before signing: resolution, gaps, "
            "overlaps and totals per source"
        ),  # fmt: skip
    )
    parser.add_argument("file", type=Path, metavar="FILE", help=t.gettext("batch.json, or a signed batch"))
    parser.add_argument("--register", type=Path, metavar="REGISTER.json",
                        help=t.gettext("the factory's source register (its declared methods and load profiles); "
                                       "without it every source is undeclared"))  # fmt: skip
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS,  # absent: `zcl --json` decides
                        help=t.gettext("print the report as JSON"))  # fmt: skip
    parser.set_defaults(handler=_batch_intervals)


def _batch_intervals(args: argparse.Namespace) -> int:
    data = read_json(args.file)
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise RecordError("records", f"{args.file} must be a JSON object with a list of records")
    for i, record in enumerate(data["records"]):  # unsigned: salts come at signing; any distinct salt will do here
        if isinstance(record, dict) and "salt" not in record:
            record["salt"] = "0x" + i.to_bytes(32, "big").hex()
    batch = parse_batch(data, extra_keys=SIGNED_KEYS)
    methods = _register(args.register) if args.register is not None else {}
    report = interval_report(batch, methods)
    if getattr(args, "json", False):
        print_json(report)
    else:
        print(_human(report))
    return 0 if report["ok"] else 1


def _register(path: Path) -> dict[str, dict[str, str]]:
    """The declarations by source id in a register file, checked as the service checks them."""
    data = read_json(path)
    if isinstance(data, dict) and isinstance(data.get("source_register"), dict):
        data = data["source_register"]
    if isinstance(data, dict) and isinstance(data.get("sources"), dict):
        data = data["sources"]
    if not isinstance(data, dict):
        raise RecordError(str(path), "must be a source register: an object of source ids, each to its declaration")
    trimmed = {sid: {k: v for k, v in entry.items() if k in _DECLARATION and v is not None}
               if isinstance(entry, dict) else entry for sid, entry in data.items()}  # fmt: skip
    checked = parse_sources(trimmed, "register") or {}
    return {sid: {k: entry[k] for k in _DECLARATION if k in entry} for sid, entry in checked.items() if entry}


def _human(report: dict[str, Any]) -> str:
    t = current()
    lines = [
        t.gettext("batch     %(factory)s %(period)s revision %(revision)s", factory=report["factory_id"],
                  period=report["period"], revision=report["revision"]),
        t.gettext("month     %(start)s .. %(end)s (%(hours)s hours)", start=report["month"]["start"],
                  end=report["month"]["end"], hours=report["month"]["hours"]),
    ]  # fmt: skip
    headers = [t.gettext(h) for h in HEADERS]
    rows = [
        [s["source_id"], s["kind"], t.gettext("undeclared") if s["method"] == "undeclared" else s["method"],
         _resolution(s["resolution"]), grouped(str(s["records"])), s["first"], s["last"], str(len(s["gaps"])),
         s["hours_covered"], grouped(s["total_kwh"]), _hourly(s)]
        for s in report["sources"]
    ]  # fmt: skip
    if rows:
        lines.append(table(headers, rows, NUMERIC))
    else:
        lines.append(t.gettext("no electricity records: nothing for hourly matching"))
    if report["ignored_records"]:
        lines.append(t.gettext("other kinds: %(n)s records not read by hourly matching", n=report["ignored_records"]))
    for s in report["sources"]:
        for gap in s["gaps"][:_LISTED_GAPS]:
            lines.append(t.gettext("gap       %(source)s %(start)s .. %(end)s", source=s["source_id"],
                                   start=gap["start"], end=gap["end"]))  # fmt: skip
        if len(s["gaps"]) > _LISTED_GAPS:
            lines.append("  " + t.gettext("… and %(n)s more", n=len(s["gaps"]) - _LISTED_GAPS))
    errors = [(s["source_id"], e) for s in report["sources"] for e in s["errors"]]
    for source, e in errors:
        lines.append(t.gettext("error     %(source)s: %(message)s", source=source, message=error_text(e["message"])))
    lines.append(t.gettext("ok: hourly matching can read every source") if report["ok"] else
                 t.ngettext("%(num)s error: hourly matching cannot read this batch as it stands",
                            "%(num)s errors: hourly matching cannot read this batch as it stands", len(errors)))  # fmt: skip
    return "\n".join(lines)


def _resolution(value: int | str) -> str:
    t = current()
    if value == "monthly":
        return t.gettext("monthly")
    return t.gettext("%(n)s min", n=int(value) // 60) if int(value) % 60 == 0 else t.gettext("%(n)s s", n=value)


def _hourly(row: dict[str, Any]) -> str:
    t = current()
    if row["errors"]:
        return t.gettext("no: errors")
    if row["hourly"] == "load-profile":
        return t.gettext("spread by %(profile)s", profile=row["profile"])
    return t.gettext("no: declare load-profile") if row["hourly"] == "no" else t.gettext("yes")
