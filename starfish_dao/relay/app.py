"""The relay application: assembles the routers. `create_app()` refuses to build without a relayer key."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp

from starfish_dao import __version__
from starfish_dao.relay.edge.problems import CHAIN_DOWN, Refusal, chain_down, from_http_exception, problem
from starfish_dao.relay.edge.redaction import scrub
from starfish_dao.relay.routes.actions import actions
from starfish_dao.relay.routes.artifacts import artifacts
from starfish_dao.relay.routes.contributions import contributions
from starfish_dao.relay.routes.docs import add_docs
from starfish_dao.relay.routes.events import events
from starfish_dao.relay.routes.grid import grid
from starfish_dao.relay.routes.info import info
from starfish_dao.relay.routes.members import members
from starfish_dao.relay.routes.page import page
from starfish_dao.relay.routes.reminders import reminders
from starfish_dao.relay.routes.treasury import treasury
from starfish_dao.relay.service import Relay
from starfish_dao.relay.settings import RelaySettings, get_settings

log = logging.getLogger("starfish.relay")


def create_app(settings: RelaySettings | None = None, relay: Relay | None = None, start: bool = True) -> FastAPI:
    settings = settings or get_settings()
    relay = relay or Relay(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if start:
            relay.start()
        try:
            yield
        finally:
            relay.stop()

    app = FastAPI(
        title="Starfish DAO relay",
        version=__version__,
        description="Members sign EIP-712 actions; the relay pays the gas. It can neither forge an action "
        "(every one carries the member's signature, checked on-chain) nor trap one (every action also "
        "works sent directly to the contracts).",
        lifespan=lifespan,
        docs_url=None,  # served from the package by add_docs: no CDN, so it works offline
        redoc_url=None,
    )
    app.state.relay = relay
    from starfish_dao.relay.edge.bodies import BodyTooLarge, BodyTooSlow
    from starfish_dao.relay.edge.guard import Guard
    from starfish_dao.relay.edge.wire import Edge

    framework = app.build_middleware_stack

    def edge() -> ASGIApp:
        """The Guard outside every layer of the framework's (its error, telemetry and body-limit
        middleware cost ~0.1 ms of an action's CPU, and the Guard's fast path needs none of them:
        it answers every error itself); CORS outside the Guard, as it answers preflight questions."""
        guard = Guard(framework(), settings=settings, relay=relay)
        stack: ASGIApp = guard
        cors = None
        if settings.cors_origins:
            stack = cors = CORSMiddleware(guard, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                                          allow_headers=["Content-Type", "Authorization"])  # fmt: skip
        app.state.edge = Edge(guard, cors)  # the server answers POST /v1/actions by these (edge/wire.py)
        return stack

    app.build_middleware_stack = edge  # type: ignore[method-assign]

    @app.exception_handler(Refusal)
    async def refused(_: Request, exc: Refusal) -> JSONResponse:
        retry = exc.detail.get("retryAfter")
        return problem(exc.status, exc.code, exc.message, exc.detail,
                       {"Retry-After": str(retry)} if retry is not None else None)  # fmt: skip

    async def unreachable(request: Request, exc: Exception) -> JSONResponse:
        return await refused(request, chain_down(exc))

    for kind in CHAIN_DOWN:  # answered here, so the framework neither re-raises nor logs a traceback
        app.add_exception_handler(kind, unreachable)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message, extra = from_http_exception(exc.status_code, exc.detail)
        return problem(exc.status_code, code, message, extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()]
        return problem(422, "malformed", "the request does not match the API", {"errors": errors})

    @app.exception_handler(BodyTooLarge)
    async def too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return problem(413, "too_large", str(exc), headers={"Connection": "close"})

    @app.exception_handler(BodyTooSlow)
    async def too_slow(_: Request, exc: BodyTooSlow) -> JSONResponse:
        return problem(408, "too_slow", str(exc), headers={"Connection": "close"})

    @app.exception_handler(ClientDisconnect)
    async def gone(_: Request, exc: ClientDisconnect) -> Response:
        return Response(status_code=499)  # nobody reads it: the client hung up mid-request

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("internal error: %s", scrub(f"{type(exc).__name__}: {exc}"))
        return problem(500, "internal", "the relay failed on this request; it is logged")

    # one router per prefix
    for router in (info, members, contributions, treasury, grid, artifacts, actions, events, reminders, page):
        app.include_router(router)
    add_docs(app)
    return app
