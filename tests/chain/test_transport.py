"""The JSON-RPC transport against servers that answer every way HTTP allows: Content-Length,
chunked, HTTP/1.0 to the end of the stream, an error status, and a kept-alive connection that the
server closes while idle (sent once more on a fresh one). Its errors never carry the URL."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from starfish_dao.chain.rpc import Transport
from starfish_dao.domain.errors import ChainError

Answer = Callable[[bytes, int], bytes]  # (request body, index of the request on its connection) -> raw response


def _serve(answer: Answer, close_after: int | None = None) -> tuple[int, list[bytes], Callable[[], None]]:
    """A one-thread HTTP server on loopback; returns its port, the raw requests it saw, and a stop."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    seen: list[bytes] = []
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        index = 0
        while not stop.is_set():
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = reader.readline()
                if not line:
                    return
                head += line
            length = int(next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1])
            body = reader.read(length)
            seen.append(head + body)
            out = answer(body, index)
            try:
                if isinstance(out, list):  # a node that drips its answer
                    for piece in out:
                        conn.sendall(piece)
                        time.sleep(0.05)
                else:
                    conn.sendall(out)
            except OSError:
                return
            index += 1
            if close_after is not None and index >= close_after:
                conn.close()
                return

    def loop() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by the test's end
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()

    def close() -> None:
        stop.set()
        server.close()

    return port, seen, close


@pytest.fixture
def served() -> Iterator[Callable[..., tuple[int, list[bytes]]]]:
    stops: list[Callable[[], None]] = []

    def start(answer: Answer, close_after: int | None = None) -> tuple[int, list[bytes]]:
        port, seen, close = _serve(answer, close_after)
        stops.append(close)
        return port, seen

    yield start
    for close in stops:
        close()


def _echo(body: bytes) -> bytes:
    request = json.loads(body)
    return json.dumps([{"jsonrpc": "2.0", "id": r["id"], "result": r["method"]} for r in request]).encode()


def _length(body: bytes, _: int) -> bytes:
    data = _echo(body)
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data)


def _chunked(body: bytes, _: int) -> bytes:
    data = _echo(body)
    chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(data[i : i + 7]), data[i : i + 7]) for i in range(0, len(data), 7))
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\nX-Trailer: 1\r\n\r\n"


def _http10(body: bytes, _: int) -> bytes:
    return b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + _echo(body)


CALL = [{"jsonrpc": "2.0", "id": 0, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}]  # fmt: skip


@pytest.mark.parametrize("answer", [_length, _chunked, _http10], ids=["content-length", "chunked", "http/1.0"])
def test_every_framing_of_an_answer_is_read(served: Callable[..., tuple[int, list[bytes]]], answer: Answer) -> None:
    port, seen = served(answer, 1 if answer is _http10 else None)
    transport = Transport(f"http://user:pa%20ss@127.0.0.1:{port}/v3/key?apikey=SECRET")
    for _ in range(3):
        assert [a["result"] for a in transport.post(CALL)] == ["eth_chainId", "eth_blockNumber"]
    first = seen[0].decode()
    assert first.startswith("POST /v3/key?apikey=SECRET HTTP/1.1\r\n"), first
    assert "Authorization: Basic dXNlcjpwYSBzczo=" not in first  # the password is decoded before encoding
    assert "Authorization: Basic dXNlcjpwYSBzcw==" in first  # base64("user:pa ss")
    assert len(seen) == 3


def test_a_connection_the_node_closed_while_idle_is_opened_again(
    served: Callable[..., tuple[int, list[bytes]]],
) -> None:
    port, seen = served(_length, close_after=1)  # the server closes after each answer, without saying so
    transport = Transport(f"http://127.0.0.1:{port}/")
    for _ in range(4):
        assert transport.post(CALL)[1]["result"] == "eth_blockNumber"
    assert len(seen) == 4  # each sent once: the stale connection failed before the request was read


