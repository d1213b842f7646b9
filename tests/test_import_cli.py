"""`zcl batch import` as an energy manager runs it: a shipped template's export turned into a
batch.json, signed with `zcl batch sign` and submitted to a real `zcl serve` (its own anvil); a
broken export lists every bad row and writes nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.anvil import free_loopback_port
from tests.test_cli import BATCH_LINE, PASSWORD, RECORD_LINE, Service, base_env, zcl

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
FACTORY_ID = "CN-JS-SZ-0001"
EMS = "examples/import-templates/ems-15min"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    workdir = tmp_path_factory.mktemp("zcl-import")
    shutil.copytree(ROOT / "examples" / "import-templates", workdir / "examples" / "import-templates")
    port = free_loopback_port()
    env = base_env(ZCL_DATA_DIR=str(workdir / "data"), ZCL_API_URL=f"http://127.0.0.1:{port}", LANG="C.UTF-8")
    svc = Service(workdir, port, env)
    svc.start()
    yield svc
    if svc.process is not None:
        assert svc.stop() == 0


@pytest.fixture(scope="module")
def env(service: Service) -> dict[str, str]:
    return service.env | {"ZCL_KEY_PASSWORD": PASSWORD}


@pytest.fixture(scope="module")
def registered(service: Service, env: dict[str, str]) -> Path:
    cwd = service.workdir
    address = zcl("key", "new", "--out", "data/keys/suzhou.json", env=env, cwd=cwd).stdout.strip()
    zcl("factory", "register", "--id", FACTORY_ID, "--name", "苏州精密部件有限公司", "--signer", address,
        env=env, cwd=cwd)  # fmt: skip
    return cwd


def test_import_sign_and_submit_a_month(registered: Path, env: dict[str, str]) -> None:
    cwd = registered
    out = zcl("batch", "import", f"{EMS}/sample.csv", "--mapping", f"{EMS}/mapping.toml", "--factory", FACTORY_ID,
              "--period", "2025-01", "-o", "data/imported-2025-01.json", env=env, cwd=cwd).stdout  # fmt: skip
    assert "rows      2976 read, 0 skipped" in out, out
    assert "records   62" in out
    assert "1,286,420.4 kWh  (31 records)" in out and "38,216.0 kWh  (31 records)" in out
    batch = json.loads((cwd / "data/imported-2025-01.json").read_text())
    assert (batch["factory_id"], batch["period"], batch["revision"]) == (FACTORY_ID, "2025-01", 1)
    assert all("salt" not in r for r in batch["records"])

    signed = zcl("batch", "sign", "data/imported-2025-01.json", "--key", "data/keys/suzhou.json",
                 "--out", "data/signed-imported.json", env=env, cwd=cwd).stdout  # fmt: skip
    assert f"signed 62 records of {FACTORY_ID} 2025-01 revision 1" in signed
    submitted = zcl("batch", "submit", "data/signed-imported.json", "--evidence-dir", EMS, env=env, cwd=cwd).stdout
    lines = submitted.splitlines()
    assert BATCH_LINE.match(lines[0]), submitted
    records = [m for line in lines if (m := RECORD_LINE.match(line))]
    assert len(records) == 62
    assert sum(float(m["value"]) for m in records if m["source"] == "meter-3205-04K-1190") == pytest.approx(38216.0)
    assert any(line.startswith("uploaded evidence") and "sample.csv" in line for line in lines), submitted
    assert not any(line.startswith("missing evidence") for line in lines), submitted


def test_a_broken_export_lists_every_error_and_writes_nothing(registered: Path, env: dict[str, str]) -> None:
    cwd = registered
    lines = (cwd / EMS / "sample.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[5] = lines[5].replace(",", ",x", 1)  # row 6: not a number
    del lines[40]  # row 41 gone: row 42 (now the 41st line) starts after a gap
    (cwd / "data/broken.csv").write_text("\n".join(lines) + "\n", encoding="gbk")
    result = zcl("batch", "import", "data/broken.csv", "--mapping", f"{EMS}/mapping.toml", "--factory", FACTORY_ID,
                 "-o", "data/broken.json", env=env, cwd=cwd, code=1)  # fmt: skip
    assert not (cwd / "data/broken.json").exists()
    out = result.stdout
    assert "errors; nothing written:" in out, out
    assert "broken.csv:6:1#进线总表有功电量(kWh) (B):" in out and "[not_a_number]" in out
    assert "broken.csv:41:1#进线总表有功电量(kWh) (B): gap: row 40 ends" in out
    assert "[gap]" in out

    as_json = zcl("batch", "import", "data/broken.csv", "--mapping", f"{EMS}/mapping.toml", "--factory", FACTORY_ID,
                  "--json", env=env, cwd=cwd, code=1).stdout  # fmt: skip
    body: dict[str, Any] = json.loads(as_json)
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(6, "not_a_number"), (41, "gap"), (41, "gap")]
    assert body["written"] is None and body["summary"]["rows"] == 2975


def test_chinese_output(registered: Path, env: dict[str, str]) -> None:
    out = zcl("batch", "import", "examples/import-templates/production-sheet/sample.xlsx", "--mapping",
              "examples/import-templates/production-sheet/mapping.toml", "--factory", FACTORY_ID,
              env=env | {"LANG": "zh_CN.UTF-8"}, cwd=registered).stdout  # fmt: skip
    assert "已读 31 行，跳过 1 行" in out and "1,842.35 t" in out and "仅预览" in out, out


def test_a_bad_mapping_names_its_field(registered: Path, env: dict[str, str]) -> None:
    mapping = (registered / EMS / "mapping.toml").read_text(encoding="utf-8").replace('unit = "kWh"', 'unit = "kw"', 1)
    (registered / "data/bad-mapping.toml").write_text(mapping, encoding="utf-8")
    result = zcl("batch", "import", f"{EMS}/sample.csv", "--mapping", "data/bad-mapping.toml", "--factory",
                 FACTORY_ID, env=env, cwd=registered, code=1)  # fmt: skip
    assert result.stderr.startswith("zcl: mapping.columns[0].unit: unknown unit 'kw'"), result.stderr


def test_a_json_mapping_and_more_evidence(registered: Path, env: dict[str, str]) -> None:
    from ledger.imports import load_mapping_text, to_json

    template = registered / "examples/import-templates/state-grid-bill"
    mapping = to_json(load_mapping_text((template / "mapping.toml").read_text(encoding="utf-8")))
    (registered / "data/bill-mapping.json").write_text(json.dumps(mapping, ensure_ascii=False), encoding="utf-8")
    (registered / "data/bill.pdf").write_bytes(b"%PDF-1.4 a bill")
    out = zcl("batch", "import", str(template / "sample.csv"), "--mapping", "data/bill-mapping.json", "--factory",
              FACTORY_ID, "--evidence", "data/bill.pdf", "--json", env=env, cwd=registered).stdout  # fmt: skip
    body = json.loads(out)
    assert body["errors"] == [] and body["written"] is None
    assert [e["file_name"] for e in body["records"][0]["evidence"]] == ["sample.csv", "bill.pdf"]
    assert body["records"][0]["evidence"][1]["media_type"] == "application/pdf"
