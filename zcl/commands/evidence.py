"""``zcl evidence``: upload the documents records cite, and fetch one by its sha256 (checked
against the bytes before the file is written)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ledger.config import Settings
from zcl.commands.common import group, service_for
from zcl.service_client import ServiceError


def register(subparsers: Any) -> None:
    evidence = group(subparsers, "evidence", "upload and fetch the documents records cite")
    upload = evidence.add_parser(
        "upload", help="store files in the service; prints sha256, name, size and whether it was new"
    )
    upload.add_argument("files", type=Path, nargs="+", metavar="FILE")
    upload.add_argument("--media-type", help="for every FILE (default: guessed from each file's name)")
    upload.set_defaults(handler=_evidence_upload)
    get = evidence.add_parser("get", help="fetch a file by its sha256 (checked before it is written)")
    get.add_argument("sha256", metavar="SHA256")
    get.add_argument("--out", type=Path, required=True, metavar="FILE")
    get.set_defaults(handler=_evidence_get)


def _evidence_upload(args: argparse.Namespace) -> int:
    from ledger.evidence import check_media_type, file_sha256, guess_media_type

    if args.media_type is not None:
        check_media_type(args.media_type, "--media-type")
    service = service_for(args, Settings.from_env())
    for file in args.files:
        local = file_sha256(file)  # also: the file is readable, before anything is sent
        media_type = args.media_type or guess_media_type(file.name)
        code, stored = service.upload(
            "/evidence", file, media_type=media_type, data={"media_type": args.media_type} if args.media_type else None
        )
        if stored["sha256"] != local:
            raise ServiceError(code, f"{file}: the service stored sha256 {stored['sha256']}, but the file hashes "
                               f"to {local}")  # fmt: skip
        print(f"{local}  {file.name}  {stored['size']}  {'stored' if code == 201 else 'already stored'}")
    return 0


def _evidence_get(args: argparse.Namespace) -> int:
    import hashlib
    import os
    import tempfile

    from ledger.evidence import check_sha256

    sha256 = check_sha256(args.sha256)
    service = service_for(args, Settings.from_env())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=args.out.parent, prefix=f".{args.out.name}.")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            headers = service.download(f"/evidence/{sha256}", out)
        digest = hashlib.sha256()
        with tmp.open("rb") as written:
            while chunk := written.read(1024 * 1024):
                digest.update(chunk)
        if digest.hexdigest() != sha256:  # trust the bytes, not the service
            raise ServiceError(200, f"the service sent a file that hashes to {digest.hexdigest()}, not {sha256}; "
                               f"{args.out} was not written")  # fmt: skip
        tmp.replace(args.out)
    finally:
        tmp.unlink(missing_ok=True)
    size = args.out.stat().st_size
    print(f"wrote {args.out}: {sha256} {size} bytes {headers.get('content-type', '')}".rstrip())
    return 0
