"""The evidence a batch or claim cites, on the CLI's side: which files it names, uploading the ones
a directory (or ``--evidence FILE``) holds, and a clear warning on stderr naming each cited file the
service still lacks, with the exact command that adds it.

The service keeps only files a stored batch or claim cites, so uploads follow the submission."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from ledger.records import RecordError
from zcl.service_client import ServiceClient
from zcl.text import _


def cited_evidence(signed: Any) -> dict[str, dict[str, str]]:
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


def upload_cited(service: ServiceClient, directory: Path, cited: dict[str, dict[str, str]]) -> list[str]:
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


def missing_evidence(service: ServiceClient, cited: dict[str, dict[str, str]]) -> list[str]:
    """The cited hashes whose files the service does not hold, in citation order."""
    if not cited:
        return []
    present = service.post("/evidence/status", {"hashes": list(cited)})
    return [sha256 for sha256 in cited if not present.get(sha256)]


def warn_missing(cited: dict[str, dict[str, str]], missing: list[str], directory: Path | None) -> None:
    """On stderr: each cited file the service lacks, by name and sha256, and how to add them. The
    batch is anchored all the same; the files can follow at any time."""
    if not missing:
        return
    print(_("zcl: warning: the service does not hold %(n)s evidence file(s) these records cite:", n=len(missing)),
          file=sys.stderr)  # fmt: skip
    for sha256 in missing:
        print(f"zcl:   {cited[sha256]['file_name']}  sha256 {sha256}", file=sys.stderr)
    base = directory or Path(".")
    names = " ".join(shlex.quote(str(base / cited[sha256]["file_name"])) for sha256 in missing)
    print(_("zcl: add them with: %(command)s", command=f"zcl evidence upload {names}"), file=sys.stderr)
