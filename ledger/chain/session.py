"""Getting a chain to talk to: the configured one, or a local anvil kept in the data directory.

``ZCL_RPC_URL`` names an existing chain and nothing is launched. Without it, `zcl serve` starts
anvil with its state file in the data directory (owned by the serving process, saved while it
runs, see :mod:`ledger.chain.anvil_state`) and writes the endpoint where the other `zcl` commands
look for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.anvil import Anvil, rpc_answers
from ledger.chain.client import LedgerClient
from ledger.chain.deployment import Deployment, open_ledger
from ledger.chain.errors import ChainUnavailable
from ledger.chain.funding import fund_on_anvil, is_anvil
from ledger.config import Settings
from ledger.keys import load_operator_key, load_or_create_operator_key


@dataclass
class LedgerSession:
    w3: Web3
    rpc_url: str
    ledger: LedgerClient
    deployment: Deployment | None
    deployed_now: bool
    operator: LocalAccount
    local: bool


def web3_for(url: str) -> Web3:
    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))


@contextmanager
def serve_chain(settings: Settings) -> Iterator[LedgerSession]:
    """The chain and contract for a running service; launches and stops anvil when local."""
    anvil: Anvil | None = None
    rpc_url = settings.rpc_url
    if rpc_url is None:
        anvil = Anvil(state_file=settings.anvil_state_file, log_file=settings.anvil_log_file).start()
        rpc_url = anvil.rpc_url
    try:
        w3 = web3_for(rpc_url)
        if rpc_answers(rpc_url, timeout=5) is None:
            raise ChainUnavailable(f"ZCL_RPC_URL={rpc_url} does not answer eth_chainId")
        if anvil is not None:
            operator, _ = load_or_create_operator_key(settings.operator_key_file, operator_password_file(settings))
            fund_on_anvil(w3, operator.address)
        else:
            operator = load_operator_key(settings.operator_key_file, operator_password_file(settings))
        ledger, deployment, deployed_now = open_ledger(
            w3,
            operator,
            settings.deployment_file,
            address=settings.contract_address,
            receipt_timeout=settings.receipt_timeout,
            before_record=anvil.save if anvil is not None else None,
        )
        if anvil is not None:
            _write_endpoint(settings, rpc_url)
        yield LedgerSession(w3, rpc_url, ledger, deployment, deployed_now, operator, anvil is not None)
    finally:
        if anvil is not None:
            settings.endpoint_file.unlink(missing_ok=True)
            anvil.stop()


def connect(settings: Settings, *, with_operator: bool = True) -> LedgerSession:
    """The chain and contract for a one-off command: ``ZCL_RPC_URL`` or the running `zcl serve`."""
    rpc_url = settings.rpc_url or endpoint_url(settings)
    if rpc_answers(rpc_url, timeout=5) is None:
        raise ChainUnavailable(f"the chain at {rpc_url} does not answer")
    w3 = web3_for(rpc_url)
    operator = (
        load_operator_key(settings.operator_key_file, operator_password_file(settings)) if with_operator else None
    )
    ledger, deployment, _ = open_ledger(
        w3,
        operator,
        settings.deployment_file,
        address=settings.contract_address,
        deploy_if_missing=False,
        receipt_timeout=settings.receipt_timeout,
    )
    return LedgerSession(w3, rpc_url, ledger, deployment, False, operator, is_anvil(w3))  # type: ignore[arg-type]


def operator_password_file(settings: Settings) -> Path:
    """Where the local operator keystore's generated password is kept (mode 0600)."""
    return settings.data_dir / "keys" / "operator.password"


def _write_endpoint(settings: Settings, rpc_url: str) -> None:
    settings.chain_dir.mkdir(parents=True, exist_ok=True)
    tmp = settings.endpoint_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"rpc_url": rpc_url, "pid": os.getpid()}) + "\n", encoding="utf-8")
    os.replace(tmp, settings.endpoint_file)


def endpoint_url(settings: Settings) -> str:
    """The RPC URL of the local chain a running `zcl serve` started for this data directory."""
    try:
        return str(json.loads(settings.endpoint_file.read_text(encoding="utf-8"))["rpc_url"])
    except FileNotFoundError:
        raise ChainUnavailable(
            "no chain: start the local one with ./scripts/serve, or set ZCL_RPC_URL to a node"
        ) from None
    except (ValueError, KeyError) as exc:
        raise ChainUnavailable(f"{settings.endpoint_file}: unreadable ({exc})") from None
