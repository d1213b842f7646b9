"""What the ledger client's per-concern mixins (:mod:`.claim_calls`, :mod:`.report_calls`) use of it:
the contract, and its call, send and event plumbing, which :class:`~ledger.chain.client.LedgerClient`
implements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.chain.transactions import TxResult

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress
    from web3 import Web3
    from web3.contract.contract import Contract, ContractFunction


class ContractCalls:
    """The client's plumbing, as its mixins see it."""

    w3: Web3
    contract: Contract
    address: ChecksumAddress
    deployed_block: int

    def _call(self, fn: ContractFunction) -> Any:
        raise NotImplementedError

    def _send(self, fn: ContractFunction) -> Any:
        raise NotImplementedError

    def _transact(self, fn: ContractFunction) -> TxResult:
        raise NotImplementedError

    def _event_tx(self, event: Any, block: int, filters: dict[str, Any]) -> str | None:
        raise NotImplementedError
