"""The OpenAPI document describes every answer: clients are generated from it, so an operation
whose success has no schema (FastAPI's `{}` for an untyped dict) is a client that cannot be."""

from __future__ import annotations

from collections.abc import Callable
from hashlib import sha256
from typing import Any

from eth_account.signers.local import LocalAccount
from pydantic import BaseModel

from api.schemas import BatchStatusOut, EvidenceOut
from tests.builders import FACTORY_ID, batch_json
from tests.conftest import ADMIN, Service
from tests.test_bulk_ingest import ndjson, post_stream, readings

JSON = "application/json"
NOT_JSON = {
    "GET /batches/{batch_id}/proofs": "application/x-ndjson",
    "GET /evidence/{sha256}": "application/octet-stream",
    "GET /imports/templates/{name}/sample": "application/octet-stream",
    "GET /evaluations/{evaluation_id}/report.html": "text/html",
    "GET /evaluations/{evaluation_id}/report.pdf": "application/pdf",
}


def _operations(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def _successes(op: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(status, media type, schema) of every 2xx answer the operation documents."""
    return [
        (code, media_type, content.get("schema", {}))
        for code, response in op["responses"].items()
        if code.startswith("2")
        for media_type, content in response.get("content", {}).items()
    ]


def test_every_json_answer_has_a_typed_schema(service: Service) -> None:
    response = service.http.get("/openapi.json")
    assert response.status_code == 200, response.text
    doc = response.json()
    operations = _operations(doc)
    json_ops = [label for label, op in operations if any(mt == JSON for _, mt, _ in _successes(op))]
    untyped = [
        f"{label} {code}"
        for label, op in operations
        for code, media_type, schema in _successes(op)
        if media_type == JSON and not ("$ref" in schema or "type" in schema or "anyOf" in schema)
    ]
    typed = [label for label in json_ops if not any(u.startswith(label + " ") for u in untyped)]
    print(f"\nopenapi: {len(operations)} operations, {len(json_ops)} answer JSON, {len(typed)} typed")
    assert not untyped, f"answers without a schema: {untyped}"
    assert len(typed) == len(json_ops)
    others = {label for label, _ in operations} - set(json_ops)
    assert others == set(NOT_JSON), "every operation answers JSON but the streams, files and pages"


def test_streams_and_files_declare_their_media_type(service: Service) -> None:
    """Bodies that are not JSON say what they are, as bytes, with a description of their content."""
    doc = service.http.get("/openapi.json").json()
    found = dict(_operations(doc))
    for label, media_type in NOT_JSON.items():
        ok = found[label]["responses"]["200"]
        assert list(ok["content"]) == [media_type], label
        assert ok["content"][media_type]["schema"].get("type") == "string", label
        assert ok["description"], label


def test_documented_refusals_have_the_error_shape(service: Service) -> None:
    """Every documented refusal but 422 (FastAPI's own list of field errors) is `{"detail": str}`;
    and the error model is the one the service really answers with."""
    doc = service.http.get("/openapi.json").json()
    assert doc["components"]["schemas"]["ErrorOut"]["required"] == ["detail"]
    refusals = [
        (label, code, response)
        for label, op in _operations(doc)
        for code, response in op["responses"].items()
        if code[0] in "45" and code != "422"
    ]
    assert len(refusals) >= 20
    for label, code, response in refusals:
        schema = response.get("content", {}).get(JSON, {}).get("schema")
        assert schema == {"$ref": "#/components/schemas/ErrorOut"}, f"{label} {code}"
    missing = service.http.get("/batches/no-such-batch")
    assert missing.status_code == 404 and set(missing.json()) == {"detail"}
    assert isinstance(missing.json()["detail"], str)


def _conforms(model: type[BaseModel], body: dict[str, Any]) -> None:
    assert set(body) == set(model.model_fields), model.__name__
    model.model_validate(body)  # strict: a number where a string is declared fails


def test_answers_written_past_the_response_models_conform_to_them(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """The streamed batch submission and the evidence upload build their JSON themselves, so FastAPI
    does not check them against the models the document declares: this does."""
    key = new_account()
    factory = {"id": FACTORY_ID, "name": "Suzhou", "signer": key.address}
    assert service.http.post("/factories", json=factory, headers=ADMIN).status_code == 201
    data = readings(5)
    data["records"][1]["evidence"] = [{"sha256": sha256(b"kWh\n1\n").hexdigest(), "file_name": "meter.csv",
                                       "media_type": "text/csv"}]  # fmt: skip
    streamed = post_stream(service.http, ndjson(batch_json(service.ledger, key, data)))
    assert streamed.status_code == 201, streamed.text
    _conforms(BatchStatusOut, streamed.json())
    again = service.http.get(f"/batches/{streamed.json()['id']}")
    assert again.json() == streamed.json()  # the validated path answers the same document

    uploaded = service.http.post("/evidence", files={"file": ("meter.csv", b"kWh\n1\n", "text/csv")})
    assert uploaded.status_code == 201, uploaded.text
    _conforms(EvidenceOut, uploaded.json())
