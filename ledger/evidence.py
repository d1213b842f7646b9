"""The evidence store: the documents behind records (bills, meter photos, exports), by sha256.

Records pin their evidence by sha256 only; this store keeps the files themselves so that a reader
of a record can fetch what it cites. Files are content-addressed on disk::

    <directory>/<sha256[0:2]>/<sha256>      the file, read-only, named by the hash of its bytes
    <directory>/.incoming-*                 uploads in progress (same file system, so the final
                                            rename is atomic; stale ones are removed at start)

so a hash always names exactly one content and storing the same bytes twice is a no-op. An upload
is streamed to a temporary file while it is hashed and counted. It is kept only when a stored batch
or claim cites its sha256 (:mod:`ledger.store.citations`) and, if the bytes are new, they fit in the
store's quota of total bytes; otherwise, or over the size limit, it is deleted and nothing is left
behind. A kept file is renamed into place atomically and its metadata (size, when, and the file name
and media type of its first citation: never the uploader's) is recorded in the ``evidence`` table.
Whoever holds the bytes may upload them; what they are called is what the signed batch or claim says.
A hash is *present* when its file exists with the recorded size; :meth:`verify_file` re-hashes a
file when that is worth the time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mimetypes
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Self

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ledger.errors import Conflict, NotFound, ZclError
from ledger.records import RecordError
from ledger.store.citations import first_citation
from ledger.store.models import BatchRow, EvidenceRow, RecordRow

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
DEFAULT_QUOTA_BYTES = 50 * 1024**3
DEFAULT_MEDIA_TYPE = "application/octet-stream"
CHUNK = 1024 * 1024
INCOMING_PREFIX = ".incoming-"
STALE_INCOMING_SECONDS = 24 * 3600
_SHA256 = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")
_QUERY_CHUNK = 500
# what mimetypes may not know without the system's mime.types (spreadsheet exports are common)
_EXTRA_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".doc": "application/msword",
}
_COMPRESSED_TYPES = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}


class EvidenceTooLarge(RecordError):
    """The file is larger than the store's limit (HTTP 413); nothing of it was kept."""

    def __init__(self, limit: int) -> None:
        human = f" ({_human(limit)})" if limit >= 1024 else ""
        super().__init__("file", f"is larger than the limit of {limit} bytes{human}")
        self.limit = limit

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.limit,))


class EvidenceNotCited(Conflict):
    """No stored batch or claim cites these bytes (HTTP 409); nothing of them was kept."""

    def __init__(self, sha256: str) -> None:
        super().__init__(
            f"file: no stored batch or claim cites sha256 {sha256}; submit the batch or claim that cites it, "
            "then upload the file (nothing was kept)"
        )
        self.sha256 = sha256

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.sha256,))


class EvidenceQuotaExceeded(ZclError):
    """New bytes would take the store past its quota of total bytes (HTTP 507); nothing was kept."""

    def __init__(self, size: int, used: int, quota: int) -> None:
        super().__init__(
            f"file: the evidence store is full: {size} more bytes would take it past its quota of {quota} bytes "
            f"({_human(quota)}, ZCL_EVIDENCE_QUOTA_BYTES; {used} bytes are stored); nothing was kept"
        )
        self.size, self.used, self.quota = size, used, quota

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.size, self.used, self.quota))


@dataclass(frozen=True)
class EvidenceInfo:
    sha256: str
    size: int
    media_type: str
    file_name: str
    stored_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
            "file_name": self.file_name,
            "stored_at": self.stored_at.isoformat(),
        }


def check_sha256(value: object, field: str = "sha256") -> str:
    """64 hex digits (an optional 0x is accepted) → the lower-case hex the store is keyed by."""
    match = _SHA256.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise RecordError(field, f"must be a sha256 of 64 hex digits, got {value!r}")
    return match.group(1).lower()


