"""The `zcl` console script run as a user runs it: subprocesses, environment variables, files.

One `zcl serve` (its own anvil, the contract, the API on a free loopback port) serves the whole
module, in a temporary working directory laid out like the README's quick start: the service's
data directory is ``./data``, and keys, signed batches and proofs are written next to it. The tests
run in file order and build on each other's state (factory registered, revision 1 anchored, then
revision 2); each asks for the fixtures that give it what it needs.
"""

from __future__ import annotations

import copy
import json
import os
import queue
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.anvil import STATE_MARK, free_loopback_port

pytestmark = pytest.mark.e2e  # whole programs: see tests/conftest.py's layers
ZCL = str(Path(sys.executable).with_name("zcl"))
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EVIDENCE = EXAMPLES / "2025-01" / "evidence"
PASSWORD = "correct horse battery staple"
FACTORY_ID = "CN-JS-SZ-0001"
FACTORY_NAME = "Suzhou Precision Components Co., Ltd."
SOURCES = [  # examples/2025-01/batch.json, in record order
    "meter-3205-10K-0457", "meter-3205-04K-1190", "pv-roof-2MWp",
    "meter-gas-G-0091", "meter-steam-ST-2210", "production-lines",
]  # fmt: skip

ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
BATCH_LINE = re.compile(rf"^batch\s+(?P<id>{UUID}) anchored tx (?P<tx>0x[0-9a-f]{{64}}) block (?P<block>\d+)$")
RECORD_LINE = re.compile(rf"^record\s+(?P<id>{UUID}) (?P<source>\S+) (?P<kind>\S+) (?P<value>\S+) (?P<unit>\S+)$")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


