"""Raw JSON-RPC for bulk reads: batched `eth_call`s and `eth_getLogs` without web3's per-call overhead.

web3.py spends about 5 ms of Python per call; a JSON-RPC batch of plain requests costs anvil about
0.1 ms a call. The verifier reads thousands of views and hundreds of thousands of logs, so it
speaks JSON-RPC directly where the provider is HTTP, and falls back to web3 elsewhere (py-evm).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.providers import HTTPProvider

from starfish_dao.domain.errors import ChainError

BATCH = 1000
MAX_ANSWER = 512 * 1024 * 1024  # bytes: far above any batch of logs or calls this toolkit asks for


def _hex(value: int) -> str:
    return hex(value)


class _BadAnswer(ConnectionError):
    """What the node sent is not a usable HTTP answer (said in the error: it holds no URL)."""


class _Closed(_BadAnswer):
    """The node closed a kept-alive connection (before answering)."""


class _Connection:
    """One HTTP/1.1 connection: a request out, a response in (Content-Length, chunked, or to the
    end of the stream; interim 1xx answers skipped). Only what a JSON-RPC node speaks. The whole
    exchange has one deadline (a node that drips a byte at a time cannot hold a thread for ever),
    and bytes left over after an answer close the connection (they cannot become the next
    request's answer)."""

    def __init__(self, host: str, port: int, https: bool, timeout: float) -> None:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if https:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        self.sock = sock
        self.buf = bytearray()
        self.reused = False
        self._deadline = 0.0
        self._got = False  # any byte of this answer yet (a close before one is a stale connection)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def _fill(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the node's answer took too long")
        self.sock.settimeout(left)
        chunk = self.sock.recv(262144)
        if not chunk:
            if not self._got:
                raise _Closed("the node closed the connection")
            raise _BadAnswer("the node's answer was cut short")
        self._got = True
        self.buf += chunk

    def _line(self, limit: int = 65536) -> bytes:
        while True:
            end = self.buf.find(b"\n")
            if end >= 0:
                line = bytes(self.buf[: end + 1])
                del self.buf[: end + 1]
                return line
            if len(self.buf) > limit:
                raise _BadAnswer("the node's answer has a header line that does not end")
            self._fill()

    def _exactly(self, size: int) -> bytes:
        if size > MAX_ANSWER:  # a hostile length must not be believed
            raise _BadAnswer(f"the node's answer is larger than {MAX_ANSWER} bytes")
        while len(self.buf) < size:
            self._fill()
        data = bytes(self.buf[:size])
        del self.buf[:size]
        return data

    def _head(self) -> tuple[int, str, dict[bytes, bytes]]:
        line = self._line()
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise _BadAnswer("the node did not answer HTTP")
        status = int(parts[1])
        reason = parts[2].strip().decode("latin-1") if len(parts) > 2 else ""
        headers: dict[bytes, bytes] = {b":version": parts[0]}
        for _ in range(200):
            header = self._line()
            if header in (b"\r\n", b"\n"):
                return status, reason, headers
            name, _, value = header.partition(b":")
            headers[name.strip().lower()] = value.strip()
        raise _BadAnswer("the node's answer has too many headers")

    def exchange(self, head: bytes, body: bytes, timeout: float) -> tuple[int, str, bytes, bool]:
        """(status, reason, body, whether the connection stays open)."""
        self._deadline = time.monotonic() + timeout
        self._got = False
        self.sock.settimeout(timeout)
        self.sock.sendall(head + body)
        status, reason, headers = self._head()
        while 100 <= status < 200:  # 100 Continue and the like: the answer follows
            status, reason, headers = self._head()
        keep = headers[b":version"] != b"HTTP/1.0" and headers.get(b"connection", b"").lower() != b"close"
        length = headers.get(b"content-length")
        if status in (204, 304):
            data = b""
        elif b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            pieces, total = [], 0
            while True:
                size_text = self._line(1024).split(b";")[0].strip()
                if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
                    raise _BadAnswer("the node's answer has a malformed chunk")
                size = int(size_text, 16)
                if size == 0:
                    while self._line() not in (b"\r\n", b"\n"):
                        pass  # trailers
                    break
                total += size
                pieces.append(self._exactly(size if total <= MAX_ANSWER else MAX_ANSWER + 1))
                self._line(2)
            data = b"".join(pieces)
        elif length is not None:
            if not length.isdigit():
                raise _BadAnswer("the node's answer has a malformed Content-Length")
            data = self._exactly(int(length))
        else:  # to the end of the stream
            keep = False
            try:
                while len(self.buf) <= MAX_ANSWER:
                    self._fill()
            except _BadAnswer as exc:  # the end, which is the point
                if isinstance(exc, _Closed):
                    raise
            if len(self.buf) > MAX_ANSWER:
                raise _BadAnswer(f"the node's answer is larger than {MAX_ANSWER} bytes")
            data = bytes(self.buf)
            self.buf.clear()
        if self.buf:  # more than it announced: never read as the next request's answer
            keep = False
        return status, reason, data, keep


class Transport:
    """JSON over HTTP POST to one URL on a kept-alive connection per thread. Not requests (~0.5 ms
    of CPU per call: sessions, adapters, hooks, cookie merging) nor http.client (~0.13 ms, most of
    it parsing headers with the email package): the relay's checks and submitter make hundreds of
    calls a second. Errors never carry the URL (an RPC URL often holds an API key)."""

    def __init__(self, url: str, timeout: float = 120.0) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the JSON-RPC URL must be http:// or https:// with a host")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout = timeout
        host = self.host if ":" not in self.host else f"[{self.host}]"
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{self.port}", "Content-Type: application/json",
                 "Accept: application/json", "User-Agent: starfish-dao"]  # fmt: skip
        if parts.username is not None:
            userinfo = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            lines.append("Authorization: Basic " + base64.b64encode(userinfo.encode()).decode())
        self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode()
        self._local = threading.local()

    def post(self, payload: Any) -> Any:
        body = json.dumps(payload, separators=(",", ":")).encode()
        head = self._head + str(len(body)).encode() + b"\r\n\r\n"
        for attempt in (0, 1):
            conn: _Connection | None = getattr(self._local, "conn", None)
            try:
                if conn is None:
                    conn = self._local.conn = _Connection(self.host, self.port, self.https, self.timeout)
                reused = conn.reused
                status, reason, data, keep = conn.exchange(head, body, self.timeout)
            except (OSError, ValueError) as exc:
                if conn is not None:
                    conn.close()
                self._local.conn = None
                # a kept-alive connection the node closed while idle: once more on a fresh one
                # (JSON-RPC reads and sendRawTransaction are safe to repeat)
                if attempt == 0 and conn is not None and reused and isinstance(exc, _Closed | ConnectionResetError
                                                                                 | BrokenPipeError):  # fmt: skip
                    continue
                kind = "timed out" if isinstance(exc, TimeoutError) else "connection failed"
                why = str(exc) if isinstance(exc, _BadAnswer) else type(exc).__name__
                raise ConnectionError(f"JSON-RPC {kind} ({self.host}:{self.port}): {why}") from None
            if keep:
                conn.reused = True
            else:
                conn.close()
                self._local.conn = None
            if status != 200:
                raise ChainError(f"the node answered HTTP {status} {reason}")
            return json.loads(data)
        raise AssertionError("unreachable")


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

    def _post(self, payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
        assert self.transport is not None
        answers = self.transport.post(payload)
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

    def request(self, method: str, params: list[Any]) -> Any:
        if self.url is None:
            return self.w3.provider.make_request(method, params)["result"]  # type: ignore[arg-type]
        answer = self._post([{"jsonrpc": "2.0", "id": 0, "method": method, "params": params}])[0]
        if "error" in answer:
            raise ChainError(f"{method} failed: {answer['error']}")
        return answer["result"]

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
