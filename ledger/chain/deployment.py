"""Remembering which CarbonLedger this data directory uses, so it is deployed once.

The record is checked against the chain on every start: the same chain id, and the committed
runtime bytecode at the address. A mismatch is an error, not a silent redeploy, because a new
contract would orphan every anchor made on the old one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.client import LedgerClient
from ledger.errors import SetupError


class DeploymentError(SetupError, RuntimeError):
    """The recorded or configured contract is not usable on this chain."""


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    address: str
    block_number: int
    tx_hash: str
    deployer: str


def read_deployment(path: Path) -> Deployment | None:
    if not path.exists():
        return None
    try:
        return Deployment(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise DeploymentError(f"{path}: not a deployment record ({exc})") from None


def write_deployment(path: Path, deployment: Deployment) -> None:
    """Write atomically: a crash leaves the old record or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(deployment), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def open_ledger(
    w3: Web3,
    operator: LocalAccount | None,
    record_file: Path,
    *,
    address: str | None = None,
    deploy_if_missing: bool = True,
    receipt_timeout: float = 120.0,
    before_record: Callable[[], None] | None = None,
    roles: dict[str, str | None] | None = None,
) -> tuple[LedgerClient, Deployment | None, bool]:
    """The ledger to use: ``address`` if given, else the recorded one, else a new deployment.

    Returns the client, the deployment record (None for an explicit address) and whether this
    call deployed the contract. A new deployment names ``roles["admin"]``, ``["registrar"]`` and
    ``["attestor"]`` (addresses; each defaults to the deployer's). ``before_record`` runs between a deployment and its record (a
    local chain saves its state there, so a crash never leaves a record of a contract the
    restored chain lacks).
    """
    if address is not None:
        client = LedgerClient(w3, address, operator, receipt_timeout=receipt_timeout)
        _check_code(client, f"ZCL_CONTRACT_ADDRESS={address}")
        return client, None, False

    record = read_deployment(record_file)
    chain_id = w3.eth.chain_id
    if record is not None:
        if record.chain_id != chain_id:
            raise DeploymentError(
                f"{record_file} records a contract on chain {record.chain_id}, but the node answers as chain "
                f"{chain_id}; point ZCL_RPC_URL at chain {record.chain_id} or use another ZCL_DATA_DIR"
            )
        client = LedgerClient(w3, record.address, operator, receipt_timeout=receipt_timeout)
        _check_code(client, f"{record_file} (address {record.address})")
        client.deployed_block = record.block_number
        return client, record, False

    if not deploy_if_missing:
        raise DeploymentError(f"no contract recorded in {record_file}; deploy with `zcl contract deploy`")
    if operator is None:
        raise DeploymentError("deploying needs the operator key")
    if roles is not None and roles.get("admin") is None:
        raise DeploymentError(
            "deploying needs the admin's address: set ZCL_ADMIN_KEY_FILE to the admin's key file (its address "
            "is read without a password), so that the relayer, which pays for transactions, holds no role"
        )
    roles = roles or {}
    client, tx = LedgerClient.deploy(
        w3, operator, roles.get("admin"), registrar=roles.get("registrar"), attestor=roles.get("attestor"),
        receipt_timeout=receipt_timeout,
    )  # fmt: skip
    record = Deployment(chain_id, client.address, tx.block_number, tx.tx_hash, operator.address)
    if before_record is not None:
        before_record()
    write_deployment(record_file, record)
    client.deployed_block = record.block_number
    return client, record, True


def _check_code(client: LedgerClient, source: str) -> None:
    if not client.has_expected_code():
        raise DeploymentError(
            f"{source}: the chain has no CarbonLedger with the committed bytecode at that address. "
            "If this is a local chain whose state file was lost, its anchors are gone too: move the "
            "data directory aside to start afresh."
        )
