"""Raw JSON-RPC for bulk reads: batched `eth_call`s and `eth_getLogs` without web3's per-call overhead.

web3.py spends about 5 ms of Python per call; a JSON-RPC batch of plain requests costs anvil about
0.1 ms a call. The verifier reads thousands of views and hundreds of thousands of logs, so it
speaks JSON-RPC directly where the provider is HTTP, and falls back to web3 elsewhere (py-evm).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.providers import HTTPProvider

from starfish_dao.chain.transport import Transport
from starfish_dao.domain.errors import ChainError

__all__ = ["RawRpc", "Transport", "ViewCalls"]

BATCH = 1000


def _hex(value: int) -> str:
    return hex(value)


class RawRpc:
    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        provider = w3.provider
        self.url = provider.endpoint_uri if isinstance(provider, HTTPProvider) else None

    @property
    def url(self) -> str | None:
        return self._url

    @url.setter
    def url(self, value: Any) -> None:  # a new URL (another node): new connections
        self._url = None if value is None else str(value)
        self.transport = None if value is None else Transport(str(value))

    def _post(self, payload: list[dict[str, Any]], limit: int | None = None) -> list[dict[str, Any]]:
        assert self.transport is not None
        answers = self.transport.post(payload) if limit is None else self.transport.post(payload, limit)
        if isinstance(answers, dict):  # some nodes answer a whole batch with one error
            raise ChainError(f"JSON-RPC batch refused: {answers.get('error')}")
        try:
            ordered = sorted(answers, key=lambda a: a["id"])
        except (TypeError, KeyError):
            ordered = None
        if ordered is None or [a["id"] for a in ordered] != sorted(r["id"] for r in payload):
            # not the answers to these requests: never read one call's result as another's
            raise ChainError(f"the node's answers do not match the {len(payload)} requests sent")
        return ordered

    def request(self, method: str, params: list[Any], limit: int | None = None) -> Any:
        """One call's result; with `limit`, an answer over that many bytes raises `AnswerTooLarge`
        unread (over HTTP; an in-process node's answers are not limited)."""
        if self.url is None:
            return self.w3.provider.make_request(method, params)["result"]  # type: ignore[arg-type]
        answer = self._post([{"jsonrpc": "2.0", "id": 0, "method": method, "params": params}], limit)[0]
        if "error" in answer:
            raise ChainError(f"{method} failed: {answer['error']}")
        return answer["result"]

    def results(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Each (method, params) call's result, in one batch over HTTP (None where the node answered
        an error); one by one in process."""
        if self.url is None:
            return [self.request(method, params) for method, params in calls]
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        return [answer.get("result") for answer in self._post(payload)]

    def call_many(self, calls: Sequence[tuple[str, bytes]], block: str = "latest") -> list[bytes | None]:
        # `block`: "latest" or a hex block number
        """Results of `eth_call`s (to, data), in order; None where a call reverted."""
        if self.url is None:
            out: list[bytes | None] = []
            for to, data in calls:
                try:
                    at = int(block, 16) if block.startswith("0x") else block
                    out.append(bytes(self.w3.eth.call({"to": to, "data": data}, at)))  # type: ignore[typeddict-item,arg-type]
                except Exception:  # noqa: BLE001 - a revert reads as None, as in a batch
                    out.append(None)
            return out
        results: list[bytes | None] = []
        for start in range(0, len(calls), BATCH):
            part = calls[start : start + BATCH]
            payload = [
                {
                    "jsonrpc": "2.0",
                    "id": i,
                    "method": "eth_call",
                    "params": [{"to": to, "data": "0x" + data.hex()}, block],
                }
                for i, (to, data) in enumerate(part)
            ]
            for answer in self._post(payload):
                results.append(bytes.fromhex(answer["result"][2:]) if "result" in answer else None)
        return results

    def timestamps(self, blocks: Sequence[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        if self.url is None:
            return {b: int(self.w3.eth.get_block(b)["timestamp"]) for b in blocks}
        for start in range(0, len(blocks), BATCH):
            part = list(blocks[start : start + BATCH])
            payload = [
                {"jsonrpc": "2.0", "id": i, "method": "eth_getBlockByNumber", "params": [_hex(b), False]}
                for i, b in enumerate(part)
            ]
            for block, answer in zip(part, self._post(payload), strict=True):
                out[block] = int(answer["result"]["timestamp"], 16)
        return out


class ViewCalls:
    """Collects view calls, runs them in batches, decodes them: `add(...)` returns a slot index."""

    def __init__(self, rpc: RawRpc, block: str = "latest") -> None:
        self.rpc = rpc
        self.block = block
        self._calls: list[tuple[str, bytes]] = []
        self._outputs: list[list[str]] = []
        self.results: list[Any] = []

    def add(self, address: str, abi: list[dict[str, Any]], name: str, *args: Any) -> int:
        item = next(
            i for i in abi if i.get("type") == "function" and i["name"] == name and len(i["inputs"]) == len(args)
        )
        types = [_abi_type(i) for i in item["inputs"]]
        selector = _selector(f"{name}({','.join(types)})")
        self._calls.append((address, selector + encode(types, list(args))))
        self._outputs.append([_abi_type(o) for o in item["outputs"]])
        return len(self._calls) - 1

    def run(self) -> list[Any]:
        raw = self.rpc.call_many(self._calls, self.block)
        self.results = []
        for data, outputs in zip(raw, self._outputs, strict=True):
            if data is None or (outputs and not data):  # a reverted call, or an address with no code
                self.results.append(None)
                continue
            values = [_checksummed(v, t) for v, t in zip(decode(outputs, data), outputs, strict=True)]
            self.results.append(values[0] if len(values) == 1 else values)
        return self.results


@functools.lru_cache(maxsize=1024)
def _selector(signature: str) -> bytes:
    return bytes(function_signature_to_4byte_selector(signature))


def _checksummed(value: Any, typ: str) -> Any:
    """eth_abi gives addresses in lower case inside arrays; web3 and the model use checksums."""
    if typ == "address":
        return to_checksum_address(value)
    if typ == "address[]":
        return [to_checksum_address(v) for v in value]
    return value


def _abi_type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in item["components"])
        return f"({inner}){item['type'][5:]}"
    return str(item["type"])
