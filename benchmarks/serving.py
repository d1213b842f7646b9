"""The service under uvicorn on a loopback port, in a thread of the benchmark's process, so figures
include the HTTP server and a real socket, as a buyer or factory would meet them."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from eth_account import Account
from web3 import Web3

from api.compose import Composition, compose
from ledger.chain.anvil import Anvil, free_loopback_port
from ledger.chain.client import LedgerClient
from ledger.chain.funding import fund_on_anvil


@contextmanager
def deployed(prefix: str, admin_token: str) -> Iterator[tuple[Composition, LedgerClient]]:
    """The service composed as the tests compose it: a fresh anvil with the contract deployed, and
    SQLite in a temporary directory; both gone when the block ends."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp_dir:
        tmp = Path(tmp_dir)
        with Anvil(log_file=tmp / "anvil.log") as anvil:
            w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 60}))
            operator = Account.create()
            fund_on_anvil(w3, operator.address)
            ledger, _ = LedgerClient.deploy(w3, operator)
            db = f"sqlite:///{tmp / 'ledger.db'}"
            yield compose(ledger, db, admin_token=admin_token, registrar=ledger.sender), ledger


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
