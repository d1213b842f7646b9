"""The `zcl` console script, run as a user runs it: a subprocess with environment variables."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

ZCL = str(Path(sys.executable).with_name("zcl"))


def zcl(*args: str, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([ZCL, *args], env=env, capture_output=True, text=True, timeout=120)
    if ok:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def env(tmp_path: Path, rpc_url: str, operator: LocalAccount) -> dict[str, str]:
    key_file = tmp_path / "operator.key"
    key_file.write_text("0x" + bytes(operator.key).hex() + "\n")
    key_file.chmod(0o600)
    return {
        **os.environ,
        "ZCL_DATA_DIR": str(tmp_path / "data"),
        "ZCL_RPC_URL": rpc_url,
        "ZCL_OPERATOR_KEY_FILE": str(key_file),
    }


def test_factory_lifecycle_through_the_cli(tmp_path: Path, env: dict[str, str]) -> None:
    deployed = json.loads(zcl("contract", "deploy", env=env).stdout)
    assert deployed["deployed_now"] and deployed["record"]["address"] == deployed["address"]
    assert not json.loads(zcl("contract", "deploy", env=env).stdout)["deployed_now"]  # remembered

    info = json.loads(zcl("contract", "info", env=env).stdout)
    assert info["eip712_domain"]["verifyingContract"] == deployed["address"]
    assert info["eip712_domain"]["name"] == "CarbonLedger"

    first = zcl("key", "new", "--out", str(tmp_path / "f1.key"), env=env).stdout.strip()
    second = zcl("key", "new", "--out", str(tmp_path / "f2.key"), env=env).stdout.strip()
    assert zcl("key", "address", str(tmp_path / "f1.key"), env=env).stdout.strip() == first
    assert first not in (tmp_path / "f1.key").read_text()  # the file holds the key, not the address

    registered = json.loads(zcl("factory", "register", "CN-F1", "--signer", first, env=env).stdout)
    assert registered["block_number"] > 0 and registered["gas_used"] > 0
    zcl("factory", "rotate", "CN-F1", "--signer", second, env=env)
    shown = json.loads(zcl("factory", "show", "CN-F1", env=env).stdout)
    assert shown["current_signer"] == second
    assert [e["signer"] for e in shown["signer_history"]] == [first, second]
    assert json.loads(zcl("anchor", "show", "CN-F1", "2025-01", env=env).stdout) == []

    again = zcl("factory", "register", "CN-F1", "--signer", first, env=env, ok=False)
    assert again.returncode == 1
    assert "FactoryAlreadyRegistered(factoryId='CN-F1')" in again.stderr
    assert "Traceback" not in again.stderr


def test_cli_errors_name_what_is_wrong(tmp_path: Path, env: dict[str, str]) -> None:
    bad_url = zcl("factory", "show", "X", env={**env, "ZCL_RPC_URL": "localhost:1"}, ok=False)
    assert bad_url.returncode == 1 and "ZCL_RPC_URL" in bad_url.stderr

    no_chain = {k: v for k, v in env.items() if k != "ZCL_RPC_URL"}
    missing = zcl("factory", "show", "X", env=no_chain, ok=False)
    assert missing.returncode == 1 and "./scripts/serve" in missing.stderr

    not_deployed = zcl("factory", "show", "X", env=env, ok=False)
    assert not_deployed.returncode == 1 and "zcl contract deploy" in not_deployed.stderr

    zcl("contract", "deploy", env=env)
    unknown = zcl("factory", "show", "NOPE", env=env, ok=False)
    assert "UnknownFactory(factoryId='NOPE')" in unknown.stderr

    assert zcl("factory", env=env, ok=False).returncode == 2  # no action: usage, not a crash


def test_serve_keeps_the_local_chain_across_restarts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZCL_")}
    env["ZCL_DATA_DIR"] = str(tmp_path / "data")

    def serve_once() -> str:
        process = subprocess.Popen([ZCL, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = []
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if line.startswith("ready"):
                    break
            else:
                pytest.fail(f"zcl serve ended before it was ready: {process.stderr.read() if process.stderr else ''}")
            body = "".join(lines)
            if "deployed now" in body:
                signer = zcl("key", "new", "--out", str(tmp_path / "f.key"), env=env).stdout.strip()
                zcl("factory", "register", "CN-SERVE", "--signer", signer, env=env)
            body += zcl("factory", "show", "CN-SERVE", env=env).stdout
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
        assert process.returncode == 0
        return body

    first = serve_once()
    second = serve_once()
    assert "deployed now" in first and "(recorded)" in second
    address = [line.split()[3] for line in first.splitlines() if line.startswith("contract")][0]
    assert f"CarbonLedger at {address} (recorded)" in second
    assert json.loads(second[second.index("{") :])["factory_id"] == "CN-SERVE"
    assert (tmp_path / "data" / "chain" / "anvil-state.json").stat().st_size > 0
