"""Big batches: streamed NDJSON upload, bulk storage, paged records, every proof in one stream.

Against the real service (uvicorn on loopback, a real database, a real anvil): nothing is mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import func, select

from api.app import DEFAULT_MAX_BODY_BYTES, create_app
from ledger.merkle import verify
from ledger.records import RecordError, new_salt
from ledger.signing import NDJSON, parse_signed_batch
from ledger.store.models import BatchRow, RecordRow
from ledger.streamed import SignedBatchStream
from ledger.verify import verify_bundle
from tests.builders import FACTORY_ID, batch_json
from tests.conftest import ADMIN, Service, serving

TZ = timezone(timedelta(hours=8))
ZCL = str(Path(sys.executable).with_name("zcl"))


def readings(n: int, factory_id: str = FACTORY_ID, period: str = "2025-01") -> dict[str, Any]:
    """``n`` quarter-hour sub-meter readings (96 a day per meter), some with evidence."""
    first = datetime(int(period[:4]), int(period[5:]), 1, tzinfo=TZ)
    records = []
    for i in range(n):
        meter, slot = divmod(i, 96 * 28)
        start = first + timedelta(minutes=15 * slot)
        evidence = (
            [{"sha256": f"{i:064x}", "file_name": f"export-{i}.csv", "media_type": "text/csv"}] if i % 97 == 0 else []
        )
        records.append({
            "source_id": f"submeter-{meter:02d}", "kind": "grid_electricity", "value": f"{i % 1000}.{i % 7}",
            "unit": "kWh", "interval_start": start.isoformat(), "interval_end": (start + timedelta(minutes=15)).isoformat(),
            "evidence": evidence, "salt": "0x" + new_salt().hex(),
        })  # fmt: skip
    return {"factory_id": factory_id, "period": period, "revision": 1, "uri": "", "records": records}


def ndjson(signed: dict[str, Any]) -> bytes:
    envelope = {k: v for k, v in signed.items() if k != "records"}
    return ("\n".join(json.dumps(x) for x in [envelope, *signed["records"]]) + "\n").encode()


def post_stream(http: httpx.Client, body: bytes, piece: int = 65536) -> httpx.Response:
    chunks = (body[k : k + piece] for k in range(0, len(body), piece))  # a streamed (chunked) upload
    return http.post("/batches", content=chunks, headers={"Content-Type": NDJSON})


def stored(service: Service) -> tuple[int, int]:
    with service.services.sessions() as session:
        return (session.scalar(select(func.count()).select_from(BatchRow)) or 0,
                session.scalar(select(func.count()).select_from(RecordRow)) or 0)  # fmt: skip


@pytest.fixture
def factory_name() -> str:
    return "Suzhou"


@pytest.mark.usefixtures("served")  # a streamed (chunked) upload over a real socket
def test_a_streamed_batch_is_stored_anchored_paged_and_proved(service: Service, factory: LocalAccount) -> None:
    n = 2345
    data = readings(n)
    body = batch_json(service.ledger, factory, data)
    response = post_stream(service.http, ndjson(body))
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["status"] == "anchored" and batch["tx_hash"] and batch["leaf_count"] == n
    assert batch["record_count"] == n and len(batch["records"]) == 1000 and batch["next_offset"] == 1000
    anchor = service.ledger.get_anchor(FACTORY_ID, "2025-01", 1)
    assert "0x" + anchor.root.hex() == batch["root"] == body["root"] and anchor.leaf_count == n

    # the same body again is the same batch (200); nothing new is stored
    again = post_stream(service.http, ndjson(body))
    assert again.status_code == 200, again.text
    assert again.json()["id"] == batch["id"] and stored(service) == (1, n)

    # pages: every record once, in order, the last page says there is no next one
    records: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = service.http.get(f"/batches/{batch['id']}", params={"offset": offset, "limit": 700}).json()
        assert page["offset"] == offset and page["record_count"] == n
        records += page["records"]
        offset = page["next_offset"]
    assert [r["position"] for r in records] == list(range(n))
    assert [r["value"] for r in records] == [r["value"] for r in data["records"]]
    assert records[:1000] == batch["records"]
    assert service.http.get(f"/batches/{batch['id']}", params={"limit": 10_001}).status_code == 422
    assert service.http.get(f"/batches/{batch['id']}", params={"offset": -1}).status_code == 422

    # stored exactly as the JSON path stores a record: the canonical JSON that was hashed
    parsed = parse_signed_batch(body)
    bodies = service.services.batches.record_bodies(batch["id"])
    expected = [json.dumps(r.to_json(), sort_keys=True, ensure_ascii=False) for r in parsed.batch.records]
    assert bodies == expected

    # every proof, one line per record, each leading to the root anchored on chain
    with service.http.stream("GET", f"/batches/{batch['id']}/proofs") as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith(NDJSON)
        assert stream.headers["x-zcl-root"] == batch["root"] and stream.headers["x-zcl-leaf-count"] == str(n)
        lines = [json.loads(line) for line in stream.iter_lines() if line]
    assert [p["index"] for p in lines] == list(range(n))
    assert [p["record_id"] for p in lines] == [r["id"] for r in records]
    assert [p["record_hash"] for p in lines] == [r["record_hash"] for r in records]
    for p in lines:
        assert verify(anchor.root, bytes.fromhex(p["record_hash"][2:]), [bytes.fromhex(x[2:]) for x in p["proof"]])
    for p in (lines[0], lines[n // 2], lines[-1]):
        proof = [bytes.fromhex(x[2:]) for x in p["proof"]]
        assert service.ledger.verify_anchored_record(
            FACTORY_ID, "2025-01", 1, bytes.fromhex(p["record_hash"][2:]), proof
        )
        bundle = service.http.get(f"/records/{p['record_id']}/proof").json()
        assert bundle["proof"] == p["proof"] and bundle["leaf"] == p["leaf"]
        assert verify_bundle(bundle, service.w3).valid
    # the same proofs a page at a time: lines identical to the full stream's, the next page named
    pages, offset = [], 0
    while offset is not None:
        with service.http.stream(
            "GET", f"/batches/{batch['id']}/proofs", params={"offset": offset, "limit": 777}
        ) as page:
            assert page.status_code == 200, page.read()
            pages += [json.loads(line) for line in page.iter_lines() if line]
            following = page.headers.get("x-zcl-next-offset")
        offset = int(following) if following is not None else None
    assert pages == lines
    assert service.http.get(f"/batches/{batch['id']}/proofs", params={"limit": 0}).status_code == 422
    tampered = dict(lines[5], proof=lines[6]["proof"])
    assert not verify(
        anchor.root, bytes.fromhex(tampered["record_hash"][2:]), [bytes.fromhex(x[2:]) for x in tampered["proof"]]
    )


def test_the_json_path_pages_its_answer_too(service: Service, factory: LocalAccount) -> None:
    body = batch_json(service.ledger, factory, readings(1001))
    response = service.http.post("/batches", json=body)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["record_count"] == 1001 and len(batch["records"]) == 1000 and batch["next_offset"] == 1000
    last = service.http.get(f"/batches/{batch['id']}", params={"offset": 1000}).json()
    assert [r["position"] for r in last["records"]] == [1000] and last["next_offset"] is None
    # the streamed form of the same signed batch is recognised as the same batch
    assert post_stream(service.http, ndjson(body)).json()["id"] == batch["id"]


BAD_LINES: list[tuple[str, Callable[[list[bytes]], None], list[Any], str]] = [
    (
        "value",
        lambda ls: ls.__setitem__(42, ls[42].replace(b'"value": "', b'"value": "-')),
        ["records", 41, "value"],
        "cannot be negative, got '-41.6' (line 43)",
    ),
    ("not json", lambda ls: ls.__setitem__(10, ls[10][:-3]), ["records", 9], "not valid JSON"),
    (
        "unknown key",
        lambda ls: ls.__setitem__(3, ls[3].replace(b"{", b'{"approved": 1, ', 1)),
        ["records", 2, "approved"],
        "unknown field",
    ),
    ("one too many", lambda ls: ls.append(ls[-1]), ["records", 60], "one more record than leaf_count 60 (line 62)"),
    ("one too few", lambda ls: ls.pop(), ["leaf_count"], "is 60 but the batch has 59"),
    ("duplicate", lambda ls: ls.__setitem__(8, ls[4]), ["records", 7], "duplicates records[3] (line 9)"),
    ("blank line", lambda ls: ls.insert(20, b""), ["batch"], "line 21 is blank"),
    (
        "records in the envelope",
        lambda ls: ls.__setitem__(0, ls[0].replace(b"{", b'{"records": [], ', 1)),
        ["records"],
        "one per line",
    ),
    (
        "envelope field",
        lambda ls: ls.__setitem__(0, ls[0].replace(b'"chain_id": ', b'"chain_id": -')),
        ["chain_id"],
        "positive integer",
    ),
    (
        "not the signed records",
        lambda ls: ls.__setitem__(5, ls[5].replace(b'"value": "', b'"value": "1')),
        ["root"],
        "does not match the records",
    ),
]


@pytest.mark.parametrize(("change", "loc", "fragment"), [c[1:] for c in BAD_LINES], ids=[c[0] for c in BAD_LINES])
@pytest.mark.usefixtures("served")  # a streamed (chunked) upload over a real socket
def test_a_bad_line_is_refused_naming_field_and_line_and_nothing_is_stored(
    service: Service, factory: LocalAccount, change: Callable[[list[bytes]], None], loc: list[Any], fragment: str
) -> None:
    lines = ndjson(batch_json(service.ledger, factory, readings(60))).split(b"\n")[:-1]
    change(lines)
    response = post_stream(service.http, b"\n".join(lines) + b"\n", piece=777)  # lines split across chunks
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", *loc] and fragment in detail["msg"], detail
    assert stored(service) == (0, 0)
    assert service.ledger.revision_count(FACTORY_ID, "2025-01") == 0


@pytest.mark.usefixtures("served")  # a streamed (chunked) upload over a real socket
def test_a_streamed_batch_signed_by_another_key_is_refused(
    service: Service, factory: LocalAccount, new_account: Callable[[], LocalAccount]
) -> None:
    body = batch_json(service.ledger, new_account(), readings(50))
    response = post_stream(service.http, ndjson(body))
    assert response.status_code == 403, response.text
    assert "registered signer" in response.json()["detail"]
    assert stored(service) == (0, 0)
    replay = batch_json(service.ledger, factory, readings(50))
    assert post_stream(service.http, ndjson(replay)).status_code == 201
    other = batch_json(service.ledger, factory, readings(50))  # revision 1 again, other data
    assert post_stream(service.http, ndjson(other)).status_code == 409


def test_proofs_of_a_missing_batch_are_404(service: Service) -> None:
    assert service.http.get("/batches/nope/proofs").status_code == 404


def test_the_stream_parser_gives_the_same_batch_whatever_the_chunks(service: Service, factory: LocalAccount) -> None:
    body = batch_json(service.ledger, factory, readings(30))
    data = ndjson(body).replace(b"\n", b"\r\n")  # CRLF line ends are fine
    whole = SignedBatchStream()
    whole.feed(data)
    bytewise = SignedBatchStream()
    for k in range(len(data)):
        bytewise.feed(data[k : k + 1])
    assert whole.finish() == bytewise.finish() == parse_signed_batch(body)

    few = SignedBatchStream(max_records=29)
    with pytest.raises(RecordError) as info:
        few.feed(data)
    assert info.value.field == "leaf_count" and "between 1 and 29" in info.value.message
    short = SignedBatchStream(max_line_bytes=200)
    with pytest.raises(RecordError) as info:
        short.feed(data)
    assert "longer than 200 bytes" in info.value.message
    with pytest.raises(RecordError) as info:
        SignedBatchStream().finish()
    assert info.value.field == "batch" and "empty" in info.value.message
    # deep nesting is refused before decoding (dependencies raise the recursion limit to 100,000,
    # deep enough for the decoder to overflow the C stack); brackets inside strings do not count
    deep = SignedBatchStream()
    with pytest.raises(RecordError) as info:
        deep.feed(data.split(b"\r\n")[0] + b"\n" + b"[" * 200_000 + b"\n")
    assert info.value.field == "records[0]" and "nested deeper than 32 (line 2)" in info.value.message
    braces = json.loads(data.split(b"\r\n")[1])
    braces["source_id"] = "{[" * 40
    decoded = SignedBatchStream()
    decoded.feed(data.split(b"\r\n")[0] + b"\n" + json.dumps(braces).encode() + b"\n")
    assert decoded.records == 1  # a valid record (of another batch: fewer records, another root)


def test_the_body_limit_bounds_json_but_not_a_stream(service: Service, factory: LocalAccount) -> None:
    body = batch_json(service.ledger, factory, readings(400))
    streamed = ndjson(body)
    limit = len(streamed) // 4
    assert DEFAULT_MAX_BODY_BYTES > len(streamed)
    with serving(create_app(service.services, "t", max_body_bytes=limit)) as http:
        assert http.post("/batches", json=body).status_code == 413
        assert post_stream(http, streamed).status_code == 201
    with serving(create_app(service.services, "t", max_body_bytes=limit, max_stream_bytes=limit)) as http:
        response = post_stream(http, streamed)
        assert response.status_code == 413 and str(limit) in response.json()["detail"]
    with serving(create_app(service.services, "t", max_batch_records=399)) as http:
        response = post_stream(http, streamed)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "leaf_count"]


@pytest.mark.e2e  # runs `zcl` as a subprocess
@pytest.mark.usefixtures("served")  # zcl reaches it over its URL
def test_zcl_signs_ndjson_and_streams_it_with_progress(service: Service, tmp_path: Path) -> None:
    password = "correct horse battery staple"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZCL_")} | {
        "ZCL_KEY_PASSWORD": password, "ZCL_API_URL": str(service.http.base_url).rstrip("/"),
        "ZCL_DATA_DIR": str(tmp_path / "data"),
    }  # fmt: skip

    def zcl(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [ZCL, *args], check=False, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert password not in result.stdout + result.stderr
        return result

    address = zcl("key", "new", "--out", "factory.json").stdout.split()[-1]
    assert service.http.post("/factories", json={"id": FACTORY_ID, "name": "S", "signer": address},
                             headers=ADMIN).status_code == 201  # fmt: skip
    n = 3000
    data = readings(n)
    for record in data["records"]:
        del record["salt"]  # zcl batch sign adds them
    (tmp_path / "batch.json").write_text(json.dumps(data))
    zcl("batch", "sign", "batch.json", "--key", "factory.json", "--out", "signed.ndjson")
    lines = (tmp_path / "signed.ndjson").read_text().splitlines()
    envelope = json.loads(lines[0])
    assert len(lines) == n + 1 and "records" not in envelope and envelope["leaf_count"] == n
    assert all(json.loads(line)["salt"].startswith("0x") for line in lines[1:])

    submitted = zcl("batch", "submit", "signed.ndjson")
    out = submitted.stdout.splitlines()
    assert out[0].startswith("batch ") and " anchored tx 0x" in out[0], submitted.stdout
    assert out[1].startswith(f"records {n:,} ")
    progress = [line for line in submitted.stderr.splitlines() if line.startswith("zcl: sent ")]
    assert progress and f"{n:,} of {n:,} records" in progress[-2], submitted.stderr
    assert progress[-1] == f"zcl: sent {n:,} records; the service is storing and anchoring them"
    batch_id = out[0].split()[1]

    zcl("batch", "proofs", batch_id, "--out", "proofs.ndjson")
    proofs = [json.loads(line) for line in (tmp_path / "proofs.ndjson").read_text().splitlines()]
    root = service.ledger.get_anchor(FACTORY_ID, "2025-01", 1).root
    assert len(proofs) == n and "0x" + root.hex() == envelope["root"]
    assert all(verify(root, bytes.fromhex(p["record_hash"][2:]), [bytes.fromhex(x[2:]) for x in p["proof"]])
               for p in proofs[::97])  # fmt: skip
    shown = json.loads(zcl("--json", "batch", "show", batch_id, "--offset", "2990").stdout)
    assert [r["position"] for r in shown["records"]] == list(range(2990, 3000))


def test_batch_limits_come_from_the_environment() -> None:
    from ledger.config import ConfigError, Settings

    assert Settings.from_env({}).max_batch_records is None  # the API's own default applies
    settings = Settings.from_env(
        {"ZCL_MAX_BATCH_RECORDS": "250000", "ZCL_MAX_STREAM_BYTES": "1073741824", "ZCL_MAX_STREAMS_PER_CLIENT": "3"}
    )
    assert (settings.max_batch_records, settings.max_stream_bytes, settings.max_streams_per_client) == (
        250_000, 1 << 30, 3,
    )  # fmt: skip
    assert settings.spool_dir == settings.data_dir / "spool"
    for name in ("ZCL_MAX_BATCH_RECORDS", "ZCL_MAX_STREAM_BYTES", "ZCL_MAX_STREAMS_PER_CLIENT"):
        for bad in ("1e6", "0", "-5", "lots"):
            with pytest.raises(ConfigError, match=name):
                Settings.from_env({name: bad})


def test_the_batch_page_shows_one_page_of_records_proven_against_the_chain(
    service: Service, factory: LocalAccount
) -> None:
    n = 1234
    body = batch_json(service.ledger, factory, readings(n))
    batch = post_stream(service.http, ndjson(body)).json()
    first = service.http.get(f"/batch/{batch['id']}")
    assert first.status_code == 200
    assert "records give the on-chain root" in first.text
    assert first.text.count("proven against chain") == 500 and "not proven" not in first.text
    assert f"Records 1–500 of {n:,}" in first.text and 'href="?offset=500" rel="next"' in first.text
    last = service.http.get(f"/batch/{batch['id']}", params={"offset": 1000})
    assert last.text.count("proven against chain") == n - 1000
    assert f"Records 1,001–{n:,} of {n:,}" in last.text and 'rel="next"' not in last.text
    assert 'href="?offset=500" rel="prev"' in last.text
    assert service.http.get(f"/batch/{batch['id']}", params={"offset": -1}).status_code == 422

    # the page rebuilds the root from the stored hashes, not from a cache: a changed hash shows
    with service.services.sessions.begin() as session:
        row = session.scalars(select(RecordRow).where(RecordRow.batch_id == batch["id"], RecordRow.position == 7)).one()
        row.record_hash = "0x" + "ab" * 32
    tampered = service.http.get(f"/batch/{batch['id']}")
    assert "records do NOT give the on-chain root" in tampered.text
