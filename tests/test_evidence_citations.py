"""The evidence store keeps only files a stored batch or claim cites, named as the citation names
them, within a quota of total bytes.

The store on its own (a SQLite file, batches and claims stored as their services store them, no
chain); the API against the ``service`` fixture (a real anvil), streamed batches over a real socket;
the migration that backfills the citations of what was stored before them.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ledger.claims import parse_claim
from ledger.evidence import DEFAULT_QUOTA_BYTES, EvidenceQuotaExceeded, EvidenceStore
from ledger.store import claims as claim_rows
from ledger.store.db import MIGRATIONS_DIR, make_engine, migrate, session_factory
from ledger.store.models import EvidenceCitationRow
from tests.builders import CLAIM_EXAMPLE, EXAMPLES, batch_json, claim_json
from tests.conftest import Service
from tests.test_bulk_ingest import ndjson, post_stream, readings
from tests.test_evidence import BILL, PHOTO, cite, files_in, rows, sha, submit_citing, upload

STATEMENT = EXAMPLES / "claims" / "gec-cancellation-statement-2025.pdf"
"""The retirement statement ``examples/claims/gec-2025-01.json`` cites."""


def claim(sessions: sessionmaker[Session], statement: bytes) -> str:
    """Store the example GEC claim citing ``statement`` as the claim service does (its row, pending;
    no chain); returns the row id."""
    row_id = str(uuid.uuid4())
    parsed = parse_claim(CLAIM_EXAMPLE | {"evidence_sha256": sha(statement)})
    with sessions.begin() as session:
        claim_rows.insert_pending(session, row_id, parsed, os.urandom(65), "0x" + "22" * 20)
    return row_id


def citations(sessions: sessionmaker[Session]) -> set[tuple[str, str | None, str | None, str, str]]:
    columns = (EvidenceCitationRow.sha256, EvidenceCitationRow.batch_id, EvidenceCitationRow.claim_id,
               EvidenceCitationRow.file_name, EvidenceCitationRow.media_type)  # fmt: skip
    with sessions() as session:
        return {(a, b, c, d, e) for a, b, c, d, e in session.execute(select(*columns))}


@pytest.fixture
def store(tmp_path: Path, sessions: sessionmaker[Session]) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence", sessions, quota_bytes=100)


def test_a_claim_cites_its_retirement_statement(store: EvidenceStore, sessions: sessionmaker[Session]) -> None:
    statement = b"%PDF-1.7 cancellation statement"
    row_id = claim(sessions, statement)
    info = store.put(statement)
    assert (info.file_name, info.media_type) == (f"retirement-statement-{row_id}.pdf", "application/pdf")


def test_a_batch_names_a_file_before_a_claim_and_the_first_batch_before_later_ones(
    store: EvidenceStore, sessions: sessionmaker[Session]
) -> None:
    statement, scan = b"%PDF-1.7 statement", b"a scanned bill"
    claim(sessions, statement)
    cite(sessions, (statement, "gec-statement.pdf", "application/pdf"), (scan, "scan-2025-01.png", "image/png"))
    cite(sessions, (scan, "later-name.txt", "text/plain"))
    assert (store.put(statement).file_name, store.put(scan).file_name) == ("gec-statement.pdf", "scan-2025-01.png")
    assert store.put(scan).media_type == "image/png"
    cite(sessions, (b"dots", "..", "text/plain"))  # a name a record may carry but a download must not
    assert store.put(b"dots").file_name == sha(b"dots")


def test_a_batch_cites_each_file_once(sessions: sessionmaker[Session]) -> None:
    bill = (b"bill", "bill.pdf", "application/pdf")
    first = cite(sessions, bill, bill, (b"photo", "photo.png", "image/png"))
    second = cite(sessions, bill)
    got = citations(sessions)
    assert {(s, b) for s, b, *_ in got} == {(sha(b"bill"), first), (sha(b"photo"), first), (sha(b"bill"), second)}
    assert len(got) == 3


def test_the_quota_refuses_new_bytes_and_keeps_nothing(store: EvidenceStore, sessions: sessionmaker[Session]) -> None:
    first, second, third = b"a" * 60, b"b" * 41, b"c" * 40
    cite(sessions, *((data, f"{data[:1].decode()}.bin", "application/octet-stream") for data in (first, second, third)))
    stored = store.put(first)
    with pytest.raises(EvidenceQuotaExceeded) as caught:
        store.put(second)  # 60 + 41 > 100
    assert "quota of 100 bytes" in str(caught.value) and "60 bytes are stored" in str(caught.value)
    assert "ZCL_EVIDENCE_QUOTA_BYTES" in str(caught.value)
    assert files_in(store.directory) == [f"{stored.sha256[:2]}/{stored.sha256}"] and rows(sessions) == 1
    assert store.store(first) == (stored, False), "bytes already stored take no more room"
    assert store.put(third).size == 40, "exactly the quota fits"


def test_settings_evidence_quota() -> None:
    from ledger.config import ConfigError, Settings

    assert Settings.from_env({}).evidence_quota_bytes == DEFAULT_QUOTA_BYTES == 50 * 1024**3
    assert Settings.from_env({"ZCL_EVIDENCE_QUOTA_BYTES": "1073741824"}).evidence_quota_bytes == 1 << 30
    for bad in ("50GiB", "0", "-5"):
        with pytest.raises(ConfigError, match="ZCL_EVIDENCE_QUOTA_BYTES"):
            Settings.from_env({"ZCL_EVIDENCE_QUOTA_BYTES": bad})


# --- HTTP -------------------------------------------------------------------------------------


def test_over_the_quota_the_upload_answers_507(service: Service, factory: LocalAccount) -> None:
    submit_citing(service, factory)
    assert service.services.evidence is not None
    service.services.evidence.quota_bytes = BILL.stat().st_size + PHOTO.stat().st_size - 1
    assert upload(service, BILL.name, BILL.read_bytes()).status_code == 201
    directory = service.database.parent / "evidence"
    before = files_in(directory)
    full = upload(service, PHOTO.name, PHOTO.read_bytes(), "image/png")
    assert full.status_code == 507, full.text
    assert "quota" in full.json()["detail"] and "nothing was kept" in full.json()["detail"]
    assert files_in(directory) == before, "nothing of the refused upload is kept"
    assert upload(service, BILL.name, BILL.read_bytes()).status_code == 200, "stored bytes still answer"


def test_a_submitted_claim_cites_its_statement(service: Service, factory: LocalAccount) -> None:
    refused = upload(service, STATEMENT.name, STATEMENT.read_bytes(), "application/pdf")
    assert refused.status_code == 409, "no claim cites it yet"
    claimed = service.http.post("/claims", json=claim_json(service.ledger, factory, CLAIM_EXAMPLE))
    assert claimed.status_code == 201, claimed.text
    stored = upload(service, STATEMENT.name, STATEMENT.read_bytes(), "application/octet-stream")
    assert stored.status_code == 201, stored.text
    assert stored.json()["sha256"] == CLAIM_EXAMPLE["evidence_sha256"]
    assert stored.json()["file_name"] == f"retirement-statement-{claimed.json()['id']}.pdf"
    assert stored.json()["media_type"] == "application/pdf"
    got = service.http.get(f"/evidence/{CLAIM_EXAMPLE['evidence_sha256']}")
    assert got.status_code == 200 and got.content == STATEMENT.read_bytes()


@pytest.mark.usefixtures("served")  # a streamed (chunked) upload over a real socket
def test_a_streamed_batch_cites_its_evidence(service: Service, factory: LocalAccount) -> None:
    export = b"timestamp,kWh\n2025-01-01T00:15:00+08:00,12.5\n"
    data = readings(500)  # records 0, 97, 194, ... cite made-up hashes
    data["records"][3]["evidence"] = [{"sha256": sha(export), "file_name": "submeter-export.csv",
                                       "media_type": "text/csv"}]  # fmt: skip
    data["records"][4]["evidence"] = data["records"][3]["evidence"] * 2
    response = post_stream(service.http, ndjson(batch_json(service.ledger, factory, data)))
    assert response.status_code == 201, response.text
    stored = upload(service, "export.bin", export, "application/octet-stream")
    assert stored.status_code == 201, stored.text
    assert (stored.json()["file_name"], stored.json()["media_type"]) == ("submeter-export.csv", "text/csv")
    got = citations(service.services.sessions)
    assert {s for s, b, *_ in got if b == response.json()["id"]} == {f"{i:064x}" for i in range(0, 500, 97)} | {
        sha(export)
    }
    assert len(got) == 500 // 97 + 2, "one citation per file a batch cites"


# --- the migration ----------------------------------------------------------------------------


def alembic(engine: Engine, action: str, target: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, target)


def test_the_migration_backfills_the_citations_of_what_is_stored(tmp_path: Path, database_url: str) -> None:
    """A database at 0008 holding a batch with evidence and a claim: upgraded, it holds the citations
    storing them would have written, and their files can be uploaded (SQLite, or PostgreSQL with
    ``ZCL_TEST_DATABASE_URL``)."""
    engine = make_engine(database_url)
    migrate(engine)
    sessions = session_factory(engine)
    statement = STATEMENT.read_bytes()
    batch_id = cite(sessions, (b"bill", "bill.pdf", "application/pdf"), (b"photo", "photo.png", "image/png"))
    row_id = claim(sessions, statement)
    written = citations(sessions)
    assert len(written) == 3

    alembic(engine, "downgrade", "0008")  # the schema before citations, with the batch and claim in it
    alembic(engine, "upgrade", "head")
    assert (
        citations(sessions)
        == written
        == {
            (sha(b"bill"), batch_id, None, "bill.pdf", "application/pdf"),
            (sha(b"photo"), batch_id, None, "photo.png", "image/png"),
            (sha(statement), None, row_id, f"retirement-statement-{row_id}.pdf", "application/pdf"),
        }
    )
    store = EvidenceStore(tmp_path / "evidence", sessions)
    assert store.put(b"photo").file_name == "photo.png"
    assert re.fullmatch(r"retirement-statement-[0-9a-f-]{36}\.pdf", store.put(statement).file_name)
    engine.dispose()
