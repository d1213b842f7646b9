"""Evidence files: the content-addressed store, its HTTP API, and the CLI around batches.

The store is tested on its own (a SQLite file, no chain); the API and the CLI against the
``service`` fixture (uvicorn on loopback, a real anvil), with ``zcl`` run as a subprocess.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from ledger.eip712 import LedgerDomain
from ledger.errors import NotFound
from ledger.evidence import (
    DEFAULT_MAX_BYTES,
    INCOMING_PREFIX,
    EvidenceNotCited,
    EvidenceStore,
    EvidenceTooLarge,
)
from ledger.keys import new_key_file
from ledger.records import RecordError
from ledger.services import build_services
from ledger.signing import parse_signed_batch
from ledger.store import batches as batch_rows
from ledger.store.models import EvidenceRow
from tests.builders import batch_json, example_batch
from tests.conftest import ADMIN, Service, serving
from tests.test_cli import base_env, one_error_line, zcl

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "2025-01"
EVIDENCE = EXAMPLE / "evidence"
BILL = EVIDENCE / "state-grid-bill-2025-01.pdf"
PHOTO = EVIDENCE / "grid-meter-photo-2025-01-31.png"
PASSWORD = "correct horse battery staple"
LIMIT = 1024
DOMAIN = LedgerDomain(31337, "0x" + "11" * 20)
"""A ledger's domain for batches stored without a chain (the store's own tests)."""


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_in(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


def example_evidence() -> dict[str, dict[str, str]]:
    """The example month's evidence entries, by file name, as batch.json states them."""
    batch = json.loads((EXAMPLE / "batch.json").read_text())
    return {e["file_name"]: e for r in batch["records"] for e in r["evidence"]}


# --- the store --------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path, sessions: sessionmaker[Session]) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence", sessions, max_bytes=LIMIT)


def rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(EvidenceRow)) or 0)


_revisions = itertools.count(1)


def cite(sessions: sessionmaker[Session], *files: tuple[bytes, str, str]) -> str:
    """Store a batch as the batch service does (its rows; no chain) whose first record cites each of
    ``files`` (content, file name, media type) and whose other records cite nothing; returns its id."""
    key = Account.create()
    data = example_batch(revision=next(_revisions))
    for record in data["records"]:
        record["evidence"] = []
    data["records"][0]["evidence"] = [{"sha256": sha(content), "file_name": name, "media_type": media_type}
                                      for content, name, media_type in files]  # fmt: skip
    body = batch_json(DOMAIN, key, data)
    batch_id = str(uuid.uuid4())
    with sessions.begin() as session:
        batch_rows.insert_batch(session, batch_id, parse_signed_batch(body), key.address)
    return batch_id


def test_put_stores_a_cited_file_under_its_hash(store: EvidenceStore, sessions: sessionmaker[Session]) -> None:
    data = b"%PDF-1.7 a utility statement"
    cite(sessions, (data, "bill.pdf", "application/pdf"))
    info = store.put(data)
    digest = sha(data)
    assert (info.sha256, info.size, info.file_name, info.media_type) == (
        digest,
        len(data),
        "bill.pdf",
        "application/pdf",
    ), "named as the batch names it"
    assert info.stored_at.tzinfo is not None
    assert files_in(store.directory) == [f"{digest[:2]}/{digest}"]
    path, got = store.get(digest)
    assert path == store.directory / digest[:2] / digest and path.read_bytes() == data
    assert got == info
    assert store.get(digest.upper())[1] == info and store.get("0x" + digest)[1] == info
    assert not os.access(path, os.W_OK) or os.geteuid() == 0, "stored files are read-only"


def test_put_streams_and_is_idempotent(store: EvidenceStore, sessions: sessionmaker[Session]) -> None:
    data = os.urandom(LIMIT)  # exactly the limit is allowed
    cite(sessions, (data, "meter.png", "image/png"))
    first, created = store.store(io.BytesIO(data))
    assert created and first.size == LIMIT and first.sha256 == sha(data) and first.file_name == "meter.png"
    cite(sessions, (data, "other-name.png", "application/octet-stream"))
    again, created = store.store(data)
    assert not created
    assert again == first, "the file keeps the name it was stored under"
    assert store.put(io.BytesIO(data)) == first
    assert files_in(store.directory) == [f"{first.sha256[:2]}/{first.sha256}"]
    assert rows(sessions) == 1