def zcl(
    *args: str, env: dict[str, str], cwd: Path, code: int = 0, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``zcl ARGS``; check the exit code and that nothing escaped as a traceback."""
    result = subprocess.run([ZCL, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == code, (
        f"zcl {' '.join(args)} exited {result.returncode}, expected {code}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a failing command prints to stderr."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("zcl: "), lines[0]
    return lines[0]


def base_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any zcl settings (so no ZCL_RPC_URL), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZCL_") or k == "ZCL_ANVIL_BIN"}
    return env | extra


# --- the service ------------------------------------------------------------------------------


@dataclass
class Service:
    """A `zcl serve` subprocess; start() waits for its `ready` line, stop() sends Ctrl-C."""

    workdir: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    banner: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    answered_at_ready: list[bool] = field(default_factory=list)  # one entry per start
    _lines: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> list[str]:
        """Start the service; returns the lines it printed up to and including `ready`."""
        assert self.process is None, "already running"
        self.banner, self.stderr, self._lines = [], [], queue.Queue()
        self.process = subprocess.Popen(
            [ZCL, "serve", "--port", str(self.port)],
            env=self.env,
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._pump, args=(self.process.stdout, self._lines), daemon=True).start()
        threading.Thread(target=self._pump_stderr, args=(self.process.stderr,), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self._abort()
                pytest.fail(f"zcl serve printed no `ready` line within {START_TIMEOUT:.0f} s\n{self._output()}")
            if line is None:  # stdout closed: the service exited
                code = self.process.wait(timeout=STOP_TIMEOUT)
                self.process = None
                pytest.fail(f"zcl serve exited with code {code} before it was ready\n{self._output()}")
            self.banner.append(line)
            if line.startswith("ready"):
                break
        self.answered_at_ready.append(_listening(self.port))
        self._wait_listening(deadline)
        return self.banner

    def stop(self) -> int:
        """Ctrl-C: the service stops the API and anvil (saving the chain) and exits."""
        assert self.process is not None, "not running"
        process, self.process = self.process, None
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"zcl serve did not stop within {STOP_TIMEOUT:.0f} s of SIGINT\n{self._output()}")
        time.sleep(0.1)  # let the reader threads take the last lines
        assert not any("Traceback" in line for line in self.stderr), self._output()
        return code

    def tail(self) -> list[str]:
        """What the service printed to stdout after its `ready` line (so far)."""
        lines = []
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return lines
            if line is not None:
                lines.append(line)

    def _wait_listening(self, deadline: float) -> None:
        while not _listening(self.port):
            assert self.process is not None
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._abort()
                pytest.fail(f"zcl serve said ready but nothing listens on port {self.port}\n{self._output()}")
            time.sleep(0.02)

    def _abort(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def _output(self) -> str:
        return "stdout:\n" + "\n".join(self.banner) + "\nstderr:\n" + "\n".join(self.stderr)

    @staticmethod
    def _pump(stream: Any, lines: queue.Queue[str | None]) -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    def _pump_stderr(self, stream: Any) -> None:
        for line in stream:
            self.stderr.append(line.rstrip("\n"))


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`zcl serve --port <free port>` with a temporary data directory and its own anvil."""
    workdir = tmp_path_factory.mktemp("zcl-user")
    port = free_loopback_port()
    env = base_env(ZCL_DATA_DIR=str(workdir / "data"), ZCL_API_URL=f"http://127.0.0.1:{port}")
    svc = Service(workdir, port, env)
    svc.start()
    yield svc
    if svc.process is not None:
        code = svc.stop()
        assert code == 0, f"zcl serve exited {code} on SIGINT\n{svc._output()}"


@pytest.fixture(scope="module")
def env(service: Service) -> dict[str, str]:
    """The quick start's shell: the service's settings and `export ZCL_KEY_PASSWORD=…`."""
    return service.env | {"ZCL_KEY_PASSWORD": PASSWORD}


@pytest.fixture(scope="module")
def cwd(service: Service) -> Path:
    """The user's working directory; ./data is the service's data directory."""
    examples = service.workdir / "examples"
    if not examples.exists():
        shutil.copytree(EXAMPLES, examples)
    return service.workdir


# --- the quick start, step by step ------------------------------------------------------------


@dataclass
class Flow:
    """What the quick start produced, for the tests that build on it."""

    signer: str
    contract: str
    signed: dict[str, Any]
    batch_id: str
    tx_hash: str
    block: int
    record_ids: list[str]
    proof: dict[str, Any]


@pytest.fixture(scope="module")
def key_file(env: dict[str, str], cwd: Path) -> tuple[Path, str]:
    """`zcl key new --out data/keys/suzhou.json`: the factory's keystore and its address."""
    result = zcl("key", "new", "--out", "data/keys/suzhou.json", env=env, cwd=cwd)
    address = result.stdout.strip()
    assert ADDRESS.fullmatch(address), result.stdout
    return cwd / "data" / "keys" / "suzhou.json", address


@pytest.fixture(scope="module")
def registered(env: dict[str, str], cwd: Path, key_file: tuple[Path, str]) -> dict[str, Any]:
    """`zcl factory register --id … --name … --signer "$(zcl key address …)"` (JSON output)."""
    address = zcl("key", "address", "data/keys/suzhou.json", env=env, cwd=cwd).stdout.strip()
    result = zcl("--json", "factory", "register", "--id", FACTORY_ID, "--name", FACTORY_NAME, "--signer", address,
                 env=env, cwd=cwd)  # fmt: skip
    return dict(json.loads(result.stdout))


@pytest.fixture(scope="module")
def flow(service: Service, env: dict[str, str], cwd: Path, registered: dict[str, Any]) -> Flow:
    """Sign, submit and fetch a proof, exactly as the quick start does."""
    batch_file = cwd / "examples" / "2025-01" / "batch.json"
    original = batch_file.read_bytes()
    signed_out = zcl("batch", "sign", "examples/2025-01/batch.json", "--key", "data/keys/suzhou.json",
                     "--out", "data/signed-2025-01.json", env=env, cwd=cwd).stdout  # fmt: skip
    assert f"signed 6 records of {FACTORY_ID} 2025-01 revision 1" in signed_out
    assert batch_file.read_bytes() == original, "batch sign must not modify BATCH.json"
    signed = json.loads((cwd / "data" / "signed-2025-01.json").read_text())

    submitted = zcl("batch", "submit", "data/signed-2025-01.json", env=env, cwd=cwd).stdout
    (cwd / "data" / "submitted-2025-01.txt").write_text(submitted)
    lines = submitted.splitlines()
    head = BATCH_LINE.match(lines[0])
    assert head, submitted
    records = [RECORD_LINE.match(line) for line in lines[1:]]
    assert len(records) == 6 and all(records), submitted

    # proof "$(awk '/^record/ {print $2; exit}' data/submitted-2025-01.txt)"
    first_record = next(line.split()[1] for line in lines if line.startswith("record"))
    proof_out = zcl("proof", first_record, "--out", "data/proof.json", env=env, cwd=cwd).stdout
    assert proof_out.startswith("wrote data/proof.json: record "), proof_out

    contract = next(ADDRESS.search(line) for line in service.banner if line.startswith("contract"))
    assert contract is not None, service.banner
    return Flow(
        signer=registered["signer"],
        contract=contract.group(0),
        signed=signed,
        batch_id=head["id"],
        tx_hash=head["tx"],
        block=int(head["block"]),
        record_ids=[m["id"] for m in records if m],
        proof=json.loads((cwd / "data" / "proof.json").read_text()),
    )


def test_service_banner(service: Service) -> None:
    banner = "\n".join(service.banner)
    assert "(chain id 31337, local anvil)" in banner
    assert re.search(r"^contract   CarbonLedger at 0x[0-9a-fA-F]{40} \(deployed now in block \d+\)$", banner, re.M)
    assert f"api        http://127.0.0.1:{service.port}" in banner
    assert "data/keys/admin-token" in banner
    token = service.workdir / "data" / "keys" / "admin-token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600 and len(token.read_text().strip()) >= 32


def test_ready_means_the_api_answers(service: Service) -> None:
    """A script may run `zcl serve &`, wait for `ready`, and go on: the port must be open by then."""
    assert service.answered_at_ready[0], "zcl serve printed `ready` before the API was listening"


def test_key_new_writes_a_private_keystore(env: dict[str, str], cwd: Path, key_file: tuple[Path, str]) -> None:
    path, address = key_file
    keystore = json.loads(path.read_text())
    assert keystore["address"].lower() == address[2:].lower()
    assert {"crypto", "version"} <= keystore.keys() or {"Crypto", "version"} <= keystore.keys()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert zcl("key", "address", "data/keys/suzhou.json", env=env, cwd=cwd).stdout.strip() == address


def test_key_new_needs_a_password_and_never_overwrites(
    env: dict[str, str], cwd: Path, key_file: tuple[Path, str]
) -> None:
    no_password = {k: v for k, v in env.items() if k != "ZCL_KEY_PASSWORD"}
    result = zcl("key", "new", "--out", "data/keys/other.json", env=no_password, cwd=cwd, code=1)
    assert "ZCL_KEY_PASSWORD" in one_error_line(result)
    assert not (cwd / "data" / "keys" / "other.json").exists()

    path, _ = key_file
    before = path.read_bytes()
    again = zcl("key", "new", "--out", "data/keys/suzhou.json", env=env, cwd=cwd, code=1)
    assert "already exists" in one_error_line(again)
    assert path.read_bytes() == before


def test_factory_register_and_show(
    env: dict[str, str], cwd: Path, key_file: tuple[Path, str], registered: dict[str, Any]
) -> None:
    _, address = key_file
    assert registered["id"] == FACTORY_ID and registered["name"] == FACTORY_NAME
    assert registered["signer"] == address
    assert re.fullmatch(r"0x[0-9a-f]{64}", registered["registered_tx"])

    shown = json.loads(zcl("--json", "factory", "show", FACTORY_ID, env=env, cwd=cwd).stdout)
    assert shown["signer"] == address and shown["name"] == FACTORY_NAME
    assert [e["signer"] for e in shown["signer_history"]] == [address]


def test_batch_sign_writes_a_signed_batch(flow: Flow) -> None:
    signed = flow.signed
    original = json.loads((EXAMPLES / "2025-01" / "batch.json").read_text())
    assert signed["leaf_count"] == 6 and len(signed["records"]) == 6
    assert re.fullmatch(r"0x[0-9a-f]{64}", signed["root"])
    assert re.fullmatch(r"0x[0-9a-f]{130}", signed["signature"])
    assert signed["signer"] == flow.signer
    assert signed["chain_id"] == 31337 and signed["contract"] == flow.contract
    salts = [r["salt"] for r in signed["records"]]
    assert all(re.fullmatch(r"0x[0-9a-f]{64}", s) for s in salts) and len(set(salts)) == 6
    assert [{k: v for k, v in r.items() if k != "salt"} for r in signed["records"]] == original["records"]


def test_batch_submit_anchors_and_is_idempotent(env: dict[str, str], cwd: Path, flow: Flow) -> None:
    submitted = (cwd / "data" / "submitted-2025-01.txt").read_text().splitlines()
    assert [RECORD_LINE.match(line)["source"] for line in submitted[1:]] == SOURCES  # type: ignore[index]
    assert flow.block > 0

    first = (cwd / "data" / "submitted-2025-01.txt").read_text()
    assert "already submitted" not in first, "a first submission is not called a resubmission"
    again = zcl("batch", "submit", "data/signed-2025-01.json", env=env, cwd=cwd).stdout.splitlines()
    assert again[0] == (f"already submitted (same batch): anchored in block {flow.block}; this identical "
                        "resubmission sent nothing new to the chain")  # fmt: skip
    head = BATCH_LINE.match(again[1])
    assert head and (head["id"], head["tx"], int(head["block"])) == (flow.batch_id, flow.tx_hash, flow.block)
    assert [line.split()[1] for line in again[2:]] == flow.record_ids


def test_batch_show_and_list(env: dict[str, str], cwd: Path, flow: Flow) -> None:
    shown = json.loads(zcl("--json", "batch", "show", flow.batch_id, env=env, cwd=cwd).stdout)
    assert shown["id"] == flow.batch_id and shown["status"] == "anchored"
    assert (shown["tx_hash"], shown["block_number"]) == (flow.tx_hash, flow.block)
    assert (shown["root"], shown["signature"]) == (flow.signed["root"], flow.signed["signature"])
    assert [r["id"] for r in shown["records"]] == flow.record_ids
    assert [r["source_id"] for r in shown["records"]] == SOURCES

    listed = json.loads(zcl("--json", "batch", "list", FACTORY_ID, "--period", "2025-01", env=env, cwd=cwd).stdout)
    assert [(b["id"], b["revision"], b["status"]) for b in listed] == [(flow.batch_id, 1, "anchored")]
    assert json.loads(zcl("--json", "batch", "list", FACTORY_ID, "--period", "2025-02", env=env, cwd=cwd).stdout) == []


def test_proof_bundle(flow: Flow) -> None:
    proof = flow.proof
    assert proof["record_id"] == flow.record_ids[0]
    assert (proof["factory_id"], proof["period"], proof["revision"]) == (FACTORY_ID, "2025-01", 1)
    assert (proof["chain_id"], proof["contract"]) == (31337, flow.contract)
    assert proof["root"] == flow.signed["root"] and proof["batch_signature"] == flow.signed["signature"]
    assert proof["record"]["salt"] == flow.signed["records"][0]["salt"]
    assert proof["anchor"] == {"tx_hash": flow.tx_hash, "block_number": flow.block}


def test_verify_a_proof(env: dict[str, str], cwd: Path, flow: Flow) -> None:
    result = zcl("verify", "data/proof.json", env=env, cwd=cwd)
    assert result.stdout.splitlines()[-1] == "valid (latest revision)"
    assert result.stderr == ""
    checked = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("ok  ")]
    assert checked == ["bundle", "record", "record_hash", "leaf", "root", "chain", "contract", "anchor",
                       "signature", "transaction", "revision"]  # fmt: skip


