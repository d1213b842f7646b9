"""`zcl matching` for people and scripts (issue 17): run (signed with the evaluator's key file and
anchored), show, proof of one unit and the signed matching claim, each as a subprocess against the
``served`` service over a real anvil, as a person's shell would; tables by default, ``--json`` for
scripts, Chinese with ``--lang zh-CN``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ledger.hourly.model import MWH
from ledger.keys import new_key_file
from tests.conftest import Service
from tests.test_cli import base_env, zcl
from tests.test_matching_service import FACTORY, UNITS, gec_serial, hourly  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e  # runs `zcl` as a subprocess

PASSWORD = "correct horse battery staple"


@pytest.fixture
def shell(served: Service, hourly: dict[str, Any], tmp_path: Path) -> dict[str, Any]:  # noqa: F811
    """The evaluator's shell: a keystore of their own, granted the evaluator role on chain."""
    key = tmp_path / "evaluator.json"
    address = new_key_file(key, PASSWORD).address
    served.ledger.grant_evaluator(address)
    env = base_env(ZCL_API_URL=str(served.http.base_url).rstrip("/"), ZCL_KEY_PASSWORD=PASSWORD,
                   ZCL_DATA_DIR=str(tmp_path / "data"), LANG="C.UTF-8")  # fmt: skip
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)
    return {"env": env, "cwd": tmp_path, "key": key, "claims": hourly["claims"], "service": served}


def test_run_show_proof_and_export(shell: dict[str, Any]) -> None:
    env, cwd = shell["env"], shell["cwd"]
    ran = zcl("matching", "run", FACTORY, "--year", "2025", "--key", str(shell["key"]), "--json", env=env, cwd=cwd)
    run = json.loads(ran.stdout)
    assert run["status"] == "anchored" and run["anchor"]["report_id"] >= 1

    shown = zcl("matching", "show", run["id"], env=env, cwd=cwd).stdout
    assert not shown.lstrip().startswith("{"), "a person gets a table, not JSON"
    assert re.search(r"^status:\s+anchored$", shown, re.M), shown
    assert re.search(r"^2025-07\s", shown, re.M), "a line per month"
    gec = str(shell["claims"]["gec"])
    assert re.search(rf"^\s*{gec}\s+yes\s", shown, re.M), shown
    chinese = zcl("--lang", "zh-CN", "matching", "show", run["id"], env=env, cwd=cwd).stdout
    assert "匹配运行" in chinese and "无碳能源" in chinese, chinese

    out = cwd / "unit.json"
    printed = zcl("matching", "proof", run["id"], "--claim", gec, "--serial", gec_serial(7), "-o", str(out),
                  env=env, cwd=cwd).stdout  # fmt: skip
    bundle = json.loads(out.read_text(encoding="utf-8"))
    pieces = [p["fields"] for p in bundle["pieces"]]
    assert sum(p["energy"] for p in pieces) == MWH and {p["serial"] for p in pieces} == {"7"}
    assert str(out) in printed
    service: Service = shell["service"]
    node = ("--rpc-url", service.w3.provider.endpoint_uri, "--contract", service.ledger.address)  # type: ignore[attr-defined]
    zcl("verify", str(out), *node, env=env, cwd=cwd, code=0)  # the unit's pieces, against the chain alone
    forged = json.loads(out.read_text(encoding="utf-8"))
    forged["pieces"][0]["fields"]["hour_start"] += 3600  # the same piece claimed for the next hour
    (cwd / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    zcl("verify", "forged.json", *node, env=env, cwd=cwd, code=1)

    exported = cwd / "claim.json"
    zcl("matching", "export", run["id"], "--claim", gec, "-o", str(exported), env=env, cwd=cwd)
    pieces = json.loads(exported.read_text(encoding="utf-8"))["pieces"]
    assert len({p["fields"]["serial"] for p in pieces}) == UNITS

    missing = zcl("matching", "proof", run["id"], "--claim", gec, "--serial", "301", env=env, cwd=cwd, code=1)
    assert "serial" in missing.stderr