def test_over_the_limit_nothing_is_left(store: EvidenceStore, sessions: sessionmaker[Session]) -> None:
    for data in (b"x" * (LIMIT + 1), io.BytesIO(b"y" * (LIMIT * 5))):
        with pytest.raises(EvidenceTooLarge) as caught:
            store.put(data)
        assert caught.value.field == "file" and f"limit of {LIMIT} bytes" in str(caught.value)
    writer = store.writer()
    writer.write(b"z" * LIMIT)
    with pytest.raises(EvidenceTooLarge):
        writer.write(b"z")
    assert files_in(store.directory) == [] and rows(sessions) == 0


def test_uncited_bytes_are_refused_and_nothing_is_kept(store: EvidenceStore, sessions: sessionmaker[Session]) -> None:
    cite(sessions, (b"the cited bill", "bill.pdf", "application/pdf"))
    for data in (b"a file nobody cites", io.BytesIO(b"another one")):
        with pytest.raises(EvidenceNotCited) as caught:
            store.put(data)
        digest = sha(data if isinstance(data, bytes) else data.getvalue())
        assert digest in str(caught.value) and "no stored batch or claim cites" in str(caught.value)
    assert files_in(store.directory) == [] and rows(sessions) == 0, "not even a temporary file is left"
    assert store.put(b"the cited bill").file_name == "bill.pdf"


def test_get_names_the_hash(store: EvidenceStore) -> None:
    with pytest.raises(RecordError) as caught:
        store.get("not-a-hash")
    assert caught.value.field == "sha256"
    with pytest.raises(RecordError) as caught:
        store.get("../" + "0" * 61)
    assert caught.value.field == "sha256"
    unknown = sha(b"never stored")
    with pytest.raises(NotFound, match=unknown):
        store.get(unknown)
    with pytest.raises(RecordError) as caught:
        store.status([unknown, "abc"])
    assert caught.value.field == "hashes[1]"


def test_status_checks_presence_and_verify_file_the_bytes(
    store: EvidenceStore, sessions: sessionmaker[Session]
) -> None:
    names = {b"kept": "kept.csv", b"lost": "lost.csv", b"good": "tampered.csv", b"long enough": "truncated.csv"}
    cite(sessions, *((data, name, "text/csv") for data, name in names.items()))
    kept, lost, tampered, truncated = (store.put(data) for data in names)
    unknown = sha(b"unknown")
    store.path_for(lost.sha256).unlink()
    for info, content in ((tampered, b"evil"), (truncated, b"short")):  # same size / shorter
        path = store.path_for(info.sha256)
        path.chmod(0o600)
        path.write_bytes(content)

    assert store.status([kept.sha256, lost.sha256, tampered.sha256, truncated.sha256, unknown.upper()]) == {
        kept.sha256: True, lost.sha256: False, tampered.sha256: True, truncated.sha256: False, unknown: False,
    }  # fmt: skip
    assert store.verify_file(kept.sha256)
    assert not store.verify_file(tampered.sha256), "re-hashing finds what a size check cannot"
    assert not store.verify_file(lost.sha256) and not store.verify_file(unknown)
    with pytest.raises(NotFound, match=lost.sha256):
        store.get(lost.sha256)
    assert store.info(lost.sha256) == lost, "the metadata stays; the file is reported missing"

    again, created = store.store(b"lost")
    assert created and again == lost, "uploading the bytes again restores the file"
    assert store.status([lost.sha256]) == {lost.sha256: True}


def test_interrupted_uploads_are_cleaned_up(tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    directory = tmp_path / "evidence"
    directory.mkdir()
    stale, fresh = directory / f"{INCOMING_PREFIX}old", directory / f"{INCOMING_PREFIX}new"
    stale.write_bytes(b"half an upload")
    fresh.write_bytes(b"an upload in progress")
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (day_ago, day_ago))
    EvidenceStore(directory, sessions)
    assert not stale.exists() and fresh.exists()


