"""The transport reads an answer as h11 (a strict RFC 9112 parser) does, and its JSON as
`json.loads` does, on generated answers: where h11 reads a status and a body, the transport reads
the same; where h11 refuses, the transport refuses with a ConnectionError (the relay's 503), never
another exception. Two refusals of its own, on purpose: a header line folded onto the next (which
no JSON-RPC node sends; h11 unfolds it: not generated here), and JSON nested deeper than
MAX_DEPTH (the C parser can overflow the stack once py-evm raised the recursion limit)."""

from __future__ import annotations

import json
import socket
from typing import Any

import h11
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starfish_dao.chain.transport import MAX_DEPTH, Connection, Transport
from starfish_dao.domain.errors import ChainError

REFUSED = ("refused",)


def _h11(raw: bytes) -> tuple[Any, ...]:
    """("ok", status, body) as h11 reads the first final answer in `raw` (then the end of the stream)."""
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[("Host", "node"), ("Content-Length", "0")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(raw)
    conn.receive_data(b"")
    status, body = 0, b""
    try:
        while True:
            event = conn.next_event()
            if isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return ("ok", status, body)
            elif not isinstance(event, h11.InformationalResponse):
                return REFUSED  # NEED_DATA after the end of the stream, ConnectionClosed
    except h11.RemoteProtocolError:
        return REFUSED


def _ours(raw: bytes) -> tuple[Any, ...]:
    mine, node = socket.socketpair()
    try:
        node.sendall(raw)
        node.shutdown(socket.SHUT_WR)
        try:
            status, _, body, _ = Connection(mine).exchange(b"", b"", 2)
        except ConnectionError:
            return REFUSED
        return ("ok", status, body)
    finally:
        mine.close()
        node.close()


_TEXT = st.sampled_from(
    ["application/json"] * 12 + ["", "a b", "a  b\t", "x\x00y", "\x01", "caf\xe9", "a\x0cb", "a\rb", "\x7f", " pad "]
)
_NAMES = st.sampled_from(["Content-Type", "Server", "X-A", "Date"] * 4 + ["Content-Length ", "X Y", "", "X\x00", "X:"])
_LENGTHS = st.sampled_from(
    ["{n}"] * 10 + ["0{n}", "{n}, {n}", "{n},{m}", "+{n}", "{m}", "", "x", "-1", " {n} ", "1" * 21]
)
_ENCODINGS = st.sampled_from(
    ["chunked"] * 10 + ["Chunked", "CHUNKED ", "xchunkedx", "gzip", "gzip, chunked", "chunked, chunked", "identity", ""]
)
_RPC = b'[{"jsonrpc":"2.0","id":0,"result":"0x1"}]'
_ODD = [b'{"id":0,"error":{"code":-1,"message":"[x"}}', b"<html>busy</html>", b"", b'["\xff"]', b'"\\"[["',
        b"[" * 70 + b"]" * 70, b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, b"[" * 300]  # fmt: skip
_BODIES = st.one_of(
    st.sampled_from([_RPC] * 12 + _ODD),
    st.binary(max_size=40),
    st.recursive(st.none() | st.integers() | st.text(max_size=5), lambda c: st.lists(c, max_size=3), max_leaves=8).map(
        lambda v: json.dumps(v).encode()
    ),
)
_INTERIM = [b"", b"", b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 103 Early\r\nLink: x\r\n\r\n"]


@st.composite
def _answers(draw: st.DrawFn) -> bytes:
    body = draw(_BODIES)
    eol = draw(st.sampled_from([b"\r\n"] * 6 + [b"\n"]))
    version = draw(st.sampled_from(["HTTP/1.1"] * 8 + ["HTTP/1.0", "HTTP/2.0", "HTTP/1.x", "http/1.1"]))
    status = draw(st.sampled_from(["200"] * 12 + ["204", "404", "503", "099", "20", "2000", "2x0"]))
    reason = draw(st.sampled_from([" OK"] * 8 + ["", " ", " Not\tFound", " a\x00b", " caf\xe9"]))
    headers: list[tuple[str, str]] = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["length", "length", "encoding", "encoding", "connection", "other"]))
        if kind == "length":
            headers.append(("Content-Length", draw(_LENGTHS).format(n=len(body), m=len(body) + 1)))
        elif kind == "encoding":
            headers.append((draw(st.sampled_from(["Transfer-Encoding", "transfer-encoding"])), draw(_ENCODINGS)))
        elif kind == "connection":
            headers.append(("Connection", draw(st.sampled_from(["close", "keep-alive"]))))
        else:
            headers.append((draw(_NAMES), draw(_TEXT)))
    interim = draw(
        st.sampled_from([b"", b"", b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 103 Early\r\nLink: x\r\n\r\n"])
    )
    head = f"{version} {status}{reason}".encode("latin-1") + eol
    head += b"".join(f"{n}:{' ' if draw(st.booleans()) else ''}{v}".encode("latin-1") + eol for n, v in headers)
    if any(n.lower() == "transfer-encoding" for n, _ in headers) and draw(st.integers(0, 4)):
        size = draw(st.sampled_from(["{:x}"] * 6 + ["{:X}", "{:x};ext=1", "{:x} ", " {:x}", "0{:x}"]))
        end = draw(st.sampled_from([b"\r\n"] * 8 + [b"\n", b"X\r\n"]))
        trailer = draw(st.sampled_from([b"", b"", b"X-T: 1\r\n", b"Content-Length: 1\r\nContent-Length: 2\r\n"]))
        pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
        body = b"".join(size.format(len(p)).encode() + b"\r\n" + p + end for p in pieces) + b"0\r\n" + trailer + b"\r\n"
    cut = draw(st.sampled_from([0] * 12 + [1, 5]))
    return (interim + head + eol + body)[: -cut or None]


_FAST = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@_FAST
@given(_answers())
def test_the_transport_frames_an_answer_as_h11_does(raw: bytes) -> None:
    assert _ours(raw) == _h11(raw), raw


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@_FAST
@given(_answers())
def test_what_the_transport_returns_is_json_loads_of_what_h11_read(raw: bytes) -> None:
    expected = _h11(raw)
    mine, node = socket.socketpair()
    transport = Transport("http://node:8545/")
    transport._local.conn = Connection(mine)
    try:
        node.sendall(raw)
        node.shutdown(socket.SHUT_WR)
        try:
            got: Any = ("ok", transport.post({"jsonrpc": "2.0", "id": 0, "method": "eth_chainId"}))
        except ChainError:  # an HTTP status other than 200
            got = ("status",)
        except ConnectionError as exc:
            assert "node:8545" in str(exc) and "http://" not in str(exc)
            got = REFUSED
    finally:
        mine.close()
        node.close()
    if expected == REFUSED:
        assert got == REFUSED
    elif expected[1] != 200:
        assert got == ("status",)
    else:
        try:
            value = json.loads(expected[2])
        except ValueError:
            assert got == REFUSED
        else:
            assert got == (REFUSED if _depth(value) > MAX_DEPTH else ("ok", value))
