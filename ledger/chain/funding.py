"""Funding accounts on a local anvil chain, where ether is free for the asking."""

from __future__ import annotations

from web3 import Web3

LOCAL_BALANCE_WEI = 10**22  # 10,000 ether: enough for millions of commits


def is_anvil(w3: Web3) -> bool:
    """Whether the node is anvil (it names itself in ``web3_clientVersion``)."""
    try:
        return str(w3.client_version).lower().startswith("anvil")
    except Exception:  # a node that rejects the method is not anvil
        return False


def fund_on_anvil(w3: Web3, address: str, wei: int = LOCAL_BALANCE_WEI) -> None:
    """Set ``address``'s balance with ``anvil_setBalance`` (local chains only)."""
    w3.provider.make_request("anvil_setBalance", [Web3.to_checksum_address(address), hex(wei)])  # type: ignore[arg-type]
