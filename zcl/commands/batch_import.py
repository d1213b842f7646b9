"""``zcl batch import FILE --mapping MAPPING``: a CSV or XLSX export turned into a batch.json that
``zcl batch sign`` takes, by a mapping (see examples/import-templates/).

Nothing is written unless every row imports: with any problem the command lists them all
(``file:row:column: message``) and exits 1. Without ``-o`` it only previews. ``--json`` prints
what the API's ``POST /imports/preview`` answers, for scripts.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ledger.i18n import Translator
from ledger.imports import ImportResult, import_file, load_mapping_text
from ledger.records import RecordError
from zcl.output import print_json, write_json
from zcl.text import current


def register(batch: Any) -> None:
    """Adds ``import`` to ``zcl batch``'s actions."""
    parser = batch.add_parser(
        "import",
        help="turn a CSV or XLSX export into a batch.json by a mapping (TOML; templates in "
        "examples/import-templates/); all row errors listed, nothing written unless every row imports",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the export: .csv (any common encoding) or .xlsx")
    parser.add_argument(
        "--mapping", type=Path, required=True, metavar="MAPPING.toml", help="or .json, as the API takes it"
    )
    parser.add_argument("--factory", metavar="ID", help="the factory id (default: the mapping's factory_id)")
    parser.add_argument("--period", metavar="YYYY-MM", help="default: the month the first record starts in")
    parser.add_argument("--revision", type=int, default=1, help="the batch revision (default 1)")
    parser.add_argument(
        "--evidence",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="another file every record cites (the bill's PDF, a meter photo), by its sha256; repeatable "
        "(the export itself is cited unless the mapping says evidence.cite_file = false)",
    )
    parser.add_argument("-o", "--out", type=Path, metavar="BATCH.json", help="write the batch here (else preview)")
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS,  # absent: `zcl --json` decides
                        help="print records, errors and summary as JSON")  # fmt: skip
    parser.set_defaults(handler=_batch_import)


def _batch_import(args: argparse.Namespace) -> int:
    t = current()  # the run's language, chosen once by zcl.main from --lang or the locale
    if args.revision < 1:
        raise RecordError("--revision", "must be 1 or more")
    text = args.mapping.read_text(encoding="utf-8")
    mapping = load_mapping_text(text, json_text=args.mapping.suffix.lower() == ".json")
    data = args.file.read_bytes()
    result = import_file(data, args.file.name, mapping, factory_id=args.factory, period=args.period)
    _cite(result, args.evidence)
    ok = result.ok
    if ok and args.out is not None:
        write_json(args.out, result.batch(args.revision))
    if args.json:
        print_json(_json(result, t, written=str(args.out) if ok and args.out else None))
    else:
        _print(result, t, args)
    return 0 if ok else 1


def _cite(result: ImportResult, files: list[Path]) -> None:
    """Every record also cites ``files`` (hashed here; upload them with ``zcl batch submit --evidence-dir``)."""
    from ledger.evidence import file_sha256, guess_media_type

    refs = [{"sha256": file_sha256(f), "file_name": f.name, "media_type": guess_media_type(f.name)} for f in files]
    for record in result.records:
        record["evidence"] += [dict(ref) for ref in refs if ref not in record["evidence"]]


def _json(result: ImportResult, t: Translator, written: str | None) -> dict[str, Any]:
    return result.to_json(t) | {"written": written}


def _print(result: ImportResult, t: Translator, args: argparse.Namespace) -> None:
    read = result.encoding or result.sheet or ""
    print(t.gettext("file      %(file)s (%(read)s)", file=args.file, read=read) if read
          else t.gettext("file      %(file)s", file=args.file))  # fmt: skip
    print(t.gettext("batch     %(factory)s %(period)s", factory=result.factory_id or "—", period=result.period or "—"))
    print(t.gettext("rows      %(rows)s read, %(skipped)s skipped (total lines)", rows=result.rows,
                    skipped=result.skipped))  # fmt: skip
    print(t.gettext("records   %(count)s", count=len(result.records)))
    for entry in result.by_source():
        count = t.ngettext("%(num)s record", "%(num)s records", entry["count"])
        total = t.quantity(entry["total"], entry["unit"])
        print(f"  {entry['source']:<28} {entry['kind']:<32} {total:>22}  ({count})")
    if result.issues or result.dropped:
        print(t.ngettext("%(num)s error; nothing written:", "%(num)s errors; nothing written:",
                         len(result.issues) + result.dropped))  # fmt: skip
        for issue in result.issues:
            print(f"  {issue.where()}: {issue.message(t)} [{issue.code}]")
        if result.dropped:
            print("  " + t.gettext("… and %(n)s more", n=result.dropped))
    elif not result.records:
        print(t.gettext("no records; nothing written"))
    elif args.out is not None:
        print(t.gettext("wrote     %(path)s", path=args.out))
        print(t.gettext("next      zcl batch sign %(path)s --key KEYFILE --out SIGNED.json", path=args.out))
    else:
        print(t.gettext("preview only: write the batch with -o BATCH.json"))
