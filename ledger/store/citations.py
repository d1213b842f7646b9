"""SQL for evidence citations: which stored batches and claims cite a file, under what name and type.

The evidence store takes only bytes that something stored cites, and names them as the citation
does (:mod:`ledger.evidence`). A batch's citations are written with its records, in the same
transaction: :class:`BatchCitations` reads each record's evidence from the canonical JSON the row
holds (so the whole-batch and the streamed path share it), keeps one row per sha256 a batch cites
(its first citation's name and media type) and inserts them in bulk. A claim cites one file, its
retirement statement (``evidence_sha256``); the claim gives no name or media type for it, so it is
recorded as ``retirement-statement-<claim row id>.pdf``, ``application/pdf`` (registries issue
statements as PDF), and a batch's citation of the same bytes, when there is one, names it instead.
"""

from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from ledger.store.models import EvidenceCitationRow

STATEMENT_MEDIA_TYPE = "application/pdf"
SEEN_LIMIT = 1 << 16
"""Hashes a batch's deduplication remembers; past that it starts again, so a batch citing more
distinct files than this may store a repeated one twice (harmless: the first row names it)."""
_CHUNK = 5000
_CITATIONS = cast(Table, EvidenceCitationRow.__table__)
_EVIDENCE = '"evidence": ['
"""How the canonical record JSON (sorted keys, default separators) opens its evidence list. A quote
inside a string value is escaped, so this text can only be the key itself."""
_DECODER = json.JSONDecoder()


def statement_name(claim_row_id: str) -> str:
    """The file name of a retirement statement cited only by the claim stored as ``claim_row_id``."""
    return f"retirement-statement-{claim_row_id}.pdf"


def evidence_in(body: str) -> list[dict[str, str]]:
    """The evidence entries of a record's canonical JSON, parsing that list alone (most records cite
    nothing, and a batch may hold a million records)."""
    start = body.find(_EVIDENCE)
    if start < 0 or body.startswith("]", start + len(_EVIDENCE)):
        return []
    return cast(list[dict[str, str]], _DECODER.raw_decode(body, start + len(_EVIDENCE) - 1)[0])


class BatchCitations:
    """One batch's citations, collected as its records are inserted: :meth:`add` each record's
    canonical JSON, then :meth:`flush`."""

    def __init__(self, session: Session, batch_id: str) -> None:
        self._session = session
        self._batch_id = batch_id
        self._seen: set[str] = set()
        self._rows: list[dict[str, Any]] = []

    def add(self, body: str) -> None:
        for ref in evidence_in(body):
            sha256 = ref["sha256"]
            if sha256 in self._seen:
                continue
            if len(self._seen) >= SEEN_LIMIT:
                self._seen.clear()
            self._seen.add(sha256)
            self._rows.append({"sha256": sha256, "batch_id": self._batch_id, "claim_id": None,
                               "file_name": ref["file_name"], "media_type": ref["media_type"]})  # fmt: skip
            if len(self._rows) >= _CHUNK:
                self.flush()

    def flush(self) -> None:
        if self._rows:
            self._session.execute(insert(_CITATIONS), self._rows)
            self._rows = []


def cite_statement(session: Session, claim_row_id: str, sha256: bytes) -> None:
    """A stored claim's citation of its retirement statement (the claim row must be flushed first)."""
    session.execute(
        insert(_CITATIONS),
        {"sha256": sha256.hex(), "batch_id": None, "claim_id": claim_row_id,
         "file_name": statement_name(claim_row_id), "media_type": STATEMENT_MEDIA_TYPE},
    )  # fmt: skip


def first_citation(session: Session, sha256: str) -> tuple[str, str] | None:
    """(file name, media type) of the first citation of ``sha256`` (lower-case hex): the oldest
    batch's, else the oldest claim's; None when nothing stored cites it."""
    row = session.execute(
        select(_CITATIONS.c.file_name, _CITATIONS.c.media_type)
        .where(_CITATIONS.c.sha256 == sha256)
        .order_by(_CITATIONS.c.batch_id.is_(None), _CITATIONS.c.id)
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])