# --- HTTP -------------------------------------------------------------------------------------


def upload(service: Service, name: str, data: bytes, part_type: str | None = None, **form: str) -> Any:
    """POST /evidence with the file part's Content-Type ``part_type`` and form fields ``form``."""
    files = {"file": (name, data, part_type)} if part_type else {"file": (name, data)}
    return service.http.post("/evidence", files=files, data=form)


def submit_citing(service: Service, factory: LocalAccount, *files: tuple[bytes, str, str]) -> dict[str, Any]:
    """POST the example month whose first record also cites each of ``files`` (content, file name,
    media type); returns the stored batch."""
    data = example_batch()
    data["records"][0]["evidence"] += [{"sha256": sha(d), "file_name": n, "media_type": m} for d, n, m in files]
    response = service.http.post("/batches", json=batch_json(service.ledger, factory, data))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_upload_and_download(service: Service, factory: LocalAccount) -> None:
    submit_citing(service, factory)
    data = BILL.read_bytes()
    first = upload(service, "renamed.bin", data, "application/octet-stream", media_type="text/html")
    assert first.status_code == 201, first.text
    expected = {"sha256": sha(data), "size": len(data), "media_type": "application/pdf", "file_name": BILL.name}
    assert first.json() == expected, "the batch names the file, not the uploader"
    assert first.json()["sha256"] == example_evidence()[BILL.name]["sha256"]
    again = upload(service, "renamed.pdf", data, "application/octet-stream")
    assert again.status_code == 200 and again.json() == expected

    got = service.http.get(f"/evidence/{sha(data)}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == f'inline; filename="{BILL.name}"'

    meta = service.http.get(f"/evidence/{sha(data)}/meta").json()
    assert {k: meta[k] for k in expected} == expected and meta["present"] is True and meta["stored_at"]
    unknown = sha(b"nobody uploaded this")
    status = service.http.post("/evidence/status", json={"hashes": [sha(data).upper(), unknown]})
    assert status.status_code == 200 and status.json() == {sha(data): True, unknown: False}


def test_name_and_media_type_come_from_the_citation(service: Service, factory: LocalAccount) -> None:
    csv, png = b"date,kWh\n2025-01-31,1286420.4\n", b"\x89PNG fake"
    submit_citing(service, factory, (csv, "export.csv", "text/csv"), (png, "photo.png", "image/png"))
    by_form = upload(service, "evil.html", csv, "text/html", media_type="text/html")
    assert by_form.status_code == 201 and (by_form.json()["file_name"], by_form.json()["media_type"]) == (
        "export.csv", "text/csv",
    )  # fmt: skip
    got = service.http.get(f"/evidence/{sha(csv)}")
    assert got.headers["content-type"] == "text/csv", "served as recorded, no charset added"
    assert got.headers["content-disposition"] == 'inline; filename="export.csv"'
    by_part = service.http.post("/evidence", files={"file": ("blob", io.BytesIO(png), "")})
    assert by_part.status_code == 201 and by_part.json()["media_type"] == "image/png"
    assert by_part.json()["file_name"] == "photo.png"


@pytest.mark.parametrize(
    ("name", "data", "media_type"),
    [
        ("statement.html", b"<html><script>alert(document.cookie)</script></html>", "text/html"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml"),
        ("note.xhtml", b'<html xmlns="http://www.w3.org/1999/xhtml"><script>1</script></html>',
         "application/xhtml+xml"),
    ],
)  # fmt: skip
def test_active_content_is_never_rendered_inline(
    service: Service, factory: LocalAccount, name: str, data: bytes, media_type: str
) -> None:
    submit_citing(service, factory, (data, name, media_type))
    assert upload(service, "harmless.txt", data, "text/plain").status_code == 201
    got = service.http.get(f"/evidence/{sha(data)}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]


def test_http_refusals(service: Service) -> None:
    unknown = sha(b"not here")
    missing = service.http.get(f"/evidence/{unknown}")
    assert missing.status_code == 404 and unknown in missing.json()["detail"]
    assert service.http.get(f"/evidence/{unknown}/meta").status_code == 404

    bad = service.http.get("/evidence/1234")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "sha256"

    directory = service.database.parent / "evidence"
    before = files_in(directory)
    uncited = upload(service, "bill.pdf", b"nobody cites this", "application/pdf")
    assert uncited.status_code == 409, uncited.text
    assert (
        sha(b"nobody cites this") in uncited.json()["detail"] and "no stored batch or claim" in uncited.json()["detail"]
    )
    assert files_in(directory) == before, "nothing of an uncited upload is kept"
    no_file = service.http.post("/evidence", files={"media_type": (None, "text/plain")})
    assert no_file.status_code == 422 and no_file.json()["detail"][0]["loc"][-1] == "file"
    assert service.http.post("/evidence", json={"file": "x"}).status_code == 415
    cut_off = b'--B\r\nContent-Disposition: form-data; name="file"; filename="t.txt"\r\n\r\nno closing boundary'
    refused = service.http.post(
        "/evidence", content=cut_off, headers={"Content-Type": "multipart/form-data; boundary=B"}
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "file"
    bad_status = service.http.post("/evidence/status", json={"hashes": [unknown, "xyz"]})
    assert bad_status.status_code == 422 and bad_status.json()["detail"][0]["loc"][-2:] == ["hashes", 1]

    too_big = upload(service, "scan.tiff", b"\0" * (DEFAULT_MAX_BYTES + 1), "image/tiff")
    assert too_big.status_code == 413 and str(DEFAULT_MAX_BYTES) in too_big.json()["detail"]
    assert files_in(directory) == before, "nothing of a refused upload is kept"
    assert service.http.post("/evidence/status", json={"hashes": [sha(b"\0" * (DEFAULT_MAX_BYTES + 1))]}).json() == {
        sha(b"\0" * (DEFAULT_MAX_BYTES + 1)): False
    }


def test_without_an_evidence_directory_the_routes_answer_503(service: Service) -> None:
    with serving(create_app(build_services(service.ledger, service.services.sessions), "token")) as client:
        for response in (
            client.post("/evidence", files={"file": ("a.txt", b"a")}),
            client.get(f"/evidence/{sha(b'a')}"),
            client.post("/evidence/status", json={"hashes": []}),
            client.get("/batches/anything/evidence"),
        ):
            assert response.status_code == 503 and "not configured" in response.json()["detail"]


def test_batch_evidence_reports_what_is_missing(service: Service, factory: LocalAccount) -> None:
    batch = submit_citing(service, factory)
    assert upload(service, BILL.name, BILL.read_bytes(), "application/pdf").status_code == 201

    report = service.http.get(f"/batches/{batch['id']}/evidence")
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["batch_id"] == batch["id"] and body["complete"] is False
    first = body["records"][0]
    assert first["record_id"] == batch["records"][0]["id"] and first["source_id"] == "meter-3205-10K-0457"
    refs = {e["file_name"]: e for e in first["evidence"]}
    assert refs[BILL.name]["present"] is True
    assert refs[PHOTO.name] == example_evidence()[PHOTO.name] | {"present": False}, "a missing file is reported"
    cited = {e["sha256"] for r in body["records"] for e in r["evidence"]}
    assert body["referenced"] == len(cited) == 6
    assert {m["sha256"] for m in body["missing"]} == cited - {sha(BILL.read_bytes())}
    assert sum(len(r["evidence"]) for r in body["records"]) == 7, "every reference is listed, also repeated ones"

    assert service.http.get("/batches/no-such-batch/evidence").status_code == 404


# --- CLI --------------------------------------------------------------------------------------


@pytest.fixture
def cli(served: Service, tmp_path: Path) -> dict[str, Any]:
    """A user's shell against the fixture's service (served on a port for ``zcl``); the factory's key
    is in a keystore."""
    service = served
    key_file = tmp_path / "factory.json"
    signer = new_key_file(key_file, PASSWORD).address
    body = {"id": "CN-JS-SZ-0001", "name": "Suzhou Precision Components", "signer": signer}
    assert service.http.post("/factories", json=body, headers=ADMIN).status_code == 201
    env = base_env(ZCL_API_URL=str(service.http.base_url).rstrip("/"), ZCL_KEY_PASSWORD=PASSWORD,
                   ZCL_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    return {"env": env, "cwd": tmp_path, "key": key_file}


def batch_with_paths(directory: Path) -> Path:
    """examples/2025-01/batch.json with every evidence entry a path to the example's file."""
    data = json.loads((EXAMPLE / "batch.json").read_text())
    for record in data["records"]:
        record["evidence"] = [{"path": f"evidence/{e['file_name']}"} for e in record["evidence"]]
    data["records"][1]["evidence"][0]["media_type"] = "application/pdf"  # given rather than guessed
    shutil.copytree(EVIDENCE, directory / "evidence")
    path = directory / "BATCH.json"
    path.write_text(json.dumps(data, indent=2))
    return path


@pytest.mark.e2e  # runs `zcl` as a subprocess
def test_batch_sign_hashes_evidence_paths(cli: dict[str, Any], tmp_path: Path) -> None:
    month = tmp_path / "month"
    month.mkdir()
    batch_file = batch_with_paths(month)
    original = batch_file.read_bytes()
    zcl("batch", "sign", str(batch_file), "--key", str(cli["key"]), "--out", "SIGNED.json",
        env=cli["env"], cwd=cli["cwd"])  # fmt: skip
    assert batch_file.read_bytes() == original, "BATCH.json is not modified"
    signed = json.loads((tmp_path / "SIGNED.json").read_text())
    expected = json.loads((EXAMPLE / "batch.json").read_text())
    assert [r["evidence"] for r in signed["records"]] == [r["evidence"] for r in expected["records"]]

    broken = json.loads(original)
    broken["records"][2]["evidence"][0]["path"] = "evidence/no-such-export.csv"
    batch_file.write_text(json.dumps(broken))
    failed = zcl("batch", "sign", str(batch_file), "--key", str(cli["key"]), "--out", "OTHER.json",
                 env=cli["env"], cwd=cli["cwd"], code=1)  # fmt: skip
    line = one_error_line(failed)
    assert line.startswith("zcl: records[2].evidence[0].path: ") and "no-such-export.csv" in line
    assert not (tmp_path / "OTHER.json").exists()


@pytest.mark.e2e  # runs `zcl` as a subprocess
def test_evidence_upload_and_get(cli: dict[str, Any], service: Service, tmp_path: Path) -> None:
    env, cwd = cli["env"], cli["cwd"]
    csv = EVIDENCE / "steam-statement-2025-01.csv"
    refused = one_error_line(zcl("evidence", "upload", str(BILL), env=env, cwd=cwd, code=1))
    assert refused.startswith("zcl: 409: ") and sha(BILL.read_bytes()) in refused, "no batch cites it yet"
    zcl("batch", "sign", str(EXAMPLE / "batch.json"), "--key", str(cli["key"]), "--out", "SIGNED.json",
        env=env, cwd=cwd)  # fmt: skip
    zcl("batch", "submit", "SIGNED.json", env=env, cwd=cwd)
    renamed = tmp_path / "scan.bin"
    shutil.copy(csv, renamed)
    first = zcl("evidence", "upload", str(BILL), str(renamed), env=env, cwd=cwd).stdout.splitlines()
    assert first == [
        f"{sha(BILL.read_bytes())}  {BILL.name}  {BILL.stat().st_size}  stored",
        f"{sha(csv.read_bytes())}  scan.bin  {csv.stat().st_size}  stored (recorded as {csv.name})",
    ]
    again = zcl("evidence", "upload", str(BILL), env=env, cwd=cwd).stdout
    assert again == f"{sha(BILL.read_bytes())}  {BILL.name}  {BILL.stat().st_size}  already stored\n"
    assert service.http.get(f"/evidence/{sha(csv.read_bytes())}/meta").json()["media_type"] == "text/csv"

    out = zcl("evidence", "get", sha(BILL.read_bytes()), "--out", "fetched/bill.pdf", env=env, cwd=cwd).stdout
    assert (tmp_path / "fetched" / "bill.pdf").read_bytes() == BILL.read_bytes()
    assert out.startswith("wrote fetched/bill.pdf: " + sha(BILL.read_bytes()))

    unknown = sha(b"unknown")
    line = one_error_line(zcl("evidence", "get", unknown, "--out", "x.bin", env=env, cwd=cwd, code=1))
    assert line.startswith("zcl: 404: ") and unknown in line and not (tmp_path / "x.bin").exists()
    line = one_error_line(zcl("evidence", "get", "12ab", "--out", "x.bin", env=env, cwd=cwd, code=1))
    assert line.startswith("zcl: sha256: ")


@pytest.mark.e2e  # runs `zcl` as a subprocess
def test_batch_submit_uploads_cited_evidence_and_lists_what_is_missing(
    cli: dict[str, Any], service: Service, tmp_path: Path
) -> None:
    env, cwd = cli["env"], cli["cwd"]
    month = tmp_path / "month"
    month.mkdir()
    batch_file = batch_with_paths(month)
    zcl("batch", "sign", str(batch_file), "--key", str(cli["key"]), "--out", "SIGNED.json", env=env, cwd=cwd)
    cited = example_evidence()
    photo_sha = cited[PHOTO.name]["sha256"]

    folder = tmp_path / "to-upload"
    folder.mkdir()
    for file in EVIDENCE.iterdir():
        if file != PHOTO:  # the meter photo is not at hand
            shutil.copy(file, folder / file.name)
    (folder / "unrelated.txt").write_bytes(b"not cited by any record")

    result = zcl("batch", "submit", "SIGNED.json", "--evidence-dir", str(folder), env=env, cwd=cwd)
    lines = result.stdout.splitlines()
    assert re.match(r"^batch\s+\S+ anchored tx 0x[0-9a-f]{64} block \d+$", lines[0]), result.stdout
    assert sum(line.startswith("record ") for line in lines) == 6
    uploaded = {line.split()[2] for line in lines if line.startswith("uploaded evidence ")}
    assert uploaded == {e["sha256"] for e in cited.values()} - {photo_sha}
    assert "missing" not in result.stdout, "what is missing is a warning, on stderr"
    assert result.stderr.splitlines()[-3:] == [
        "zcl: warning: the service does not hold 1 evidence file(s) these records cite:",
        f"zcl:   {PHOTO.name}  sha256 {photo_sha}",
        f"zcl: add them with: zcl evidence upload {folder / PHOTO.name}",
    ]

    hashes = [e["sha256"] for e in cited.values()] + [sha(b"not cited by any record")]
    present = service.http.post("/evidence/status", json={"hashes": hashes}).json()
    assert present == {h: h != photo_sha and h != hashes[-1] for h in hashes}, "only cited files are uploaded"
    for name, ref in cited.items():
        if name != PHOTO.name:
            meta = service.http.get(f"/evidence/{ref['sha256']}/meta").json()
            assert (meta["file_name"], meta["media_type"]) == (name, ref["media_type"])

    # the photo follows later; the batch's evidence is then complete
    zcl("evidence", "upload", str(PHOTO), env=env, cwd=cwd)
    batch_id = lines[0].split()[1]
    report = service.http.get(f"/batches/{batch_id}/evidence").json()
    assert report["complete"] is True and report["missing"] == []
    again = zcl("batch", "submit", "SIGNED.json", "--evidence-dir", str(folder), env=env, cwd=cwd)
    assert "missing" not in again.stdout + again.stderr and "uploaded" not in again.stdout


def test_settings_evidence_dir_and_limit(tmp_path: Path) -> None:
    from ledger.config import ConfigError, Settings

    settings = Settings.from_env({"ZCL_DATA_DIR": str(tmp_path)})
    assert settings.evidence_dir == tmp_path.resolve() / "evidence"
    assert settings.evidence_max_bytes == DEFAULT_MAX_BYTES == 25 * 1024 * 1024
    assert Settings.from_env({"ZCL_EVIDENCE_MAX_BYTES": "1048576"}).evidence_max_bytes == 1048576
    for bad in ("25MiB", "0", "-1"):
        with pytest.raises(ConfigError, match="ZCL_EVIDENCE_MAX_BYTES"):
            Settings.from_env({"ZCL_EVIDENCE_MAX_BYTES": bad})
