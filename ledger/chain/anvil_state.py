"""A local anvil's state file: one owner, saved often, never torn.

anvil's own ``--state`` / ``--state-interval`` dumps rewrite the file in place (opened with O_TRUNC,
no fsync, no rename). A kill during a dump leaves a torn JSON file that anvil then refuses to load
(so the next start fails until someone deletes the file, and with it the chain), and an orphaned
anvil whose service died keeps dumping its older chain over the file a restarted service loaded.

So anvil here only *loads* the file (``--load-state``). The process that launched it owns the
file under an exclusive ``flock`` on ``<state>.lock`` (the kernel releases it when that process
dies, however it dies) and saves it itself: ``anvil_dumpState`` over JSON-RPC whenever the head
block changed, written to a temporary file, fsynced and renamed over the old one, so the file on
disk is always one whole snapshot.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import logging
import os
import signal
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from ledger.errors import SetupError

log = logging.getLogger(__name__)


class StateLocked(SetupError):
    """Another live process owns this anvil state file."""


class StateLock:
    """The exclusive lock on ``<state>.lock``; the file also says who holds it (pid, anvil's pid, port)."""

    def __init__(self, state_file: Path) -> None:
        self.path = state_file.with_name(state_file.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> dict[str, Any]:
        """Take the lock or raise :class:`StateLocked`; returns what the previous holder recorded."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_record(fd).get("pid", "unknown")
            os.close(fd)
            raise StateLocked(
                f"{self.path} is held by process {holder}: another `zcl serve` runs on this data directory's "
                "local chain. Stop it first, or give this one another ZCL_DATA_DIR"
            ) from None
        previous = _read_record(fd)
        self._fd = fd
        self.record()
        return previous

    def record(self, **fields: Any) -> None:
        """Write who holds the lock (this pid, plus ``fields``) into the lock file."""
        if self._fd is None:
            return
        data = json.dumps({"pid": os.getpid(), **fields}).encode() + b"\n"
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def release(self) -> None:
        """Let go of the lock. The file stays: unlinking it would let two processes lock two inodes."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.ftruncate(fd, 0)
            os.close(fd)  # closing the last descriptor releases the flock


def end_orphan(previous: dict[str, Any], chain_id: int) -> None:
    """Kill the anvil a dead holder of the lock left behind, if it is still running.

    On Linux anvil dies with its launcher (``PR_SET_PDEATHSIG``), so there is none; elsewhere a
    SIGKILLed service leaves its anvil running. It no longer writes the state file (only the lock's
    holder does), but it keeps its port and memory. It is recognised by the pid recorded in the
    lock file still running *and* its recorded port still answering with the chain id.
    """
    pid, port = previous.get("anvil_pid"), previous.get("port")
    if not isinstance(pid, int) or not isinstance(port, int) or pid == os.getpid():
        return
    try:
        os.kill(pid, 0)
        if request(f"http://127.0.0.1:{port}", "eth_chainId", timeout=1.0) != hex(chain_id):
            return
    except (OSError, ValueError):  # gone, or nothing of ours answers on its port
        return
    log.warning("killing anvil %d left running on port %d by a service that died", pid, port)
    os.kill(pid, signal.SIGKILL)


class StateSaver:
    """Saves anvil's state to ``state_file`` atomically: on demand, and from a thread every
    ``interval`` seconds when the head block changed (a new block, or a reorg).

    A dump costs time in proportion to the chain (anvil keeps and dumps every block: ~0.04 s for
    1,000 one-transaction blocks, ~1 s for 10,000), so a round waits at least twice the last
    dump's duration: the saver takes at most a third of a core however long the chain grows.
    """

    def __init__(self, state_file: Path, rpc_url: str, interval: float) -> None:
        self.state_file = state_file
        self.rpc_url = rpc_url
        self.interval = interval
        self.saves = 0
        self.last_duration = 0.0
        self._saved_head: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> StateSaver:
        self._thread = threading.Thread(target=self._run, name="anvil-state-saver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def save(self) -> None:
        """Dump the chain now and replace the state file with the dump in one rename."""
        with self._lock:
            started = time.monotonic()
            head = _head(self.rpc_url)
            dump = request(self.rpc_url, "anvil_dumpState", timeout=120.0)
            if not isinstance(dump, str) or not dump.startswith("0x"):
                raise OSError(f"anvil_dumpState answered {str(dump)[:80]!r}")
            write_atomically(self.state_file, gzip.decompress(bytes.fromhex(dump[2:])))
            self._saved_head = head
            self.saves += 1
            self.last_duration = time.monotonic() - started

    def _run(self) -> None:
        failing = False
        while not self._stop.wait(max(self.interval, 2 * self.last_duration)):
            try:
                if _head(self.rpc_url) != self._saved_head:
                    self.save()
                failing = False
            except (OSError, ValueError) as exc:  # anvil gone or busy: the next round tries again
                if not failing:
                    log.warning("could not save the chain state to %s: %s", self.state_file, exc)
                failing = True


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a reader (or a crash) sees the old file or the new one, whole."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


def request(url: str, method: str, params: list[Any] | None = None, timeout: float = 5.0) -> Any:
    """One JSON-RPC request to anvil; its ``result`` (OSError or ValueError when it fails)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    http = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(http, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "result" not in answer:
        raise ValueError(f"{method}: {answer.get('error')}")
    return answer["result"]


def _head(url: str) -> str:
    block = request(url, "eth_getBlockByNumber", ["latest", False])
    return str(block["hash"])


def _read_record(fd: int) -> dict[str, Any]:
    try:
        record = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}
