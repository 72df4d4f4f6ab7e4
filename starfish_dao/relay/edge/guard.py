"""The relay's HTTP guard: what a service exposed to the internet needs before any route runs.

`Guard` (ASGI middleware): a foreign web page cannot post (an `Origin` that is neither the relay's
own nor configured is refused, and writes must be `application/json`, or `multipart/form-data` for
uploads, so a browser always asks first); uploads may need a token and have a per-IP byte budget;
JSON writes have a per-IP rate, checked before a byte of the body is read; bodies are limited
*while they stream* (a `Content-Length` over the limit is refused before a byte is read; a JSON
body's brackets and commas are counted, see `edge/bodies.py`) and must arrive within
`body_timeout`; a client that hangs up mid-body ends its request quietly. POST /v1/actions is
answered here, by the handler its FastAPI route calls too (`edge/fastpath.py`). The connections
themselves (header timeout, connection cap) are guarded by the server, `edge/server.py`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, NamedTuple

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from starfish_dao.relay.edge.bodies import BodyTooLarge, BodyTooSlow, Shape, TooComplex
from starfish_dao.relay.edge.budgets import client_key
from starfish_dao.relay.edge.fastpath import answer_action
from starfish_dao.relay.edge.problems import problem_body
from starfish_dao.relay.settings import RelaySettings

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
UPLOAD_PATH = "/v1/artifacts"
ACTIONS_PATH = "/v1/actions"


class Refused(NamedTuple):
    """The Guard's refusal of a request, answered as a problem and with the connection closed."""

    status: int
    code: str
    message: str
    extra: dict[str, Any] | None = None

    def response(self) -> tuple[list[tuple[bytes, bytes]], bytes]:
        """(headers, body) of the answer."""
        body = json.dumps(problem_body(self.status, self.code, self.message, self.extra)).encode()
        headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]  # fmt: skip
        if self.extra and self.extra.get("retryAfter") is not None:
            headers.append((b"retry-after", str(self.extra["retryAfter"]).encode()))
        return headers, body


class Admitted(NamedTuple):
    """A write the Guard lets through: its client's budget key, its body limit, whether an upload."""

    ip: str
    limit: int
    upload: bool


