"""`zcl` for people: readable output by default and `--json` (before or after the command) for
scripts, `zcl verify`'s exit codes (0 valid, 1 invalid, 3 could not check), the password asked for
on a real terminal (a pty), "already submitted (same batch)", `zcl claim submit --evidence` and the
warning for cited evidence the service lacks.

Each test runs `zcl` as a subprocess against the ``served`` service (uvicorn on a loopback port over
a real anvil and contract), as a person's shell would.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.anvil import free_loopback_port
from ledger.keys import load_key_file, new_key_file
from tests.conftest import ADMIN, Service
from tests.test_cli import ZCL, base_env, one_error_line, zcl

pytestmark = pytest.mark.e2e  # runs `zcl` as a subprocess

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BATCH = EXAMPLES / "2025-01" / "batch.json"
CLAIM = EXAMPLES / "claims" / "gec-2025-01.json"
STATEMENT = EXAMPLES / "claims" / "gec-cancellation-statement-2025.pdf"
OTHER_STATEMENT = EXAMPLES / "claims" / "ccer-cancellation-statement-2025.pdf"
FACTORY_ID = "CN-JS-SZ-0001"
PASSWORD = "correct horse battery staple"
LOCAL_TIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+"


@pytest.fixture
def shell(served: Service, tmp_path: Path) -> dict[str, Any]:
    """A person's shell against the service: the factory registered with a keystore key, whose
    password is in ZCL_KEY_PASSWORD (tests of the prompt take it out)."""
    key_file = tmp_path / "factory.json"
    signer = new_key_file(key_file, PASSWORD).address
    body = {"id": FACTORY_ID, "name": "苏州精密零部件有限公司", "signer": signer}
    assert served.http.post("/factories", json=body, headers=ADMIN).status_code == 201
    env = base_env(ZCL_API_URL=str(served.http.base_url).rstrip("/"), ZCL_KEY_PASSWORD=PASSWORD,
                   ZCL_DATA_DIR=str(tmp_path / "data"), LANG="C.UTF-8")  # fmt: skip
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)
    return {"env": env, "cwd": tmp_path, "key": key_file, "signer": signer, "service": served}


def submit_example(shell: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Sign and submit the example month; returns the service's batch and what `zcl batch submit` printed."""
    env, cwd = shell["env"], shell["cwd"]
    zcl("batch", "sign", str(BATCH), "--key", str(shell["key"]), "--out", "SIGNED.json", env=env, cwd=cwd)
    out = zcl("batch", "submit", "SIGNED.json", env=env, cwd=cwd).stdout
    batch_id = re.match(r"^batch\s+(\S+) ", out)
    assert batch_id, out
    return shell["service"].http.get(f"/batches/{batch_id[1]}").json(), out


