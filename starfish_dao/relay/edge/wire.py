"""POST /v1/actions straight from the server's protocol: no ASGI cycle.

Every signed action is one POST /v1/actions. Through ASGI it passed uvicorn's request cycle, the
scope and its messages, CORS and the Guard, each a layer of Python calls: on this 2-core machine,
at 200 requests a second, an empty ASGI app under uvicorn cost 0.23 ms of CPU a request against
0.13 ms for the same answer written by an httptools protocol, and the relay's accepting process
0.95 against 0.98-1.00 ms an action with this path on and off (docs/performance.md, fifth round).
`ActionCycle` stands in for uvicorn's `RequestResponseCycle` for exactly that request, so
uvicorn's own connection handling (keep-alive, pipelining, flow control, disconnects, shutdown)
is unchanged, and answers it with the same rules as the ASGI path, not copies of them:

- the Guard's checks before the body (`Guard.admit`: origin, media type, size, the per-IP rate);
- the body's size, shape and time while it arrives (`edge/bodies.py`), as the Guard counts them;
- the handler the Guard and the FastAPI route call (`edge/fastpath.py`);
- CORS headers added by the app's own `CORSMiddleware` instance.

The server takes this path only for `POST /v1/actions` over HTTP/1.1 without `Expect`, an upgrade
or a query, when no proxy's `X-Forwarded-For` is believed and the access log is off; everything
else, this path included when any of that holds, goes through ASGI (`edge/server.py`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, NamedTuple

from starlette.datastructures import Headers

from starfish_dao.relay.edge.bodies import BodyTooLarge, BodyTooSlow, Shape, TooComplex
from starfish_dao.relay.edge.fastpath import action_response
from starfish_dao.relay.edge.guard import ACTIONS_PATH, Refused
from starfish_dao.relay.edge.redaction import scrub

log = logging.getLogger("starfish.relay")
PATH = ACTIONS_PATH.encode()


class Edge(NamedTuple):
    """What the wire needs of the app: its Guard, its CORS middleware (None without origins)."""

    guard: Any
    cors: Any


class ActionCycle:
    """One POST /v1/actions on a connection of uvicorn's httptools protocol, in the shape uvicorn
    drives a request cycle: it fills `body`, `more_body` and `message_event`, marks `disconnected`,
    reads `response_complete` and `keep_alive`, and starts `run_asgi` as a task in order."""

    def __init__(self, protocol: Any, edge: Edge, headers: list[tuple[bytes, bytes]], keep_alive: bool) -> None:
        self.protocol = protocol
        self.transport = protocol.transport
        self.flow = protocol.flow
        self.edge = edge
        self.raw_headers = headers
        self.keep_alive = keep_alive
        self.body = b""
        self.more_body = True
        self.message_event = asyncio.Event()
        self.disconnected = False
        self.response_complete = False

    async def run_asgi(self, _app: Any) -> None:
        try:
            status, headers, data = await self._answer()
        except Exception as exc:  # noqa: BLE001 - answered, and logged without secrets
            log.error("internal error: %s", scrub(f"{type(exc).__name__}: {exc}"))
            headers, data = Refused(500, "internal", "the relay failed on this request; it is logged").response()
            status = 500
        if status:
            await self._write(status, headers, data)

    async def _answer(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in self.raw_headers}  # names: lower case
        client = (self.protocol.client or ("unknown", 0))[0]
        verdict = self.edge.guard.admit(ACTIONS_PATH, headers, self.protocol.scheme, client)
        if isinstance(verdict, Refused):
            return verdict.status, *verdict.response()
        ip, limit, _ = verdict
        body = await self._read(limit)
        if isinstance(body, Refused):
            return body.status, *body.response()
        if body is None:
            return 0, [], b""  # the client hung up: nothing to answer
        return await action_response(self.edge.guard.relay, ip, body)

    async def _read(self, limit: int) -> bytes | Refused | None:
        """The whole body, counted as it arrives (the Guard's limits), or why not."""
        timeout = self.edge.guard.settings.body_timeout
        deadline = 0.0  # set when the body is first waited for (most arrive with their headers)
        shape, seen = Shape(), 0
        while True:
            if len(self.body) > limit:
                return Refused(413, "too_large", str(BodyTooLarge(limit)))
            try:
                shape.feed(self.body[seen:])
            except TooComplex as exc:
                return Refused(exc.status, exc.code, exc.message, exc.detail)
            seen = len(self.body)
            if not self.more_body:
                return self.body
            if self.disconnected:
                return None
            self.flow.resume_reading()
            deadline = deadline or self.protocol.loop.time() + timeout
            try:
                async with asyncio.timeout_at(deadline):
                    await self.message_event.wait()
            except TimeoutError:
                return Refused(408, "too_slow", str(BodyTooSlow(timeout)))
            self.message_event.clear()

    async def _write(self, status: int, headers: list[tuple[bytes, bytes]], data: bytes) -> None:
        from uvicorn.protocols.http.httptools_impl import STATUS_LINE

        if self.edge.cors is not None:  # the app's own CORS rules, applied to this answer
            message = {"type": "http.response.start", "status": status, "headers": headers}
            sent: list[Any] = []

            async def capture(m: Any) -> None:
                sent.append(m)

            await self.edge.cors.send(message, send=capture, request_headers=Headers(raw=self.raw_headers))
            headers = list(sent[0]["headers"])
        if any(name == b"connection" and value.lower() == b"close" for name, value in headers):
            self.keep_alive = False
        elif not self.keep_alive:
            headers.append((b"connection", b"close"))
        parts = [STATUS_LINE[status]]
        for name, value in (*self.protocol.server_state.default_headers, *headers):
            parts += [name, b": ", value, b"\r\n"]
        parts += [b"\r\n", data]
        if not self.disconnected and not self.transport.is_closing():
            self.transport.write(b"".join(parts))
        self.response_complete = True
        self.message_event.set()
        if not self.keep_alive:
            self.transport.close()
        self.protocol.on_response_complete()


def takes(protocol: Any) -> bool:
    """Whether the request whose headers `protocol` just parsed is one this path answers."""
    parser = protocol.parser
    return (
        protocol.url == PATH
        and parser.get_method() == b"POST"
        and parser.get_http_version() == "1.1"
        and not protocol.expect_100_continue
        and not parser.should_upgrade()
    )