def test_an_error_status_and_a_dead_node_name_host_and_port_never_the_url(
    served: Callable[..., tuple[int, list[bytes]]],
) -> None:
    port, _ = served(lambda body, _: b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy")
    with pytest.raises(ChainError, match="HTTP 503 Service Unavailable") as refused:
        Transport(f"http://127.0.0.1:{port}/v3/0123456789abcdef?apikey=SECRET").post(CALL)
    assert "SECRET" not in str(refused.value) and "0123456789abcdef" not in str(refused.value)
    dead = socket.create_server(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()
    with pytest.raises(ConnectionError, match=f"connection failed \\(127.0.0.1:{dead_port}\\)") as down:
        Transport(f"http://127.0.0.1:{dead_port}/?apikey=SECRET").post(CALL)
    assert "SECRET" not in str(down.value)


def test_an_answer_cut_short_is_an_error_not_a_truncated_result(
    served: Callable[..., tuple[int, list[bytes]]],
) -> None:
    port, _ = served(lambda body, _: b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n[{"id":0}]', close_after=1)
    with pytest.raises(ConnectionError, match="cut short"):
        Transport(f"http://127.0.0.1:{port}/").post(CALL)


def test_urls_that_are_not_http_are_refused() -> None:
    for url in ("ws://127.0.0.1:8545", "ftp://x", "http://"):
        with pytest.raises(ValueError, match="http:// or https://"):
            Transport(url)


def test_a_length_larger_than_any_answer_is_not_believed(served: Callable[..., tuple[int, list[bytes]]]) -> None:
    """read() allocates what it is told: a hostile Content-Length must not make the relay allocate it."""
    port, _ = served(lambda body, _: b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n[]", close_after=1)
    with pytest.raises(ConnectionError, match="larger than"):
        Transport(f"http://127.0.0.1:{port}/").post(CALL)


def test_bytes_beyond_the_announced_length_never_answer_the_next_request(
    served: Callable[..., tuple[int, list[bytes]]],
) -> None:
    """Found by an attacker session: extra bytes stayed in the kept-alive buffer and became the
    answer to the next request."""
    smuggled = b'HTTP/1.1 200 OK\r\nContent-Length: 33\r\n\r\n[{"jsonrpc":"2.0","id":0,"result":"0xSMUGGLED"}]'

    def answer(body: bytes, index: int) -> bytes:
        return _length(body, index) + (smuggled if index == 0 else b"")

    port, seen = served(answer)
    transport = Transport(f"http://127.0.0.1:{port}/")
    for _ in range(3):
        assert transport.post(CALL)[0]["result"] == "eth_chainId"
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n[]", "malformed Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n[]\r\n0\r\n\r\n", "malformed chunk"),
        (b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n[]", "did not answer HTTP"),
    ],
    ids=["negative-length", "negative-chunk", "bad-status"],
)
def test_malformed_framing_is_refused_not_believed(
    served: Callable[..., tuple[int, list[bytes]]], raw: bytes, why: str
) -> None:
    """Found by an attacker session: a length of -1 read to the end of the stream, past the cap."""
    port, _ = served(lambda body, _: raw, close_after=1)
    with pytest.raises(ConnectionError, match=why):
        Transport(f"http://127.0.0.1:{port}/").post(CALL)


def test_an_interim_answer_is_skipped(served: Callable[..., tuple[int, list[bytes]]]) -> None:
    port, _ = served(lambda body, i: b"HTTP/1.1 100 Continue\r\n\r\n" + _length(body, i))
    assert Transport(f"http://127.0.0.1:{port}/", timeout=3).post(CALL)[1]["result"] == "eth_blockNumber"


def test_a_node_that_drips_its_answer_times_out_as_a_whole(served: Callable[..., tuple[int, list[bytes]]]) -> None:
    """Found by an attacker session: the timeout applied to each read, so a byte every 0.05 s kept
    a thread for as long as the node liked."""
    port, _ = served(lambda body, i: [bytes([b]) for b in _length(body, i)])
    started = time.monotonic()
    with pytest.raises(ConnectionError, match="timed out"):
        Transport(f"http://127.0.0.1:{port}/", timeout=0.5).post(CALL)
    assert time.monotonic() - started < 2


def test_answers_that_are_not_to_these_requests_are_refused(served: Callable[..., tuple[int, list[bytes]]]) -> None:
    from web3 import HTTPProvider, Web3

    from starfish_dao.chain.rpc import RawRpc

    def wrong_ids(body: bytes, _: int) -> bytes:
        data = json.dumps([{"jsonrpc": "2.0", "id": 7, "result": "0x1"}, {"jsonrpc": "2.0", "id": 8, "result": "0x2"}])
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data.encode())

    port, _ = served(wrong_ids)
    rpc = RawRpc(Web3(HTTPProvider(f"http://127.0.0.1:{port}/")))
    with pytest.raises(ChainError, match="do not match"):
        rpc._post(CALL)


def _raw(head: bytes, body: bytes = b'[{"jsonrpc":"2.0","id":0,"result":"0x1"}]') -> Answer:
    return lambda _, __: head.replace(b"%LEN%", str(len(body)).encode()) + body


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (_raw(b"HTTP/1.1 200 OK\r\nContent-Length: %LEN%\r\nContent-Length: 5\r\n\r\n"), "conflicting Content-Length"),
        (_raw(b"HTTP/1.1 200 OK\r\nContent-Length: 5, %LEN%\r\n\r\n"), "conflicting Content-Length"),
        (
            _raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunkedx\r\nContent-Length: %LEN%\r\n\r\n"),
            "other than chunked",
        ),
        (_raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), "other than chunked"),
        (_raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), "two Transfer"),
        (_raw(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 9000 + b"\r\nContent-Length: %LEN%\r\n\r\n"), "line longer than"),
        (_raw(b"HTTP/1.1 200 OK\r\n" + b"X-Many: 1\r\n" * 101 + b"Content-Length: %LEN%\r\n\r\n"), "more than 100"),
        (_raw(b"HTTP/1.1 200 OK\r\nContent-Length : %LEN%\r\n\r\n"), "malformed header"),
        (_raw(b"HTTP/1.1 200 OK\r\nContent-Length: %LEN%\r\n\r\n", b"<html>busy</html>"), "not JSON"),
        (_raw(b"HTTP/1.1 200 OK\r\nContent-Length: %LEN%\r\n\r\n", b"[" * 100_000), "not JSON"),
        (_raw(b"HTTP/1.1 200 OK\r\nContent-Length: %LEN%\r\n\r\n", b'["\xff"]'), "not JSON"),
    ],
    ids=["two-lengths", "length-list", "xchunkedx", "gzip-chunked", "two-encodings", "long-line-one-read",
         "101-headers", "space-before-colon", "html", "deep-nesting", "not-utf8"],
)  # fmt: skip
def test_what_http_or_json_refuses_is_a_connection_error(
    served: Callable[..., tuple[int, list[bytes]]], answer: Answer, why: str
) -> None:
    """Issue 24, finding 9: each was framed some way (the last length, `xchunkedx` as chunked, a
    64 KiB line that came in one read) or escaped as a ValueError (a 500 at the relay, not a 503)."""
    port, _ = served(answer, close_after=1)
    with pytest.raises(ConnectionError, match=why):
        Transport(f"http://127.0.0.1:{port}/?apikey=SECRET", timeout=3).post(CALL)


_NODE = "http://127.0.0.1:8545/"
_BAD_URLS = [_NODE + "a b", _NODE + "\tx", _NODE + "\r\nX: 1", _NODE + "?k=\x00", _NODE + "é", " " + _NODE]


@pytest.mark.parametrize("url", _BAD_URLS)
def test_a_url_with_whitespace_or_control_characters_is_refused_at_construction(url: str) -> None:
    """Issue 24, finding 9: sent as a malformed request line (or, with CR LF, a header of the caller's)."""
    with pytest.raises(ValueError, match="whitespace, control") as refused:
        Transport(url)
    assert "8545" not in str(refused.value)  # never the URL (it may hold a key)
