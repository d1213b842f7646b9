"""A read-only JSON-RPC proxy to the service's chain, for browsers.

The local anvil answers cheat methods (``anvil_impersonateAccount``, ``anvil_setBalance``, ...) to
anyone who reaches it, so it is not for browsers: it runs on loopback without CORS, and the
in-browser verifier reads the chain through this proxy instead (``POST /rpc``, same origin). Only the
reads the verifier needs pass, each checked before it is forwarded:

- an allow-list of methods; anything else is ``-32601 method not allowed: <name>``;
- ``eth_call`` takes a call object and a block, never a state override (a third parameter), which
  would let a caller run the contract over a state of its choosing; a call has no side effects, so
  any ``to`` passes (the verifier asks a contract wallet's ``isValidSignature``, ERC-1271);
- ``eth_getLogs`` spans at most :data:`MAX_LOG_BLOCKS` blocks;
- a batch holds at most :data:`MAX_BATCH` requests (the body size is the route's to bound).

What passes goes to the chain in one HTTP request with a timeout; a chain that does not answer is a
JSON-RPC error (``-32603``) for each forwarded request, never an exception. Error messages never
name the upstream URL, which for a real chain may carry an API key.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)

ALLOWED_METHODS = frozenset({
    "eth_call", "eth_getLogs", "eth_chainId", "eth_getCode", "eth_getTransactionReceipt",
    "eth_getTransactionByHash", "eth_getBlockByNumber", "eth_getBlockByHash", "eth_blockNumber", "net_version",
})  # fmt: skip
"""The reads the browser verifier (web/src/chain.js, through ethers) makes, and the block reads
ethers may make around them. Nothing here writes, signs, mines or reaches anvil's cheat methods."""
MAX_BATCH = 20
MAX_BODY_BYTES = 64 * 1024
MAX_LOG_BLOCKS = 10_000
MAX_ANSWER_BYTES = 8 * 1024 * 1024
DEFAULT_TIMEOUT = 10.0
LATEST_TAGS = frozenset({"latest", "pending", "safe", "finalized"})

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603

Json = Any


