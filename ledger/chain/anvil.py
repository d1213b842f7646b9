"""Start and stop a local anvil chain from the project's ``node_modules``.

anvil comes from the npm package ``@foundry-rs/anvil``, whose platform package ships the binary,
so nothing is downloaded at run time. With a state file the chain is loaded from it on start and
saved to it while it runs and on a clean stop (:mod:`ledger.chain.anvil_state`: one owner, atomic
saves), so a local chain survives a restart of the service, or a crash minus its last moments.

anvil dies with the process that launched it, however that process dies: on Linux the kernel
sends it SIGKILL when its parent goes (``PR_SET_PDEATHSIG``). Elsewhere a SIGKILLed launcher
leaves anvil running until the next start on the same state file kills it (see
:func:`~ledger.chain.anvil_state.end_orphan`).

anvil answers cheat methods (``anvil_impersonateAccount``, ``anvil_setBalance``) to whoever reaches
it, so it listens on loopback only and without CORS (``--no-cors``): a web page on another origin
gets no ``Access-Control-Allow-Origin``, so a browser sends it no JSON request (the preflight
fails) and anvil refuses the form-encoded and text/plain bodies a page may send without one.
Browsers read the chain through the service's read-only proxy (:mod:`ledger.chain.rpc_proxy`).
anvil's WebSocket endpoint on the same port has no origin check and cannot be turned off.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from ledger.chain.anvil_state import StateLock, StateSaver, end_orphan
from ledger.errors import SetupError

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHAIN_ID = 31337
CACHE_PREFIX = "anvil-cache-"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
STATE_MARK = "ZCL_ANVIL_STATE"
"""Set in anvil's environment to its state file, so tests can find the process a service started."""
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


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGKILL when its parent dies (Linux), else None.

    The kernel signals on the death of the parent *thread* that forked, so start anvil from a
    thread that lives as long as it should (``zcl serve`` starts it from its main thread).
    """
    if sys.platform != "linux":
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before the fork: the child only calls into it
    parent = os.getpid()

    def preexec() -> None:
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            os._exit(127)
        if os.getppid() != parent:  # the parent died between fork and prctl: nobody would signal
            os._exit(127)

    return preexec


class Anvil:
    """One anvil process on a loopback port. Use as a context manager, or call start() and stop().

    ``prune_history`` keeps at most that many past states in memory (anvil's ``--prune-history``)
    and none on disk: a benchmark that mines large states would otherwise hold a copy per block
    (10^5 claims on one block grew anvil past 20 GB).
    """

    def __init__(
        self,
        *,
        state_file: Path | None = None,
        log_file: Path | None = None,
        port: int | None = None,
        chain_id: int = DEFAULT_CHAIN_ID,
        save_interval: float = 0.5,
        startup_timeout: float = 30.0,
        prune_history: int | None = None,
    ) -> None:
        self.state_file = state_file
        self.prune_history = prune_history
        self.log_file = log_file
        self.port = port
        self.chain_id = chain_id
        self.save_interval = save_interval
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log_handle: object | None = None
        self._lock = StateLock(state_file) if state_file is not None else None
        self._saver: StateSaver | None = None
        self._cache_dir: Path | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

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
        if self._lock is not None:
            end_orphan(self._lock.acquire(), self.chain_id)
        try:
            self._cache_dir = self._new_cache_dir()
            self._start(binary)
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        if self._lock is not None and self.state_file is not None:
            self._lock.record(anvil_pid=self.pid, port=self.port)
            self._saver = StateSaver(self.state_file, self.rpc_url, self.save_interval).start()
        return self

    def _new_cache_dir(self) -> Path:
        """Where this anvil spills old block states (``--cache-path``), removed when it stops.

        Left to itself anvil spills them under ``~/.foundry/anvil/tmp`` and never removes what a
        killed anvil left there: tests that SIGKILL it filled a disk that way. The directory sits
        beside the state file (whose lock we hold, so older ones there are a dead anvil's, removed
        now) or the log file (a test's temporary directory), else in the system's temporary one.
        """
        base = self.state_file.parent if self.state_file else self.log_file.parent if self.log_file else None
        if base is not None:
            base.mkdir(parents=True, exist_ok=True)
            if self.state_file is not None:
                for stale in base.glob(f"{CACHE_PREFIX}*"):
                    shutil.rmtree(stale, ignore_errors=True)
        return Path(tempfile.mkdtemp(prefix=CACHE_PREFIX, dir=base))

    def save(self) -> None:
        """Save the chain to the state file now (between the saver's rounds)."""
        if self._saver is not None:
            self._saver.save()

    def _start(self, binary: Path) -> None:
        attempts = 1 if self.port is not None else 3
        for attempt in range(attempts):
            port = self.port if self.port is not None else free_loopback_port()
            try:
                self._launch(binary, port)
                self.port = port
                return
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
            "--no-cors",
        ]  # fmt: skip
        if self._cache_dir is not None:
            command += ["--cache-path", str(self._cache_dir)]
        if self.prune_history is not None:  # anvil otherwise keeps a copy of the state per recent block
            command += ["--prune-history", str(self.prune_history)]
        env = dict(os.environ)
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            env[STATE_MARK] = str(self.state_file)
            if self.state_file.exists():  # anvil only loads it; StateSaver writes it, atomically
                command += ["--load-state", str(self.state_file)]
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            out = open(self.log_file, "ab")  # noqa: SIM115 - closed in stop()
        else:
            out = subprocess.DEVNULL  # type: ignore[assignment]
        self._log_handle = out
        # Its own session, so a Ctrl-C meant for the service does not kill anvil before it is saved.
        self._process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True, preexec_fn=die_with_parent()
        )
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
                    self._terminate()
                    raise AnvilError(f"port {port} answers with chain id {chain_id}, not anvil's {self.chain_id}")
                log.info("anvil answers at %s (chain id %d)", url, chain_id)
                return
            time.sleep(0.05)
        self._terminate()
        raise AnvilError(f"anvil did not answer on {url} within {self.startup_timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> None:
        """Save the state file, stop anvil with SIGTERM (kill it if it does not exit), release the lock."""
        saver, self._saver = self._saver, None
        if saver is not None:
            saver.stop()
            if self.running:
                try:
                    saver.save()
                except (OSError, ValueError) as exc:
                    log.error("could not save the chain state on stop: %s", exc)
        self._terminate(timeout)
        if self._cache_dir is not None:
            shutil.rmtree(self._cache_dir, ignore_errors=True)
            self._cache_dir = None
        if self._lock is not None:
            self._lock.release()

    def _terminate(self, timeout: float = 15.0) -> None:
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
