"""POST /v1/actions answered by the server's protocol itself (`edge/wire.py`), differentially
against the ASGI path of the same server: the same status, problem, CORS headers and connection
handling, for honest and hostile requests alike. A query string (`?via=asgi`) sends the same
request through ASGI (the Guard's fast path and the handler the route calls), so each pair below
is one relay answering one request both ways."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from eth_account import Account
from fastapi.testclient import TestClient

from starfish_dao.chain.backends import free_port
from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.edge import wire
from starfish_dao.relay.edge.server import Served, guarded_protocol
from starfish_dao.relay.service import Relay
from tests.conftest import ETHER, Dao
from tests.relay.conftest import relay_settings
from tests.relay.processes import raw_request

PAGE = "https://page.example"
COMPARED = ("content-type", "retry-after", "connection", "access-control-allow-origin", "vary")


class Server:
    def __init__(self, port: int, harness: Any, uses: list[int]) -> None:
        self.port, self.harness, self.uses = port, harness, uses
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture()
def server(dao: Dao, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    import uvicorn

    relayer = Account.create()
    dao.chain.fund(relayer.address, 100 * ETHER)
    settings = relay_settings(tmp_path, relayer, cors_origins=[PAGE], body_timeout=1.0)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    app = create_app(settings, service)
    uses: list[int] = []
    answer = wire.ActionCycle.run_asgi

    async def counted(self: Any, app_: Any) -> None:
        uses.append(1)
        await answer(self, app_)

    monkeypatch.setattr(wire.ActionCycle, "run_asgi", counted)
    with TestClient(app):  # starts the relay and builds the app's edge
        port = free_port()
        config = uvicorn.Config(Served(app), host="127.0.0.1", port=port, lifespan="off", log_level="warning",
                                http=guarded_protocol(settings, lambda: app.state.edge), loop="asyncio")  # fmt: skip
        uv = uvicorn.Server(config)
        thread = threading.Thread(target=lambda: asyncio.run(uv.serve()), daemon=True)
        thread.start()
        for _ in range(200):
            if uv.started:
                break
            time.sleep(0.05)
        try:
            yield Server(port, service, uses)
        finally:
            uv.should_exit = True
            thread.join(10)


def _both(server: Server, body: bytes, headers: dict[str, str]) -> tuple[requests.Response, requests.Response]:
    """The request through the server's own path, then through ASGI; asserts which path took each."""
    before = len(server.uses)
    own = requests.post(f"{server.url}/v1/actions", data=body, headers=headers, timeout=30)
    assert len(server.uses) == before + 1, "POST /v1/actions did not take the server's own path"
    asgi = requests.post(f"{server.url}/v1/actions?via=asgi", data=body, headers=headers, timeout=30)
    assert len(server.uses) == before + 1, "a request with a query took the server's own path"
    return own, asgi


def _same(own: requests.Response, asgi: requests.Response) -> None:
    assert own.status_code == asgi.status_code, (own.text, asgi.text)
    assert own.json() == asgi.json()
    for name in COMPARED:
        assert own.headers.get(name) == asgi.headers.get(name), name