def test_verify_evidence(env: dict[str, str], cwd: Path, flow: Flow) -> None:
    right = zcl("verify", "data/proof.json", "--evidence", "examples/2025-01/evidence/state-grid-bill-2025-01.pdf",
                "examples/2025-01/evidence/grid-meter-photo-2025-01-31.png", env=env, cwd=cwd)  # fmt: skip
    assert "ok  evidence     2 file(s) match" in right.stdout
    assert right.stdout.splitlines()[-1] == "valid (latest revision)"

    wrong = zcl("verify", "data/proof.json", "--evidence", "examples/2025-01/evidence/gas-bill-2025-01.pdf",
                env=env, cwd=cwd, code=1)  # fmt: skip
    line = one_error_line(wrong)
    assert line.startswith("zcl: invalid: evidence: gas-bill-2025-01.pdf: ")
    assert "valid (" not in wrong.stdout


def test_verify_json_report(env: dict[str, str], cwd: Path, flow: Flow) -> None:
    report = json.loads(zcl("--json", "verify", "data/proof.json", "--json", env=env, cwd=cwd).stdout)
    assert report["valid"] is True and report["superseded_by"] is None
    assert all(c["ok"] is True for c in report["checks"])
    assert report["checks"][0]["name"] == "bundle" and report["checks"][-1]["name"] == "revision"


# --- tampering --------------------------------------------------------------------------------


def _flip(hex_text: str, index: int) -> str:
    """Flip the low bit of byte ``index`` of a 0x-hex string."""
    raw = bytearray(bytes.fromhex(hex_text[2:]))
    raw[index] ^= 0x01
    return "0x" + raw.hex()


