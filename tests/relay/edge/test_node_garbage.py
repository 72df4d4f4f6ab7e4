"""Issue 24, finding 9, at the relay: a node (or a proxy in front of it) that answers what is not
JSON-RPC over HTTP (an HTML page, a framing the transport refuses) makes the relay answer
503 chain_unavailable, never 500, and the relay goes on once the node answers again."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from eth_account import Account

from tests.conftest import Dao
from tests.relay.processes import Running, signed, start_relay

GARBAGE = {
    "html": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 17\r\n\r\n<html>busy</html>",
    "xchunkedx": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunkedx\r\nContent-Length: 2\r\n\r\n[]",
    "two-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n[] ",
}


class Proxy:
    """Forwards JSON-RPC to the node, or answers `GARBAGE[mode]` and closes."""

    def __init__(self, node: str) -> None:
        self.node = urllib.parse.urlsplit(node)
        self.mode = "forward"
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        node = http.client.HTTPConnection(self.node.hostname, self.node.port, timeout=30)
        try:
            while True:
                head = [reader.readline()]
                while head[-1] not in (b"\r\n", b"\n", b""):
                    head.append(reader.readline())
                if head[-1] == b"":
                    return
                length = next(int(h.split(b":")[1]) for h in head if h.lower().startswith(b"content-length"))
                body = reader.read(length)
                if self.mode != "forward":
                    conn.sendall(GARBAGE[self.mode])
                    return
                node.request("POST", "/", body, {"Content-Type": "application/json"})
                data = node.getresponse().read()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(data), data))  # fmt: skip
        except OSError:
            return
        finally:
            node.close()
            conn.close()


@pytest.fixture()
def proxied(dao: Dao, tmp_path: Path) -> Iterator[tuple[Proxy, Running]]:
    proxy = Proxy(dao.chain.url)
    relay = start_relay(dao, tmp_path, rpc=proxy.url, verifier_process="false", submitter_process="false")
    try:
        yield proxy, relay
    finally:
        relay.stop()
        proxy.server.close()


def test_a_node_answering_garbage_is_a_503_never_a_500(dao: Dao, proxied: tuple[Proxy, Running]) -> None:
    proxy, relay = proxied
    first = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, Account.create(), "Join"), timeout=30)
    assert first.status_code == 202, first.text
    for mode in GARBAGE:
        proxy.mode = mode
        answer = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, Account.create(), "Join"), timeout=30)
        assert answer.status_code == 503 and answer.json()["code"] == "chain_unavailable", (mode, answer.text)
    proxy.mode = "forward"
    again = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, Account.create(), "Join"), timeout=30)
    assert again.status_code == 202, again.text
    assert relay.wait(again.json()["id"])["status"] == "mined"
    log = relay.log.read_text()
    assert "internal error" not in log and "Traceback" not in log, log[-3000:]


SECRET = "GARBAGE-SECRET-9"


@pytest.fixture()
def proxied_with_key(dao: Dao, tmp_path: Path) -> Iterator[tuple[Proxy, Running]]:
    """A relay whose node URL carries an API key in its query string, through the proxy."""
    proxy = Proxy(dao.chain.url)
    relay = start_relay(dao, tmp_path, rpc=f"{proxy.url}?apikey={SECRET}", verifier_process="false",
                        submitter_process="false")  # fmt: skip
    try:
        yield proxy, relay
    finally:
        relay.stop()
        proxy.server.close()


def test_reads_while_the_node_answers_garbage_are_a_503_and_log_no_secret(
    dao: Dao, proxied_with_key: tuple[Proxy, Running]
) -> None:
    """Routes that read the chain go through web3's HTTPProvider, which raises a JSONDecodeError (a
    ValueError) on an HTML page: that is the node being unusable (503), not the relay failing (500),
    and neither the answer nor the log (tracebacks included) names the node URL's key. Reads of
    what the relay serves answer from what it last read (no chain read: 200)."""
    proxy, relay = proxied_with_key
    member = dao["ada"].address
    served = ("/v1/members", f"/v1/members/{member}", f"/v1/members/{member}/todo", "/v1/info")
    newcomer = "0x" + "5a" * 20  # typed data for a Join reads the newcomer's generation from the chain
    ask = {"action": "Join", "signer": newcomer, "fields": {}}

    def typed_data() -> requests.Response:
        return requests.post(f"{relay.url}/v1/actions/typed-data", json=ask, timeout=30)

    assert typed_data().status_code == 200
    for mode in GARBAGE:
        proxy.mode = mode
        answer = typed_data()
        assert answer.status_code == 503, (mode, answer.status_code, answer.text)
        assert answer.json()["code"] == "chain_unavailable", (mode, answer.text)
        assert SECRET not in answer.text
        for path in served:
            answer = requests.get(f"{relay.url}{path}", timeout=30)
            assert answer.status_code == 200 and SECRET not in answer.text, (mode, path, answer.text)
    proxy.mode = "forward"
    assert typed_data().status_code == 200
    time.sleep(0.5)
    log = relay.log.read_text()
    assert SECRET not in log and "apikey" not in log, log[-3000:]
    assert "Traceback" not in log and "internal error" not in log, log[-3000:]
