"""The anvil launcher, the data directory's chain state, and the deployment record."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.anvil import CACHE_PREFIX, PROJECT_ROOT, Anvil, AnvilError, free_loopback_port, rpc_answers
from ledger.chain.anvil_state import StateLocked
from ledger.chain.deployment import DeploymentError, open_ledger, read_deployment, write_deployment
from ledger.chain.errors import AccessControlUnauthorizedAccount, ChainUnavailable
from ledger.chain.session import connect, serve_chain
from ledger.config import Settings
from ledger.keys import new_key_file

pytestmark = pytest.mark.e2e  # starts its own anvils: see tests/conftest.py's layers


def settings_for(data_dir: Path, **overrides: str) -> Settings:
    return Settings.from_env({"ZCL_DATA_DIR": str(data_dir), **overrides})


def test_anvil_starts_on_a_free_loopback_port_and_stops(tmp_path: Path) -> None:
    anvil = Anvil(log_file=tmp_path / "anvil.log")
    with anvil:
        assert anvil.rpc_url.startswith("http://127.0.0.1:")
        assert rpc_answers(anvil.rpc_url) == 31337
        url = anvil.rpc_url
    assert not anvil.running
    assert rpc_answers(url) is None


def test_anvil_reports_a_port_it_cannot_use(tmp_path: Path) -> None:
    with Anvil() as first:
        with pytest.raises(AnvilError, match="port"):
            Anvil(port=first.port, startup_timeout=5).start()


def test_anvil_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Anvil(state_file=state) as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
        w3.provider.make_request("anvil_setBalance", ["0x" + "ab" * 20, hex(12345)])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        height = w3.eth.block_number
    assert state.stat().st_size > 0
    with Anvil(state_file=state) as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
        assert w3.eth.get_balance(Web3.to_checksum_address("0x" + "ab" * 20)) == 12345
        assert w3.eth.block_number >= height


def test_serve_chain_deploys_once_and_remembers_across_restarts(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with serve_chain(settings) as session:
        assert session.local and session.deployed_now
        assert json.loads(settings.endpoint_file.read_text())["rpc_url"] == session.rpc_url
        signer = "0x" + "12" * 20
        assert session.registrar is not None  # unlocked for the service, apart from the relayer
        relayer, registrar = session.operator.address, session.registrar.address
        assert relayer != registrar
        assert not any(
            session.ledger.has_role(role, relayer) for role in ("admin", "registrar", "attestor", "evaluator")
        )
        with pytest.raises(AccessControlUnauthorizedAccount):  # the relayer registers nothing
            session.ledger.register_factory("F-restart", Web3.to_checksum_address(signer))
        session.ledger.acting_as(session.registrar).register_factory("F-restart", Web3.to_checksum_address(signer))
        address = session.ledger.address
        # another command of the same data directory finds the running chain
        assert connect(settings).ledger.is_registered("F-restart")
    assert not settings.endpoint_file.exists()
    assert oct(settings.operator_key_file.stat().st_mode & 0o777) == "0o600"

    with serve_chain(settings) as session:
        assert not session.deployed_now
        assert session.ledger.address == address
        assert session.ledger.current_signer("F-restart") == Web3.to_checksum_address(signer)
    with pytest.raises(ChainUnavailable, match="scripts/serve"):
        connect(settings)


def test_zcl_rpc_url_uses_that_chain_and_launches_nothing(
    tmp_path: Path, rpc_url: str, operator: LocalAccount, w3: Web3
) -> None:
    key_file, admin_file = tmp_path / "operator.key", tmp_path / "admin.key"
    key_file.write_text("0x" + bytes(operator.key).hex() + "\n")
    key_file.chmod(0o600)
    admin = new_key_file(admin_file, "admin's own password")  # only its address is read, never unlocked
    settings = settings_for(tmp_path / "data", ZCL_RPC_URL=rpc_url, ZCL_OPERATOR_KEY_FILE=str(key_file))
    with pytest.raises(DeploymentError, match="ZCL_ADMIN_KEY_FILE"):  # the relayer is never made admin
        with serve_chain(settings):
            pass
    settings = replace(settings, admin_key_file=admin_file)
    with serve_chain(settings) as session:
        assert session.rpc_url == rpc_url and not session.local and session.deployed_now
        assert w3.eth.get_code(session.ledger.address) != b""
        assert session.registrar is None  # no registrar key file: this service registers no factories
        assert session.ledger.has_role("admin", admin.address) and not session.ledger.has_role(
            "admin", operator.address
        )
    assert not settings.chain_dir.exists()  # no anvil state, no log, no endpoint file
    assert read_deployment(settings.deployment_file).address == session.ledger.address  # type: ignore[union-attr]


def test_a_recorded_deployment_on_another_chain_is_refused(tmp_path: Path, w3: Web3, operator: LocalAccount) -> None:
    record_file = tmp_path / "deployment.json"
    ledger, record, created = open_ledger(w3, operator, record_file)
    assert created and record is not None
    write_deployment(record_file, replace(record, chain_id=record.chain_id + 1))
    with pytest.raises(DeploymentError, match=f"chain {record.chain_id + 1}"):
        open_ledger(w3, operator, record_file)


def test_a_recorded_address_without_the_contract_is_refused(tmp_path: Path, w3: Web3, operator: LocalAccount) -> None:
    record_file = tmp_path / "deployment.json"
    _, record, _ = open_ledger(w3, operator, record_file)
    assert record is not None
    write_deployment(record_file, replace(record, address=operator.address))
    with pytest.raises(DeploymentError, match="no CarbonLedger"):
        open_ledger(w3, operator, record_file)
    with pytest.raises(DeploymentError, match="ZCL_CONTRACT_ADDRESS"):
        open_ledger(w3, operator, tmp_path / "none.json", address=operator.address)


def test_an_explicit_contract_address_is_used_as_is(
    tmp_path: Path, w3: Web3, operator: LocalAccount, new_account: Callable[[], LocalAccount]
) -> None:
    first, _, _ = open_ledger(w3, operator, tmp_path / "a.json")
    again, record, created = open_ledger(w3, new_account(), tmp_path / "b.json", address=first.address)
    assert again.address == first.address and record is None and not created
    assert not (tmp_path / "b.json").exists()


def test_nothing_answers_on_a_closed_port() -> None:
    assert rpc_answers(f"http://127.0.0.1:{free_loopback_port()}", timeout=0.5) is None


# --- one owner, dies with it, saved whole -------------------------------------------------------

LINUX_ONLY = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG and /proc are Linux's")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_second_owner_of_a_state_file_is_refused_naming_the_holder(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Anvil(state_file=state) as first:
        lock = f"{state}.lock"
        with pytest.raises(StateLocked, match=rf"{re.escape(lock)} is held by process {os.getpid()}"):
            Anvil(state_file=state, startup_timeout=5).start()
        assert rpc_answers(first.rpc_url) == 31337  # the refused one touched nothing of the first
    with Anvil(state_file=state) as again:  # released by a clean stop
        assert again.running


@LINUX_ONLY
def test_anvil_dies_with_its_launcher_and_the_dead_launchers_lock_blocks_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    launcher = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from ledger.chain.anvil import Anvil; "
         "a = Anvil(state_file=Path(sys.argv[1])).start(); print(a.pid, a.rpc_url, flush=True); time.sleep(600)",
         str(state)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert launcher.stdout is not None
    pid_text, url = launcher.stdout.readline().split()
    anvil_pid = int(pid_text)
    assert alive(anvil_pid) and rpc_answers(url) == 31337
    launcher.send_signal(signal.SIGKILL)  # no handler, no atexit, no finally
    launcher.wait(timeout=10)
    deadline = time.monotonic() + 5
    while alive(anvil_pid):
        assert time.monotonic() < deadline, "anvil outlived its SIGKILLed launcher"
        time.sleep(0.05)
    assert rpc_answers(url, timeout=0.5) is None
    assert json.loads(Path(f"{state}.lock").read_text())["pid"] == launcher.pid  # the dead holder's record
    with Anvil(state_file=state, startup_timeout=10) as anvil:  # the kernel released its flock
        assert anvil.running


def lost_blocks_after_killing_anvil(state: Path, rng: random.Random) -> tuple[float, int]:
    """Mine ~20 blocks/s for a random while, SIGKILL anvil alone, restart it from the state file.
    Returns how long before the kill the newest restored block was mined, and how many were lost."""
    anvil = Anvil(state_file=state).start()
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    mined_at = {w3.eth.block_number: time.monotonic()}
    until = time.monotonic() + rng.uniform(0.3, 1.5)
    while time.monotonic() < until:
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        mined_at[w3.eth.block_number] = time.monotonic()
        time.sleep(0.05)
    height = max(mined_at)
    assert anvil.pid is not None
    os.kill(anvil.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    anvil.stop()  # anvil is dead: nothing is saved, the lock is released
    with Anvil(state_file=state) as again:  # a torn file would not load: anvil refuses it
        restored = Web3(Web3.HTTPProvider(again.rpc_url)).eth.block_number
    assert restored <= height
    return killed_at - mined_at.get(restored, killed_at), height - restored


@pytest.mark.parametrize("trials", [3, pytest.param(20, marks=pytest.mark.long)])
def test_a_killed_anvil_restarts_from_a_whole_state_file_missing_only_its_last_half_second(
    tmp_path: Path, trials: int
) -> None:
    state, rng = tmp_path / "state.json", random.Random(trials)
    with Anvil(state_file=state) as anvil:  # a clean stop saves everything
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
        for _ in range(3):
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        height = w3.eth.block_number
    with Anvil(state_file=state) as anvil:
        assert Web3(Web3.HTTPProvider(anvil.rpc_url)).eth.block_number == height
    windows, lost = zip(*(lost_blocks_after_killing_anvil(state, rng) for _ in range(trials)), strict=True)
    print(f"SIGKILL of anvil alone, {trials} trials: lost blocks {list(lost)}, "
          f"lost window max {max(windows):.2f} s")  # fmt: skip
    assert max(windows) <= Anvil().save_interval + 0.5, windows


# --- not the browser's ---------------------------------------------------------------------------

EVIL_ORIGIN = "http://evil.example"
IMPERSONATE = b'{"jsonrpc":"2.0","id":1,"method":"anvil_impersonateAccount","params":["0x' + b"5a" * 20 + b'"]}'


def test_the_embedded_anvil_gives_other_origins_no_cors_and_listens_on_loopback(tmp_path: Path) -> None:
    """A page on another origin may not send anvil JSON (the preflight gets no Access-Control-Allow-
    Origin), and the bodies it may send without a preflight are refused, so it cannot reach the cheat
    methods (issue 14: a page impersonated the admin through ``anvil_impersonateAccount``)."""
    import httpx

    with serve_chain(settings_for(tmp_path)) as session:
        assert session.local and httpx.URL(session.rpc_url).host == "127.0.0.1"
        preflight = httpx.options(session.rpc_url, headers={"Origin": EVIL_ORIGIN, "Access-Control-Request-Method":
                                  "POST", "Access-Control-Request-Headers": "content-type"})  # fmt: skip
        assert "access-control-allow-origin" not in preflight.headers, preflight.headers
        assert preflight.status_code >= 400
        posted = httpx.post(session.rpc_url, content=IMPERSONATE, headers={"Origin": EVIL_ORIGIN,
                            "Content-Type": "application/json"})  # fmt: skip
        assert "access-control-allow-origin" not in posted.headers, posted.headers
        for media_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            simple = httpx.post(session.rpc_url, content=IMPERSONATE, headers={"Origin": EVIL_ORIGIN,
                                "Content-Type": media_type})  # fmt: skip
            assert simple.json()["error"]["code"] == -32600, (media_type, simple.text)
            assert "access-control-allow-origin" not in simple.headers
        listening = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout
        port = httpx.URL(session.rpc_url).port
        assert f"127.0.0.1:{port} " in listening and f"0.0.0.0:{port} " not in listening


@pytest.mark.xfail(strict=True, reason="anvil's WebSocket endpoint (same port) has no origin check and cannot be "
                   "turned off; browsers send no CORS preflight for WebSockets (issue 14, item 6: left open)")  # fmt: skip
def test_the_embedded_anvil_refuses_a_websocket_from_another_origin(tmp_path: Path) -> None:
    import asyncio

    import websockets

    async def impersonate(url: str) -> str:
        async with websockets.connect(url, origin=EVIL_ORIGIN, open_timeout=5) as ws:  # type: ignore[arg-type]
            await ws.send(IMPERSONATE.decode())
            return str(await asyncio.wait_for(ws.recv(), 5))

    with serve_chain(settings_for(tmp_path)) as session:
        try:
            answer = asyncio.run(impersonate(session.rpc_url.replace("http://", "ws://")))
        except (OSError, websockets.exceptions.WebSocketException):
            return  # refused: what we want
        assert '"result":null' not in answer, answer


def test_anvil_spills_old_states_into_a_directory_of_its_own_that_goes_with_it(tmp_path: Path) -> None:
    """Left to itself anvil spills old block states under ~/.foundry and never removes what a killed
    anvil left: SIGKILL tests filled a disk that way. Ours go beside the state file, and a dead
    anvil's are removed by the next start (which holds the state file's lock)."""
    state = tmp_path / "chain" / "anvil-state.json"
    state.parent.mkdir()
    stale = state.parent / f"{CACHE_PREFIX}dead"
    stale.mkdir()
    anvil = Anvil(state_file=state, log_file=tmp_path / "anvil.log").start()
    try:
        caches = list(state.parent.glob(f"{CACHE_PREFIX}*"))
        assert not stale.exists() and len(caches) == 1 and caches[0].is_dir()
        command = Path(f"/proc/{anvil.pid}/cmdline").read_bytes().split(b"\0")
        assert command[command.index(b"--cache-path") + 1] == str(caches[0]).encode()
    finally:
        anvil.stop()
    assert not caches[0].exists()
