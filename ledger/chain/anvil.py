"""Start and stop a local anvil chain from the project's ``node_modules``.

anvil comes from the npm package ``@foundry-rs/anvil``, whose platform package ships the binary,
so nothing is downloaded at run time. With a state file the chain is dumped on a clean stop (and
every few seconds while it runs) and loaded on the next start, so a local chain survives a restart
of the service.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from ledger.errors import SetupError

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHAIN_ID = 31337
_PLATFORMS = {
    ("Linux", "x86_64"): "linux-amd64",
    ("Linux", "aarch64"): "linux-arm64",
    ("Darwin", "x86_64"): "darwin-amd64",
    ("Darwin", "arm64"): "darwin-arm64",
}


class AnvilError(SetupError, RuntimeError):
    """anvil is missing, did not start, or did not answer in time."""


def anvil_binary(project_root: Path = PROJECT_ROOT) -> Path:
    """The anvil executable: ``ZCL_ANVIL_BIN``, else the npm platform package, else ``PATH``."""
    override = os.environ.get("ZCL_ANVIL_BIN")
    if override:
        return Path(override)
    suffix = _PLATFORMS.get((platform.system(), platform.machine()))
    if suffix:
        candidate = project_root / "node_modules" / "@foundry-rs" / f"anvil-{suffix}" / "bin" / "anvil"
        if candidate.is_file():
            return candidate
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise AnvilError(
        "anvil not found: run `npm ci` in the project (./scripts/test and ./scripts/serve do), or set ZCL_ANVIL_BIN"
    )


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def rpc_answers(url: str, timeout: float = 1.0) -> int | None:
    """The chain id ``url`` answers with, or None when nothing answers there."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(json.loads(response.read())["result"], 16)
    except (OSError, ValueError, KeyError, urllib.error.URLError):
        return None


class Anvil:
    """One anvil process on a loopback port. Use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        *,
        state_file: Path | None = None,
        log_file: Path | None = None,
        port: int | None = None,
        chain_id: int = DEFAULT_CHAIN_ID,
        state_interval: int = 5,
        startup_timeout: float = 30.0,
    ) -> None:
        self.state_file = state_file
        self.log_file = log_file
        self.port = port
        self.chain_id = chain_id
        self.state_interval = state_interval
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log_handle: object | None = None

    @property
    def rpc_url(self) -> str:
        if self.port is None:
            raise AnvilError("anvil has not been started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Anvil:
        if self.running:
            return self
        binary = anvil_binary()
        attempts = 1 if self.port is not None else 3
        for attempt in range(attempts):
            port = self.port if self.port is not None else free_loopback_port()
            try:
                self._launch(binary, port)
                self.port = port
                return self
            except AnvilError:
                if attempt == attempts - 1:
                    raise
                log.warning("anvil did not start on port %d, trying another port", port)
        raise AssertionError("unreachable")

    def _launch(self, binary: Path, port: int) -> None:
        # Without this check a chain already on the port would answer our readiness probe.
        if not port_is_free(port):
            raise AnvilError(f"port {port} on 127.0.0.1 is already in use")
        command = [
            str(binary),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--chain-id", str(self.chain_id),
        ]  # fmt: skip
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            command += ["--state", str(self.state_file), "--state-interval", str(self.state_interval)]
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            out = open(self.log_file, "ab")  # noqa: SIM115 - closed in stop()
        else:
            out = subprocess.DEVNULL  # type: ignore[assignment]
        self._log_handle = out
        self._process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._close_log()
                raise AnvilError(
                    f"anvil exited with code {self._process.returncode} while starting on port {port}"
                    + (f"; see {self.log_file}" if self.log_file else "")
                )
            chain_id = rpc_answers(url, timeout=0.5)
            if chain_id is not None and self._process.poll() is None:
                if chain_id != self.chain_id:
                    self.stop()
                    raise AnvilError(f"port {port} answers with chain id {chain_id}, not anvil's {self.chain_id}")
                log.info("anvil answers at %s (chain id %d)", url, chain_id)
                return
            time.sleep(0.05)
        self.stop()
        raise AnvilError(f"anvil did not answer on {url} within {self.startup_timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> None:
        """Stop anvil with SIGTERM, so it dumps its state file, and kill it if it does not exit."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("anvil did not stop within %.0f s; killing it", timeout)
                process.kill()
                process.wait()
        self._close_log()

    def _close_log(self) -> None:
        handle, self._log_handle = self._log_handle, None
        if handle is not None and handle is not subprocess.DEVNULL:
            handle.close()  # type: ignore[attr-defined]

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
