"""Shared fixtures: one real anvil per test session, a fresh CarbonLedger per test.

With ``ZCL_RPC_URL`` set, that chain is used and nothing is launched; it must be anvil (or answer
``anvil_setBalance``), because the fixtures fund fresh keys with it.

With ``ZCL_TEST_DATABASE_URL`` set (a PostgreSQL server's SQLAlchemy URL, as ``ZCL_TEST_POSTGRES=1
./scripts/test`` sets it), every test's database is a fresh database created on that server and
dropped after the test; otherwise it is a SQLite file in the test's temporary directory, a copy of
one database that our migrations built once per session (migrating each test's file cost 0.3-0.6 s).

``./scripts/test`` runs the suite on pytest-xdist workers, each a whole session of its own (its own
anvil); the gas used per operation is gathered from them into one table.

Every test is in one layer, a marker given here from the fixtures it uses (see ``layer_of``):
``unit`` (no chain, no server), ``contract`` (a real anvil), ``service`` (the app over an anvil),
``e2e`` (whole programs: ``zcl`` subprocesses, Chromium, Node against the service, their own
anvil; modules and tests say so with ``pytest.mark.e2e``). ``long`` is separate: skipped unless
``--all``. ``./scripts/test -m unit`` runs the unit layer, which may not start anvil.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
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
from fastapi.testclient import TestClient
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from api.compose import compose
from ledger.chain.anvil import Anvil, free_loopback_port
from ledger.chain.client import LedgerClient
from ledger.chain.funding import fund_on_anvil
from ledger.chain.session import web3_for
from ledger.services import Services
from ledger.store.db import make_engine, migrate, session_factory
from tests.builders import ADMIN as ADMIN  # imported from here by the test modules
from tests.builders import FACTORY_ID, FACTORY_NAME, register_factory

ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="session")
def rpc_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if _selects_only_unit(request.config):
        pytest.fail(
            "this test reaches anvil (the rpc_url fixture) but is in the unit layer: mark it "
            "pytest.mark.contract, pytest.mark.service or pytest.mark.e2e (or request w3/ledger/service "
            "as an argument, which marks it) so that `-m unit` never starts a chain",
            pytrace=False,
        )
    external = os.environ.get("ZCL_RPC_URL")
    if external:
        yield external
        return
    log_file = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with Anvil(log_file=log_file) as anvil:
        yield anvil.rpc_url


@pytest.fixture(scope="session")
def w3(rpc_url: str) -> Web3:
    """The client ``zcl serve`` makes (:func:`~ledger.chain.session.web3_for`): the chain id is asked
    once, not before every call and estimate (one or two round trips each)."""
    return web3_for(rpc_url)


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


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database built by our migrations, once per session: each test gets a copy of it.

    The migrations from an empty file are tested on their own (``test_migrations_build_exactly_the_models_schema``).
    """
    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    assert not path.with_name(path.name + "-wal").exists(), "the WAL was not checkpointed into the file"
    return path


def fresh_sqlite(request: pytest.FixtureRequest, path: Path) -> Path:
    """A copy of the session's migrated database at ``path``: a test's own, at the newest schema."""
    shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database for this test: an empty one on ``ZCL_TEST_DATABASE_URL``'s server, else a
    SQLite file already at the newest schema (:func:`migrated_sqlite`; ``compose`` finds nothing to do)."""
    server = os.environ.get("ZCL_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{fresh_sqlite(request, tmp_path / 'ledger.db')}"
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
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh SQLite database built by our migrations, for tests of the store alone."""
    engine = make_engine(f"sqlite:///{fresh_sqlite(request, tmp_path / 'ledger.db')}")
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
def service(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    w3: Web3,
    ledger: LedgerClient,
    operator: LocalAccount,
    database_url: str,
) -> Iterator[Service]:
    """The app over the test's ledger and database, called in process (``TestClient``: no socket).

    A test that also asks for ``served`` gets that one here, so fixtures built on ``service`` (a
    registered ``factory``, ...) follow it onto the real server.
    """
    if "served" in request.fixturenames:
        yield request.getfixturevalue("served")
        return
    composed = compose(
        ledger, database_url, admin_token="test-admin-token", evidence_dir=tmp_path / "evidence", wait_timeout=30,
        registrar=operator,  # the test chain's one key is admin and registrar (LedgerClient.deploy)
    )  # fmt: skip
    # Server errors come back as 500 responses, as from uvicorn, rather than raised into the test.
    with TestClient(composed.app, raise_server_exceptions=False) as http:
        yield Service(http, composed.services, ledger, w3, tmp_path / "ledger.db", database_url)
    composed.close()


