"""JSON over HTTP/1.1 POST to one URL, on a kept-alive connection per thread.

Not requests (~0.5 ms of CPU per call: sessions, adapters, hooks, cookie merging) nor http.client
(~0.1 ms, most of it parsing headers with the email package): the relay's checks and submitter
make hundreds of calls a second (benchmarks/transport_bench.py measures both). Only what a JSON-RPC
node speaks, and as strict as h11 about it: whatever h11 refuses in an answer's framing, this
refuses too (tests/chain/test_transport_differential.py compares the two on generated answers).
Every refusal of an answer is a `ConnectionError` (the relay answers 503, never 500), and no
error carries the URL (an RPC URL often holds an API key).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Any

from starfish_dao.domain.errors import ChainError

MAX_ANSWER = 512 * 1024 * 1024  # bytes: far above any batch of logs or calls this toolkit asks for
MAX_LINE = 8192  # bytes of one status, header, chunk-size or trailer line
MAX_HEADERS = 100  # header (or trailer) lines of one answer
#: JSON nesting an answer may have (JSON-RPC's deepest, eth_simulateV1's logs, is under 10). Deeper
#: is refused before `json.loads`: py-evm and py_ecc raise the recursion limit to 100,000 when
#: imported, and the C parser then overflows the stack (a crash of the relay, not a RecursionError).
MAX_DEPTH = 64

# the grammar h11 reads (RFC 9112): a visible character is anything but NUL and whitespace
_STATUS = re.compile(rb"HTTP/([0-9]\.[0-9]) ([0-9]{3})(?: ((?:[ \t]|[^\x00\s])*))?\r?\n\Z")
_HEADER = re.compile(rb"([-!#$%&'*+.^_`|~0-9A-Za-z]+):[ \t]*((?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?)[ \t]*\r?\n\Z")
_CHUNK = re.compile(rb"[0-9A-Fa-f]{1,20}(?:;.*)?[ \t]*\r\n\Z")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = bytes.maketrans(b"[{]}", b"(())")
_NOT_KEPT = bytes(set(range(256)) - set(b'[{]}"\\'))
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\U0010ffff]")  # whitespace, controls, anything not ASCII


class BadAnswer(ConnectionError):
    """What the node sent is not a usable HTTP answer (said in the error: it holds no URL)."""


class TooLarge(BadAnswer):
    """The answer is over the limit the caller set (or MAX_ANSWER): refused before it is read."""


class Closed(BadAnswer):
    """The node closed a kept-alive connection (before answering)."""


def _length(value: bytes) -> bytes:
    """A Content-Length value: digits, or a list of one repeated value (as h11 reads it)."""
    if b"," in value:
        values = {v.strip() for v in value.split(b",")}
        if len(values) != 1:
            raise BadAnswer("the node's answer has conflicting Content-Lengths")
        value = values.pop()
    if not value.isdigit():
        raise BadAnswer("the node's answer has a malformed Content-Length")
    if len(value) > 20 or int(value) > MAX_ANSWER:  # a hostile length must not be believed
        raise TooLarge(f"the node's answer is larger than {MAX_ANSWER} bytes")
    return value


def _shallow(data: bytes) -> bool:
    """Whether JSON text `data` nests at most MAX_DEPTH deep (False for brackets that do not pair,
    which is not JSON either), in passes at C speed: the brackets and quotes kept, the strings
    removed, then the innermost pairs removed once per level."""
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return True
    kept = data.translate(None, _NOT_KEPT)
    # strings with no bracket nor escape are adjacent quotes: when that removes every quote, it
    # paired them as the strings do
    outside = kept.replace(b'""', b"") if b"\\" not in kept else kept
    if b'"' in outside:
        outside = _STRING.sub(b"", data).translate(None, _NOT_KEPT)
    brackets = outside.translate(_BRACKETS)
    for _ in range(MAX_DEPTH):
        shorter = brackets.replace(b"()", b"")
        if not shorter:
            return True
        if len(shorter) == len(brackets):
            return False
        brackets = shorter
    return False


class Connection:
    """One HTTP/1.1 connection: a request out, an answer in (Content-Length, chunked, or to the
    end of the stream; interim 1xx answers skipped). The whole exchange has one deadline (a node
    that drips a byte at a time cannot hold a thread for ever), and bytes left over after an
    answer close the connection (they cannot become the next request's answer)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.reused = False
        self._deadline = 0.0
        self._limit = MAX_ANSWER
        self._got = False  # any byte of this answer yet (a close before one is a stale connection)

    @classmethod
    def open(cls, host: str, port: int, https: bool, timeout: float) -> Connection:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if https:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        return cls(sock)

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
                raise Closed("the node closed the connection")
            raise BadAnswer("the node's answer was cut short")
        self._got = True
        self.buf += chunk

    def _line(self) -> bytes:
        """The next line, newline included; never longer than MAX_LINE, however it arrived."""
        start = 0
        while True:
            end = self.buf.find(b"\n", start)
            if end >= 0:
                if end >= MAX_LINE:
                    break
                line = bytes(self.buf[: end + 1])
                del self.buf[: end + 1]
                return line
            if len(self.buf) >= MAX_LINE:
                break
            start = len(self.buf)
            self._fill()
        raise BadAnswer(f"the node's answer has a line longer than {MAX_LINE} bytes")

    def _exactly(self, size: int) -> bytes:
        while len(self.buf) < size:
            self._fill()
        data = bytes(self.buf[:size])
        del self.buf[:size]
        return data

    def _fields(self) -> dict[bytes, bytes]:
        """Header (or trailer) lines up to the empty line: names lower-cased, repeats joined by
        commas; two different Content-Lengths or two Transfer-Encodings are refused."""
        fields: dict[bytes, bytes] = {}
        for _ in range(MAX_HEADERS + 1):
            line = self._line()
            if line == b"\r\n" or line == b"\n":
                return fields
            match = _HEADER.match(line)
            if match is None:
                raise BadAnswer("the node's answer has a malformed header line")
            name, value = match[1].lower(), match[2]
            if name == b"content-length":
                value = _length(value)
                if fields.get(name, value) != value:  # "5" and "05" included, as h11 reads them
                    raise BadAnswer("the node's answer has conflicting Content-Lengths")
                fields[name] = value
            elif name == b"transfer-encoding":  # the one coding h11 (and this) can read
                if name in fields:
                    raise BadAnswer("the node's answer has two Transfer-Encodings")
                if value.lower() != b"chunked":
                    raise BadAnswer("the node's answer has a Transfer-Encoding other than chunked")
                fields[name] = value
            elif name in fields:
                fields[name] += b", " + value
            else:
                fields[name] = value
        raise BadAnswer(f"the node's answer has more than {MAX_HEADERS} header lines")

    def _head(self) -> tuple[bytes, int, str, dict[bytes, bytes]]:
        match = _STATUS.match(self._line())
        if match is None or match[2] < b"100":
            raise BadAnswer("the node did not answer HTTP")
        headers = self._fields()
        return match[1], int(match[2]), (match[3] or b"").decode("latin-1"), headers

    def _chunked(self) -> bytes:
        pieces: list[bytes] = []
        total = 0
        while True:
            line = self._line()
            if _CHUNK.match(line) is None:
                raise BadAnswer("the node's answer has a malformed chunk")
            size = int(line.split(b";", 1)[0], 16)
            if size == 0:
                self._fields()  # trailers
                return b"".join(pieces)
            total += size
            if total > self._limit:
                raise TooLarge(f"the node's answer is larger than {self._limit} bytes")
            pieces.append(self._exactly(size))
            if self._exactly(2) != b"\r\n":
                raise BadAnswer("the node's answer has a malformed chunk")

    def exchange(
        self, head: bytes, body: bytes, timeout: float, limit: int = MAX_ANSWER
    ) -> tuple[int, str, bytes, bool]:
        """(status, reason, body, whether the connection stays open); an answer over `limit` bytes
        is refused (`TooLarge`) before it is read, or as soon as it passes the limit."""
        self._deadline = time.monotonic() + timeout
        self._limit = min(limit, MAX_ANSWER)
        self._got = False
        self.sock.settimeout(timeout)
        self.sock.sendall(head + body)
        version, status, reason, headers = self._head()
        while 100 <= status < 200:  # 100 Continue and the like: the answer follows
            version, status, reason, headers = self._head()
        keep = version == b"1.1" and headers.get(b"connection", b"").lower() != b"close"
        length = headers.get(b"content-length")
        if status in (204, 304):
            data = b""
        elif b"transfer-encoding" in headers:
            data = self._chunked()
        elif length is not None:
            if int(length) > self._limit:
                raise TooLarge(f"the node's answer is larger than {self._limit} bytes")
            data = self._exactly(int(length))
        else:  # to the end of the stream
            keep = False
            try:
                while len(self.buf) <= self._limit:
                    self._fill()
            except BadAnswer as exc:  # the end, which is the point
                if isinstance(exc, Closed):
                    raise
            if len(self.buf) > self._limit:
                raise TooLarge(f"the node's answer is larger than {self._limit} bytes")
            data = bytes(self.buf)
            self.buf.clear()
        if self.buf:  # more than it announced: never read as the next request's answer
            keep = False
        return status, reason, data, keep


class AnswerTooLarge(ChainError):
    """An answer over the size the caller allowed: ask for less (fewer blocks of logs)."""


class Transport:
    """POST JSON, get JSON. Errors never carry the URL."""

    def __init__(self, url: str, timeout: float = 120.0) -> None:
        if _URL_FORBIDDEN.search(url):  # it would be sent as a malformed request line (or Host)
            raise ValueError("the JSON-RPC URL holds whitespace, control or non-ASCII characters (percent-encode them)")
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

    def post(self, payload: Any, limit: int = MAX_ANSWER) -> Any:
        """The node's JSON answer to `payload`; `AnswerTooLarge` (the connection dropped, nothing
        read) when the answer is over `limit` bytes."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        head = self._head + str(len(body)).encode() + b"\r\n\r\n"
        for attempt in (0, 1):
            conn: Connection | None = getattr(self._local, "conn", None)
            try:
                if conn is None:
                    conn = self._local.conn = Connection.open(self.host, self.port, self.https, self.timeout)
                reused = conn.reused
                status, reason, data, keep = conn.exchange(head, body, self.timeout, limit)
            except (OSError, ValueError) as exc:
                if conn is not None:
                    conn.close()
                self._local.conn = None
                if isinstance(exc, TooLarge) and limit < MAX_ANSWER:  # the caller's own limit: ask for less
                    raise AnswerTooLarge(str(exc)) from None
                # a kept-alive connection the node closed while idle: once more on a fresh one
                # (JSON-RPC reads and sendRawTransaction are safe to repeat)
                if attempt == 0 and conn is not None and reused and isinstance(exc, Closed | ConnectionResetError
                                                                                 | BrokenPipeError):  # fmt: skip
                    continue
                raise self._failed(exc) from None
            if keep:
                conn.reused = True
            else:
                conn.close()
                self._local.conn = None
            if status != 200:
                raise ChainError(f"the node answered HTTP {status} {reason}")
            try:
                if _shallow(data):
                    return json.loads(data)
            except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
                pass
            raise self._failed(BadAnswer(f"the node's answer is not JSON (or nests deeper than {MAX_DEPTH})"))
        raise AssertionError("unreachable")

    def _failed(self, exc: Exception) -> ConnectionError:
        kind = "timed out" if isinstance(exc, TimeoutError) else "connection failed"
        why = str(exc) if isinstance(exc, BadAnswer) else type(exc).__name__
        return ConnectionError(f"JSON-RPC {kind} ({self.host}:{self.port}): {why}")
