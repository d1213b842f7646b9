"""The web upload flow's API: POST /imports/preview (multipart: file, mapping as JSON, factory_id,
period) and GET /imports/templates, through the in-process client over a real service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ledger.imports import MAX_FILE_BYTES
from tests.builders import FACTORY_ID

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "examples" / "import-templates"


def _templates(service: Any) -> dict[str, Any]:
    answer = service.http.get("/imports/templates")
    assert answer.status_code == 200, answer.text
    return {t["name"]: t for t in answer.json()}


def _preview(service: Any, name: str, data: bytes, mapping: Any, **form: str) -> Any:
    fields = {"mapping": json.dumps(mapping, ensure_ascii=False), **form}
    return service.http.post("/imports/preview", files={"file": (name, data)}, data=fields)


def test_templates_list_every_shipped_mapping(service: Any) -> None:
    found = _templates(service)
    assert set(found) == {"state-grid-bill", "ems-15min", "pv-inverter", "production-sheet"}
    assert found["production-sheet"]["mapping"]["file"]["sheet"] == "产量"
    sample = service.http.get("/imports/templates/production-sheet/sample")
    assert sample.status_code == 200 and sample.content == (TEMPLATES / "production-sheet/sample.xlsx").read_bytes()
    assert service.http.get("/imports/templates/nope/sample").status_code == 404


def test_preview_of_a_template_sample(service: Any) -> None:
    template = _templates(service)["state-grid-bill"]
    data = (TEMPLATES / "state-grid-bill/sample.csv").read_bytes()
    answer = _preview(service, "国网账单.csv", data, template["mapping"], factory_id=FACTORY_ID, period="2025-01")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["errors"] == [] and body["period"] == "2025-01"
    assert body["summary"]["rows"] == 2 and body["summary"]["records"] == 2
    assert body["summary"]["by_source"][0] == {"source": "meter-3205-10K-0457", "kind": "grid_electricity",
                                               "unit": "kWh", "total": "1286420.4", "count": 1}  # fmt: skip
    record = body["records"][0]
    assert record["interval_end"] == "2025-02-01T00:00:00+08:00" and "salt" not in record
    assert record["evidence"][0]["file_name"] == "国网账单.csv"


def test_preview_lists_row_errors_in_the_readers_language(service: Any) -> None:
    mapping = _templates(service)["ems-15min"]["mapping"]
    rows = ["时间,1#进线总表有功电量(kWh),2#办公楼电表有功电量(kWh)", "2025-01-01 00:15,1,2",
            "2025-01-01 00:30,abc,2", "2025-01-01 01:00,1,2"]  # fmt: skip
    data = ("\n".join(rows) + "\n").encode("gbk")
    for lang, word in (("en", "not a number"), ("zh-CN", "不是数字")):
        answer = service.http.post(
            "/imports/preview", files={"file": ("ems.csv", data)},
            data={"mapping": json.dumps(mapping), "factory_id": FACTORY_ID}, headers={"Accept-Language": lang},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        errors = answer.json()["errors"]
        assert [e["row"] for e in errors] == sorted(e["row"] for e in errors)  # in row order
        first = next(e for e in errors if e["code"] == "not_a_number")
        assert (first["row"], first["column"], first["column_letter"], first["code"]) == (
            3, "1#进线总表有功电量(kWh)", "B", "not_a_number")  # fmt: skip
        assert word in first["message"] and first["file"] == "ems.csv"
        assert {"gap", "incomplete"} <= {e["code"] for e in errors}


def test_a_bad_mapping_is_422_naming_the_field(service: Any) -> None:
    mapping = _templates(service)["pv-inverter"]["mapping"]
    mapping["columns"][0]["unit"] = "furlongs"
    answer = _preview(service, "pv.csv", b"x", mapping)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "mapping", "columns", 0, "unit"]
    answer = service.http.post("/imports/preview", files={"file": ("pv.csv", b"x")}, data={"mapping": "{"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "mapping"]
    answer = service.http.post("/imports/preview", data={"mapping": "{}"}, files={"other": ("a", b"b")})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "file"]
    bad_period = _preview(service, "pv.csv", b"x", _templates(service)["pv-inverter"]["mapping"], period="2025-13")
    assert bad_period.status_code == 422 and bad_period.json()["detail"][0]["loc"] == ["body", "period"]


def test_uploads_over_the_limit_are_refused(service: Any) -> None:
    mapping = _templates(service)["ems-15min"]["mapping"]
    answer = _preview(service, "big.csv", b"0" * (MAX_FILE_BYTES + 1), mapping)
    assert answer.status_code == 413
    assert service.http.post("/imports/preview", json={"mapping": {}}).status_code == 415


def test_inspect_shows_columns_and_first_rows_before_mapping(service: Any) -> None:
    data = (TEMPLATES / "production-sheet/sample.xlsx").read_bytes()
    answer = service.http.post("/imports/inspect", files={"file": ("产量.xlsx", data)},
                               data={"mapping": json.dumps({"file": {"header_row": 3}})})  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["sheets"] == ["产量"] and body["header_row"] == 3
    assert body["columns"][4] == {"name": "合计(吨)", "letter": "E"}
    assert body["rows"][0]["row"] == 4 and body["rows"][0]["cells"][0] == "2025-01-01 00:00:00"
    csv = service.http.post("/imports/inspect", files={"file": ("bill.csv", (TEMPLATES / "state-grid-bill/sample.csv")
                                                                 .read_bytes())})  # fmt: skip
    assert csv.json()["encoding"] == "gb18030" and csv.json()["columns"][1]["name"] == "表号"
    bad = service.http.post("/imports/inspect", files={"file": ("a.csv", b"a,b\n")},
                            data={"mapping": json.dumps({"file": {"encoding": "latin-9"}})})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "mapping", "file", "encoding"]


def test_a_chunked_upload_over_the_limit_is_refused_as_it_streams(served: Any) -> None:
    """Over a real socket, without a Content-Length: the body is counted as it arrives."""
    from api.routes.imports import MAX_BODY_BYTES
    from tests.test_abuse import _raw_post

    piece = b"0" * (1024 * 1024)
    part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
    chunks = [b"%x\r\n%s\r\n" % (len(part), part)]
    chunks += [b"%x\r\n%s\r\n" % (len(piece), piece)] * (MAX_BODY_BYTES // len(piece) + 1) + [b"0\r\n\r\n"]
    head = (b"POST /imports/preview HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n\r\n")  # fmt: skip
    code, body = _raw_post(str(served.http.base_url).rstrip("/"), head, chunks)
    assert code == 413, body
    assert str(MAX_BODY_BYTES) in json.loads(body)["detail"]
    assert served.http.get("/imports/templates").status_code == 200