@pytest.fixture
def served(
    tmp_path: Path, w3: Web3, ledger: LedgerClient, operator: LocalAccount, database_url: str
) -> Iterator[Service]:
    """The same app under uvicorn on a loopback port, for tests of the HTTP server itself: clients on
    their own connections (threads, subprocesses, Node, browsers), streamed and chunked uploads, raw
    sockets and the body-size limits on them."""
    composed = compose(
        ledger, database_url, admin_token="test-admin-token", evidence_dir=tmp_path / "evidence", wait_timeout=30,
        registrar=operator,  # the test chain's one key is admin and registrar (LedgerClient.deploy)
    )  # fmt: skip
    with serving(composed.app) as http:
        yield Service(http, composed.services, ledger, w3, tmp_path / "ledger.db", database_url)
    composed.close()


@pytest.fixture
def factory_name() -> str:
    """The name ``factory`` registers; a module overrides this fixture to register another."""
    return FACTORY_NAME


@pytest.fixture
def factory(service: Service, new_account: Callable[[], LocalAccount], factory_name: str) -> LocalAccount:
    """A fresh key registered through the API as the example factory (``FACTORY_ID``)."""
    account = new_account()
    register_factory(service.http, account, FACTORY_ID, factory_name)
    return account


_GAS_USED: dict[str, list[int]] = {}


@pytest.fixture(scope="session")
def gas_report() -> dict[str, list[int]]:
    """Gas used per operation: ``gas_report.setdefault(name, []).append(tx.gas_used)``.

    The table is printed in pytest's summary and saved to ``test-artifacts/gas-report.txt``.
    """
    return _GAS_USED


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker: hand the gas table to the controller, which prints the summary."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["gas_used"] = json.dumps(_GAS_USED)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the pytest-xdist controller: a worker's gas table joins the session's."""
    for name, used in json.loads(getattr(node, "workeroutput", {}).get("gas_used", "{}")).items():
        _GAS_USED.setdefault(name, []).extend(used)


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


LAYERS = ("unit", "contract", "service", "e2e")
APP_FIXTURES = frozenset({"service", "served", "factory", "cluster", "relayed"})
"""Fixtures that build the app (``compose``/``create_app``) over an anvil."""
CHAIN_FIXTURES = frozenset({"rpc_url", "w3", "ledger", "new_account", "operator"})
"""Fixtures that reach anvil."""


def layer_of(item: pytest.Item) -> str:
    """An explicit layer marker (closest first: test, class, module) wins; else the fixtures decide."""
    for marker in item.iter_markers():
        if marker.name in LAYERS:
            return marker.name
    fixtures = set(getattr(item, "fixturenames", ()))
    if fixtures & APP_FIXTURES:
        return "service"
    if fixtures & CHAIN_FIXTURES:
        return "contract"
    return "unit"


def _selects_only_unit(config: pytest.Config) -> bool:
    """Whether ``-m`` selects the unit layer and none of the layers that may use a chain."""
    expression = config.getoption("markexpr", "") or ""
    if not expression:
        return False
    try:
        from _pytest.mark.expression import Expression

        compiled = Expression.compile(expression)
    except Exception:  # noqa: BLE001 - a private API: fall back to the plain spelling
        return expression.strip() == "unit"

    def selects(layer: str) -> bool:
        return any(compiled.evaluate(lambda name, **_: name in marks) for marks in ({layer}, {layer, "long"}))

    return selects("unit") and not any(selects(layer) for layer in LAYERS[1:])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "long: a long reliability test, run by ./scripts/test --all")
    config.addinivalue_line(
        "markers", "unit: no chain and no server (may run Python, Node or solc); the layer runs in seconds"
    )
    config.addinivalue_line("markers", "contract: the contracts or the chain client on a real anvil")
    config.addinivalue_line("markers", "service: the app (services, API) over a real anvil and a database")
    config.addinivalue_line("markers", "e2e: whole programs: zcl subprocesses, Chromium, Node, own anvil, kills")


# Files whose tests start processes (zcl serve, Chromium, SIGKILLs) first: the two workers of
# `--dist loadfile` take files in this order, so the long ones no longer finish alone at the end.
FILE_ORDER = {"e2e": 0, "service": 1, "contract": 2, "unit": 3}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    first_of: dict[str, int] = {}
    for item in items:
        layer = layer_of(item)
        if not item.get_closest_marker(layer):
            item.add_marker(getattr(pytest.mark, layer))
        first_of[item.nodeid.split("::")[0]] = min(
            first_of.get(item.nodeid.split("::")[0], 9), FILE_ORDER.get(layer, 0)
        )
    position = {id(item): i for i, item in enumerate(items)}  # a file keeps its own tests' order
    items.sort(key=lambda item: (first_of[item.nodeid.split("::")[0]], position[id(item)]))
    if config.getoption("--all"):
        return
    skip = pytest.mark.skip(reason="long reliability test: run ./scripts/test --all")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)
