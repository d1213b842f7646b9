"""``zcl batch``: sign a month's batch with the factory's key (hashing the evidence files it
cites), submit it (whole, or streamed as NDJSON; then uploading the evidence it cites), and read
batches, their records and every record's proof back from the service."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ledger.config import Settings
from ledger.keys import load_key_file, read_password
from ledger.records import RecordError, new_salt, parse_batch
from ledger.signing import sign_batch
from zcl.commands import batch_import
from zcl.commands.common import group, service_for, signing_domain, signing_options
from zcl.output import UploadProgress, print_json, read_json, write_json, write_lines
from zcl.service_client import ServiceClient


def register(subparsers: Any) -> None:
    batch = group(subparsers, "batch", "sign, submit and inspect monthly batches")
    sign = batch.add_parser(
        "sign",
        help="sign a batch with the factory's key (offline but for the chain id); an "
        'evidence entry may be {"path": FILE} (relative to BATCH.json), hashed here',
    )
    sign.add_argument("batch_file", type=Path, metavar="BATCH.json")
    signing_options(sign)
    sign.add_argument(
        "--format",
        choices=("json", "ndjson"),
        help="json (default), or ndjson: the envelope on line 1, then one record per line, for "
        "`batch submit` to stream (the default when --out ends in .ndjson)",
    )
    sign.set_defaults(handler=_batch_sign)
    submit = batch.add_parser(
        "submit",
        help="submit a signed batch; prints the batch id and its records' ids (a "
        ".ndjson file is streamed with a progress bar on stderr, and only counted)",
    )
    submit.add_argument("signed_file", type=Path, metavar="SIGNED.json|SIGNED.ndjson")
    submit.add_argument(
        "--evidence-dir",
        type=Path,
        metavar="DIR",
        help="once the batch is stored, upload the files in DIR that its records cite; then list the "
        "cited files the service still lacks",
    )
    submit.set_defaults(handler=_batch_submit)
    batch_show = batch.add_parser("show", help="a batch, its anchor and a page of its records")
    batch_show.add_argument("batch_id")
    batch_show.add_argument("--offset", type=int, help="the first record to list (default 0)")
    batch_show.add_argument("--limit", type=int, help="records to list (default 1000, at most 10000)")
    batch_show.set_defaults(handler=_batch_show)
    batch_proofs = batch.add_parser("proofs", help="every record's Merkle proof, as NDJSON (one per line)")
    batch_proofs.add_argument("batch_id")
    batch_proofs.add_argument("--out", type=Path, required=True, metavar="PROOFS.ndjson")
    batch_proofs.set_defaults(handler=_batch_proofs)
    batch_list = batch.add_parser("list", help="a factory's batches")
    batch_list.add_argument("factory_id")
    batch_list.add_argument("--period", help="YYYY-MM")
    batch_list.set_defaults(handler=_batch_list)
    batch_import.register(batch)


def _batch_sign(args: argparse.Namespace) -> int:
    data = read_json(args.batch_file)
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise RecordError("records", f"{args.batch_file} must be a JSON object with a list of records")
    _hash_evidence_paths(data["records"], args.batch_file.parent)
    for record in data["records"]:
        if isinstance(record, dict) and "salt" not in record:
            record["salt"] = "0x" + new_salt().hex()  # the factory's secret blinding; kept in SIGNED.json
    batch = parse_batch(data)
    signer = load_key_file(args.key, read_password(args.password_file))
    signed = sign_batch(batch, signer, signing_domain(args))
    if (args.format or ("ndjson" if args.out.suffix == ".ndjson" else "json")) == "ndjson":
        write_lines(args.out, signed.ndjson_lines())
    else:
        write_json(args.out, signed.to_json())
    print(f"signed {len(batch.records)} records of {batch.factory_id} {batch.period} revision {batch.revision}")
    print(f"root   0x{signed.root.hex()}")
    print(f"signer {signer.address}")
    return 0


def _batch_submit(args: argparse.Namespace) -> int:
    service = service_for(args, Settings.from_env())
    streamed = args.signed_file.suffix in (".ndjson", ".jsonl")
    signed = _read_ndjson_records(args.signed_file) if streamed and args.evidence_dir else None
    if not streamed:
        signed = read_json(args.signed_file)
    cited = _cited_evidence(signed)
    if args.evidence_dir is not None and not args.evidence_dir.is_dir():
        raise RecordError("--evidence-dir", f"{args.evidence_dir} is not a directory")
    if streamed:
        batch = _stream_batch(service, args.signed_file)
    else:
        batch = service.post("/batches", signed)
    uploaded: list[str] = []
    if args.evidence_dir is not None:  # after the batch: the service keeps only files a stored batch cites
        uploaded = _upload_cited(service, args.evidence_dir, cited)
    print(f"batch  {batch['id']} {batch['status']} tx {batch['tx_hash']} block {batch['block_number']}")
    if batch["status"] == "anchored" and not batch.get("final"):
        print("note   not final yet: fewer than ZCL_CONFIRMATIONS blocks on top; `zcl batch show` tells when it is")
    if batch.get("reason"):
        print(f"reason {batch['reason']}")
    if streamed:
        print(f"records {batch['record_count']} (list them with: zcl batch show {batch['id']} --offset N)")
    else:
        for record in _all_records(service, batch):
            print(f"record {record['id']} {record['source_id']} {record['kind']} {record['value']} {record['unit']}")
    if args.evidence_dir is not None and cited:
        for sha256 in uploaded:
            print(f"uploaded evidence {sha256} {cited[sha256]['file_name']}")
        present = service.post("/evidence/status", {"hashes": list(cited)})
        for sha256, ref in cited.items():
            if not present.get(sha256):  # the batch is anchored all the same; the file can follow
                print(f"missing evidence {sha256} {ref['file_name']}")
    return 0


def _stream_batch(service: ServiceClient, path: Path) -> Any:
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


def _read_ndjson_records(path: Path) -> dict[str, Any]:
    """The records of a signed .ndjson batch as a JSON batch's ``records`` (for the evidence they cite)."""
    records = []
    with path.open("rb") as file:
        file.readline()
        for number, line in enumerate(file, start=2):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    raise RecordError(str(path), f"line {number} is not valid JSON") from None
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


