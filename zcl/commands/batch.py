"""``zcl batch``: sign a month's batch with the factory's key (hashing the evidence files it
cites), submit it (whole, or streamed as NDJSON; then uploading the evidence it cites), and read
batches, their records and every record's proof back from the service."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ledger.config import Settings
from ledger.records import RecordError, new_salt, parse_batch
from ledger.signing import sign_batch
from zcl.commands import batch_import, batch_intervals
from zcl.commands.cited import cited_evidence, missing_evidence, upload_cited, warn_missing
from zcl.commands.common import group, service_for, signing_domain, signing_options
from zcl.output import UploadProgress, emit, read_json, write_json, write_lines
from zcl.password import unlock
from zcl.render import grid, grouped, show
from zcl.service_client import ServiceClient
from zcl.text import _

RECORD_COLUMNS = ("position", "id", "source_id", "kind", "value", "interval_start", "interval_end")
BATCH_COLUMNS = ("period", "revision", "status", "final", "leaf_count", "block_number", "tx_hash", "id")


def register(subparsers: Any) -> None:
    batch = group(subparsers, "batch", _("sign, submit and inspect monthly batches"))
    sign = batch.add_parser(
        "sign",
        help=_(
            "sign a batch with the factory's key (offline but for the chain id); an "
            'evidence entry may be {"path": FILE} (relative to BATCH.json), hashed here'
        ),
    )
    sign.add_argument("batch_file", type=Path, metavar="BATCH.json")
    signing_options(sign)
    sign.add_argument(
        "--format",
        choices=("json", "ndjson"),
        help=_(
            "json (default), or ndjson: the envelope on line 1, then one record per line, for "
            "`batch submit` to stream (the default when --out ends in .ndjson)"
        ),
    )
    sign.set_defaults(handler=_batch_sign)
    submit = batch.add_parser(
        "submit",
        help=_(
            "submit a signed batch; prints the batch id and its records' ids (a "
            ".ndjson file is streamed with a progress bar on stderr, and only counted)"
        ),
    )
    submit.add_argument("signed_file", type=Path, metavar="SIGNED.json|SIGNED.ndjson")
    submit.add_argument(
        "--evidence-dir",
        type=Path,
        metavar="DIR",
        help=_(
            "once the batch is stored, upload the files in DIR that its records cite; then list the "
            "cited files the service still lacks"
        ),
    )
    submit.set_defaults(handler=_batch_submit)
    batch_show = batch.add_parser("show", help=_("a batch, its anchor and a page of its records"))
    batch_show.add_argument("batch_id")
    batch_show.add_argument("--offset", type=int, help=_("the first record to list (default 0)"))
    batch_show.add_argument("--limit", type=int, help=_("records to list (default 1000, at most 10000)"))
    batch_show.set_defaults(handler=_batch_show)
    batch_proofs = batch.add_parser("proofs", help=_("every record's Merkle proof, as NDJSON (one per line)"))
    batch_proofs.add_argument("batch_id")
    batch_proofs.add_argument("--out", type=Path, required=True, metavar="PROOFS.ndjson")
    batch_proofs.set_defaults(handler=_batch_proofs)
    batch_list = batch.add_parser("list", help=_("a factory's batches"))
    batch_list.add_argument("factory_id")
    batch_list.add_argument("--period", help=_("YYYY-MM"))
    batch_list.set_defaults(handler=_batch_list)
    batch_import.register(batch)
    batch_intervals.register(batch)


def _batch_sign(args: argparse.Namespace) -> int:
    data = read_json(args.batch_file)
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise RecordError("records", f"{args.batch_file} must be a JSON object with a list of records")
    _hash_evidence_paths(data["records"], args.batch_file.parent)
    for record in data["records"]:
        if isinstance(record, dict) and "salt" not in record:
            record["salt"] = "0x" + new_salt().hex()  # the factory's secret blinding; kept in SIGNED.json
    batch = parse_batch(data)
    signer = unlock(args.key, args.password_file)
    signed = sign_batch(batch, signer, signing_domain(args))
    if (args.format or ("ndjson" if args.out.suffix == ".ndjson" else "json")) == "ndjson":
        write_lines(args.out, signed.ndjson_lines())
    else:
        write_json(args.out, signed.to_json())
    print(_("signed %(n)s records of %(factory)s %(period)s revision %(revision)s", n=len(batch.records),
            factory=batch.factory_id, period=batch.period, revision=batch.revision))  # fmt: skip
    print(_("root   %(root)s", root="0x" + signed.root.hex()))
    print(_("signer %(address)s", address=signer.address))
    return 0


def _batch_submit(args: argparse.Namespace) -> int:
    service = service_for(args, Settings.from_env())
    streamed = args.signed_file.suffix in (".ndjson", ".jsonl")
    signed = _ndjson_citations(args.signed_file) if streamed else read_json(args.signed_file)
    cited = cited_evidence(signed)
    if args.evidence_dir is not None and not args.evidence_dir.is_dir():
        raise RecordError("--evidence-dir", f"{args.evidence_dir} is not a directory")
    code, batch = _stream_batch(service, args.signed_file) if streamed else service.submit("/batches", signed)
    uploaded: list[str] = []
    if args.evidence_dir is not None:  # after the batch: the service keeps only files a stored batch cites
        uploaded = upload_cited(service, args.evidence_dir, cited)
    missing = missing_evidence(service, cited)
    if args.json:
        emit(args, batch)
    else:
        _print_submitted(service, batch, resubmitted=code == 200, streamed=streamed)
        for sha256 in uploaded:
            print(_("uploaded evidence %(sha256)s %(name)s", sha256=sha256, name=cited[sha256]["file_name"]))
    warn_missing(cited, missing, args.evidence_dir)
    return 0


def _print_submitted(service: ServiceClient, batch: Any, *, resubmitted: bool, streamed: bool) -> None:
    """The batch line and its record lines (``awk '/^record/'`` reads them, in any language); an
    identical resubmission says so first, since nothing new went to the chain."""
    if resubmitted:
        where = (_("anchored in block %(block)s", block=batch["block_number"]) if batch["status"] == "anchored"
                 else batch["status"])  # fmt: skip
        print(_("already submitted (same batch): %(where)s; this identical resubmission sent nothing new to the "
                "chain", where=where))  # fmt: skip
    print(f"batch  {batch['id']} {batch['status']} tx {batch['tx_hash']} block {batch['block_number']}")
    if batch["status"] == "anchored" and not batch.get("final"):
        print(_("note   not final yet: fewer than ZCL_CONFIRMATIONS blocks on top; `zcl batch show` tells when it is"))
    if batch.get("reason"):
        print(_("reason %(reason)s", reason=batch["reason"]))
    if streamed:
        print(_("records %(n)s (list them with: zcl batch show %(id)s --offset N)", n=grouped(str(batch["record_count"])),
                id=batch["id"]))  # fmt: skip
    else:
        for record in _all_records(service, batch):
            print(f"record {record['id']} {record['source_id']} {record['kind']} {record['value']} {record['unit']}")


def _stream_batch(service: ServiceClient, path: Path) -> tuple[int, Any]:
    """POST a signed .ndjson batch as it is read from disk, with progress on stderr."""
    from ledger.signing import NDJSON

    with path.open("rb") as file:
        first = file.readline()
        try:
            total = int(json.loads(first).get("leaf_count"))
        except (ValueError, TypeError, AttributeError):
            total = 0  # the service names what is wrong with the envelope
        file.seek(0)
        progress = UploadProgress(path.stat().st_size, total)

        def chunks() -> Any:
            while piece := file.read(1024 * 1024):
                progress.advance(len(piece), piece.count(b"\n"))
                yield piece
            progress.sent()

        try:
            return service.post_stream("/batches", chunks(), NDJSON)
        finally:
            progress.close()


def _ndjson_citations(path: Path) -> dict[str, Any]:
    """The evidence citations of a signed .ndjson batch, as a JSON batch's ``records`` holding only
    them: a line that names no sha256 is not parsed, so a million-record file costs one read."""
    records = []
    with path.open("rb") as file:
        file.readline()
        for number, line in enumerate(file, start=2):
            if b'"sha256"' in line:
                try:
                    records.append({"evidence": json.loads(line).get("evidence")})
                except (ValueError, AttributeError):
                    raise RecordError(str(path), f"line {number} is not a JSON object") from None
    return {"records": records}


def _all_records(service: ServiceClient, batch: Any) -> list[Any]:
    """Every record of a batch answer, following its pages."""
    records = list(batch["records"])
    offset = batch.get("next_offset")
    while offset is not None:
        page = service.get(f"/batches/{batch['id']}", offset=offset, limit=10_000)
        records += page["records"]
        offset = page["next_offset"]
    return records


def _hash_evidence_paths(records: list[Any], base: Path) -> None:
    """Replace each evidence entry ``{"path": FILE[, "media_type": T]}`` by the canonical
    ``{sha256, file_name, media_type}`` of that file (``FILE`` relative to ``base``)."""
    from ledger.evidence import file_sha256, guess_media_type

    for i, record in enumerate(records):
        evidence = record.get("evidence") if isinstance(record, dict) else None
        if not isinstance(evidence, list):
            continue  # parse_batch names what is wrong
        for j, entry in enumerate(evidence):
            if not isinstance(entry, dict) or "path" not in entry:
                continue
            field = f"records[{i}].evidence[{j}]"
            for key in entry:
                if key not in ("path", "media_type"):
                    raise RecordError(f"{field}.{key}", "unknown field next to path; expected path and media_type")
            if not isinstance(entry["path"], str) or not entry["path"]:
                raise RecordError(f"{field}.path", "must be a file path (relative to the batch file)")
            file = base / entry["path"]
            if not file.is_file():
                raise RecordError(f"{field}.path", f"{entry['path']}: no such file (looked for {file})")
            evidence[j] = {
                "sha256": file_sha256(file),
                "file_name": file.name,
                "media_type": entry.get("media_type") or guess_media_type(file.name),
            }


def _batch_show(args: argparse.Namespace) -> int:
    batch = service_for(args, Settings.from_env()).get(f"/batches/{args.batch_id}", offset=args.offset,
                                                         limit=args.limit)  # fmt: skip
    emit(args, batch, show(batch, skip=("signature", "record_count"), columns={"records": RECORD_COLUMNS}))
    if not args.json and batch.get("next_offset") is not None:
        print(_("more records: zcl batch show %(id)s --offset %(offset)s", id=batch["id"], offset=batch["next_offset"]))
    return 0


def _batch_proofs(args: argparse.Namespace) -> int:
    service = service_for(args, Settings.from_env())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    with tmp.open("wb") as out:
        headers = service.download(f"/batches/{args.batch_id}/proofs", out)
    tmp.replace(args.out)
    print(_("proofs %(n)s of root %(root)s in %(file)s", n=headers.get("x-zcl-leaf-count"), root=headers.get("x-zcl-root"),
            file=str(args.out)))  # fmt: skip
    return 0


def _batch_list(args: argparse.Namespace) -> int:
    listed = service_for(args, Settings.from_env()).get(f"/factories/{args.factory_id}/batches", period=args.period)
    emit(args, listed, grid(listed, BATCH_COLUMNS))
    return 0