def guess_media_type(file_name: str) -> str:
    """The media type of a file by its name (``mimetypes``), else application/octet-stream.

    A compressed file is its compression's type (``bill.pdf.gz`` is application/gzip, not a PDF).
    """
    media_type, encoding = mimetypes.guess_type(file_name, strict=True)
    if encoding is not None:
        return _COMPRESSED_TYPES.get(encoding, DEFAULT_MEDIA_TYPE)
    if media_type is None:
        media_type = _EXTRA_TYPES.get(Path(file_name).suffix.lower())
    return media_type or DEFAULT_MEDIA_TYPE


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in chunks (lower-case hex)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class EvidenceWriter:
    """One upload in progress: :meth:`write` chunks, then :meth:`commit` (or :meth:`abort`).

    The bytes go to a temporary file in the store's directory while they are hashed; past the
    store's limit :meth:`write` deletes it and raises :class:`EvidenceTooLarge`.
    """

    def __init__(self, store: EvidenceStore) -> None:
        self._store = store
        fd, name = tempfile.mkstemp(dir=store.directory, prefix=INCOMING_PREFIX)
        self._path: Path | None = Path(name)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        if self._file is None:
            raise RuntimeError("this upload is finished")
        self.size += len(chunk)
        if self.size > self._store.max_bytes:
            self.abort()
            raise EvidenceTooLarge(self._store.max_bytes)
        self._hash.update(chunk)
        self._file.write(chunk)

    def commit(self) -> tuple[EvidenceInfo, bool]:
        """Move the file into place and record it under its first citation's name and media type;
        returns its info and whether it was new. Uncited bytes (:class:`EvidenceNotCited`) and new
        bytes past the quota (:class:`EvidenceQuotaExceeded`) are refused, their file deleted."""
        if self._file is None or self._path is None:
            raise RuntimeError("this upload is finished")
        store = self._store
        try:
            sha256 = self._hash.hexdigest()
            file_name, media_type = store.citation(sha256)  # before any fsync: refused bytes cost no I/O
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            # the quota's sum and the insert that grows it, one upload at a time (in this process:
            # instances sharing a database may together pass the quota by a file each)
            with store._admission:
                store._check_room(sha256, self.size)
                target = store.path_for(sha256)
                already_there = _size_of(target) == self.size
                target.parent.mkdir(exist_ok=True)
                os.chmod(self._path, 0o440)
                # always replace: these bytes hash to sha256, so this also repairs a damaged copy
                os.replace(self._path, target)
                self._path = None
                _fsync_directory(target.parent)
                info, recorded_before = store._record(sha256, self.size, file_name, media_type)
        finally:
            self.abort()
        return info, not (recorded_before and already_there)

    def abort(self) -> None:
        """Forget the upload: close and delete the temporary file (safe to call twice)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()
            self._path = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


class EvidenceStore:
    def __init__(
        self, directory: Path, sessions: sessionmaker[Session], max_bytes: int = DEFAULT_MAX_BYTES,
        quota_bytes: int = DEFAULT_QUOTA_BYTES,
    ) -> None:  # fmt: skip
        if max_bytes <= 0 or quota_bytes <= 0:
            raise ValueError(f"max_bytes and quota_bytes must be positive, got {max_bytes} and {quota_bytes}")
        self.directory = Path(directory)
        self.sessions = sessions
        self.max_bytes = max_bytes
        self.quota_bytes = quota_bytes
        self._admission = threading.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._remove_stale_uploads()

    def path_for(self, sha256: str) -> Path:
        sha256 = check_sha256(sha256)
        return self.directory / sha256[:2] / sha256

    # --- storing --------------------------------------------------------------------------------

    def writer(self) -> EvidenceWriter:
        """An incremental upload, for callers that receive the file in pieces (the HTTP API)."""
        return EvidenceWriter(self)

    def put(self, data: bytes | bytearray | memoryview | BinaryIO) -> EvidenceInfo:
        """Store ``data`` (bytes, or a binary stream read to its end); returns what is stored."""
        return self.store(data)[0]

    def store(self, data: bytes | bytearray | memoryview | BinaryIO) -> tuple[EvidenceInfo, bool]:
        """Like :meth:`put`, and also whether these bytes were new (False: already stored).

        The bytes must be cited by a stored batch or claim; they are recorded under the first
        citation's file name and media type (a file stored before citations were recorded keeps
        the name it was uploaded with).
        """
        if isinstance(data, (bytes, bytearray, memoryview)) and len(data) > self.max_bytes:
            raise EvidenceTooLarge(self.max_bytes)
        with self.writer() as writer:
            if isinstance(data, (bytes, bytearray, memoryview)):
                writer.write(data)
            else:
                while chunk := data.read(CHUNK):
                    writer.write(chunk)
            return writer.commit()

    def citation(self, sha256: str) -> tuple[str, str]:
        """The file name and media type the first citation of ``sha256`` gives (a name of '.' or
        '..', which a record may carry, becomes the hash); :class:`EvidenceNotCited` when nothing
        stored cites it."""
        sha256 = check_sha256(sha256)
        with self.sessions() as session:
            cited = first_citation(session, sha256)
        if cited is None:
            raise EvidenceNotCited(sha256)
        file_name, media_type = cited
        return (file_name if file_name not in (".", "..") else sha256), media_type

    def _check_room(self, sha256: str, size: int) -> None:
        """:class:`EvidenceQuotaExceeded` when ``sha256`` is not stored yet and ``size`` more bytes
        would take the recorded total past the quota."""
        with self.sessions() as session:
            if session.get(EvidenceRow, sha256) is not None:
                return
            used = int(session.scalar(select(func.coalesce(func.sum(EvidenceRow.size), 0))) or 0)
        if used + size > self.quota_bytes:
            raise EvidenceQuotaExceeded(size, used, self.quota_bytes)

    def _record(self, sha256: str, size: int, file_name: str, media_type: str) -> tuple[EvidenceInfo, bool]:
        """Insert the metadata row unless there is one; returns the row and whether it existed."""
        with self.sessions() as session:
            row = session.get(EvidenceRow, sha256)
            if row is not None:
                return _info(row), True
        try:
            with self.sessions.begin() as session:
                row = EvidenceRow(
                    sha256=sha256, size=size, media_type=media_type, file_name=file_name, stored_at=datetime.now(UTC)
                )
                session.add(row)
            return _info(row), False
        except IntegrityError:  # the same bytes uploaded at the same moment
            with self.sessions() as session:
                row = session.get(EvidenceRow, sha256)
                if row is None:
                    raise
                return _info(row), True

    # --- reading --------------------------------------------------------------------------------

    def info(self, sha256: str) -> EvidenceInfo:
        """The recorded metadata of a hash (whether or not its file is still there)."""
        sha256 = check_sha256(sha256)
        with self.sessions() as session:
            row = session.get(EvidenceRow, sha256)
            if row is None:
                raise NotFound(f"no evidence with sha256 {sha256}")
            return _info(row)

    def get(self, sha256: str) -> tuple[Path, EvidenceInfo]:
        """The file of a hash and its metadata; NotFound if it was never stored or has gone."""
        info = self.info(sha256)
        path = self.path_for(info.sha256)
        if _size_of(path) != info.size:
            raise NotFound(f"evidence {info.sha256} ({info.file_name}) is recorded but its file is missing or damaged")
        return path, info

    def status(self, hashes: Iterable[str], field: str = "hashes") -> dict[str, bool]:
        """For each hash: is its file here with its recorded size? (Hashes are not recomputed:
        that reads every byte; use :meth:`verify_file` for that.)"""
        wanted = [check_sha256(h, f"{field}[{i}]") for i, h in enumerate(hashes)]
        sizes: dict[str, int] = {}
        unique = list(dict.fromkeys(wanted))
        with self.sessions() as session:
            for start in range(0, len(unique), _QUERY_CHUNK):
                part = unique[start : start + _QUERY_CHUNK]
                found = session.execute(
                    select(EvidenceRow.sha256, EvidenceRow.size).where(EvidenceRow.sha256.in_(part))
                )
                sizes.update((digest, size) for digest, size in found)
        return {h: h in sizes and _size_of(self.path_for(h)) == sizes[h] for h in unique}

    def verify_file(self, sha256: str) -> bool:
        """Re-hash the stored file: True only if it is there and its bytes still hash to sha256."""
        try:
            return file_sha256(self.path_for(sha256)) == check_sha256(sha256)
        except FileNotFoundError:
            return False

    def batch_evidence(self, batch_id: str) -> dict[str, Any]:
        """Every evidence reference of a batch's records with whether the file is here.

        A reference whose file is missing is listed with ``present: false`` and in ``missing``;
        nothing is left out.
        """
        with self.sessions() as session:
            batch = session.get(BatchRow, batch_id)
            if batch is None:
                raise NotFound(f"no batch {batch_id}")
            rows = session.execute(
                select(RecordRow.id, RecordRow.position, RecordRow.source_id, RecordRow.kind, RecordRow.body)
                .where(RecordRow.batch_id == batch_id)
                .order_by(RecordRow.position)
            ).all()
            header = {"batch_id": batch.id, "factory_id": batch.factory_id, "period": batch.period,
                      "revision": batch.revision}  # fmt: skip
        records = [
            (record_id, position, source_id, kind, json.loads(body).get("evidence", []))
            for record_id, position, source_id, kind, body in rows
        ]
        present = self.status(ref["sha256"] for *_, refs in records for ref in refs)
        missing: dict[str, str] = {}
        out = []
        for record_id, position, source_id, kind, refs in records:
            evidence = []
            for ref in refs:
                sha256 = check_sha256(ref["sha256"])
                evidence.append({"sha256": sha256, "file_name": ref["file_name"], "media_type": ref["media_type"],
                                 "present": present[sha256]})  # fmt: skip
                if not present[sha256]:
                    missing.setdefault(sha256, ref["file_name"])
            out.append({"record_id": record_id, "position": position, "source_id": source_id, "kind": kind,
                        "evidence": evidence})  # fmt: skip
        return header | {
            "complete": not missing,
            "referenced": len(present),
            "missing": [{"sha256": sha256, "file_name": name} for sha256, name in missing.items()],
            "records": out,
        }

    def _remove_stale_uploads(self) -> None:
        """Temporary files of uploads interrupted by a crash (not those of a running upload)."""
        cutoff = time.time() - STALE_INCOMING_SECONDS
        for path in self.directory.glob(INCOMING_PREFIX + "*"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()


def _info(row: EvidenceRow) -> EvidenceInfo:
    stored_at = row.stored_at if row.stored_at.tzinfo else row.stored_at.replace(tzinfo=UTC)  # SQLite drops it
    return EvidenceInfo(row.sha256, row.size, row.media_type, row.file_name, stored_at)


def _size_of(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _fsync_directory(path: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _human(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.4g} {unit}"
    return f"{size} bytes"
