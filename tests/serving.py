"""`zcl serve` as the browser tests start it: on a free loopback port, with its own anvil and data
directory, and no ZCL_ setting of the caller's environment leaking in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ledger.chain.anvil import free_loopback_port

ZCL = str(Path(sys.executable).with_name("zcl"))


def clean_env(data_dir: Path) -> dict[str, str]:
    """The environment without the caller's ZCL_ settings, the data directory set."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ZCL_")} | {"ZCL_DATA_DIR": str(data_dir)}


@contextmanager
def zcl_serve(data_dir: Path) -> Iterator[tuple[str, str]]:
    """The service's base URL and admin token while it runs; Ctrl-C (SIGINT) stops it after."""
    port = free_loopback_port()
    process = subprocess.Popen([ZCL, "serve", "--port", str(port)], env=clean_env(data_dir), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("ready"):
            break
    else:
        pytest.fail("zcl serve did not start")
    try:
        yield f"http://127.0.0.1:{port}", (data_dir / "keys" / "admin-token").read_text().strip()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
