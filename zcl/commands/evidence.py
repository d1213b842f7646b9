"""``zcl evidence``: upload the documents records cite, and fetch one by its sha256 (checked
against the bytes before the file is written).

The service keeps only files a stored batch or claim cites, under the name and media type the
citation gives: submit the batch (or claim) first, then upload its files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ledger.config import Settings
from zcl.commands.common import group, service_for
from zcl.output import emit
from zcl.service_client import ServiceError
from zcl.text import _


def register(subparsers: Any) -> None:
    evidence = group(subparsers, "evidence", _("upload and fetch the documents records cite"))
    upload = evidence.add_parser(
        "upload",
        help=_("store files a submitted batch or claim cites; prints sha256, name, size and whether it was new"),
    )
    upload.add_argument("files", type=Path, nargs="+", metavar="FILE")
    upload.set_defaults(handler=_evidence_upload)
    get = evidence.add_parser("get", help=_("fetch a file by its sha256 (checked before it is written)"))
    get.add_argument("sha256", metavar="SHA256")
    get.add_argument("--out", type=Path, required=True, metavar="FILE")
    get.set_defaults(handler=_evidence_get)


def _evidence_upload(args: argparse.Namespace) -> int:
    from ledger.evidence import file_sha256

    service = service_for(args, Settings.from_env())
    answers = []
    for file in args.files:
        local = file_sha256(file)  # also: the file is readable, before anything is sent
        code, stored = service.upload("/evidence", file)
        if stored["sha256"] != local:
            raise ServiceError(code, f"{file}: the service stored sha256 {stored['sha256']}, but the file hashes "
                               f"to {local}")  # fmt: skip
        answers.append(stored | {"new": code == 201})
        if not args.json:
            named = _(" (recorded as %(name)s)", name=stored["file_name"]) if stored["file_name"] != file.name else ""
            state = _("stored") if code == 201 else _("already stored")
            print(f"{local}  {file.name}  {stored['size']}  {state}{named}")
    if args.json:
        emit(args, answers)
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
    print(_("wrote %(file)s: %(sha256)s %(size)s bytes %(type)s", file=str(args.out), sha256=sha256, size=f"{size:,}",
            type=headers.get("content-type", "")).rstrip())  # fmt: skip
    return 0