def test_tables_and_blocks_by_default_json_on_request(shell: dict[str, Any]) -> None:
    env, cwd, service = shell["env"], shell["cwd"], shell["service"]
    batch, _ = submit_example(shell)

    shown = zcl("batch", "show", batch["id"], env=env, cwd=cwd).stdout
    assert not shown.lstrip().startswith("{"), "a person gets no raw JSON"
    assert re.search(r"^status:\s+anchored$", shown, re.M) and re.search(rf"^anchored at:\s+{LOCAL_TIME}$", shown, re.M)
    assert str(batch["anchored_at"]) not in shown, "a date, not a unix time"
    assert re.search(rf"^transaction:\s+{batch['tx_hash']}$", shown, re.M), "a block keeps the whole hash"
    for record in json.loads(BATCH.read_text())["records"]:  # every quantity grouped, with its unit, exact
        whole, _, fraction = record["value"].partition(".")
        grouped = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
        assert re.search(rf"\s{re.escape(grouped)} {re.escape(record['unit'])}\s", shown), (grouped, shown)
    big = next(r for r in json.loads(BATCH.read_text())["records"] if Decimal(r["value"]) >= 1000)
    assert f"{Decimal(big['value']):,}" in shown and f" {big['value']} " not in shown

    listed = zcl("batch", "list", FACTORY_ID, env=env, cwd=cwd).stdout.splitlines()
    assert listed[0].split()[:3] == ["period", "revision", "status"] and set(listed[1]) <= {"-", " "}
    row = listed[2]
    assert row.startswith("2025-01 ") and " anchored " in row and " 6 " in row
    assert f"{batch['tx_hash'][:10]}…{batch['tx_hash'][-4:]}" in row and batch["tx_hash"] not in row

    answer = service.http.get(f"/factories/{FACTORY_ID}/batches").json()
    for args in (("--json", "batch", "list", FACTORY_ID), ("batch", "list", FACTORY_ID, "--json")):
        assert json.loads(zcl(*args, env=env, cwd=cwd).stdout) == answer, "--json: the answer unchanged"

    factory = zcl("factory", "show", FACTORY_ID, env=env, cwd=cwd).stdout
    assert re.search(r"^name:\s+苏州精密零部件有限公司$", factory, re.M)
    history = factory[factory.index("signer history:") :].splitlines()
    assert re.match(rf"^  {re.escape(shell['signer'][:10])}…\S{{4}}\s+\d+\s+{LOCAL_TIME}\s+no$", history[3]), history
    assert (
        json.loads(zcl("factory", "show", FACTORY_ID, "--json", env=env, cwd=cwd).stdout)
        == service.http.get(f"/factories/{FACTORY_ID}").json()
    )


def test_resubmission_is_called_so(shell: dict[str, Any]) -> None:
    env, cwd = shell["env"], shell["cwd"]
    batch, first = submit_example(shell)
    assert "already submitted" not in first
    again = zcl("batch", "submit", "SIGNED.json", env=env, cwd=cwd).stdout.splitlines()
    assert again[0].startswith(f"already submitted (same batch): anchored in block {batch['block_number']}; ")
    assert again[1].startswith(f"batch  {batch['id']} anchored ")
    resent = json.loads(zcl("--json", "batch", "submit", "SIGNED.json", env=env, cwd=cwd).stdout)
    assert (resent["id"], resent["tx_hash"]) == (batch["id"], batch["tx_hash"])


def test_submit_warns_of_cited_evidence_the_service_lacks(shell: dict[str, Any]) -> None:
    env, cwd = shell["env"], shell["cwd"]
    zcl("batch", "sign", str(BATCH), "--key", str(shell["key"]), "--out", "SIGNED.json", env=env, cwd=cwd)
    result = zcl("batch", "submit", "SIGNED.json", env=env, cwd=cwd)
    cited = {e["sha256"]: e["file_name"] for r in json.loads(BATCH.read_text())["records"] for e in r["evidence"]}
    warning = result.stderr.splitlines()
    assert warning[0] == f"zcl: warning: the service does not hold {len(cited)} evidence file(s) these records cite:"
    assert warning[1 : 1 + len(cited)] == [f"zcl:   {name}  sha256 {sha}" for sha, name in cited.items()]
    assert warning[-1] == "zcl: add them with: zcl evidence upload " + " ".join(cited.values())
    assert "warning" not in result.stdout

    # the command it gives works, from the folder that holds the files; the warning is then gone
    zcl(*warning[-1].removeprefix("zcl: add them with: zcl ").split(), env=env, cwd=BATCH.parent / "evidence")
    again = zcl("batch", "submit", "SIGNED.json", env=env, cwd=cwd)
    assert again.stderr == ""