async def _answer(send: Send, status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> None:
    headers, body = Refused(status, code, message, extra).response()
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    def __init__(self, app: ASGIApp, settings: RelaySettings, relay: Any = None) -> None:
        self.app = app
        self.settings = settings
        self.relay = relay
        self.allowed = {o.rstrip("/").lower() for o in settings.cors_origins}
        self.hosts = {h.lower() for h in settings.hosts}

    def _origin_ok(self, origin: str, host: str | None, scheme: str) -> bool:
        origin = origin.rstrip("/").lower()
        if origin in self.allowed or "*" in self.allowed:
            return True
        # the relay's own page: the same origin, and a Host the relay is known by. A name rebound to
        # the relay's address (DNS rebinding) also sends Origin == http://<Host>, but its Host is a
        # name the operator never listed
        if host is None or not self._known_host(host):
            return False
        return origin in (f"http://{host.lower()}", f"https://{host.lower()}", f"{scheme}://{host}")

    def _known_host(self, host: str) -> bool:
        name = host.lower()
        name = name[1 : name.index("]")] if name.startswith("[") and "]" in name else name.rsplit(":", 1)[0]
        if name in self.hosts or name == "localhost" or name == "::1":
            return True
        return name.startswith("127.") and name.replace(".", "").isdigit()

    def admit(self, path: str, headers: dict[str, str], scheme: str, client: str) -> Admitted | Refused:
        """Whether a write (POST, PUT, ...) to `path` may send its body: every check made before a byte
        of it is read. `headers` by lower-case name; `client` the peer's host. The ASGI path below and
        the server's own path for POST /v1/actions (`edge/wire.py`) both ask here."""
        origin = headers.get("origin")
        if origin is not None and origin != "null" and not self._origin_ok(origin, headers.get("host"), scheme):
            return Refused(403, "forbidden_origin", f"this relay does not accept writes from pages at {origin}; "
                           "its operator lists allowed origins in STARFISH_RELAY_CORS_ORIGINS")  # fmt: skip
        if origin == "null":  # sandboxed frames, file:// pages: never a member's own page
            return Refused(403, "forbidden_origin", "writes from an opaque origin are not accepted")
        upload = path == UPLOAD_PATH
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        wanted = "multipart/form-data" if upload else "application/json"
        if media != wanted:
            return Refused(415, "unsupported_media_type", f"send {wanted} (got {media or 'no content type'})")
        limit = self.settings.max_upload_bytes if upload else self.settings.max_body_bytes
        if upload:
            limit += 64 * 1024  # room for the multipart envelope around the file
            token = self.settings.upload_token
            if token is not None and headers.get("authorization", "") != f"Bearer {token.get_secret_value()}":
                return Refused(401, "unauthorized", "uploads to this relay need Authorization: Bearer <token>")
        declared = headers.get("content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                return Refused(400, "malformed", "Content-Length is not a number")
            if size > limit:
                return Refused(413, "too_large", f"bodies are limited to {limit} bytes (this one is {size})")
        ip = client_key(client)  # an IPv6 client's /64: one client
        if not upload and self.relay is not None and not self.relay.by_ip.allow(ip):
            # the one per-IP rate of JSON writes, checked before a byte of the body is read or parsed
            return Refused(429, "rate_limited", f"too many requests from {ip}", {"retryAfter": 1})
        if upload and self.relay is not None:
            cost = int(declared) if declared is not None else limit
            if not self.relay.upload_by_ip.allow(ip, cost):
                wait = self.relay.upload_by_ip.wait_for(ip, cost)
                return Refused(429, "rate_limited", f"{ip} has uploaded its share for now; more in {wait:.0f} s",
                               {"retryAfter": int(wait) + 1})  # fmt: skip
        return Admitted(ip, limit, upload)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            if scope["type"] == "http" and self.relay is not None:
                ip = client_key((scope.get("client") or ("unknown", 0))[0])
                if not self.relay.reads_by_ip.allow(ip):  # a read may wait on the node in a worker thread
                    await _answer(send, 429, "rate_limited", f"too many reads from {ip}", {"retryAfter": 1})
                    return
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        verdict = self.admit(scope["path"], headers, scope["scheme"], (scope.get("client") or ("unknown", 0))[0])
        if isinstance(verdict, Refused):
            await _answer(send, *verdict)
            return
        ip, limit, upload = verdict
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.body_timeout
        received = 0
        shape = None if upload else Shape()  # a JSON body's structure is counted as it streams

        async def limited() -> Message:
            nonlocal received
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise BodyTooSlow(self.settings.body_timeout)
            try:
                async with asyncio.timeout(remaining):  # a timer, not a task per message (wait_for)
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow(self.settings.body_timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
                if shape is not None:
                    shape.feed(message.get("body", b""))
            elif message["type"] == "http.disconnect":
                raise ClientDisconnect()
            return message

        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            if upload:
                await self.app(scope, limited, tracked)  # streamed: the route reads it in parts
                return
            body = await _read(limited)  # a JSON body, whole (it is small), counted as it arrives
            if scope["path"] == ACTIONS_PATH and scope["method"] == "POST" and self.relay is not None:
                # the hot path, without the framework's layers, by the handler the route calls too
                await answer_action(self.relay, ip, body, tracked)
            else:
                await self.app(scope, _replay(body, receive), tracked)
        except BodyTooLarge as exc:
            if not started:
                await _answer(send, 413, "too_large", str(exc))
        except BodyTooSlow as exc:
            if not started:
                await _answer(send, 408, "too_slow", str(exc))
        except TooComplex as exc:
            if not started:
                await _answer(send, exc.status, exc.code, exc.message, exc.detail)
        except ClientDisconnect:
            return  # the client is gone: nothing to answer, nothing to log


async def _read(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return bytes(body)


def _replay(body: bytes, receive: Receive) -> Receive:
    """`body` as the request's one message, then the connection's own (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