class Refused(Exception):
    """A request the proxy answers itself, with a JSON-RPC error."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error(request_id: Json, code: int, message: str) -> dict[str, Json]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


class ReadOnlyRpc:
    """Checks JSON-RPC requests against the allow-list and forwards the rest to ``upstream_url``."""

    def __init__(self, upstream_url: str | None, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.upstream_url = upstream_url
        self.timeout = timeout
        # One client, kept: a new one builds an SSL context (~40 ms) and a connection every time.
        self._client = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def handle(self, body: bytes) -> Json:
        """The JSON-RPC answer to ``body``: one response object, or a list for a batch."""
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            return error(None, PARSE_ERROR, "parse error: the body is not JSON")
        if isinstance(payload, list):
            if not payload:
                return error(None, INVALID_REQUEST, "invalid request: an empty batch")
            if len(payload) > MAX_BATCH:
                return error(None, INVALID_REQUEST, f"invalid request: a batch of {len(payload)}; at most {MAX_BATCH}")
            return self._answer(payload)
        return self._answer([payload])[0]

    def _answer(self, requests: list[Json]) -> list[dict[str, Json]]:
        answers: list[dict[str, Json] | None] = [None] * len(requests)
        forward: list[tuple[int, Json, dict[str, Json]]] = []
        latest: int | None = None
        for position, request in enumerate(requests):
            request_id = request.get("id") if isinstance(request, dict) else None
            if not isinstance(request_id, (str, int)) or isinstance(request_id, bool):
                request_id = None  # an id of another type is not echoed back
            try:
                method, params = _checked(request)
                if method == "eth_getLogs":
                    latest = self._check_log_range(params, latest)
            except Refused as refused:
                answers[position] = error(request_id, refused.code, refused.message)
                continue
            forward.append(
                (position, request_id, {"jsonrpc": "2.0", "id": position, "method": method, "params": params})
            )
        if forward:
            for (position, request_id, _), answer in zip(forward, self._forward([f[2] for f in forward]), strict=True):
                answers[position] = {**answer, "id": request_id}
        return [a for a in answers if a is not None]

    def _forward(self, calls: list[dict[str, Json]]) -> list[dict[str, Json]]:
        """The chain's answers to ``calls``, in their order; a JSON-RPC error each when it does not answer."""
        try:
            found = self._post(calls)
        except Refused as refused:
            return [error(None, refused.code, refused.message) for _ in calls]
        by_id = {a.get("id"): a for a in found if isinstance(a, dict)} if isinstance(found, list) else {}
        answers = []
        for call in calls:
            answer = by_id.get(call["id"])
            if answer is None or not ("result" in answer or "error" in answer):
                answers.append(error(None, INTERNAL_ERROR, "the chain gave no answer to this request"))
            else:
                answers.append({"jsonrpc": "2.0", **{k: answer[k] for k in ("result", "error") if k in answer}})
        return answers

    def _post(self, payload: Json) -> Json:
        if not self.upstream_url:
            raise Refused(INTERNAL_ERROR, "this service has no HTTP chain endpoint to read from")
        try:
            with self._client.stream("POST", self.upstream_url, json=payload) as response:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise Refused(INTERNAL_ERROR, f"the chain's answer is over {MAX_ANSWER_BYTES} bytes")
            return json.loads(body)
        except httpx.TimeoutException:
            raise Refused(INTERNAL_ERROR, f"the chain did not answer within {self.timeout:g} s") from None
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("rpc proxy: the chain did not answer: %s", type(exc).__name__)
            raise Refused(INTERNAL_ERROR, "the chain did not answer") from None

    def _check_log_range(self, params: list[Json], latest: int | None) -> int | None:
        """Refuse an ``eth_getLogs`` over more than :data:`MAX_LOG_BLOCKS` blocks; the chain height
        is read (once per batch) only when a bound is a tag such as ``latest``."""
        if len(params) != 1 or not isinstance(params[0], dict):
            raise Refused(INVALID_PARAMS, "eth_getLogs takes one filter object")
        flt = params[0]
        if "blockHash" in flt:
            if "fromBlock" in flt or "toBlock" in flt:
                raise Refused(INVALID_PARAMS, "eth_getLogs: blockHash excludes fromBlock and toBlock")
            return latest
        bounds = []
        for field in ("fromBlock", "toBlock"):
            value = flt.get(field, "latest")
            if value in LATEST_TAGS:
                if latest is None:
                    latest = self._block_number()
                bounds.append(latest)
            elif value == "earliest":
                bounds.append(0)
            else:
                bounds.append(_quantity(value, f"eth_getLogs {field}"))
        if bounds[1] - bounds[0] + 1 > MAX_LOG_BLOCKS:
            raise Refused(INVALID_PARAMS, f"eth_getLogs: a range of {bounds[1] - bounds[0] + 1} blocks; at most "
                          f"{MAX_LOG_BLOCKS}")  # fmt: skip
        return latest

    def _block_number(self) -> int:
        answer = self._post({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})
        try:
            return int(answer["result"], 16)
        except (TypeError, KeyError, ValueError):
            raise Refused(INTERNAL_ERROR, "the chain did not say its block number") from None


def _checked(request: Json) -> tuple[str, list[Json]]:
    """The method and parameters of one request, or :class:`Refused` saying what is wrong with it."""
    if not isinstance(request, dict) or request.get("jsonrpc") != "2.0":
        raise Refused(INVALID_REQUEST, 'invalid request: not a JSON-RPC 2.0 request object ("jsonrpc": "2.0")')
    if not isinstance(request.get("id"), (str, int)) or isinstance(request.get("id"), bool):
        raise Refused(INVALID_REQUEST, "invalid request: id must be a string or an integer (no notifications)")
    method = request.get("method")
    if not isinstance(method, str):
        raise Refused(INVALID_REQUEST, "invalid request: method must be a string")
    if method not in ALLOWED_METHODS:
        raise Refused(METHOD_NOT_FOUND, f"method not allowed: {method[:64]} (this proxy only reads)")
    params = request.get("params", [])
    if not isinstance(params, list):
        raise Refused(INVALID_PARAMS, f"{method}: params must be a list")
    if method == "eth_call":
        if len(params) > 2:
            raise Refused(INVALID_PARAMS, "eth_call: state and block overrides are not allowed (at most 2 params)")
        if not params or not isinstance(params[0], dict) or not isinstance(params[0].get("to"), str):
            raise Refused(INVALID_PARAMS, "eth_call: the first param must be a call object with a to address")
    return method, params


def _quantity(value: Json, what: str) -> int:
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise Refused(INVALID_PARAMS, f"{what}: {str(value)[:40]!r} is not a block number or tag")