def test_claim_submit_uploads_the_statement_it_cites(shell: dict[str, Any]) -> None:
    env, cwd, service = shell["env"], shell["cwd"], shell["service"]
    zcl("claim", "sign", str(CLAIM), "--key", str(shell["key"]), "--out", "CLAIM.json", env=env, cwd=cwd)
    cited = json.loads(CLAIM.read_text())["evidence_sha256"]

    wrong = zcl("claim", "submit", "CLAIM.json", "--evidence", str(OTHER_STATEMENT), env=env, cwd=cwd, code=1)
    line = one_error_line(wrong)
    assert line.startswith(f"zcl: --evidence: {OTHER_STATEMENT}: sha256 ") and cited in line
    status = service.http.get(f"/certificates/GEC/{json.loads(CLAIM.read_text())['serial']}").json()
    assert status["claimed"] is False, "a wrong statement stops the claim before it is sent"

    out = zcl("claim", "submit", "CLAIM.json", "--evidence", str(STATEMENT), env=env, cwd=cwd).stdout
    assert re.search(rf"^statement {re.escape(str(STATEMENT))} sha256 {cited}: stored as \S+\.pdf$", out, re.M), out
    assert service.http.post("/evidence/status", json={"hashes": [cited]}).json() == {cited: True}
    again = zcl("claim", "submit", "CLAIM.json", "--evidence", str(STATEMENT), env=env, cwd=cwd).stdout
    assert again.startswith("already submitted (same claim): recorded in block ") and ": already stored as " in again

    shown = zcl("certificate", "status", "--registry", "GEC", "--serial", json.loads(CLAIM.read_text())["serial"],
                env=env, cwd=cwd).stdout  # fmt: skip
    assert re.search(r"^GEC block \S+, units \d+\.\.\d+ \(800 MWh\)$", shown, re.M)
    assert re.search(r"^claimed     800 of 800 \(0 by confirmed claims\)$", shown, re.M)
    assert re.search(rf"^\d+\s+provisional\s+{FACTORY_ID}\s", shown, re.M), shown


def test_verify_exit_codes(shell: dict[str, Any], tmp_path: Path) -> None:
    env, cwd, service = shell["env"], shell["cwd"], shell["service"]
    batch, _ = submit_example(shell)
    zcl("proof", batch["records"][0]["id"], "--out", "proof.json", env=env, cwd=cwd)
    node = ("--rpc-url", service.w3.provider.endpoint_uri, "--contract", service.ledger.address)  # type: ignore[attr-defined]

    valid = zcl("verify", "proof.json", *node, env=env, cwd=cwd, code=0)
    assert valid.stdout.splitlines()[-1] == "valid (latest revision)"

    forged = json.loads((cwd / "proof.json").read_text())
    forged["record"]["value"] = str(Decimal(forged["record"]["value"]) + 1)
    (cwd / "forged.json").write_text(json.dumps(forged))
    assert one_error_line(zcl("verify", "forged.json", *node, env=env, cwd=cwd, code=1)).startswith(
        "zcl: invalid: record_hash: "
    )

    closed = f"http://127.0.0.1:{free_loopback_port()}"  # nothing listens there
    unreachable = zcl("verify", "proof.json", "--rpc-url", closed, env=env, cwd=cwd, code=3)
    assert one_error_line(unreachable).startswith("zcl: could not check: chain: ")
    report = json.loads(zcl("--json", "verify", "proof.json", "--rpc-url", closed, env=env, cwd=cwd, code=3).stdout)
    assert report["valid"] is False and report["could_not_check"] is True

    missing = zcl("verify", "no-such-proof.json", *node, env=env, cwd=cwd, code=3)
    assert one_error_line(missing) == "zcl: could not check: no-such-proof.json: No such file or directory"
    no_file = zcl("verify", "proof.json", *node, "--evidence", "no-such-bill.pdf", env=env, cwd=cwd, code=3)
    assert one_error_line(no_file) == "zcl: could not check: no-such-bill.pdf: no such file"