def _set(key: str, value: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
    return lambda bundle: bundle.__setitem__(key, value(bundle))


TAMPERING: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    # the recomputed record hash no longer matches the bundle's
    "record value": (lambda b: b["record"].__setitem__("value", "1286420.5"), "record_hash"),
    "record salt": (lambda b: b["record"].__setitem__("salt", _flip(b["record"]["salt"], 0)), "record_hash"),
    # the proof leads elsewhere than the bundle's root
    "proof element": (lambda b: b["proof"].__setitem__(0, _flip(b["proof"][0], 31)), "root"),
    # the proof no longer leads to the root: caught before the chain is asked
    "root": (_set("root", lambda b: _flip(b["root"], 31)), "root"),
    # nothing anchored for revision 2 (yet): UnknownRevision
    "revision": (_set("revision", lambda b: 2), "anchor"),
    # a byte of s: the signature recovers someone else
    "batch_signature s": (_set("batch_signature", lambda b: _flip(b["batch_signature"], 40)), "signature"),
    # another address than the data directory's deployment
    "contract": (_set("contract", lambda b: "0x" + "11" * 20), "contract"),
    "chain_id": (_set("chain_id", lambda b: 1), "chain"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampered_proof_is_invalid(env: dict[str, str], cwd: Path, flow: Flow, tmp_path: Path, case: str) -> None:
    tamper, check = TAMPERING[case]
    bundle = copy.deepcopy(flow.proof)
    tamper(bundle)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(bundle))

    result = zcl("verify", str(path), env=env, cwd=cwd, code=1)
    line = one_error_line(result)
    assert line.startswith(f"zcl: invalid: {check}: "), line
    if case == "revision":
        assert "UnknownRevision" in line
    assert "valid (" not in result.stdout


def test_tampered_proof_json_report(env: dict[str, str], cwd: Path, flow: Flow, tmp_path: Path) -> None:
    bundle = copy.deepcopy(flow.proof)
    bundle["record"]["value"] = "1"
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(bundle))
    result = zcl("verify", str(path), "--json", env=env, cwd=cwd, code=1)
    report = json.loads(result.stdout)
    assert report["valid"] is False
    outcome = {c["name"]: c["ok"] for c in report["checks"]}
    assert outcome["record"] is True and outcome["record_hash"] is False
    assert outcome["root"] is None and outcome["revision"] is None  # skipped after the first failure
    assert one_error_line(result).startswith("zcl: invalid: record_hash: ")


