"""Shared fixtures: one real anvil per test session, a fresh CarbonLedger per test.

With ``ZCL_RPC_URL`` set, that chain is used and nothing is launched; it must be anvil (or answer
``anvil_setBalance``), because the fixtures fund fresh keys with it.

With ``ZCL_TEST_DATABASE_URL`` set (a PostgreSQL server's SQLAlchemy URL, as ``ZCL_TEST_POSTGRES=1
./scripts/test`` sets it), every test's database is a fresh database created on that server and
dropped after the test; otherwise it is a SQLite file in the test's temporary directory.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from api.compose import compose
from ledger.chain.anvil import Anvil, free_loopback_port
from ledger.chain.client import LedgerClient
from ledger.chain.funding import fund_on_anvil
from ledger.services import Services
from ledger.store.db import make_engine, migrate, session_factory

ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "test-artifacts"
ADMIN = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture(scope="session")
def rpc_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("ZCL_RPC_URL")
    if external:
        yield external
        return
    log_file = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with Anvil(log_file=log_file) as anvil:
        yield anvil.rpc_url


@pytest.fixture(scope="session")
def w3(rpc_url: str) -> Web3:
    return Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))


@pytest.fixture
def new_account(w3: Web3) -> Callable[[], LocalAccount]:
    """Makes fresh funded keys: tests never share nonces or balances."""

    def make() -> LocalAccount:
        account = Account.create()
        fund_on_anvil(w3, account.address)
        return account

    return make


@pytest.fixture
def operator(new_account: Callable[[], LocalAccount]) -> LocalAccount:
    """The deployer: admin, registrar and relayer of the test's ledger."""
    return new_account()


@pytest.fixture
def ledger(w3: Web3, operator: LocalAccount) -> LedgerClient:
    """A freshly deployed CarbonLedger, written with the operator's key."""
    client, _ = LedgerClient.deploy(w3, operator)
    return client


@dataclass
class Service:
    http: httpx.Client
    services: Services
    ledger: LedgerClient
    w3: Web3
    database: Path
    """Where a SQLite database would be; the evidence directory is beside it."""
    database_url: str


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for this test: on ``ZCL_TEST_DATABASE_URL``'s server, else SQLite."""
    server = os.environ.get("ZCL_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    name = f"zcl_test_{secrets.token_hex(6)}"
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh SQLite database built by our migrations, for tests of the store alone."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


@contextmanager
def serving(app: Any, timeout: float = 60) -> Iterator[httpx.Client]:
    """``app`` under uvicorn on a free loopback port, in a thread, with a client for it."""
    port = free_loopback_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def service(tmp_path: Path, w3: Web3, ledger: LedgerClient, database_url: str) -> Iterator[Service]:
    composed = compose(
        ledger, database_url, admin_token="test-admin-token", evidence_dir=tmp_path / "evidence", wait_timeout=30
    )
    with serving(composed.app) as http:
        yield Service(http, composed.services, ledger, w3, tmp_path / "ledger.db", database_url)
    composed.close()


_GAS_USED: dict[str, list[int]] = {}


@pytest.fixture(scope="session")
def gas_report() -> dict[str, list[int]]:
    """Gas used per operation: ``gas_report.setdefault(name, []).append(tx.gas_used)``.

    The table is printed in pytest's summary and saved to ``test-artifacts/gas-report.txt``.
    """
    return _GAS_USED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _GAS_USED:
        return
    rows = [f"{name:<32} {min(v):>10,} {max(v):>10,} {len(v):>5}" for name, v in sorted(_GAS_USED.items())]
    text = "\n".join([f"{'gas used':<32} {'min':>10} {'max':>10} {'n':>5}", *rows])
    terminalreporter.write_sep("=", "gas used per operation")
    terminalreporter.write_line(text)
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    (ARTIFACTS_DIR / "gas-report.txt").write_text(text + "\n", encoding="utf-8")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--all", action="store_true", help="also run the long reliability tests (kills, load, fuzz)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "long: a long reliability test, run by ./scripts/test --all")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--all"):
        return
    skip = pytest.mark.skip(reason="long reliability test: run ./scripts/test --all")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)