def run_on_a_terminal(args: list[str], env: dict[str, str], cwd: Path, answers: list[str]) -> tuple[int, str]:
    """Run ``zcl ARGS`` with a pty as its controlling terminal, typing each answer after each prompt
    that ends in ": "; returns the exit code and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin, stdout and stderr are the pty, which is its controlling terminal
        os.chdir(cwd)
        os.execve(ZCL, [ZCL, *args], env)
    shown, pending = b"", list(answers)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
        if pending and shown.rstrip(b" ").endswith(b":"):
            os.write(fd, pending.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode("utf-8", "replace")


def test_password_is_asked_on_a_terminal_and_never_shown(shell: dict[str, Any]) -> None:
    env = {k: v for k, v in shell["env"].items() if k != "ZCL_KEY_PASSWORD"}
    cwd, key = shell["cwd"], str(shell["key"])
    sign = ["batch", "sign", str(BATCH), "--key", key, "--out", "PROMPTED.json"]

    code, shown = run_on_a_terminal(sign, env, cwd, [PASSWORD])
    assert code == 0, shown
    assert f"Password for {key}: " in shown and PASSWORD not in shown, "asked for, and not echoed"
    assert json.loads((cwd / "PROMPTED.json").read_text())["signer"] == shell["signer"]

    code, shown = run_on_a_terminal([*sign[:-1], "WRONG.json"], env, cwd, ["not the password"])
    assert code == 1 and f"zcl: {key}: wrong password" in shown and "not the password" not in shown
    assert not (cwd / "WRONG.json").exists()

    # no terminal (a script): nothing is asked, the error says what to give
    piped = subprocess.run([ZCL, *sign], env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert piped.returncode == 1 and "Password" not in piped.stderr + piped.stdout
    assert piped.stderr == f"zcl: {key}: is an encrypted keystore; give --password-file or set ZCL_KEY_PASSWORD\n"

    code, shown = run_on_a_terminal(["key", "new", "--out", "typed.json"], env, cwd, [PASSWORD, PASSWORD])
    assert code == 0 and "The same password again: " in shown and PASSWORD not in shown, shown
    assert load_key_file(cwd / "typed.json", PASSWORD).address in shown


def test_chinese_from_the_locale_and_json_stays_english(shell: dict[str, Any]) -> None:
    """LANG=zh_CN.UTF-8 (or --lang zh-CN) gives Chinese messages, labels, headers, help and errors;
    --json gives the same English machine answer as without it."""
    env, cwd, service = shell["env"], shell["cwd"], shell["service"]
    batch, _ = submit_example(shell)
    zh = env | {"LANG": "zh_CN.UTF-8"}

    shown = zcl("batch", "show", batch["id"], env=zh, cwd=cwd).stdout
    assert re.search(r"^状态:\s+anchored$", shown, re.M) and re.search(rf"^上链时间:\s+{LOCAL_TIME}$", shown, re.M)
    assert re.search(rf"^默克尔根:\s+{batch['root']}$", shown, re.M), "the glossary's term for Merkle root"
    assert "status" not in shown and "序号" in shown.splitlines()[-8], "table headers too"

    again = zcl("batch", "submit", "SIGNED.json", env=zh, cwd=cwd).stdout.splitlines()
    assert again[0].startswith(f"已提交过（同一批次）：已上链，区块 {batch['block_number']}；")
    assert again[1].startswith(f"batch  {batch['id']} anchored "), "the data lines keep one format for scripts"

    listed = zcl("--lang", "zh-CN", "factors", "list", env=env, cwd=cwd).stdout.splitlines()
    assert listed[0].split() == ["因子集", "名称", "因子数", "保留的早期版本"]
    assert zcl("factors", "list", "--lang", "zh-CN", env=env, cwd=cwd).stdout.splitlines()[0] == listed[0]
    assert zcl("factors", "list", "--lang", "en", env=zh, cwd=cwd).stdout.startswith("factor set "), "--lang wins"
    assert "用工厂密钥签名" in zcl("batch", "--help", env=zh, cwd=cwd).stdout

    missing = one_error_line(zcl("factory", "show", "CN-NOPE-0001", env=zh, cwd=cwd, code=1))
    assert missing.startswith("zcl: 404: ") and "CN-NOPE-0001" in missing and "未登记" in missing, missing
    assert one_error_line(zcl("verify", "nope.json", env=zh, cwd=cwd, code=3)).startswith("zcl: 无法核验：nope.json: ")

    answer = service.http.get(f"/batches/{batch['id']}").json()
    assert json.loads(zcl("--json", "batch", "show", batch["id"], env=zh, cwd=cwd).stdout) == answer