def test_the_servers_own_path_answers_every_request_as_asgi_does(server: Server, dao: Dao) -> None:
    json_type = {"Content-Type": "application/json"}
    join = dao.sf.sign(Account.create(), "Join")  # a fresh key: not a member yet
    valid = json.dumps({"action": "Join", "typedData": join.typed_data, "signature": "0x" + join.signature.hex()})
    first = requests.post(f"{server.url}/v1/actions", data=valid, headers=json_type, timeout=30)
    assert first.status_code == 202, first.text  # accepted, then the same answer again both ways
    own, asgi = _both(server, valid.encode(), json_type)
    # the same action, answered as a duplicate both ways; its status may move on between the two
    # answers (the submitter sends it meanwhile), so that part is compared by what it may be
    stable = ("id", "action", "signer", "duplicate")
    assert own.status_code == asgi.status_code == 200
    assert {k: own.json()[k] for k in stable} == {k: asgi.json()[k] for k in stable}
    assert own.json()["status"] in ("accepted", "sent", "mined") and asgi.json()["status"] in (
        "accepted",
        "sent",
        "mined",
    )
    for name in COMPARED:
        assert own.headers.get(name) == asgi.headers.get(name), name
    assert own.json()["duplicate"] is True and own.json()["id"] == first.json()["id"]
    cases: list[tuple[bytes, dict[str, str], int, str]] = [
        (b'{"action":', json_type, 400, "malformed"),
        (b"[" * 100 + b"]" * 100, json_type, 400, "too_complex"),
        (b'{"action": "Mint"}', json_type, 400, "unknown_action"),
        (valid.encode(), {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        (valid.encode(), {**json_type, "Origin": "https://evil.example"}, 403, "forbidden_origin"),
        (valid.encode(), {**json_type, "Origin": "null"}, 403, "forbidden_origin"),
        # a page the operator listed: its answer carries the CORS headers the app's middleware adds
        (b'{"action": "Mint"}', {**json_type, "Origin": PAGE}, 400, "unknown_action"),
        (b'{"action": "Claim", "member": "0x12"}', {**json_type, "Origin": PAGE}, 400, "malformed"),
    ]
    for body, headers, status, code in cases:
        own, asgi = _both(server, body, headers)
        _same(own, asgi)
        assert own.status_code == status and own.json()["code"] == code, (body[:40], own.text)
        if headers.get("Origin") == PAGE:
            assert own.headers["access-control-allow-origin"] == PAGE
    assert len(server.harness.queue.by_status("accepted", "sent", "mined")) == 1  # the one Join, once


def _post(body: bytes, close: bool = False, version: bytes = b"1.1", path: bytes = b"/v1/actions") -> bytes:
    head = b"POST " + path + b" HTTP/" + version + b"\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    return head + b"Content-Length: %d\r\n" % len(body) + (b"Connection: close\r\n" if close else b"") + b"\r\n" + body


def test_pipelined_requests_are_answered_in_order_on_one_connection(server: Server) -> None:
    """Three requests in one write, the middle one through ASGI: three answers, in order."""
    first, last = b'{"action": "First"}', b'{"action": "Last"}'
    middle = b"GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    answer = raw_request(server.port, _post(first) + middle + _post(last, close=True), timeout=30)
    assert answer.count(b"HTTP/1.1 ") == 3, answer[:500]
    one, two, three = answer.index(b"'First'"), answer.index(b'"chainId"'), answer.index(b"'Last'")
    assert one < two < three
    assert len(server.uses) == 2


def test_a_slow_or_oversized_body_is_cut_off_and_the_connection_closed(server: Server) -> None:
    started = time.monotonic()
    partial = _post(b'{"action": "Join", "typedData": {}}')[:-10]  # headers and most of the body, then nothing
    answer = raw_request(server.port, partial, timeout=30)
    assert answer.startswith(b"HTTP/1.1 408") and b"too_slow" in answer and b"connection: close" in answer
    assert time.monotonic() - started < 10  # body_timeout is 1 s here
    big = b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n"
    answer = raw_request(server.port, big)
    assert answer.startswith(b"HTTP/1.1 413") and b"too_large" in answer
    # chunked, undeclared, past the limit while it streams
    chunked = (b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" + (b"8000\r\n" + b" " * 0x8000 + b"\r\n") * 3)  # fmt: skip
    answer = raw_request(server.port, chunked)
    assert answer.startswith(b"HTTP/1.1 413") and b"too_large" in answer
    assert len(server.uses) == 3


def test_http_1_0_and_keep_alive(server: Server) -> None:
    """HTTP/1.0 goes through ASGI (same answer); HTTP/1.1 keeps the connection for the next request."""
    answer = raw_request(server.port, _post(b'{"action": "Mint"}', version=b"1.0"))
    assert answer.startswith(b"HTTP/1.1 400") and b"unknown_action" in answer
    assert server.uses == []
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        for _ in range(3):  # one connection, three answers
            s.sendall(_post(b'{"action": "Mint"}'))
            head = s.recv(65536)
            assert head.startswith(b"HTTP/1.1 400") and b"connection: close" not in head.lower()
    assert len(server.uses) == 3
