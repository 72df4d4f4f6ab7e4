"""The relay's server: uvicorn, guarded at the connection.

`GuardedHttpTools` (uvicorn protocol): headers must arrive within `header_timeout` (slow-loris
connections are closed), and connections beyond `max_connections` are closed at once, so file
descriptors cannot be exhausted (the descriptor limit is raised to the cap, or the cap lowered to
fit: `edge/limits.py`). `serve()`: uvicorn with these, the `Guard` (`edge/guard.py`) being part of
the app, `X-Forwarded-For` believed only from `trusted_proxies`, and every log line scrubbed of
secrets (`edge/redaction.py`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from starfish_dao.relay.edge.redaction import ScrubFilter, scrub_uncaught
from starfish_dao.relay.settings import RelaySettings

log = logging.getLogger("starfish.relay")


def guarded_protocol(settings: RelaySettings, edge: Callable[[], Any] | None = None) -> type:
    """uvicorn's httptools protocol with a header timeout and a connection cap; with `edge` (the
    app's Guard and CORS, once built), POST /v1/actions answered without ASGI (`edge/wire.py`)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from starfish_dao.relay.edge.wire import ActionCycle, takes

    class GuardedHttpTools(HttpToolsProtocol):  # type: ignore[misc]
        header_timeout = settings.header_timeout
        max_connections = settings.max_connections
        refused = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._header_timer: asyncio.TimerHandle | None = None
            if len(self.connections) > self.max_connections:
                GuardedHttpTools.refused += 1
                if GuardedHttpTools.refused in (1, 100, 10_000):
                    log.warning("connection cap: %s open connections; closing new ones (%s so far)",
                                self.max_connections, GuardedHttpTools.refused)  # fmt: skip
                transport.abort()
                return
            self._arm()

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

        def _too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.abort()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            wire = edge() if edge is not None else None
            if wire is not None and takes(self) and not self._saturated():
                existing = self.cycle  # the previous request's: pipelined requests are answered in order
                self.cycle = ActionCycle(self, wire, self.headers, self.parser.should_keep_alive())  # type: ignore[assignment]
                if existing is None or existing.response_complete:
                    self._start_asgi_task(self.cycle, self.app)
                else:
                    self.flow.pause_reading()
                    self.pipeline.appendleft((self.cycle, self.app))
                return
            super().on_headers_complete()

        def _saturated(self) -> bool:  # uvicorn's own rule, which answers 503 on the ASGI path
            limit = self.limit_concurrency
            return limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit)

        def connection_lost(self, exc: Exception | None) -> None:
            timer = getattr(self, "_header_timer", None)
            if timer is not None:
                timer.cancel()
            super().connection_lost(exc)

    return GuardedHttpTools


class Served:
    """The app as uvicorn calls it. HTTP goes to the app's edge stack (CORS, the Guard, then the
    framework) the way Starlette's own `__call__` sends it; FastAPI's `__call__` first asks, on every
    request, whether OpenTelemetry is configured (it reads the environment: ~3 % of an action's CPU
    on the event loop), and the relay does not trace. Lifespan and anything else: the app itself."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        app = self.app
        if scope["type"] != "http" or not hasattr(app, "build_middleware_stack"):
            await app(scope, receive, send)
            return
        scope["app"] = app
        if app.middleware_stack is None:
            app.middleware_stack = app.build_middleware_stack()
        await app.middleware_stack(scope, receive, send)


def serve(app: Any, settings: RelaySettings, host: str, port: int) -> None:
    import sys

    import uvicorn

    # background threads (reading the chain, verifying, batching checks) hand the interpreter back
    # to the event loop every millisecond, not every five: requests do not queue behind them
    sys.setswitchinterval(0.001)

    scrub = ScrubFilter()
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scrub_uncaught()  # an exception that escapes any thread of this process is logged, scrubbed
    from starfish_dao.relay.edge.limits import fit_descriptors

    settings = fit_descriptors(settings)  # the descriptor limit raised for the cap, or the cap lowered

    def wire() -> Any:
        """The app's edge for the server's own POST /v1/actions path, once the app has built it; None
        (every request through ASGI) when the client's address comes from a proxy's header or every
        request is logged, which only the ASGI path does."""
        if settings.trusted_proxies or settings.access_log:
            return None
        return getattr(getattr(app, "state", None), "edge", None)

    config = uvicorn.Config(
        Served(app), host=host, port=port, log_level="info", access_log=settings.access_log,
        http=guarded_protocol(settings, wire), loop="auto",
        proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
        limit_concurrency=settings.max_connections, timeout_keep_alive=5, backlog=2048,
    )  # fmt: skip
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access"):
        for handler in logging.getLogger(name).handlers:
            handler.addFilter(scrub)  # every line, whoever logs it, is scrubbed of secrets
    uvicorn.Server(config).run()