MALFORMED: dict[str, Callable[[dict[str, Any]], None]] = {
    "signature cut to 64 bytes": _set("batch_signature", lambda b: b["batch_signature"][:-2]),
    "empty signature": _set("batch_signature", lambda b: "0x"),
    "anchor not an object": _set("anchor", lambda b: "block 3"),
    "revision beyond uint32": _set("revision", lambda b: 2**40),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_proof_is_invalid_in_one_line(
    env: dict[str, str], cwd: Path, flow: Flow, tmp_path: Path, case: str
) -> None:
    """Garbage in a bundle is a failed check, never a traceback or a multi-line message."""
    bundle = copy.deepcopy(flow.proof)
    MALFORMED[case](bundle)
    path = tmp_path / "malformed.json"
    path.write_text(json.dumps(bundle))
    result = zcl("verify", str(path), env=env, cwd=cwd, code=1)
    assert one_error_line(result).startswith("zcl: invalid: ")


# --- errors name what is wrong ----------------------------------------------------------------


def test_batch_sign_refuses_a_float_value(env: dict[str, str], cwd: Path, key_file: tuple[Path, str]) -> None:
    batch = json.loads((EXAMPLES / "2025-01" / "batch.json").read_text())
    batch["records"][0]["value"] = 1286420.4
    (cwd / "float-batch.json").write_text(json.dumps(batch))
    result = zcl("batch", "sign", "float-batch.json", "--key", "data/keys/suzhou.json", "--out", "float-signed.json",
                 env=env, cwd=cwd, code=1)  # fmt: skip
    assert "records[0].value" in one_error_line(result)
    assert not (cwd / "float-signed.json").exists()


def test_submit_signed_by_another_key_is_forbidden(env: dict[str, str], cwd: Path, flow: Flow) -> None:
    zcl("key", "new", "--out", "data/keys/intruder.json", env=env, cwd=cwd)
    zcl("batch", "sign", "examples/2025-01/batch.json", "--key", "data/keys/intruder.json",
        "--out", "intruder-signed.json", env=env, cwd=cwd)  # fmt: skip
    result = zcl("batch", "submit", "intruder-signed.json", env=env, cwd=cwd, code=1)
    line = one_error_line(result)
    assert line.startswith("zcl: 403: ") and flow.signer in line


def test_resigned_revision_conflicts(env: dict[str, str], cwd: Path, flow: Flow) -> None:
    """Signing the same month again draws new salts: another root for an anchored revision."""
    zcl("batch", "sign", "examples/2025-01/batch.json", "--key", "data/keys/suzhou.json",
        "--out", "resigned-2025-01.json", env=env, cwd=cwd)  # fmt: skip
    result = zcl("batch", "submit", "resigned-2025-01.json", env=env, cwd=cwd, code=1)
    line = one_error_line(result)
    assert line.startswith("zcl: 409: ") and flow.batch_id in line


def test_factory_register_with_a_wrong_admin_token(env: dict[str, str], cwd: Path) -> None:
    result = zcl("factory", "register", "--id", "CN-JS-SZ-0002", "--name", "Another", "--signer", "0x" + "22" * 20,
                 env=env | {"ZCL_ADMIN_TOKEN": "not-the-token"}, cwd=cwd, code=1)  # fmt: skip
    assert one_error_line(result).startswith("zcl: 401: ")


def test_commands_without_a_service(env: dict[str, str], cwd: Path) -> None:
    nowhere = env | {"ZCL_API_URL": f"http://127.0.0.1:{free_loopback_port()}"}
    for args in (("factory", "show", FACTORY_ID), ("batch", "list", FACTORY_ID), ("proof", "x", "--out", "p.json")):
        line = one_error_line(zcl(*args, env=nowhere, cwd=cwd, code=1))
        assert "did not answer" in line and "ZCL_API_URL" in line


def test_unknown_things_are_404(env: dict[str, str], cwd: Path) -> None:
    assert one_error_line(zcl("factory", "show", "CN-NOPE-0001", env=env, cwd=cwd, code=1)).startswith("zcl: 404: ")
    assert one_error_line(zcl("batch", "show", "nope", env=env, cwd=cwd, code=1)).startswith("zcl: 404: ")


# --- a corrected month --------------------------------------------------------------------------


def test_claim_and_certificate_status(env: dict[str, str], cwd: Path, registered: dict[str, Any]) -> None:
    """The README's claim steps: sign and submit a GEC retirement, then a buyer's lookup."""
    example = json.loads((cwd / "examples" / "claims" / "gec-2025-01.json").read_text())
    first, last = example["serial"].split("..")
    zcl("claim", "sign", "examples/claims/gec-2025-01.json", "--key", "data/keys/suzhou.json",
        "--out", "data/claim-gec-2025-01.json", env=env, cwd=cwd)  # fmt: skip
    submitted = zcl("claim", "submit", "data/claim-gec-2025-01.json", env=env, cwd=cwd).stdout
    match = re.search(r"^claim  (\d+) claimed tx (0x[0-9a-f]{64}) block (\d+)$", submitted, re.M)
    assert match, submitted
    claim_id, tx_hash = match.group(1), match.group(2)
    again = zcl("claim", "submit", "data/claim-gec-2025-01.json", env=env, cwd=cwd).stdout
    assert f"claim  {claim_id} claimed tx {tx_hash}" in again  # idempotent
    assert "already submitted" not in submitted
    assert again.startswith(f"already submitted (same claim): recorded in block {match.group(3)}; ")
    statement = zcl("evidence", "upload", "examples/claims/gec-cancellation-statement-2025.pdf", env=env, cwd=cwd)
    assert statement.stdout.startswith(example["evidence_sha256"] + "  gec-cancellation-statement-2025.pdf  ")
    assert re.search(r"  stored \(recorded as retirement-statement-[0-9a-f-]{36}\.pdf\)$", statement.stdout, re.M)

    status = json.loads(zcl("certificate", "status", "GEC", first, "--json", env=env, cwd=cwd).stdout)
    assert status["claimed"] and status["units_claimed"] == 1
    (holder,) = status["claims"]
    assert holder["factory_id"] == FACTORY_ID and holder["tx_hash"] == tx_hash
    assert (holder["consumption_start"], holder["consumption_end"]) == ("2025-01", "2025-01")
    whole = json.loads(zcl("--json", "certificate", "status", "--registry", "GEC", "--serial", example["serial"],
                           env=env, cwd=cwd).stdout)  # fmt: skip
    assert whole["units"] == whole["units_claimed"] == 800
    # by block id and range, as a CCER buyer must: the same claim, and a table a person reads
    block, end = whole["block_id"], int(whole["serial_end"])
    table = zcl("certificate", "status", "GEC", "--block", block, "--range", f"{end - 9}-{end + 20}",
                env=env, cwd=cwd).stdout  # fmt: skip
    assert f"GEC block {block}, units {end - 9}..{end + 20} (30 MWh)" in table
    assert "claimed     10 of 30 (0 by confirmed claims)" in table
    assert f"not claimed {end + 1}..{end + 20} (20)" in table
    row = re.search(rf"^{claim_id}\s+provisional\s+{FACTORY_ID}\s+{end - 9}\.\.{end}\s+10 MWh\s+2025-01\.\.2025-01\s+"
                    rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+\s+{tx_hash}$", table, re.M)  # fmt: skip
    assert row, table
    bad = zcl("certificate", "status", "GEC", "--block", block, "--range", "9-x", env=env, cwd=cwd, code=1)
    assert one_error_line(bad).startswith("zcl: --range: must be FIRST-LAST")
    ZH = {"LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}  # the locale, not a flag
    chinese = zcl("certificate", "status", "GEC", "--block", block, "--range", f"{end - 9}-{end + 20}",
                  env=env | ZH, cwd=cwd).stdout  # fmt: skip
    assert "已声明  10 / 30（其中 0 属于已确认的声明）" in chinese and f"未声明  {end + 1}..{end + 20} (20)" in chinese
    wrote = zcl(
        "claim", "certificate", claim_id, "-o", "data/certificate.pdf", "--lang", "zh-CN", env=env, cwd=cwd
    ).stdout
    assert wrote.startswith("已写入 data/certificate.pdf") and "zh-CN" in wrote
    assert (cwd / "data" / "certificate.pdf").read_bytes().startswith(b"%PDF-")
    assert holder["attestation"] == "provisional" and status["units_confirmed"] == 0
    assert "state  provisional" in submitted

    # the attestor (its own key under data/keys/, made by `zcl serve`) confirms after checking the statement
    wrong = zcl("claim", "confirm", claim_id, "--statement", "examples/claims/ccer-cancellation-statement-2025.pdf",
                env=env, cwd=cwd, code=1)  # fmt: skip
    assert one_error_line(wrong).startswith("zcl: --statement: ") and example["evidence_sha256"] in one_error_line(
        wrong
    )
    confirmed = json.loads(zcl("--json", "claim", "confirm", claim_id, "--statement",
                               "examples/claims/gec-cancellation-statement-2025.pdf", "--json",
                               env=env, cwd=cwd).stdout)  # fmt: skip
    assert confirmed["attestation"] == "confirmed" and confirmed["tx_hash"].startswith("0x")
    attestor = json.loads((cwd / "data" / "keys" / "attestor.key").read_text())["address"]
    assert confirmed["attestor"].lower() == "0x" + attestor.lower().removeprefix("0x")
    status = json.loads(zcl("certificate", "status", "GEC", first, "--json", env=env, cwd=cwd).stdout)
    assert status["units_confirmed"] == 1 and status["claims"][0]["attestation"] == "confirmed"
    unclaimed = first[:23] + "0009999" + first[30:]
    free = json.loads(zcl("certificate", "status", "GEC", unclaimed, "--json", env=env, cwd=cwd).stdout)
    assert not free["claimed"] and free["claims"] == []

    overlapping = example | {"serial": f"{first[:23]}0004700{first[30:]}..{first[:23]}0005000{first[30:]}",
                             "quantity": "301"}  # fmt: skip
    (cwd / "data" / "claim-overlap.json").write_text(json.dumps(overlapping))
    zcl("claim", "sign", "data/claim-overlap.json", "--key", "data/keys/suzhou.json",
        "--out", "data/claim-overlap-signed.json", env=env, cwd=cwd)  # fmt: skip
    refused = zcl("claim", "submit", "data/claim-overlap-signed.json", env=env, cwd=cwd, code=1)
    line = one_error_line(refused)
    assert line.startswith("zcl: 409: units already claimed by CN-JS-SZ-0001") and tx_hash in line

    (cwd / "data" / "claim-bad.json").write_text(json.dumps(example | {"serial": first[:31]}))
    bad = zcl("claim", "sign", "data/claim-bad.json", "--key", "data/keys/suzhou.json", "--out", "data/x.json",
              env=env, cwd=cwd, code=1)  # fmt: skip
    assert "serial" in one_error_line(bad) and "32 digits" in one_error_line(bad)


STEAM = ("--steam", "meter-steam-ST-2210=1.0:saturated")
"""The example steam supplier's declared conditions: its meter reads tonnes."""


def test_evaluate_signs_and_anchors_a_report(env: dict[str, str], cwd: Path, flow: Flow) -> None:
    """`zcl evaluator grant` then `zcl evaluate --key`: the report is written, signed and anchored."""
    evaluator = zcl("key", "new", "--out", "data/keys/evaluator.json", env=env, cwd=cwd).stdout.strip()
    granted = json.loads(zcl("--json", "evaluator", "grant", evaluator, env=env, cwd=cwd).stdout)
    assert granted["evaluator"] is True
    out = zcl("evaluate", *STEAM, "--factory", FACTORY_ID, "--year", "2025", "--type", "I", "--factors", "cn-ets-2023",
              "--key", "data/keys/evaluator.json", "--out", "data/report-2025.html", "--json", "data/report-2025.json",
              "--consumer-country", "CN", env=env, cwd=cwd).stdout  # fmt: skip
    report = json.loads((cwd / "data" / "report-2025.json").read_text())
    assert report["status"] == "anchored" and report["evaluator"] == evaluator
    assert report["eligibility"]["consumer_country_from"] == "the evaluation's input"
    assert "eligible   rules eligibility-cn@1, consumer in CN" in out
    assert report["factor_set"]["label"] == "cn-ets-2023@1.2"
    # only some months are notarized here, so no level, and the missing ones are printed
    assert report["evaluation"]["level"] == "none" and "missing    2025-02" in out
    assert f"anchored   report {report['anchor']['report_id']} tx {report['anchor']['tx_hash']}" in out
    page = (cwd / "data" / "report-2025.html").read_text()
    assert report["anchor"]["tx_hash"] in page and page.count("<svg") >= 3
    listed = zcl("factors", "list", env=env, cwd=cwd).stdout
    assert "cn-mee-2023@1.2" in listed and "cn-ets-2023@1.2" in listed
    row = next(line for line in listed.splitlines() if line.startswith("cn-mee-2023@1.2 "))
    assert row.endswith("  cn-mee-2023@1.1"), "the versions earlier reports name are listed too"
    compared = zcl("factors", "compare", "cn-mee-2023", "cn-ets-2023", env=env, cwd=cwd).stdout
    assert "grid.national_average" in compared and "0.5703" in compared
    assert report["matching"]["method"] == "claim_period" and "matching   claim_period   (renewable share by" in out
    no_key = zcl("evaluate", *STEAM, "--factory", FACTORY_ID, "--year", "2025", "--type", "II", "--out", "data/draft.html",
                 "--matching", "annual", "--json", "data/draft.json", env=env, cwd=cwd).stdout  # fmt: skip
    assert "(draft)" in no_key and "NOT signed" in (cwd / "data" / "draft.html").read_text()
    assert "matching   annual" in no_key
    assert json.loads((cwd / "data" / "draft.json").read_text())["matching"]["method"] == "annual"
    assert "intensity  " in out and "tCO2e/t (Scope 1 + Scope 2 (location-based))" in out
    # the steam meter reads tonnes: without its supplier's declared conditions the evaluation is refused
    refused = zcl("evaluate", "--factory", FACTORY_ID, "--year", "2025", "--type", "I", "--out", "data/x.html",
                  env=env, cwd=cwd, code=1)  # fmt: skip
    assert one_error_line(refused).startswith("zcl: 422") and "steam source 'meter-steam-ST-2210'" in refused.stderr
    bad = zcl("evaluate", "--steam", "meter-steam-ST-2210=1.0", "--factory", FACTORY_ID, "--year", "2025",
              "--type", "I", "--out", "data/x.html", env=env, cwd=cwd, code=1)  # fmt: skip
    assert "SOURCE=MPA:saturated" in bad.stderr
    assert "scope 3    transport: no data" in no_key and "scope 3    purchased_goods: no data" in no_key
    excluded = zcl("evaluate", *STEAM, "--factory", FACTORY_ID, "--year", "2025", "--type", "II", "--out", "data/ex.html",
                   "--scope3-exclusion", "transport=customers collect all goods at the gate",
                   env=env, cwd=cwd).stdout  # fmt: skip
    assert "scope 3    transport: excluded: customers collect all goods at the gate" in excluded
    assert "scope 3    purchased_goods: no data" in excluded
    transfer = zcl("park", "evaluate", *STEAM, "--factory", FACTORY_ID, "--year", "2025", "--transfer",
                   f"{FACTORY_ID},CN-NOT-A-MEMBER,steam", env=env, cwd=cwd, code=1)  # fmt: skip
    assert "transfers" in one_error_line(transfer) and "not a member" in one_error_line(transfer)


def test_factory_profile_evaluator_identity_and_the_floating_zero(env: dict[str, str], cwd: Path, flow: Flow) -> None:
    """`zcl factory register/update` with the profile, `zcl evaluator profile/show`, and `zcl evaluate`
    printing own reductions apart from certificates, offsets and removals, and who signed."""
    other = zcl("key", "new", "--out", "data/keys/other.json", env=env, cwd=cwd).stdout.strip()
    registered = json.loads(zcl("--json", "factory", "register", "--id", "CN-JS-SZ-0002", "--name", "Second site", "--signer",
                                other, "--province", "cn-js", "--grid-region", "east", "--uscc", "91350100M000100Y43",
                                "--facility", "hall A", "--facility", "hall B", env=env, cwd=cwd).stdout)  # fmt: skip
    profile = registered["profile"]
    assert profile["province"] == "CN-JS" and profile["facilities"] == ["hall A", "hall B"]
    assert profile["legal_entity"] is None  # not given: unknown
    updated = json.loads(zcl("--json", "factory", "update", "--id", "CN-JS-SZ-0002", "--legal-entity", "Second Site Co., Ltd.",
                             "--clear", "grid_region", env=env, cwd=cwd).stdout)["profile"]  # fmt: skip
    assert updated["legal_entity"] == "Second Site Co., Ltd." and updated["grid_region"] is None
    assert updated["province"] == "CN-JS"
    bad = zcl("factory", "update", "--id", "CN-JS-SZ-0002", "--province", "CN-XX", env=env, cwd=cwd, code=1)
    assert "province" in one_error_line(bad) and "ISO 3166-2:CN" in one_error_line(bad)
    declared = json.loads(zcl("--json", "factory", "source", "--id", "CN-JS-SZ-0002", "pv-1", "--method", "metered",
                              "--meter", "inverter PV-1", "--in-service-from", "2025-04-15", env=env,
                              cwd=cwd).stdout)["profile"]["source_register"]  # fmt: skip
    assert declared["version"] == 1 and declared["sources"]["pv-1"]["in_service_from"] == "2025-04-15"
    assert declared["sources"]["pv-1"]["meter"] == "inverter PV-1"
    bad = zcl("factory", "source", "--id", "CN-JS-SZ-0002", "pv-1", "--method", "guessed", env=env, cwd=cwd, code=1)
    assert "sources.pv-1.method" in one_error_line(bad) and "utility-attested" in one_error_line(bad)
    withdrawn = json.loads(zcl("--json", "factory", "source", "--id", "CN-JS-SZ-0002", "pv-1", "--withdraw", env=env,
                               cwd=cwd).stdout)["profile"]["source_register"]  # fmt: skip
    assert withdrawn["version"] == 2 and withdrawn["sources"] == {}

    evaluator = zcl("key", "address", "data/keys/evaluator.json", env=env, cwd=cwd).stdout.strip()
    signed = json.loads(zcl("--json", "evaluator", "profile", "--key", "data/keys/evaluator.json", "--name", "Li Wei",
                            "--organisation", "CQC", "--accreditation", "CNAS C001-M", env=env, cwd=cwd).stdout)  # fmt: skip
    assert signed["address"] == evaluator and signed["version"] == 1
    assert (
        json.loads(zcl("--json", "evaluator", "show", evaluator, env=env, cwd=cwd).stdout)["accreditation"]
        == "CNAS C001-M"
    )
    base = cwd / "data" / "base-year.json"
    base.write_text(json.dumps({"year": 2023, "gross_emissions_tco2e": "1000", "source": "2023 inventory"}))
    out = zcl("evaluate", *STEAM, "--factory", FACTORY_ID, "--year", "2025", "--type", "I", "--base-year", str(base),
              "--key", "data/keys/evaluator.json", "--out", "data/zero.html", "--json", "data/zero.json",
              env=env, cwd=cwd).stdout  # fmt: skip
    report = json.loads((cwd / "data" / "zero.json").read_text())
    own = report["floating_zero"]["own_reductions"]
    assert f"own        on-site renewable {own['onsite_renewable']['tco2e']} tCO2e   efficiency " in out
    assert own["efficiency"]["method"] == "absolute" and f"efficiency {own['efficiency']['tco2e']} tCO2e" in out
    assert "(never summed)" in out and "reductions" not in report["totals"]
    assert f"evaluator  {evaluator}: Li Wei, CQC, accreditation CNAS C001-M (signed profile v1)" in out


def test_evaluate_shows_an_old_report_stale_once_a_missing_month_arrives(
    env: dict[str, str], cwd: Path, flow: Flow
) -> None:
    """`zcl evaluation show` and `zcl evaluate` print STALE for a report the chain has since completed."""
    zcl("evaluate", *STEAM, "--factory", FACTORY_ID, "--year", "2025", "--type", "I", "--out", "data/stale.html",
        "--json", "data/stale.json", env=env, cwd=cwd)  # fmt: skip
    old = json.loads((cwd / "data" / "stale.json").read_text())
    assert old["stale"] is False and "STALE" not in zcl("evaluation", "show", old["id"], env=env, cwd=cwd).stdout
    period = old["periods"]["missing"][-1]["period"]  # a month not yet notarized: it arrives now
    zcl("batch", "sign", f"examples/{period}/batch.json", "--key", "data/keys/suzhou.json",
        "--out", f"data/signed-{period}.json", env=env, cwd=cwd)  # fmt: skip
    zcl("batch", "submit", f"data/signed-{period}.json", env=env, cwd=cwd)
    shown = zcl("evaluation", "show", old["id"], env=env, cwd=cwd).stdout
    assert f"evaluation {old['id']} {FACTORY_ID} 2025 Type I" in shown
    assert (
        f"STALE: the chain has corrected data this report used: {period} (missing, revision 1 anchored since)" in shown
    )
    again = zcl("evaluate", *STEAM, "--factory", FACTORY_ID, "--year", "2025", "--type", "I", "--out", "data/again.html",
                "--json", "data/again.json", env=env, cwd=cwd).stdout  # fmt: skip
    new = json.loads((cwd / "data" / "again.json").read_text())
    assert "STALE" not in again and new["stale"] is False
    assert f"superseded by evaluation {new['id']}" in zcl("evaluation", "show", old["id"], env=env, cwd=cwd).stdout
    missing = zcl("evaluation", "show", "no-such-id", env=env, cwd=cwd, code=1)
    assert one_error_line(missing).startswith("zcl: 404")


def test_corrected_month_supersedes_the_old_proof(env: dict[str, str], cwd: Path, flow: Flow) -> None:
    batch = json.loads((EXAMPLES / "2025-01" / "batch.json").read_text())
    batch["records"][1]["value"] = "38217.0"  # meter-3205-04K-1190, read again
    batch["revision"] = 2
    (cwd / "data" / "batch-2025-01-r2.json").write_text(json.dumps(batch, indent=2))
    signed = zcl("batch", "sign", "data/batch-2025-01-r2.json", "--key", "data/keys/suzhou.json",
                 "--out", "data/signed-2025-01-r2.json", env=env, cwd=cwd).stdout  # fmt: skip
    assert f"signed 6 records of {FACTORY_ID} 2025-01 revision 2" in signed

    lines = zcl("batch", "submit", "data/signed-2025-01-r2.json", env=env, cwd=cwd).stdout.splitlines()
    head = BATCH_LINE.match(lines[0])
    assert head and head["id"] != flow.batch_id and int(head["block"]) > flow.block
    corrected = RECORD_LINE.match(lines[2])
    assert corrected and (corrected["source"], corrected["value"]) == ("meter-3205-04K-1190", "38217.0")

    old = zcl("verify", "data/proof.json", env=env, cwd=cwd)
    assert "superseded by revision 2" in old.stdout
    assert old.stdout.splitlines()[-1] == "valid (superseded by revision 2)"

    zcl("proof", corrected["id"], "--out", "data/proof-r2.json", env=env, cwd=cwd)
    new = zcl("verify", "data/proof-r2.json", env=env, cwd=cwd)
    assert new.stdout.splitlines()[-1] == "valid (latest revision)"

    listed = json.loads(zcl("--json", "batch", "list", FACTORY_ID, env=env, cwd=cwd).stdout)
    january = [(b["id"], b["revision"]) for b in listed if b["period"] == "2025-01"]  # (a later month may be there)
    assert january == [(flow.batch_id, 1), (head["id"], 2)]


# --- starting and stopping ---------------------------------------------------------------------


def test_serve_on_a_busy_port_fails_before_ready(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        env = base_env(ZCL_DATA_DIR=str(tmp_path / "data"), ZCL_API_URL=f"http://127.0.0.1:{port}")
        result = zcl("serve", "--port", str(port), env=env, cwd=tmp_path, code=1, timeout=60)
    assert "ready" not in result.stdout
    assert str(port) in one_error_line(result)
    assert not (tmp_path / "data" / "chain" / "endpoint.json").exists()


def anvil_pids(state_file: Path) -> list[int]:
    """Live processes running anvil on this (unique, temporary) state file, found by the mark the
    launcher puts in anvil's environment (its command line names the file only when it exists).
    A dead process not yet reaped (a zombie) shows an empty environment, so it is not counted."""
    mark = f"{STATE_MARK}={state_file}".encode()
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark in environ.read_bytes().split(b"\0"):
                pids.append(int(environ.parent.name))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds anvil's process through /proc")
def test_sigterm_stops_the_service_and_its_chain(tmp_path: Path) -> None:
    """`kill PID` (systemd, docker stop) must not leave anvil running with a stale endpoint file."""
    port = free_loopback_port()
    env = base_env(ZCL_DATA_DIR=str(tmp_path / "data"), ZCL_API_URL=f"http://127.0.0.1:{port}")
    svc = Service(tmp_path, port, env)
    svc.start()
    state_file = tmp_path / "data" / "chain" / "anvil-state.json"
    assert anvil_pids(state_file), "cannot find the service's anvil"
    assert svc.process is not None
    process, svc.process = svc.process, None
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=STOP_TIMEOUT)
    time.sleep(0.5)
    orphans = anvil_pids(state_file)
    for pid in orphans:  # clean up after the bug, then report it
        os.kill(pid, signal.SIGTERM)
    assert not orphans, "anvil outlived `zcl serve` after SIGTERM"
    assert code == 0 and "stopped" in svc.tail()
    assert not (tmp_path / "data" / "chain" / "endpoint.json").exists()
    assert state_file.exists()


# --- restart ------------------------------------------------------------------------------------


def test_restart_keeps_chain_contract_and_batches(service: Service, env: dict[str, str], cwd: Path, flow: Flow) -> None:
    code = service.stop()
    assert code == 0, f"zcl serve exited {code} on SIGINT\n{service._output()}"
    assert service.tail()[-1:] == ["stopped"]
    assert not (cwd / "data" / "chain" / "endpoint.json").exists()
    assert (cwd / "data" / "chain" / "anvil-state.json").exists()

    banner = "\n".join(service.start())
    assert f"contract   CarbonLedger at {flow.contract} (recorded)" in banner
    assert "recovered" not in banner

    shown = json.loads(zcl("--json", "batch", "show", flow.batch_id, env=env, cwd=cwd).stdout)
    assert (shown["status"], shown["tx_hash"]) == ("anchored", flow.tx_hash)
    assert json.loads(zcl("--json", "factory", "show", FACTORY_ID, env=env, cwd=cwd).stdout)["signer"] == flow.signer
    verified = zcl("verify", "data/proof.json", "--evidence", "examples/2025-01/evidence/state-grid-bill-2025-01.pdf",
                   env=env, cwd=cwd)  # fmt: skip
    assert verified.stdout.splitlines()[-1].startswith("valid (")


def test_version_names_the_installed_release(tmp_path: Path) -> None:
    """``zcl --version`` prints the version pyproject.toml gives, and exits 0 without a service."""
    import tomllib

    expected = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]["version"]
    assert zcl("--version", env=base_env(), cwd=tmp_path).stdout.strip() == f"zcl {expected}"
