"""A trustless IPFS gateway over the embedded store, and a client that fetches and verifies blocks.

The server answers the part of the trustless gateway protocol a host is checked with:
`GET /ipfs/{cid}?format=raw` (or `Accept: application/vnd.ipld.raw`) gives the block's bytes, which
the caller verifies against the CID; it never needs to trust the host. `HEAD` answers the same
without the body. A block the store does not hold is 404, a request that asks for no verifiable
format 406, a malformed CID 400: each with one sentence.

A host's gateway also answers the **whole-file challenge** (issue 22), for its own address only:
`GET /starfish/whole/{cid}?nonce={hex}&host={address}` gives `sha256(nonce ‖ host ‖ file bytes)` in
hex (`whole_answer`). The checker picks the nonce when it asks, so the answer cannot be prepared, and
another host will not answer for this one (403): a host that only proxies must fetch the whole file
within the time-to-first-byte ceiling, which makes proxying no cheaper than storing.

The client (`fetch_block`) asks any such gateway (a member's `starfish host serve`, or a real IPFS
node's gateway), measures the time to the first byte, and refuses bytes that do not hash to the CID.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from starfish_dao.domain.unixfs import CID
from starfish_dao.ipfs.local import LocalStore

RAW = "application/vnd.ipld.raw"
#: a block is at most 1 MiB in the trustless gateway protocol (and 256 KiB as Starfish chunks files)
MAX_BLOCK = 1024 * 1024


def whole_answer(nonce: bytes, host: str, chunks: Iterable[bytes]) -> str:
    """The whole-file challenge's answer: sha256(nonce ‖ the host's 20 bytes ‖ the file's bytes), hex."""
    digest = hashlib.sha256(nonce + bytes.fromhex(host[2:]))
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


class _Handler(BaseHTTPRequestHandler):
    store: LocalStore
    owner: str | None  # the host this gateway answers whole-file challenges for
    server_version = "starfish-host"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: a host's terminal shows its sync, not every request

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        if status == 200:
            self.send_header("Cache-Control", "public, max-age=29030400, immutable")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        parts = url.path.split("/")
        if len(parts) == 4 and parts[1] == "starfish" and parts[2] == "whole":
            self._whole(parts[3], parse_qs(url.query))
            return
        if len(parts) != 3 or parts[1] != "ipfs" or not parts[2]:
            self._answer(404, b"only /ipfs/{cid}?format=raw is served here\n")
            return
        raw = parse_qs(url.query).get("format") == ["raw"] or RAW in self.headers.get("Accept", "")
        if not raw:
            self._answer(406, b"a trustless gateway: ask for ?format=raw (or Accept: application/vnd.ipld.raw)\n")
            return
        try:
            cid = CID.parse(parts[2])
        except ValueError as exc:
            self._answer(400, f"not a CID: {exc}\n".encode())
            return
        if not self.store.has(cid):
            self._answer(404, f"{cid} is not held here\n".encode())
            return
        try:
            block = self.store.get_block(cid)
        except Exception as exc:  # noqa: BLE001 - a corrupted block is not served
            self._answer(500, f"{cid}: {exc}\n".encode())
            return
        self._answer(200, block, RAW)

    def _whole(self, cid_text: str, query: dict[str, list[str]]) -> None:
        if self.owner is None:
            self._answer(404, b"this gateway answers no whole-file challenge (no host address given)\n")
            return
        host, nonce = (query.get("host") or [""])[0], (query.get("nonce") or [""])[0]
        if host.lower() != self.owner.lower():
            self._answer(403, f"this gateway answers whole-file challenges for {self.owner} only\n".encode())
            return
        try:
            cid, salt = CID.parse(cid_text), bytes.fromhex(nonce)
        except ValueError as exc:
            self._answer(400, f"a whole-file challenge needs a CID and a hex nonce: {exc}\n".encode())
            return
        if not 16 <= len(salt) <= 64:
            self._answer(400, b"the nonce is 16 to 64 bytes\n")
            return
        try:
            answer = whole_answer(salt, self.owner, self.store.cat_iter(cid))
        except Exception as exc:  # noqa: BLE001 - a block missing under the root: not held
            self._answer(404, f"{cid} is not held here in full ({exc})\n".encode())
            return
        self._answer(200, answer.encode())


class Gateway:
    """The gateway served in a thread: `Gateway(store, port).start()`, `.url`, `.stop()`."""

    def __init__(self, store: LocalStore, port: int = 0, host: str = "127.0.0.1", owner: str | None = None) -> None:
        handler = type("Handler", (_Handler,), {"store": store, "owner": owner})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Gateway:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Fetched:
    block: bytes
    ttfb: float  # seconds from the request to the first byte of the answer


class FetchError(Exception):
    """A gateway did not give the block: down, missing it, too slow, or lying. Says which."""


def fetch_block(gateway: str, cid: CID, timeout: float = 10.0, session: requests.Session | None = None) -> Fetched:
    """Block `cid` from `gateway`, verified against the CID; FetchError says why not. A multiaddr
    (`/ip4/127.0.0.1/tcp/5001/http`) is an IPFS node's Kubo RPC API, asked with `block/get` (js-ipfs's
    gateway serves files, not raw blocks)."""
    if gateway.startswith("/"):
        return _from_node(gateway, cid, timeout)
    url = f"{gateway.rstrip('/')}/ipfs/{cid}?format=raw"
    http = session or requests
    started = time.monotonic()
    try:
        with http.get(url, headers={"Accept": RAW}, timeout=timeout, stream=True) as response:
            first = next(response.iter_content(65536), b"")
            ttfb = time.monotonic() - started
            if response.status_code != 200:
                raise FetchError(f"{gateway} answered {response.status_code} for {cid}")
            chunks = [first]
            size = len(first)
            for chunk in response.iter_content(65536):
                size += len(chunk)
                if size > MAX_BLOCK:
                    raise FetchError(f"{gateway} sent more than {MAX_BLOCK} bytes for one block {cid}")
                chunks.append(chunk)
    except requests.RequestException as exc:
        raise FetchError(f"{gateway} is unreachable: {type(exc).__name__}") from None
    block = b"".join(chunks)
    if not cid.verify(block):
        raise FetchError(f"{gateway} sent bytes that are not {cid}")
    return Fetched(block, ttfb)


def _from_node(api: str, cid: CID, timeout: float) -> Fetched:
    from starfish_dao.domain.errors import IPFSError
    from starfish_dao.ipfs.kubo import KuboStore

    started = time.monotonic()
    try:
        block = KuboStore(api, timeout).get_block(cid)
    except IPFSError as exc:
        raise FetchError(f"the node at {api}: {exc}") from None
    return Fetched(block, time.monotonic() - started)
