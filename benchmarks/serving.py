"""The service under uvicorn on a loopback port, in a thread of the benchmark's process, so figures
include the HTTP server and a real socket, as a buyer or factory would meet them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from ledger.chain.anvil import free_loopback_port


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serves ``app`` until the block ends; yields its base URL."""
    port = free_loopback_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
