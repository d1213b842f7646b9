"""``POST /rpc``, the read-only JSON-RPC proxy browsers use for the chain, against a real anvil.

The reads the verifier makes pass and agree with the chain; writes, signing, mining, anvil's cheat
methods, tracing and ``eth_call`` state overrides are refused before anything reaches the chain
(shown by the chain not changing); a chain that goes away is a JSON-RPC error, not a 500.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.rpc_proxy import MAX_BATCH, MAX_BODY_BYTES, MAX_LOG_BLOCKS, ReadOnlyRpc
from tests.conftest import Service
from tests.test_unreachable import Relay

EVIL = {"Origin": "http://evil.example"}
# eip712Domain() (ERC-5267): what the verifier asks the contract for its domain.
EIP712_DOMAIN = "0x84b0196e"


def req(method: str, params: list[Any] | None = None, request_id: Any = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or []}


def rpc(service: Service, payload: Any, **kwargs: Any) -> Any:
    response = service.http.post("/rpc", json=payload, **kwargs)
    assert response.status_code == 200, response.text
    assert "access-control-allow-origin" not in response.headers
    return response.json()


def test_the_verifiers_reads_pass_and_agree_with_the_chain(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    ledger, w3 = service.ledger, service.w3
    ledger.register_factory("CN-RPC-0001", new_account().address)
    block = w3.eth.get_block("latest")
    tx_hash = block["transactions"][0].hex()
    tx_hash = tx_hash if tx_hash.startswith("0x") else "0x" + tx_hash
    batch = [
        req("eth_chainId", request_id="a"),
        req("net_version", request_id=2),
        req("eth_blockNumber", request_id=3),
        req("eth_getCode", [ledger.address, "latest"], request_id=4),
        req("eth_call", [{"to": ledger.address, "data": EIP712_DOMAIN}, "latest"], request_id=5),
        req("eth_getBlockByNumber", [hex(block["number"]), False], request_id=6),
        req("eth_getBlockByHash", [block["hash"].to_0x_hex(), False], request_id=7),
        req("eth_getTransactionReceipt", [tx_hash], request_id=8),
        req("eth_getTransactionByHash", [tx_hash], request_id=9),
        req(
            "eth_getLogs",
            [{"address": ledger.address, "fromBlock": hex(block["number"]), "toBlock": hex(block["number"])}],
            request_id=10,
        ),
        req("eth_getLogs", [{"address": ledger.address, "blockHash": block["hash"].to_0x_hex()}], request_id=11),
    ]
    answers = rpc(service, batch, headers=EVIL)
    assert [a["id"] for a in answers] == ["a", *range(2, 12)]
    assert all("error" not in a for a in answers), answers
    by_id = {a["id"]: a["result"] for a in answers}
    assert int(by_id["a"], 16) == w3.eth.chain_id and by_id[2] == str(w3.eth.chain_id)
    assert int(by_id[3], 16) >= block["number"]
    assert by_id[4] == w3.eth.get_code(ledger.address).to_0x_hex()
    assert by_id[5] == w3.eth.call({"to": ledger.address, "data": EIP712_DOMAIN}).to_0x_hex()  # type: ignore[typeddict-item]
    assert by_id[6]["hash"] == by_id[7]["hash"] == block["hash"].to_0x_hex()
    assert by_id[8]["transactionHash"] == by_id[9]["hash"] == tx_hash
    assert len(by_id[10]) >= 1 and by_id[10] == by_id[11]
    single = rpc(service, req("eth_chainId", request_id=42))
    assert single == {"jsonrpc": "2.0", "id": 42, "result": by_id["a"]}


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("anvil_impersonateAccount", ["ADDRESS"]),
        ("eth_sendTransaction", [{"from": "ADDRESS", "to": "ADDRESS", "value": "0x1"}]),
        ("eth_sendRawTransaction", ["0x02f86b"]),
        ("anvil_setBalance", ["ADDRESS", "0xde0b6b3a7640000"]),
        ("evm_mine", []),
        ("anvil_mine", ["0x5"]),
        ("debug_traceTransaction", ["0x" + "00" * 32]),
        ("eth_sign", ["ADDRESS", "0x00"]),
        ("eth_subscribe", ["newHeads"]),
    ],
)
def test_writes_cheats_and_traces_are_refused_and_never_reach_the_chain(
    service: Service, new_account: Callable[[], LocalAccount], method: str, params: list[Any]
) -> None:
    w3 = service.w3
    target = new_account().address  # funded by the fixture
    params = [target if p == "ADDRESS" else {k: target if v == "ADDRESS" else v for k, v in p.items()}
              if isinstance(p, dict) else p for p in params]  # fmt: skip
    height, balance = w3.eth.block_number, w3.eth.get_balance(target)
    answer = rpc(service, req(method, params, request_id=7), headers=EVIL)
    assert answer["id"] == 7 and answer["error"]["code"] == -32601
    assert answer["error"]["message"].startswith(f"method not allowed: {method}")
    assert w3.eth.block_number == height and w3.eth.get_balance(target) == balance
    if method == "anvil_impersonateAccount":  # anvil was never told: it still wants a signature
        stranger = Web3.to_checksum_address("0x" + "5a" * 20)
        answer = rpc(service, req(method, [stranger]))
        sent = w3.provider.make_request("eth_sendTransaction", [{"from": stranger, "to": target}])  # type: ignore[arg-type]
        assert "error" in sent, sent


def test_a_refused_request_in_a_batch_leaves_the_others_answered(service: Service) -> None:
    answers = rpc(service, [req("eth_chainId", request_id=1), req("anvil_setBalance", request_id=2),
                            req("eth_blockNumber", request_id=3)])  # fmt: skip
    assert [a["id"] for a in answers] == [1, 2, 3]
    assert "result" in answers[0] and answers[1]["error"]["code"] == -32601 and "result" in answers[2]


def test_eth_call_with_a_state_override_is_refused(service: Service) -> None:
    address = service.ledger.address
    override = {address: {"code": "0x60016000526001601ff3"}}
    for params in ([{"to": address, "data": EIP712_DOMAIN}, "latest", override],
                   [{"to": address, "data": EIP712_DOMAIN}, "latest", {}, {"number": "0x1"}]):  # fmt: skip
        answer = rpc(service, req("eth_call", params))
        assert answer["error"]["code"] == -32602 and "override" in answer["error"]["message"], answer
    no_to = rpc(service, req("eth_call", [{"data": "0x6001"}, "latest"]))
    assert no_to["error"]["code"] == -32602 and "to address" in no_to["error"]["message"]


def test_log_ranges_batches_and_bodies_are_bounded(service: Service) -> None:
    wide = rpc(service, req("eth_getLogs", [{"fromBlock": "0x0", "toBlock": hex(MAX_LOG_BLOCKS)}]))
    assert wide["error"]["code"] == -32602 and str(MAX_LOG_BLOCKS) in wide["error"]["message"]
    assert "result" in rpc(service, req("eth_getLogs", [{"fromBlock": "0x0", "toBlock": hex(MAX_LOG_BLOCKS - 1)}]))
    height = service.w3.eth.block_number
    if height + 1 > MAX_LOG_BLOCKS:  # "earliest".."latest" is refused once the chain is that long
        assert rpc(service, req("eth_getLogs", [{"fromBlock": "earliest"}]))["error"]["code"] == -32602
    else:
        assert "result" in rpc(service, req("eth_getLogs", [{"fromBlock": "earliest"}]))
    bad = rpc(service, req("eth_getLogs", [{"fromBlock": "soon"}]))
    assert bad["error"]["code"] == -32602 and "fromBlock" in bad["error"]["message"]

    too_many = rpc(service, [req("eth_chainId", request_id=i) for i in range(MAX_BATCH + 1)])
    assert too_many["error"]["code"] == -32600 and str(MAX_BATCH) in too_many["error"]["message"]
    assert len(rpc(service, [req("eth_chainId", request_id=i) for i in range(MAX_BATCH)])) == MAX_BATCH
    assert rpc(service, [])["error"]["code"] == -32600
    big = service.http.post("/rpc", json=req("eth_chainId", ["x" * MAX_BODY_BYTES]))
    assert big.status_code == 413

    garbage = service.http.post("/rpc", content=b"{not json", headers={"Content-Type": "application/json"})
    assert garbage.status_code == 200 and garbage.json()["error"]["code"] == -32700
    for broken in ({"id": 1, "method": "eth_chainId"}, {"jsonrpc": "2.0", "method": "eth_chainId"}, 5):
        assert rpc(service, broken)["error"]["code"] == -32600


def test_no_cors_for_other_origins(service: Service) -> None:
    """Same-origin use only: no CORS header, and a body a page could send without a preflight is refused."""
    preflight = service.http.options("/rpc", headers={**EVIL, "Access-Control-Request-Method": "POST",
                                                      "Access-Control-Request-Headers": "content-type"})  # fmt: skip
    assert "access-control-allow-origin" not in preflight.headers and preflight.status_code >= 400
    simple = service.http.post("/rpc", content=b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
                               headers={**EVIL, "Content-Type": "text/plain"})  # fmt: skip
    assert simple.status_code == 415 and "access-control-allow-origin" not in simple.headers
    assert simple.json()["error"]["code"] == -32600


def test_a_chain_that_goes_away_or_hangs_is_a_json_rpc_error(rpc_url: str) -> None:
    host, port = rpc_url.removeprefix("http://").split(":")
    relay = Relay((host, int(port)))
    proxy = ReadOnlyRpc(relay.url, timeout=2)
    assert "result" in proxy.handle(b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}')
    relay.cut()
    answers = proxy.handle(
        b'[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"evm_mine"}]'
    )
    assert [a["error"]["code"] for a in answers] == [-32603, -32601] and [a["id"] for a in answers] == [1, 2]
    assert relay.url not in answers[0]["error"]["message"]  # an upstream URL may carry an API key
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never answers
        hung = ReadOnlyRpc(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
        answer = hung.handle(b'{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"blockHash":"0x00"}]}')
        assert answer["error"] == {"code": -32603, "message": "the chain did not answer within 0.5 s"}