def _cited_evidence(signed: Any) -> dict[str, dict[str, str]]:
    """The evidence a (signed) batch's records cite, by sha256, first citation first. Entries that
    are not well formed are skipped here: the service names them."""
    from ledger.evidence import check_sha256

    cited: dict[str, dict[str, str]] = {}
    records = signed.get("records") if isinstance(signed, dict) else None
    for record in records if isinstance(records, list) else []:
        evidence = record.get("evidence") if isinstance(record, dict) else None
        for ref in evidence if isinstance(evidence, list) else []:
            try:
                sha256 = check_sha256(ref.get("sha256") if isinstance(ref, dict) else None)
            except RecordError:
                continue
            cited.setdefault(sha256, {"file_name": str(ref.get("file_name")), "media_type": str(ref.get("media_type"))})
    return cited


def _upload_cited(service: ServiceClient, directory: Path, cited: dict[str, dict[str, str]]) -> list[str]:
    """Upload the files of ``directory`` that the batch cites and the service lacks; returns their hashes."""
    from ledger.evidence import file_sha256

    if not cited:
        return []
    present = service.post("/evidence/status", {"hashes": list(cited)})
    uploaded: list[str] = []
    for file in sorted(p for p in directory.iterdir() if p.is_file()):
        sha256 = file_sha256(file)
        if sha256 not in cited or present.get(sha256) or sha256 in uploaded:
            continue
        service.upload("/evidence", file)  # named as the batch's records name it
        uploaded.append(sha256)
    return uploaded


def _batch_show(args: argparse.Namespace) -> int:
    print_json(service_for(args, Settings.from_env()).get(f"/batches/{args.batch_id}", offset=args.offset,
                                                           limit=args.limit))  # fmt: skip
    return 0


def _batch_proofs(args: argparse.Namespace) -> int:
    service = service_for(args, Settings.from_env())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    with tmp.open("wb") as out:
        headers = service.download(f"/batches/{args.batch_id}/proofs", out)
    tmp.replace(args.out)
    print(f"proofs {headers.get('x-zcl-leaf-count')} of root {headers.get('x-zcl-root')} in {args.out}")
    return 0


def _batch_list(args: argparse.Namespace) -> int:
    print_json(service_for(args, Settings.from_env()).get(f"/factories/{args.factory_id}/batches", period=args.period))
    return 0
